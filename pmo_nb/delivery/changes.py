"""The approved change requests a project's current baseline adds up (shared with governance).

A project's current baseline at a date is its approved budget and finish plus
the impacts of the changes approved on or before that date (decided_date <=
the date). Earned value needs it, and :mod:`pmo_nb.governance` reports it;
it lives here, in the lower layer, so both read it from one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.dates import reporting_date
from pmo_nb.portfolio import Portfolio

#: Columns of :func:`approved_impacts`.
IMPACT_COLUMNS = ("approved_changes", "cost_impact", "schedule_impact_days")


def approved_by(changes: pd.DataFrame, when: pd.Timestamp) -> pd.Series:
    """Mask of the change requests approved on or before ``when``."""
    return (changes["status"] == "approved") & (changes["decided_date"] <= when)


def approved_impacts(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """Per project: how many changes were approved by ``as_of`` and what they add.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``projects`` and ``change_requests``.
    as_of : date-like, optional
        Blank means the portfolio's data date.

    Returns
    -------
    pandas.DataFrame
        Indexed by every ``project_id`` of ``projects``: ``approved_changes``
        (count), ``cost_impact`` (money) and ``schedule_impact_days`` (calendar
        days), zero where nothing was approved (missing impacts count as 0).
    """
    when = reporting_date(portfolio, as_of)
    changes = portfolio.change_requests
    chosen = changes[approved_by(changes, when)]
    # "sum" skips missing impacts (they count as 0), as fast built-ins, not a lambda per project
    sums = chosen.groupby("project_id").agg(
        approved_changes=("change_id", "size"),
        cost_impact=("cost_impact", "sum"),
        schedule_impact_days=("schedule_impact_days", "sum"),
    )
    index = pd.Index(portfolio.projects["project_id"], name="project_id")
    out = sums.reindex(index).fillna(0.0).astype("float64")
    out["approved_changes"] = out["approved_changes"].astype("int64")
    return out[list(IMPACT_COLUMNS)]


def current_baseline(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """Each project's ``budget_current`` and ``finish_current`` at ``as_of``.

    Indexed by ``project_id``; the approved budget and finish plus the
    impacts of the changes approved on or before ``as_of`` (blank: data date).
    """
    impacts = approved_impacts(portfolio, as_of)
    projects = portfolio.projects.set_index("project_id")
    days = pd.to_timedelta(impacts["schedule_impact_days"].round(), unit="D")
    return pd.DataFrame({
        "budget_current": projects["budget"].astype("float64") + impacts["cost_impact"],
        "finish_current": projects["finish_date"] + days,
    }, index=impacts.index)


def approved_count_at(changes: pd.DataFrame, project_ids, dates) -> np.ndarray:
    """How many changes of ``project_ids[k]`` had been approved by ``dates[k]``.

    One count per position (0 where none had); a project may appear at several
    dates, each counting only what was decided by then (:func:`approved_by`).
    """
    keys = pd.DataFrame({"project_id": np.asarray(project_ids, dtype=object),
                         "date": pd.to_datetime(np.asarray(dates))})
    keys["key"] = np.arange(len(keys))
    rows = keys.merge(changes[["project_id", "status", "decided_date"]], on="project_id")
    rows = rows[approved_by(rows, rows["date"]).to_numpy()]
    counts = rows.groupby("key").size()
    return counts.reindex(keys["key"], fill_value=0).to_numpy("int64")

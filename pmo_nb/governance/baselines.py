"""Change control: each project's original and current baseline, and what is pending.

A project's current baseline at a date is its approved budget and finish plus
the impacts of the changes approved on or before that date (the format,
``change_requests``). A change is *pending* at a date when it was raised on or
before it and was still undecided then: its status is ``proposed``, or it was
approved or rejected after the date. A withdrawn change is never pending (the
format records no withdrawal date).
"""

from __future__ import annotations

import pandas as pd

from pmo_nb.dates import reporting_date
from pmo_nb.delivery.changes import approved_impacts, current_baseline
from pmo_nb.portfolio import Portfolio

#: Columns of :func:`baseline`, in order.
BASELINE_COLUMNS = (
    "name", "stage", "budget_original", "budget_current", "finish_original", "finish_current",
    "approved_changes", "pending_changes", "pending_cost", "pending_days",
    "drift_money", "drift_days",
)

#: The statuses of :func:`change_status_at`, in reading order.
CHANGE_STATUSES = ("proposed", "approved", "rejected", "withdrawn")


def change_status_at(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """The change requests raised on or before ``as_of``, with their status then.

    A change decided after ``as_of`` reads ``proposed`` (it was still open).
    Returns the ``change_requests`` rows with ``status_then`` added.
    """
    when = reporting_date(portfolio, as_of)
    changes = portfolio.change_requests
    raised = changes[changes["raised_date"] <= when].copy()
    later = raised["status"].isin(["approved", "rejected"]) & ~(raised["decided_date"] <= when)
    raised["status_then"] = raised["status"].where(~later, "proposed")
    return raised.reset_index(drop=True)


def pending(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """The change requests still pending at ``as_of`` (blank: the data date)."""
    changes = change_status_at(portfolio, as_of)
    return changes[changes["status_then"] == "proposed"].reset_index(drop=True)


def baseline(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """Original against current baseline per project, and the exposure still pending.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``projects`` and ``change_requests``.
    as_of : date-like, optional
        Reporting date; blank means the portfolio's data date.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``project_id`` (every project): ``budget_original`` and
        ``finish_original`` (as approved), ``budget_current`` and
        ``finish_current`` (plus the changes approved on or before ``as_of``),
        ``approved_changes``, ``pending_changes``, ``pending_cost`` and
        ``pending_days`` (impacts of the pending changes), ``drift_money`` =
        current - original budget and ``drift_days`` = current - original
        finish in calendar days.
    """
    projects = portfolio.projects.set_index("project_id")
    impacts = approved_impacts(portfolio, as_of)
    current = current_baseline(portfolio, as_of)
    waiting = pending(portfolio, as_of).groupby("project_id").agg(
        pending_changes=("change_id", "size"),
        pending_cost=("cost_impact", lambda s: s.fillna(0).sum()),
        pending_days=("schedule_impact_days", lambda s: s.fillna(0).sum()),
    ).reindex(impacts.index).fillna(0.0)
    out = pd.DataFrame({
        "name": projects["name"],
        "stage": projects["stage"],
        "budget_original": projects["budget"].astype("float64"),
        "budget_current": current["budget_current"],
        "finish_original": projects["finish_date"],
        "finish_current": current["finish_current"],
        "approved_changes": impacts["approved_changes"],
        "pending_changes": waiting["pending_changes"].astype("int64"),
        "pending_cost": waiting["pending_cost"].astype("float64"),
        "pending_days": waiting["pending_days"].astype("float64"),
    }, index=impacts.index)
    out["drift_money"] = out["budget_current"] - out["budget_original"]
    out["drift_days"] = ((out["finish_current"] - out["finish_original"])
                         / pd.Timedelta(days=1)).astype("float64")
    return out[list(BASELINE_COLUMNS)].sort_index()


def drift_table(base: pd.DataFrame) -> pd.DataFrame:
    """The projects whose baseline moved, largest money drift first (then days)."""
    moved = base[(base["drift_money"] != 0) | (base["drift_days"] != 0)]
    key = moved["drift_money"].abs()
    order = key.to_frame("money").assign(days=moved["drift_days"].abs())
    return moved.loc[order.sort_values(["money", "days"], ascending=False,
                                       kind="stable").index]


def change_summary(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """Change requests by their status at ``as_of``: count, cost and schedule impact.

    Indexed by status (``proposed``, ``approved``, ``rejected``, ``withdrawn``;
    only those present): ``changes``, ``cost_impact`` and
    ``schedule_impact_days`` summed (missing impacts count as 0).
    """
    changes = change_status_at(portfolio, as_of)
    out = changes.groupby("status_then").agg(
        changes=("change_id", "size"),
        cost_impact=("cost_impact", lambda s: s.fillna(0).sum()),
        schedule_impact_days=("schedule_impact_days", lambda s: s.fillna(0).sum()),
    )
    out = out.reindex([s for s in CHANGE_STATUSES if s in out.index])
    out.index.name = "status"
    return out


"""Scope: each project's requirements against its baseline, growth, churn and a burn-up.

The rules are the format's (``requirements``): scope at a date is the size of
the items added on or before it and not removed on or before it; proposed
items do not count. Growth = (scope - baseline scope) / baseline scope; churn
= (size of the items added outside the baseline + size of the baseline items
removed) / baseline scope, counting what happened on or before the date.
Baseline scope is the size of the baseline items added on or before the date
(removed or not). Items added after the date do not count anywhere. The rule
itself is :mod:`pmo_nb.delivery.scope` (the forecast uses it too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.dates import reporting_date
from pmo_nb.delivery.scope import counted, sizes, with_growth
from pmo_nb.portfolio import Portfolio

#: Columns of :func:`scope_change`, in order.
SCOPE_COLUMNS = ("baseline_size", "current_size", "added", "removed", "growth", "churn",
                 "items")

#: Columns of :func:`burnup`, in order.
BURNUP_COLUMNS = ("project_id", "date", "scope", "baseline", "done")


def _counted(portfolio: Portfolio, when: pd.Timestamp) -> pd.DataFrame:
    """The requirements that count at ``when`` (:func:`pmo_nb.delivery.scope.counted`)."""
    return counted(portfolio.requirements, when)


def scope_change(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """Baseline and current scope per project, with growth and churn at ``as_of``.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``requirements``.
    as_of : date-like, optional
        Reporting date; blank means the portfolio's data date.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``project_id`` (the projects with a counted requirement):
        ``baseline_size``, ``current_size``, ``added`` (items added outside
        the baseline, removed since or not), ``removed`` (baseline items
        removed), ``growth`` and ``churn`` (fractions, NaN without a baseline)
        and ``items`` (how many requirements count).
    """
    req = _counted(portfolio, reporting_date(portfolio, as_of))
    if req.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in SCOPE_COLUMNS})
        frame["items"] = frame["items"].astype("int64")
        frame.index = pd.Index([], dtype="str", name="project_id")
        return frame
    out = with_growth(sizes(req))
    out["items"] = out["items"].astype("int64")
    return out[list(SCOPE_COLUMNS)].sort_index()


def league_table(scope: pd.DataFrame) -> pd.DataFrame:
    """:func:`scope_change` rows, largest growth first (then churn); no baseline last."""
    return scope.sort_values(["growth", "churn"], ascending=False, na_position="last",
                             kind="stable")


def burnup(portfolio: Portfolio, as_of=None, project_ids=None) -> pd.DataFrame:
    """Monthly scope against done per project, for burn-up charts.

    One row per project and month end from the month of its first counted
    requirement to ``as_of`` (the last point is ``as_of`` itself). ``scope``
    and ``baseline`` follow :func:`scope_change` at each date. The format
    records no completion date for a requirement, so ``done`` is the scope
    times the project's latest reported ``percent_complete`` at that date
    (0 before its first status update).

    Parameters
    ----------
    project_ids : list of str, optional
        The projects to draw; default every project with requirements.

    Returns
    -------
    pandas.DataFrame
        Columns ``project_id``, ``date``, ``scope``, ``baseline``, ``done``.
    """
    when = reporting_date(portfolio, as_of)
    req = _counted(portfolio, when)
    if project_ids is not None:
        req = req[req["project_id"].isin(list(project_ids))]
    updates = portfolio.status_updates.dropna(subset=["percent_complete"])
    updates = updates.sort_values(["project_id", "as_of"], kind="stable")
    rows = []
    for pid, items in req.groupby("project_id", sort=True):
        first = items["added_date"].min()
        dates = list(pd.date_range(first + pd.offsets.MonthEnd(0), when, freq="ME"))
        if not dates or dates[-1] != when:
            dates.append(when)
        mine = updates[updates["project_id"] == pid]
        done = _share_at(mine["as_of"].to_numpy(), mine["percent_complete"].to_numpy(), dates)
        for date, share in zip(dates, done, strict=True):
            scope_sizes = sizes(counted(items, date))
            scope = float(scope_sizes["current_size"].sum())
            rows.append((pid, date, scope, float(scope_sizes["baseline_size"].sum()),
                         scope * share))
    out = pd.DataFrame(rows, columns=list(BURNUP_COLUMNS))
    out["date"] = pd.to_datetime(out["date"])
    return out


def _share_at(when: np.ndarray, percent: np.ndarray, dates: list) -> np.ndarray:
    """The latest reported percent complete / 100 on or before each of ``dates`` (0 before)."""
    at = np.searchsorted(when, np.array(dates, dtype=when.dtype), side="right") - 1
    share = np.where(at >= 0, percent[np.maximum(at, 0)] if len(percent) else 0.0, 0.0)
    return share.astype("float64") / 100.0

"""Decisions the boards and gates still owe: open past their due date, by owner.

A decision is open at a date when it was raised on or before it and was not
decided by then: its status is ``open``, or it was decided after the date.
It is owed (overdue) when its ``due_date`` is before the date.
"""

from __future__ import annotations

import pandas as pd

from pmo_nb.dates import reporting_date
from pmo_nb.portfolio import Portfolio

#: Columns of :func:`decisions_owed`, in order.
OWED_COLUMNS = ("decision_id", "owner", "forum", "title", "project_id", "date", "due_date",
                "days_late")

#: The owner shown for a decision that names none.
NO_OWNER = "(no owner)"


def open_decisions(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """The decisions open at ``as_of`` (blank: the data date), as ``decisions`` rows."""
    when = reporting_date(portfolio, as_of)
    dec = portfolio.decisions
    raised = dec[dec["date"] <= when]
    still = (raised["status"] == "open") | (raised["decided_date"] > when)
    return raised[still].reset_index(drop=True)


def decisions_owed(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """The open decisions past their due date at ``as_of``, by owner, most late first.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``decisions``.
    as_of : date-like, optional
        Reporting date; blank means the portfolio's data date.

    Returns
    -------
    pandas.DataFrame
        One row per overdue decision, ordered by owner then ``days_late``
        (calendar days from ``due_date`` to ``as_of``, largest first);
        an empty owner reads ``(no owner)``.
    """
    when = reporting_date(portfolio, as_of)
    dec = open_decisions(portfolio, when)
    late = dec[dec["due_date"] < when].copy()
    late["owner"] = late["owner"].where(late["owner"].notna() & (late["owner"] != "None")
                                        & (late["owner"].astype("str").str.strip() != ""),
                                        NO_OWNER)
    late["days_late"] = ((when - late["due_date"]) / pd.Timedelta(days=1)).astype("int64")
    late = late.sort_values(["owner", "days_late", "decision_id"],
                            ascending=[True, False, True], kind="stable")
    return late[list(OWED_COLUMNS)].reset_index(drop=True)


def owed_by_owner(owed: pd.DataFrame) -> pd.DataFrame:
    """:func:`decisions_owed` rolled up per owner: count, most and total days late.

    Indexed by owner, most overdue decisions first.
    """
    out = owed.groupby("owner").agg(decisions=("decision_id", "size"),
                                    most_days_late=("days_late", "max"),
                                    oldest_due=("due_date", "min"))
    return out.sort_values(["decisions", "most_days_late"], ascending=False, kind="stable")

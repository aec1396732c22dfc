"""What a date argument means, written once: reporting dates, data dates, "now".

The rule for a blank ``as_of``
------------------------------
Every analysis takes ``as_of`` (the reporting date). ``None`` or a blank
string means **the portfolio's data date**: the latest status update, actual
finish or benefit measurement it holds (today only when it holds no dated
row at all). So an analysis is a pure function of its portfolio: the same
workbook gives the same figures tomorrow, and a report run without a date
describes the data as last reported. Anything date-like is cut to the day.

Where people are, a blank date means *today* (:func:`today`): ``pmo report
run`` without ``--as-of`` reports on the day it runs (:func:`iso_day`) and
passes that date to every notebook, and a dashboard opened without a date
shows today. Both then hand an explicit date to the analyses, so neither
depends on the analyses' default.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pmo_nb.portfolio import Portfolio

#: Stages of projects that are under way or committed (they report status).
LIVE_STAGES = ("approved", "active", "on_hold")


def today() -> pd.Timestamp:
    """Today as a day Timestamp: the reporting date of a run or a dashboard given none."""
    return pd.Timestamp.today().normalize()


def is_blank(value) -> bool:
    """True for ``None``, NaT/NaN and blank strings: "no date given"."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def day(value) -> pd.Timestamp:
    """A date-like value as a day :class:`pandas.Timestamp` (time of day dropped).

    Raises
    ------
    ValueError
        When ``value`` is not a date, naming it.
    """
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None
    if pd.isna(stamp):
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


def data_date(portfolio: Portfolio) -> pd.Timestamp:
    """The latest status update, actual finish or benefit measurement (today if none)."""
    columns = [portfolio.status_updates["as_of"], portfolio.projects["actual_finish_date"],
               portfolio.benefit_measurements["date"]]
    found = pd.concat([c for c in columns if len(c)]).dropna() if any(len(c) for c in columns) \
        else pd.Series(dtype="datetime64[ns]")
    return day(found.max()) if len(found) else today()


def reporting_date(portfolio: Portfolio, as_of=None) -> pd.Timestamp:
    """``as_of`` as a day, or the portfolio's :func:`data_date` when blank (the one rule)."""
    return data_date(portfolio) if is_blank(as_of) else day(as_of)


def cut_off(as_of) -> pd.Timestamp | None:
    """``as_of`` as a day, ``None`` when blank: for filters where blank keeps every row.

    Keeping every row is the same as cutting at the data date for the rows a
    portfolio holds, so this agrees with :func:`reporting_date`.
    """
    return None if is_blank(as_of) else day(as_of)


def iso_day(as_of=None) -> str:
    """A run date as ``YYYY-MM-DD``; blank means today (the command line's rule).

    Raises
    ------
    ValueError
        When ``as_of`` is not an ISO date.
    """
    if is_blank(as_of):
        return today().date().isoformat()
    if isinstance(as_of, dt.datetime):
        return as_of.date().isoformat()
    if isinstance(as_of, dt.date):
        return as_of.isoformat()
    try:
        return dt.date.fromisoformat(str(as_of).strip()[:10]).isoformat()
    except ValueError:
        raise ValueError(f"as_of must be an ISO date YYYY-MM-DD, got {as_of!r}") from None


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the millisecond (run records, logs)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def latest_status(portfolio: Portfolio, as_of=None, *, require: str | None = None
                  ) -> pd.DataFrame:
    """Each project's latest status update on or before ``as_of`` (blank: the data date).

    One row per project that has reported, in ``project_id`` order, with the
    status-update columns. Every RAG, commentary or progress figure that a
    page calls "latest" comes from here, so no page shows a status reported
    after its reporting date. ``require="rag"`` counts only the updates that
    carry that column (the latest *reported RAG*).
    """
    updates = portfolio.status_updates
    cut = cut_off(as_of)
    if cut is not None:
        updates = updates[updates["as_of"] <= cut]
    if require is not None:
        updates = updates[updates[require].notna()]
    if updates.empty:
        return updates.reset_index(drop=True)
    ordered = updates.sort_values(["project_id", "as_of"], kind="stable")
    return ordered.groupby("project_id", sort=True).tail(1).reset_index(drop=True)

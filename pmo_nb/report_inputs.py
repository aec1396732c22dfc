"""What the report notebooks read from the store besides the portfolio: persisted results.

A report never samples: it shows the forecast (and forecast backtest) that a
forecasting run saved with :meth:`pmo_nb.store.Store.save_result`, or says
plainly that none exists. Only the :class:`~pmo_nb.store.Store` API is used
here (no SQL); the analyses that consume the results stay pure.

Forecast tables are kind ``"forecast"`` named by their as-of date
(``YYYY-MM-DD``, see :mod:`pmo_nb.forecasting`); the latest one dated on or
before the reporting date is used, so a report never looks into the future.
Backtest scorecards are looked for under kind :data:`BACKTEST_KIND` (the
newest whose name, when it is a date, is not after the reporting date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .forecasting import TABLE_KIND

#: Kind of a persisted backtest scorecard (:func:`pmo_nb.calibration.backtest`).
BACKTEST_KIND = "backtest"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Persisted:
    """A persisted result found for a report, or the statement that there is none.

    Attributes
    ----------
    table : pandas.DataFrame or None
        The stored table (a forecast comes back indexed by ``project_id``
        with Timestamp finish columns), ``None`` when nothing was found.
    name : str or None
        The stored result's name (a forecast's as-of date).
    attrs : dict
        How it was made (as saved).
    """

    table: pd.DataFrame | None
    name: str | None
    attrs: dict

    @property
    def available(self) -> bool:
        return self.table is not None


def _day(as_of) -> str:
    return pd.Timestamp(as_of).strftime("%Y-%m-%d")


def _latest_name(store, kind: str, as_of) -> str | None:
    """The newest stored name of ``kind`` not dated after ``as_of`` (undated names count)."""
    found = store.list_results(kind)
    if found is None or found.empty:
        return None
    names = found["name"].astype("str")
    dated = names.where(names.str.fullmatch(_DATE))
    keep = dated.isna() | (dated <= _day(as_of))
    found = found[keep.to_numpy()]
    if found.empty:
        return None
    # dated names by date, then undated ones by when they were saved
    found = found.assign(_key=names[keep.to_numpy()].where(dated.notna(), ""))
    found = found.sort_values(["_key", "saved_at"], ascending=[False, False])
    return str(found["name"].iloc[0])


def stored_forecast(store, as_of) -> Persisted:
    """The latest forecast table saved on or before ``as_of`` (nothing is sampled)."""
    name = _latest_name(store, TABLE_KIND, as_of)
    if name is None:
        return Persisted(None, None, {})
    frame, _, attrs = store.load_result(TABLE_KIND, name)
    if frame is None:
        return Persisted(None, None, {})
    from .forecasting import _restore

    return Persisted(_restore(frame), name, dict(attrs or {}))


def stored_backtest(store, as_of) -> Persisted:
    """The latest backtest scorecard saved (kind :data:`BACKTEST_KIND`), if any.

    The scorecard comes back with ``at`` and ``method`` as columns.
    """
    name = _latest_name(store, BACKTEST_KIND, as_of)
    if name is None:
        return Persisted(None, None, {})
    frame, _, attrs = store.load_result(BACKTEST_KIND, name)
    if frame is None:
        return Persisted(None, None, {})
    if "method" not in frame.columns:
        frame = frame.reset_index()
    return Persisted(frame, name, dict(attrs or {}))

"""The one reader of persisted forecast results: "the latest one on or before the date".

Reports, dashboards and briefings never sample: they show what a forecasting
run saved with :meth:`pmo_nb.store.Store.save_result`, or say plainly that
nothing was saved. This module is where the kinds are named and where the
rule for "latest" lives, so a dashboard and a report can never show
different forecasts for one date.

The rule
--------
Results of a kind are named by the reporting date they were made for
(``YYYY-MM-DD``). :func:`latest` takes the newest name dated on or before
``as_of`` (ties: the newest saved). Undated names (kept by earlier versions
or by hand) count only when no dated one qualifies, newest saved first; a
report therefore never looks into the future. A forecast table always comes
back in one shape: indexed by ``project_id``, finish columns as naive
``datetime64[ns]``.

Only the :class:`~pmo_nb.store.Store` API is used here (no SQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from pmo_nb.dates import day, is_blank

#: The fitted reference-class model (InferenceData as NetCDF), one name.
MODEL_KIND, MODEL_NAME = "forecast_model", "reference_class"
#: Forecast tables, named by their as-of date.
FORECAST_KIND = "forecast"
#: Backtest scorecards (:func:`pmo_nb.forecast.calibration.backtest`), named by date.
BACKTEST_KIND = "backtest"
#: What pages say when no forecast has been persisted for the date.
NO_FORECAST = "forecasts not yet run"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Persisted:
    """A persisted result found for a date, or the statement that there is none.

    Attributes
    ----------
    table : pandas.DataFrame or None
        The stored table in its one shape (see the module notes); ``None``
        when nothing was found.
    name : str or None
        The stored result's name (its as-of date).
    attrs : dict
        How it was made (as saved: ``fitted_at``, ``data_checksum``, ...).
    kind : str
        The kind looked for.
    version, saved_at : int and pandas.Timestamp, or None
        Which stored version of ``name`` it is and when it was saved (UTC).
    """

    table: pd.DataFrame | None
    name: str | None
    attrs: dict = field(default_factory=dict)
    kind: str = FORECAST_KIND
    version: int | None = None
    saved_at: pd.Timestamp | None = None

    @property
    def available(self) -> bool:
        return self.table is not None

    def describe(self) -> str:
        """A sentence naming the result, or :data:`NO_FORECAST` when there is none."""
        if not self.available:
            return NO_FORECAST if self.kind == FORECAST_KIND else f"no {self.kind} saved"
        fitted = self.attrs.get("fitted_at", "unknown")
        return f"{self.kind} as of {self.name} (model fitted {fitted})"


def _latest_row(store, kind: str, as_of=None):
    """The :meth:`~pmo_nb.store.Store.list_results` row :func:`latest` reads, or None."""
    found = store.list_results(kind)
    if found is None or found.empty:
        return None
    found = found.assign(name=found["name"].astype("str"))
    dated = found[found["name"].str.fullmatch(_DATE)]
    if not is_blank(as_of):
        dated = dated[dated["name"] <= day(as_of).strftime("%Y-%m-%d")]
    if len(dated):
        return dated.sort_values(["name", "saved_at"], ascending=False).iloc[0]
    undated = found[~found["name"].str.fullmatch(_DATE)]
    if undated.empty:
        return None
    return undated.sort_values("saved_at", ascending=False).iloc[0]


def latest_name(store, kind: str, as_of=None) -> str | None:
    """The name :func:`latest` would read (``None`` when nothing qualifies)."""
    row = _latest_row(store, kind, as_of)
    return None if row is None else str(row["name"])


def restore_forecast(frame: pd.DataFrame) -> pd.DataFrame:
    """A stored forecast table in its one shape (indexed by ``project_id``, naive dates).

    Accepts both shapes earlier versions saved (``project_id`` as a column or
    as the index).
    """
    table = frame.set_index("project_id") if "project_id" in frame.columns else frame.copy()
    table.index.name = "project_id"
    for col in [c for c in table if c.startswith("finish")]:
        values = pd.to_datetime(table[col])
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        table[col] = values.astype("datetime64[ns]")
    return table


def _restore_backtest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame if "method" in frame.columns else frame.reset_index()


_SHAPES = {FORECAST_KIND: restore_forecast, BACKTEST_KIND: _restore_backtest}


def latest(store, kind: str = FORECAST_KIND, as_of=None) -> Persisted:
    """The latest result of ``kind`` saved for a date on or before ``as_of``.

    Parameters
    ----------
    store : pmo_nb.store.Store
    kind : str
        :data:`FORECAST_KIND` (default) or :data:`BACKTEST_KIND`; any other
        kind comes back as saved.
    as_of : date-like, optional
        The reporting date; blank means no cut-off (the newest saved).
    """
    row = _latest_row(store, kind, as_of)
    # that very version: one saved meanwhile cannot mix with the row's facts
    found = None if row is None else store.load_result(kind, str(row["name"]),
                                                       int(row["version"]))
    if found is None or found[0] is None:
        return Persisted(None, None, {}, kind)
    frame, _, attrs = found
    shape = _SHAPES.get(kind, lambda f: f)
    table = shape(frame)
    table.attrs = dict(attrs or {})
    return Persisted(table, str(row["name"]), dict(attrs or {}), kind,
                     version=int(row["version"]), saved_at=pd.Timestamp(row["saved_at"]))


def stored_forecast(store, as_of=None) -> Persisted:
    """The latest forecast table saved on or before ``as_of`` (nothing is sampled)."""
    return latest(store, FORECAST_KIND, as_of)


def stored_backtest(store, as_of=None) -> Persisted:
    """The latest backtest scorecard saved on or before ``as_of`` (``at``, ``method`` columns)."""
    return latest(store, BACKTEST_KIND, as_of)

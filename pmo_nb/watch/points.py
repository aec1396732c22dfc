"""Points of the store's history that :func:`pmo_nb.watch.changes` compares.

A point is one import: the portfolio as that import left it, the reporting
date it stands for, and the persisted forecast a report for that date shows.

The rules, defined once here:

- ``since`` / ``until`` as an import id names that import; as a date, time or
  ISO string, the last import started at or before it (a bare date means the
  end of that day, as :meth:`pmo_nb.store.Store.load` reads it); ``until=None``
  is the latest import.
- The reporting date of a point is the date given; for an import id, the
  import's day; for ``until=None``, today.
- Its forecast is :func:`pmo_nb.forecast.stored.latest` for the last day the
  import was the newest data: the date given; for an import id, the day
  before the next import (never before the import's own day), or no cut-off
  when it is the latest import. So a forecast run after an import, dated by
  the report that ran it, belongs to that import.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import pandas as pd

from pmo_nb.dates import day, is_blank, today
from pmo_nb.forecast.stored import FORECAST_KIND, Persisted, latest
from pmo_nb.portfolio import Portfolio
from pmo_nb.store.reading import LatestUpdates
from pmo_nb.store.rows import store_time


@dataclass
class Point:
    """One import as :func:`pmo_nb.watch.changes` sees it."""

    import_id: int
    started_at: pd.Timestamp
    portfolio: Portfolio
    #: the reporting date the point stands for (decisions due, benefit plans)
    as_of: pd.Timestamp
    forecast: Persisted
    #: the forecast's stored version (None without a forecast)
    forecast_version: int | None

    @property
    def label(self) -> str:
        return f"{self.import_id} ({self.started_at:%Y-%m-%d})"

    @property
    def forecast_label(self) -> str | None:
        """``"2026-11-03 v2"``: the forecast's name and version, None without one."""
        if not self.forecast.available:
            return None
        return f"{self.forecast.name} v{self.forecast_version}"


def _is_import_id(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def pick_import(imports: pd.DataFrame, value, which: str) -> int:
    """The import id ``value`` names (see the module notes); ``imports`` is ``Store.history()``.

    Raises
    ------
    ValueError
        Naming ``which`` (since / until) and the value when no import matches.
    """
    if _is_import_id(value):
        if int(value) not in set(imports["import_id"]):
            raise ValueError(f"{which}={value}: the store has no import {value} (see pmo history)")
        return int(value)
    try:
        stamp = store_time(value)  # the store's rule: a bare date means its end
    except (TypeError, ValueError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise ValueError(f"{which}={value!r}: not an import id or a date (use YYYY-MM-DD)")
    found = imports[imports["started_at"] <= stamp]
    if found.empty:
        raise ValueError(f"{which}={value!r}: no import started on or before it "
                         "(see pmo history)")
    return int(found["import_id"].max())


#: The tables :mod:`pmo_nb.watch.compare` reads (a point holds only these), and the
#: status updates it reads: each project's latest reported RAG (:func:`compare.rag`).
POINT_TABLES = ("projects", "status_updates", "risks", "benefits", "benefit_measurements",
                "teams", "demand", "change_requests", "decisions")
POINT_UPDATES = LatestUpdates(require="rag")


def _dates(imports: pd.DataFrame, import_id: int, given
           ) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp | None]:
    """The import's start, the point's reporting date and its forecast's cut-off."""
    ordered = imports.sort_values("import_id")
    started = pd.Timestamp(ordered.loc[ordered["import_id"] == import_id, "started_at"].iloc[0])
    later = ordered[ordered["import_id"] > import_id]
    if given is not None and not _is_import_id(given):
        as_of = day(given)
        return started, as_of, as_of
    as_of = today() if given is None else day(started)
    return started, as_of, None if later.empty else max(
        day(started), day(later["started_at"].iloc[0]) - pd.Timedelta(days=1))


def load_points(store, imports: pd.DataFrame, since: tuple[int, object],
                until: tuple[int, object], versions: dict) -> tuple[Point, Point]:
    """The two :class:`Point` compared: ``(import_id, what the caller passed)`` each.

    Their portfolios hold :data:`POINT_TABLES` only, with each project's
    latest reported RAG as its status updates, read in one pass
    (:meth:`pmo_nb.store.Store.load_pair`: the later import from the earlier
    one's rows and the rows that changed in between).
    """
    facts = [(i, *_dates(imports, i, given)) for i, given in (since, until)]
    portfolios = store.load_pair(facts[0][1].to_pydatetime(), facts[1][1].to_pydatetime(),
                                 tables=POINT_TABLES, latest=POINT_UPDATES)
    points = []
    for (import_id, started, as_of, cut), portfolio in zip(facts, portfolios, strict=True):
        forecast = latest(store, FORECAST_KIND,
                          None if is_blank(cut) else cut.strftime("%Y-%m-%d"))
        version = versions.get(forecast.name) if forecast.available else None
        points.append(Point(import_id, started, portfolio, as_of, forecast, version))
    return points[0], points[1]


def forecast_versions(store) -> dict[str, int]:
    """Latest stored version of each forecast name (what :func:`latest` reads)."""
    found = store.list_results(FORECAST_KIND)
    return {str(n): int(v) for n, v in zip(found["name"], found["version"], strict=True)}

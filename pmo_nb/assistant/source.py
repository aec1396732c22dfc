"""Where the tools' answers come from: a read-only store, and how answers are shaped.

Every answer carries :meth:`Source.provenance`: the reporting date, the data
checksum (:meth:`pmo_nb.portfolio.Portfolio.checksum`), the import it was read
from (:meth:`pmo_nb.store.Store.history`) and the persisted forecast, if any.
Tables become lists of plain JSON records, paged and capped (:func:`page`).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from pmo_nb.dates import day, is_blank, reporting_date
from pmo_nb.forecast.stored import stored_forecast
from pmo_nb.portfolio import Portfolio
from pmo_nb.store.core import Store, read_only_url

#: Most rows any list answer holds (``limit`` is capped at it).
MAX_LIMIT = 100
#: Rows a list answer holds when no ``limit`` is given.
DEFAULT_LIMIT = 20
#: Longest free-text argument accepted (search text, weights JSON).
MAX_TEXT = 4000


class ArgumentError(ValueError):
    """A bad tool argument: the message names the argument and says what is wrong."""

    def __init__(self, argument: str, problem: str):
        self.argument = argument
        super().__init__(f"{argument}: {problem}")


class Source:
    """The store a server answers from, opened read-only (as ``pmo serve`` opens it).

    Parameters
    ----------
    db : str or path, optional
        Store path or URL (default ``$PMO_DB`` or ``./portfolio.db``).
    reports : str or path, optional
        The reports folder whose latest pages are served (default ``reports``).
    """

    def __init__(self, db=None, reports=None):
        self.store = Store(read_only_url(db))
        self.reports = Path(reports or "reports").resolve()
        self._cache: tuple[int | None, Portfolio] | None = None

    def import_id(self) -> int | None:
        """The latest import's id (None before any import)."""
        history = self.store.history()
        return None if history.empty else int(history["import_id"].iloc[0])

    def portfolio(self) -> Portfolio:
        """The current portfolio, reloaded only when a new import has landed."""
        latest = self.import_id()
        if self._cache is None or self._cache[0] != latest:
            portfolio = self.store.load()
            self._cache = (latest, portfolio)
        return self._cache[1]

    def cached(self, key, make):
        """``make()``, kept while ``key`` is unchanged (one entry: the fitted model)."""
        if getattr(self, "_kept", (None,))[0] != key:
            self._kept = (key, make())
        return self._kept[1]

    def as_of(self, value: str | None) -> pd.Timestamp:
        """``value`` as a reporting day; blank means the data date (:func:`reporting_date`)."""
        if not is_blank(value):
            try:
                return day(str(value)[:40])
            except ValueError:
                raise ArgumentError("as_of", f"not a date: {value!r} (use YYYY-MM-DD)") from None
        return reporting_date(self.portfolio())

    def forecast(self, as_of: pd.Timestamp):
        """The persisted forecast for ``as_of`` (:func:`stored_forecast`; never sampled)."""
        return stored_forecast(self.store, as_of)

    def provenance(self, as_of: pd.Timestamp, forecast=None) -> dict:
        """Where an answer comes from: ``as_of``, ``data_checksum``, ``import_id``, ``forecast``."""
        portfolio = self.portfolio()
        out = {"as_of": as_of.strftime("%Y-%m-%d"), "data_checksum": portfolio.checksum(),
               "import_id": self._cache[0] if self._cache else None}
        if forecast is not None:
            out["forecast"] = forecast_ref(forecast)
        return out


def forecast_ref(persisted) -> dict:
    """Which persisted forecast an answer uses (``available`` false: none was run)."""
    if not persisted.available:
        return {"available": False, "name": None,
                "statement": "No forecast has been run for this date: nothing is sampled here; "
                             "run the risk_forecast report (pmo report run) to persist one."}
    attrs = persisted.attrs
    return {"available": True, "name": persisted.name, "kind": persisted.kind,
            "fitted_at": attrs.get("fitted_at"), "data_checksum": attrs.get("data_checksum"),
            "portfolio_checksum": attrs.get("portfolio_checksum"),
            "statement": persisted.describe()}


def plain(value):
    """A value as JSON: numpy scalars unwrapped, NaN/NaT as None, dates as ISO days."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray | pd.Index):
        return [plain(v) for v in value]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            return None
        ts = pd.Timestamp(value)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def records(frame: pd.DataFrame, columns=None, index: str | None = None) -> list[dict]:
    """Rows of ``frame`` as JSON records (``index``: keep the index as that column)."""
    if index is not None:
        frame = frame.rename_axis(index).reset_index()
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    return [plain(dict(zip(frame.columns, row, strict=True)))
            for row in frame.itertuples(index=False, name=None)]


def check_paging(limit: int, offset: int) -> tuple[int, int]:
    """``(limit, offset)`` checked: ``1 <= limit <= MAX_LIMIT``, ``offset >= 0``."""
    if limit < 1 or limit > MAX_LIMIT:
        raise ArgumentError("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise ArgumentError("offset", f"must be 0 or more, got {offset}")
    return limit, offset


def page(rows: list[dict], limit: int, offset: int) -> dict:
    """One page of ``rows``: ``items``, ``total``, ``limit``, ``offset``, ``next_offset``."""
    limit, offset = check_paging(limit, offset)
    items = rows[offset:offset + limit]
    after = offset + len(items)
    return {"items": items, "total": len(rows), "limit": limit, "offset": offset,
            "next_offset": after if after < len(rows) else None}

"""Reading the portfolio from the versioned rows: whole, in part, or at two times at once.

:meth:`pmo_nb.store.Store.load` reads every table as it stood at one time.
A comparison or an alert run needs less, and :class:`ReadingMixin` reads
only that:

- ``tables``: the tables it needs (the others are empty);
- :class:`LatestUpdates`: each project's latest status update, picked by
  the database, instead of the whole status history (300,000 rows on a
  10,000-project store, the largest table by far);
- :meth:`ReadingMixin.load_pair`: the portfolio at two times, the later one
  built from the earlier one's rows and only the rows whose version changed
  between the two (opened or closed in between), in the same scan, instead of
  a second read of every row.

Each gives the same frames, row for row and dtype for dtype, as the
corresponding tables of a full :meth:`~pmo_nb.store.Store.load` (the tests
compare them on the demo and on a second portfolio).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from pmo_nb.errors import StoreError
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLE_NAMES, TABLES
from pmo_nb.store.rows import decode, store_time
from pmo_nb.store.sql import fetch_rows
from pmo_nb.store.tables import DATA_TABLES, missing_columns


@dataclass(frozen=True)
class LatestUpdates:
    """Read only each project's latest status update (by ``as_of``).

    Parameters
    ----------
    until : date-like, optional
        Only updates dated on or before this day count (None: all).
    require : str, optional
        A status-update column: only the updates that carry it count
        (``"rag"``: the latest *reported RAG*, as
        :func:`pmo_nb.dates.latest_status` with ``require="rag"``).
    """

    until: dt.date | None = None
    require: str | None = None

    def __post_init__(self):
        if self.until is not None:
            object.__setattr__(self, "until", pd.Timestamp(self.until).date())
        if self.require is not None and self.require not in TABLES["status_updates"].column_names:
            raise ValueError(f"require={self.require!r}: not a status_updates column")


#: What a read of a store that was never imported into says (after the store's URL).
NOTHING_IMPORTED = "holds no portfolio yet: import a workbook first (pmo import <folder or .xlsx>)."


def _names(tables: Iterable[str] | None) -> list[str]:
    if tables is None:
        return list(TABLE_NAMES)
    wanted = set(tables)
    unknown = sorted(wanted - set(TABLE_NAMES))
    if unknown:
        raise ValueError(f"tables={unknown}: not tables of the format ({', '.join(TABLE_NAMES)})")
    return [n for n in TABLE_NAMES if n in wanted]


def _valid_at(table: sa.Table, at: dt.datetime | None):
    """The rows of ``table`` valid at ``at`` (None: the current versions)."""
    if at is None:
        return table.c._valid_to.is_(None)
    return sa.and_(table.c._valid_from <= at,
                   sa.or_(table.c._valid_to.is_(None), table.c._valid_to > at))


def _latest_query(table: sa.Table, cols: list[str], at, latest: LatestUpdates):
    """Each project's newest update valid at ``at`` (``(project_id, as_of)`` is the key)."""
    where = [_valid_at(table, at)]
    if latest.until is not None:
        where.append(table.c.as_of <= latest.until)
    if latest.require is not None:
        where.append(table.c[latest.require].is_not(None))
    newest = sa.select(table.c.project_id, sa.func.max(table.c.as_of).label("newest")).where(
        *where).group_by(table.c.project_id).subquery()
    return sa.select(*(table.c[c] for c in cols)).join(newest, sa.and_(
        newest.c.project_id == table.c.project_id, newest.c.newest == table.c.as_of)
    ).where(*where)


def _columns(name: str, missing: dict) -> list[str]:
    """The stored columns of ``name`` that :func:`decode` reads (``_extra`` last)."""
    return [*(c for c in TABLES[name].column_names if c not in missing.get(name, ())), "_extra"]


def _decode(name: str, rows: np.ndarray, cols: list[str]) -> pd.DataFrame:
    return decode(name, [rows[:, i] for i in range(len(cols))], cols)


class ReadingMixin:
    """How :class:`~pmo_nb.store.Store` reads portfolios (see the module notes)."""

    def _load(self, conn: sa.Connection, at: dt.datetime | None, tables=None,
              latest: LatestUpdates | None = None) -> Portfolio:
        found = {}
        missing = missing_columns(conn)
        for name in _names(tables):
            table, cols = DATA_TABLES[name], _columns(name, missing)
            if len(cols) == 1:  # a table newer than the store: empty
                found[name] = decode(name, [[] for _ in cols], cols)
                continue
            if name == "status_updates" and latest is not None:
                query = _latest_query(table, cols, at, latest)
            else:
                query = sa.select(*(table.c[c] for c in cols)).where(_valid_at(table, at))
            found[name] = _decode(name, fetch_rows(conn, query, len(cols)), cols)
        return Portfolio(**found, source=self.url)

    def load_pair(self, since, until=None, *, tables=None, latest: LatestUpdates | None = None
                  ) -> tuple[Portfolio, Portfolio]:
        """The portfolio at ``since`` and at ``until``, read in one snapshot.

        The same as ``(load(since, ...), load(until, ...))``, but each table
        is read in one scan: the rows valid at ``since`` and those whose
        version was closed or opened in between (by their ``_valid_from`` /
        ``_valid_to``), so two imports a week apart cost one read and the
        week's changes.

        Parameters
        ----------
        since : date-like
            The earlier time (naive = UTC; a bare date means its end).
        until : date-like, optional
            The later time; None means now (the current versions).
        tables : iterable of str, optional
            The tables to read (default all); the others are empty.
        latest : LatestUpdates, optional
            Read only each project's latest status update (at each time).

        Raises
        ------
        ValueError
            When ``until`` is before ``since``, or a table is unknown.
        pmo_nb.StoreError
            When nothing has been imported into the store yet.
        """
        first = store_time(since)
        last = None if until is None else store_time(until)
        if last is not None and last < first:
            raise ValueError(f"until ({last}) is before since ({first})")
        with self._read() as conn:
            if conn is None:
                raise StoreError(f"{self.url} {NOTHING_IMPORTED}")
            missing = missing_columns(conn)
            before, after = {}, {}
            for name in _names(tables):
                table, cols = DATA_TABLES[name], _columns(name, missing)
                if len(cols) == 1:  # a table newer than the store: empty
                    before[name], after[name] = (decode(name, [[]], cols) for _ in "ab")
                elif name == "status_updates" and latest is not None:
                    for at, out in ((first, before), (last, after)):
                        out[name] = _decode(name, fetch_rows(
                            conn, _latest_query(table, cols, at, latest), len(cols)), cols)
                else:
                    rows = self._rows_at_both(conn, table, cols, first, last)
                    before[name], after[name] = (_decode(name, r, cols) for r in rows)
        return Portfolio(**before, source=self.url), Portfolio(**after, source=self.url)

    @staticmethod
    def _rows_at_both(conn: sa.Connection, table: sa.Table, cols: list[str],
                      first: dt.datetime, last: dt.datetime | None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """The raw rows of ``table`` valid at ``first`` and at ``last``, in one scan.

        A row valid at both times is read once; the others are the rows whose
        version changed in between (closed, or opened).
        """
        then, now = _valid_at(table, first), _valid_at(table, last)
        flags = [sa.case((then, 1), else_=0), sa.case((now, 1), else_=0)]
        rows = fetch_rows(conn, sa.select(*flags, *(table.c[c] for c in cols)).where(
            sa.or_(then, now)), len(cols) + 2)
        at_first, at_last = rows[:, 0] == 1, rows[:, 1] == 1
        return rows[at_first, 2:], rows[at_last, 2:]

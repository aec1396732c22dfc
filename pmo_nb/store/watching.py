"""What a watching dashboard asks the store: has anything landed, and what is it?

Part of :class:`pmo_nb.store.Store` (a mixin). :meth:`data_version` is the
one query a live dashboard runs on every tick, so it is a single ``SELECT`` of
two maxima over primary keys (index look-ups on SQLite and PostgreSQL) and
works on a read-only URL; everything heavier runs only when it changed.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import sqlalchemy as sa

from pmo_nb.store.faults import FAULTS, store_fault
from pmo_nb.store.tables import IMPORT_LOG, META, RESULTS


class DataVersion(NamedTuple):
    """The newest import and the newest saved result row; None where there is none.

    Both only grow (autoincrement keys, nothing is ever deleted), so two
    versions differ exactly when an import or a result landed in between.
    """

    import_id: int | None
    result_id: int | None


class ImportRecord(NamedTuple):
    """One import as a dashboard names it: id, when it started (naive UTC), its source."""

    import_id: int
    started_at: dt.datetime
    source: str


class WatchingMixin:
    """:meth:`data_version` and :meth:`import_record` of a Store."""

    def data_version(self, kinds: tuple[str, ...] | None = None) -> DataVersion:
        """The store's current :class:`DataVersion`, in one ``SELECT``.

        Parameters
        ----------
        kinds : tuple of str, optional
            Count only results of these kinds (e.g. ``("forecast",)``), so a
            saved scenario does not make a forecast dashboard reload.

        Raises
        ------
        pmo_nb.StoreError
            When the database cannot be read (the message says why).
        """
        if not self._exists():
            return DataVersion(None, None)
        results = sa.select(sa.func.max(RESULTS.c._rowid))
        if kinds is not None:
            results = results.where(RESULTS.c.kind.in_(list(kinds)))
        query = sa.select(sa.select(sa.func.max(IMPORT_LOG.c.import_id)).scalar_subquery(),
                          results.scalar_subquery())
        try:
            with self.engine.connect() as conn, conn.begin():
                row = conn.execute(query).one()
        except FAULTS as exc:
            if not self._has_meta():  # a database file nothing was written to yet
                return DataVersion(None, None)
            raise store_fault(self.url, exc) from exc
        return DataVersion(*(None if v is None else int(v) for v in row))

    def _has_meta(self) -> bool:
        try:
            with self.engine.connect() as conn:
                return sa.inspect(conn).has_table(META.name)
        except FAULTS:
            return True  # unreadable: report the original fault

    def import_record(self, import_id: int) -> ImportRecord | None:
        """The import ``import_id`` (None when the store has no such import)."""
        with self._read() as conn:
            row = None if conn is None else conn.execute(
                sa.select(IMPORT_LOG.c.import_id, IMPORT_LOG.c.started_at,
                          IMPORT_LOG.c.source).where(
                    IMPORT_LOG.c.import_id == int(import_id))).first()
        return None if row is None else ImportRecord(int(row[0]), row[1], row[2] or "")

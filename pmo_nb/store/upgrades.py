"""A store's schema revision and its upgrade (Alembic), as part of :class:`pmo_nb.store.Store`."""

from __future__ import annotations

import sqlalchemy as sa

from pmo_nb.errors import StoreError
from pmo_nb.store.tables import (
    HEAD,
    META,
    REVISIONS,
    VERSION_TABLE,
    create_tables,
    revision_of,
    run_alembic,
    stamp,
)


class SchemaVersionsMixin:
    """:meth:`revision`, :meth:`schema_version`, :meth:`store_id`, :meth:`upgrade` of a Store."""

    def revision(self) -> str | None:
        """The store's schema revision (``"0001"`` before Alembic), None if never written."""
        with self._read() as conn:
            return None if conn is None else revision_of(conn)

    def schema_version(self) -> int | None:
        """``meta.schema_version`` (None if never written); see :meth:`revision`."""
        with self._read() as conn:
            if conn is None:
                return None
            found = conn.execute(sa.select(META.c.value).where(
                META.c.key == "schema_version")).scalar()
            return None if found is None else int(found)

    def store_id(self) -> str | None:
        """A random id made when the store was (or, from revision 0002, upgraded)."""
        with self._read() as conn:
            return None if conn is None else conn.execute(sa.select(META.c.value).where(
                META.c.key == "store_id")).scalar()

    def upgrade(self, revision: str = "head") -> tuple[str | None, str]:
        """Migrate the store to ``revision`` (default: this code's) in one transaction.

        An empty store is created at the newest revision; a store from before
        Alembic is taken as ``0001``. Moving to an older revision downgrades
        (used by tests; data added by the newer revision is dropped).
        Returns ``(before, after)``.

        Raises
        ------
        pmo_nb.StoreError
            When the store is newer than this code or the URL is read-only.
        """
        target = HEAD if revision == "head" else revision
        if target not in REVISIONS:
            raise StoreError(f"unknown store schema revision {revision!r}; known: "
                             f"{', '.join(REVISIONS)}")
        with self._write(prepare=False) as (conn, _):
            before = revision_of(conn)
            if before is not None and before not in REVISIONS:
                raise self._version_error(before)
            if before is None and target == HEAD:
                create_tables(conn)
            elif before != target:
                if before is not None:
                    conn.execute(sa.select(META.c.value).where(
                        META.c.key == "schema_version").with_for_update()).scalar()
                    if not sa.inspect(conn).has_table(VERSION_TABLE.name):
                        stamp(conn, REVISIONS[0])  # made before Alembic
                command = "upgrade" if before is None or (
                    REVISIONS.index(target) > REVISIONS.index(before)) else "downgrade"
                run_alembic(conn, command, target)
            return before, revision_of(conn)


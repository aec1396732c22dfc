"""The portfolio store: every import kept as versioned rows in one database.

Only the store modules know SQL. They speak portable SQLAlchemy Core, so the
same code serves the embedded SQLite file (the default, ``./portfolio.db``)
and a PostgreSQL server (``postgresql+psycopg://...``). This module holds the
:class:`Store`; the others hold its parts: the SQL schema and Alembic
revisions (:mod:`pmo_nb.store.tables`), URLs, connection hooks and bulk
statements (:mod:`pmo_nb.store.sql`), what an import does to the versioned
rows (:mod:`pmo_nb.store.versions`) and, in pure Python, how rows become
column lists, keys and hashes (:mod:`pmo_nb.store.rows`).

Each table of the format is one SQL table with the spec's typed
columns plus bookkeeping: ``_extra`` (JSON text of extra columns),
``_row_hash`` (hash of the row's content), ``_valid_from`` / ``_valid_to``
(naive UTC; ``_valid_to`` NULL = current version) and ``_import_id``. An
import never deletes: a changed or retired row is closed by setting
``_valid_to``, so :meth:`Store.load` can show the portfolio at any past time.

Schema versions: Alembic revisions in ``pmo_nb/store/migrations`` (``0001`` is the
layout before Alembic; such stores have no ``alembic_version`` table). A new
store is created from :data:`~pmo_nb.store.tables.METADATA` and stamped with the newest revision
(a test checks that the migrations produce the same schema). Writing needs
the store at exactly this code's revision: an older store asks for
``pmo db upgrade``, a newer one for a newer pmo_nb. Reading works on both
(the data tables are read by column name).

Concurrency: writers are serialised (``BEGIN IMMEDIATE`` on SQLite, a row lock
on ``meta`` on PostgreSQL) and a reader sees one snapshot (a deferred ``BEGIN``
in WAL mode on SQLite, ``REPEATABLE READ`` on PostgreSQL), so a load never mixes
two imports. An import that says which import it was based on is merged
three-way: rows a later import changed are kept unless the workbook changed
them too, which refuses the import (:class:`~pmo_nb.store.rows.ImportConflict`).
Known limit: two processes creating a new PostgreSQL store at the very same
moment may race on ``CREATE TABLE``; the loser's import fails cleanly.

Read-only use (dashboards): an SQLite ``file:...?mode=ro&uri=true`` URL or a
PostgreSQL URL with ``options=-c default_transaction_read_only=on`` (see
:func:`read_only_url`); such a Store refuses every write with a StoreError, and
so does the database itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import sqlalchemy as sa

from pmo_nb import memo
from pmo_nb.config import resolve_db_url
from pmo_nb.errors import StoreError
from pmo_nb.formatting import redact_url
from pmo_nb.gcpause import gc_paused
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLE_NAMES, TABLES
from pmo_nb.store.alert_log import AlertLogMixin
from pmo_nb.store.digest_log import DigestLogMixin
from pmo_nb.store.faults import FAULTS, open_engine, store_fault
from pmo_nb.store.import_log import ImportLogMixin
from pmo_nb.store.reading import NOTHING_IMPORTED, ReadingMixin
from pmo_nb.store.results import ResultsMixin
from pmo_nb.store.rows import (
    COUNT_KINDS,
    ImportConflict,
    ImportSummary,
    check_unique_keys,
    decode,
    encode,
    key_text,
    store_time,
)
from pmo_nb.store.sql import (
    is_read_only,
    read_only_url,
    sqlite_begin,
    sqlite_connect,
    sqlite_path,
)
from pmo_nb.store.tables import (
    DATA_TABLES,
    HEAD,
    IMPORT_LOG,
    META,
    REVISIONS,
    create_tables,
    indexes_built_after,
    missing_columns,
    revision_of,
)
from pmo_nb.store.upgrades import SchemaVersionsMixin
from pmo_nb.store.versions import (
    apply_plan,
    check_merged_references,
    fresh_portfolio,
    key_texts,
    owner_context,
    plan_table,
)
from pmo_nb.store.watching import WatchingMixin

__all__ = ["Store", "ImportSummary", "ImportConflict", "read_only_url", "HEAD", "REVISIONS"]



def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- the store ---------------------------------------------------------------------------

class Store(SchemaVersionsMixin, ImportLogMixin, ReadingMixin, ResultsMixin, AlertLogMixin,
            DigestLogMixin, WatchingMixin):
    """The versioned portfolio database.

    Parameters
    ----------
    db : str or path, optional
        An SQLite file path or an SQLAlchemy URL; ``None`` means ``PMO_DB`` or
        ``./portfolio.db`` (see :func:`pmo_nb.config.resolve_db_url`). Nothing
        is created until the first write. A read-only URL
        (:func:`read_only_url`) gives a Store that refuses to write.
    """

    def __init__(self, db=None):
        self._url = resolve_db_url(db)
        url = sa.make_url(self._url)
        self._sqlite = url.get_backend_name() == "sqlite"
        self._path = sqlite_path(url) if self._sqlite else None
        #: True when the URL asks for a read-only connection
        self.read_only = is_read_only(url)
        kwargs = {"connect_args": {"timeout": 30}} if self._sqlite else {}
        self.engine = open_engine(url, **kwargs)
        if self._sqlite:
            sa.event.listen(self.engine, "connect",
                            functools.partial(sqlite_connect, wal=not self.read_only))
            sa.event.listen(self.engine, "begin", sqlite_begin)

    @property
    def url(self) -> str:
        """The store's URL, password hidden."""
        return redact_url(self.engine.url.render_as_string(hide_password=False))

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def close(self) -> None:
        """Release pooled connections (the store stays usable)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------------

    def _exists(self) -> bool:
        return self._path is None or self._path.exists()

    @contextmanager
    def _read(self) -> Iterator[sa.Connection | None]:
        """One consistent snapshot; yields None when nothing was ever written."""
        if not self._exists():
            yield None
            return
        try:
            with self.engine.connect() as conn:
                if not self._sqlite:  # SQLite's deferred BEGIN in WAL is a snapshot already
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn if sa.inspect(conn).has_table(META.name) else None
        except FAULTS as exc:
            raise store_fault(self.url, exc) from exc

    @contextmanager
    def _write(self, prepare: bool = True) -> Iterator[tuple[sa.Connection, dt.datetime]]:
        """A serialised write transaction and its timestamp.

        Creates the schema in an empty store; otherwise takes the writers' lock
        and checks that the store is at this code's revision (``prepare``).
        """
        if self.read_only:
            raise StoreError(f"{self.url} is opened read-only (a dashboard's URL): it cannot "
                             "import or save results. Use the analysts' URL to write.")
        try:
            with self._transaction(prepare) as found:
                yield found
        except FAULTS as exc:
            raise store_fault(self.url, exc) from exc

    @contextmanager
    def _transaction(self, prepare: bool) -> Iterator[tuple[sa.Connection, dt.datetime]]:
        if self._path is not None:
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise store_fault(self.url, exc) from exc
        with self.engine.connect() as conn:
            conn.execution_options(pmo_write=True)  # BEGIN IMMEDIATE on SQLite
            try:
                transaction = conn.begin()
            except sa.exc.OperationalError as exc:
                if "locked" in str(exc):
                    raise StoreError(f"{self.url} is busy: another import held it for 30 s; "
                                     "try again when it has finished.") from exc
                raise
            with transaction:
                if not prepare:  # upgrade: the caller checks and locks
                    yield conn, None
                    return
                self._prepare(conn)
                # taken once the lock is held, and never before the last import's
                last = conn.execute(sa.select(sa.func.max(IMPORT_LOG.c.started_at))).scalar()
                now = _utcnow()
                if last is not None and now <= last:
                    now = last + dt.timedelta(microseconds=1)
                yield conn, now

    def _prepare(self, conn: sa.Connection) -> None:
        if not sa.inspect(conn).has_table(META.name):
            create_tables(conn)
            conn.execution_options(pmo_new_store=True)  # this connection's, for this transaction
            return
        conn.execute(sa.select(META.c.value).where(  # the writers' lock on PostgreSQL
            META.c.key == "schema_version").with_for_update()).scalar()
        found = revision_of(conn)
        if found != HEAD:
            raise self._version_error(found)

    def _version_error(self, found: str) -> StoreError:
        if found in REVISIONS:
            return StoreError(
                f"{self.url} has store schema revision {found}, older than this pmo_nb writes "
                f"({HEAD}): run `pmo db upgrade --db {self.url}` first (it keeps every row).")
        return StoreError(
            f"{self.url} has store schema revision {found}, newer than this pmo_nb understands "
            f"({HEAD}); upgrade pmo_nb before writing to it.")

    # -- import --------------------------------------------------------------------------

    @gc_paused  # hundreds of thousands of row tuples, no cycles
    def import_portfolio(self, portfolio: Portfolio, *, source: str, file_checksums: dict,
                         based_on: int | None = None, force: bool = False,
                         rewrite=None) -> ImportSummary:
        """Merge a validated portfolio into the store, in one transaction.

        Entity tables are merged by key, event tables accumulate, plan tables
        replace the row set of each project that has rows in the workbook (see
        :class:`pmo_nb.schema.Table`). Nothing is ever deleted. The merged
        result is checked with :func:`pmo_nb.io.validation.check_references`
        before commit.

        Parameters
        ----------
        based_on : int, optional
            The import the workbook was exported from. Rows that later imports
            changed are then kept as they are when the workbook holds them as
            they were at ``based_on`` (it did not change them); if the
            workbook changed them too, the import is refused.
        force : bool
            With ``based_on``: overwrite later changes instead of refusing.
        rewrite : callable, optional
            ``rewrite(stored) -> (portfolio, source)``, called inside the
            write transaction with the store's portfolio: what to import
            instead (e.g. rows given the next free id of this store).

        Raises
        ------
        pmo_nb.ValidationError
            When the incoming tables repeat a key or the merged portfolio has
            broken references; nothing is written.
        pmo_nb.store.rows.ImportConflict
            (a StoreError) When later imports changed rows this one changes;
            it names them, and nothing is written.
        pmo_nb.StoreError
            When the store's schema is not this code's, or the URL is read-only.
        """
        based_on = None if based_on is None else int(based_on)  # numpy ints are blobs to SQLite
        encoded = {n: encode(n, getattr(portfolio, n)) for n in TABLE_NAMES}
        check_unique_keys(encoded, source)
        with self._write() as (conn, now):
            if rewrite is not None:
                portfolio, source = rewrite(self._load(conn, None))
                encoded = {n: encode(n, getattr(portfolio, n)) for n in TABLE_NAMES}
                check_unique_keys(encoded, source)
            later, imports = ({}, {}) if based_on is None or force else (
                self._changed_since(conn, based_on))
            plans = {n: plan_table(conn, n, *encoded[n], later=later.get(n, {}),
                                   owned=owner_context(conn, n, encoded))
                     for n in TABLE_NAMES}
            conflicts = [(n, key_text(k), i, *imports[i]) for n in TABLE_NAMES
                         for k, i in plans[n]["conflicts"]]
            if conflicts:
                raise ImportConflict(self.url, based_on, pd.DataFrame(
                    conflicts, columns=["table", "key", "import_id", "started_at", "source"]))
            import_id = conn.execute(IMPORT_LOG.insert().values(
                started_at=now, source=source, based_on_import=based_on,
                file_checksums=json.dumps(dict(file_checksums or {}), sort_keys=True),
            )).inserted_primary_key[0]
            with indexes_built_after(conn, conn.get_execution_options().get("pmo_new_store")):
                written = {n: apply_plan(conn, n, encoded[n], plans[n], now=now,
                                         import_id=import_id) for n in TABLE_NAMES}
            counts = {n: plans[n]["counts"] for n in TABLE_NAMES}
            merged = fresh_portfolio(conn, plans, written) or self._load(conn, None)
            check_merged_references(merged, source)
            checksum = merged.checksum()
            finished = max(_utcnow(), now)
            conn.execute(IMPORT_LOG.update().where(IMPORT_LOG.c.import_id == import_id).values(
                finished_at=finished, row_counts=json.dumps(counts), data_checksum=checksum))
        return ImportSummary(
            import_id=import_id, started=now, finished=finished, source=source,
            data_checksum=checksum, based_on=based_on,
            kept={n: plans[n]["kept"] for n in TABLE_NAMES},
            **{k: {n: counts[n][k] for n in TABLE_NAMES} for k in COUNT_KINDS})

    def _changed_since(self, conn: sa.Connection, based_on: int) -> tuple[dict, dict]:
        """Keys later imports changed, with who changed them and their version at ``based_on``.

        Returns ``({table: {key: (import_id, hash at based_on or None)}},
        {import_id: (started_at, source)})``.
        """
        base = conn.execute(sa.select(IMPORT_LOG.c.started_at).where(
            IMPORT_LOG.c.import_id == based_on)).scalar()
        if base is None:
            raise StoreError(f"{self.url} has no import {based_on} to base this one on (see "
                             "pmo history): import without --based-on, or name the right one.")
        rows_ = conn.execute(sa.select(IMPORT_LOG.c.import_id, IMPORT_LOG.c.started_at,
                                       IMPORT_LOG.c.source).where(
            IMPORT_LOG.c.import_id > based_on)).all()
        imports = {r.import_id: (r.started_at, r.source) for r in rows_}
        closer = {r.started_at: r.import_id for r in rows_}
        later = {}
        for name in TABLE_NAMES if imports else ():
            spec, t = TABLES[name], DATA_TABLES[name]
            found = conn.execute(sa.select(
                *(t.c[k] for k in spec.key), t.c._import_id, t.c._valid_from, t.c._valid_to,
                t.c._row_hash).where(sa.or_(t.c._import_id > based_on, t.c._valid_to > base))
            ).all()
            width = len(spec.key)
            keys = key_texts(name, [[r[i] for r in found] for i in range(width)])
            changed: dict[str, tuple[int, str | None]] = {}
            for k, r in zip(keys, found, strict=True):
                import_id, valid_from, valid_to, row_hash = r[width:]
                who = import_id if import_id > based_on else closer.get(valid_to, 0)
                if valid_to is not None and valid_to > base:
                    who = max(who, closer.get(valid_to, 0))
                was = row_hash if valid_from <= base < (valid_to or base) else None
                prev = changed.get(k, (0, None))
                changed[k] = (max(prev[0], who), prev[1] or was)
            later[name] = changed
        return later, imports

    # -- reading -------------------------------------------------------------------------

    def load(self, as_of=None, *, tables=None, latest=None) -> Portfolio:
        """The portfolio now, or as it stood at ``as_of``.

        Parameters
        ----------
        as_of : date-like, optional
            A time (naive = UTC); a bare date means the end of that day.
            Rows are the versions with ``_valid_from <= as_of < _valid_to``.
        tables : iterable of str, optional
            Read only these tables (the others are empty): what an analysis needs.
        latest : pmo_nb.store.reading.LatestUpdates, optional
            Read only each project's latest status update, not the history.

        Raises
        ------
        pmo_nb.StoreError
            When nothing has been imported into the store yet.
        """
        with self._read() as conn:
            if conn is None:
                raise StoreError(f"{self.url} {NOTHING_IMPORTED}")
            at = None if as_of is None else store_time(as_of)
            tables = None if tables is None else tuple(sorted(set(tables)))
            if not memo.enabled():
                return self._load(conn, at, tables, latest)
            # kept per data version: the data tables change only with a new store, import
            # or revision
            version = (conn.execute(sa.select(META.c.value).where(META.c.key == "store_id"))
                       .scalar(), conn.execute(sa.select(sa.func.max(IMPORT_LOG.c.import_id)))
                       .scalar(), revision_of(conn))
            return memo.cached(("Store.load", self._url, at, version, tables, latest),
                               lambda: self._load(conn, at, tables, latest))

    def snapshot(self, as_of=None) -> tuple[Portfolio, dict[str, pd.DataFrame], dict]:
        """What an export writes, read in one snapshot.

        Returns the portfolio at ``as_of`` (default now), the superseded
        versions of each table (closed by then; columns of the table plus
        ``valid_from``, ``valid_to``, ``import_id``, ordered by key and time)
        and facts: ``store_id``, ``revision``, and the last import by then
        (``import_id``, ``import_started_at``, ``import_source``; None if none).
        """
        at = None if as_of is None else store_time(as_of)
        with self._read() as conn:
            if conn is None:
                raise StoreError(f"{self.url} holds no portfolio yet: nothing to export.")
            portfolio = self._load(conn, at)
            history = {}
            missing = missing_columns(conn)
            for name in TABLE_NAMES:
                t = DATA_TABLES[name]
                cols = [*(c for c in TABLES[name].column_names if c not in missing.get(name, ())),
                        "_extra", "_valid_from", "_valid_to", "_import_id"]
                query = sa.select(*(t.c[c] for c in cols)).where(t.c._valid_to.is_not(None))
                if at is not None:
                    query = query.where(t.c._valid_to <= at)
                query = query.order_by(*(t.c[k] for k in TABLES[name].key), t.c._valid_from)
                # typed by SQLAlchemy: few rows; a table newer than the store has none
                found = conn.execute(query).all() if len(cols) > 4 else []
                frame = decode(name, [[r[i] for r in found] for i in range(len(cols))], cols)
                book = frame.pop("_valid_from"), frame.pop("_valid_to"), frame.pop("_import_id")
                frame["valid_from"] = pd.to_datetime(book[0]).astype("datetime64[us]")
                frame["valid_to"] = pd.to_datetime(book[1]).astype("datetime64[us]")
                frame["import_id"] = book[2].astype("int64")
                history[name] = frame
            last = sa.select(IMPORT_LOG.c.import_id, IMPORT_LOG.c.started_at,
                             IMPORT_LOG.c.source).order_by(IMPORT_LOG.c.import_id.desc()).limit(1)
            if at is not None:
                last = last.where(IMPORT_LOG.c.started_at <= at)
            row = conn.execute(last).first()
            facts = {
                "store_id": conn.execute(sa.select(META.c.value).where(
                    META.c.key == "store_id")).scalar(),
                "revision": revision_of(conn),
                "import_id": None if row is None else row.import_id,
                "import_started_at": None if row is None else row.started_at,
                "import_source": None if row is None else row.source,
            }
        return portfolio, history, facts


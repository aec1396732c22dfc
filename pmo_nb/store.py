"""The portfolio store: every import kept as versioned rows in one database.

Only the store modules know SQL. They speak portable SQLAlchemy Core, so the
same code serves the embedded SQLite file (the default, ``./portfolio.db``)
and a PostgreSQL server (``postgresql+psycopg://...``). This module holds the
:class:`Store`; the others hold its parts: the SQL schema and Alembic
revisions (:mod:`pmo_nb.store_tables`), URLs, connection hooks and bulk
statements (:mod:`pmo_nb.store_sql`), what an import does to the versioned
rows (:mod:`pmo_nb.store_versions`) and, in pure Python, how rows become
column lists, keys and hashes (:mod:`pmo_nb.store_rows`).

Each of the ten tables of the format is one SQL table with the spec's typed
columns plus bookkeeping: ``_extra`` (JSON text of extra columns),
``_row_hash`` (hash of the row's content), ``_valid_from`` / ``_valid_to``
(naive UTC; ``_valid_to`` NULL = current version) and ``_import_id``. An
import never deletes: a changed or retired row is closed by setting
``_valid_to``, so :meth:`Store.load` can show the portfolio at any past time.

Schema versions: Alembic revisions in ``pmo_nb/migrations`` (``0001`` is the
layout before Alembic; such stores have no ``alembic_version`` table). A new
store is created from :data:`~pmo_nb.store_tables.METADATA` and stamped with the newest revision
(a test checks that the migrations produce the same schema). Writing needs
the store at exactly this code's revision: an older store asks for
``pmo db upgrade``, a newer one for a newer pmo_nb. Reading works on both
(the data tables are read by column name).

Concurrency: writers are serialised (``BEGIN IMMEDIATE`` on SQLite, a row lock
on ``meta`` on PostgreSQL) and a reader sees one snapshot (a deferred ``BEGIN``
in WAL mode on SQLite, ``REPEATABLE READ`` on PostgreSQL), so a load never mixes
two imports. An import that says which import it was based on is merged
three-way: rows a later import changed are kept unless the workbook changed
them too, which refuses the import (:class:`~pmo_nb.store_rows.ImportConflict`).
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

from .config import resolve_db_url
from .errors import StoreError, ValidationError
from .portfolio import Portfolio
from .schema import TABLE_NAMES, TABLES
from .store_rows import (
    COUNT_KINDS,
    ImportConflict,
    ImportSummary,
    check_unique_keys,
    decode,
    encode,
    frame_from_json,
    frame_to_json,
    json_default,
    key_text,
    store_time,
)
from .store_sql import (
    fetch_columns,
    is_read_only,
    read_only_url,
    sqlite_begin,
    sqlite_connect,
    sqlite_path,
)
from .store_tables import (
    DATA_TABLES,
    HEAD,
    IMPORT_LOG,
    META,
    RESULTS,
    REVISIONS,
    VERSION_TABLE,
    create_tables,
    revision_of,
    run_alembic,
    stamp,
)
from .store_versions import apply_plan, key_texts, plan_table

__all__ = ["Store", "ImportSummary", "ImportConflict", "read_only_url", "HEAD", "REVISIONS"]



_REFUSED = ("permission denied", "read-only transaction", "readonly database")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- the store ---------------------------------------------------------------------------

class Store:
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
        self.engine = sa.create_engine(url, **kwargs)
        if self._sqlite:
            sa.event.listen(self.engine, "connect",
                            functools.partial(sqlite_connect, wal=not self.read_only))
            sa.event.listen(self.engine, "begin", sqlite_begin)

    @property
    def url(self) -> str:
        """The store's URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

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
        with self.engine.connect() as conn:
            if not self._sqlite:  # SQLite's deferred BEGIN in WAL is a snapshot already
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn if sa.inspect(conn).has_table(META.name) else None

    @contextmanager
    def _write(self, prepare: bool = True) -> Iterator[tuple[sa.Connection, dt.datetime]]:
        """A serialised write transaction and its timestamp.

        Creates the schema in an empty store; otherwise takes the writers' lock
        and checks that the store is at this code's revision (``prepare``).
        """
        if self.read_only:
            raise StoreError(f"{self.url} is opened read-only (a dashboard's URL): it cannot "
                             "import or save results. Use the analysts' URL to write.")
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        with self.engine.connect() as conn:
            conn.execution_options(pmo_write=True)  # BEGIN IMMEDIATE on SQLite
            try:
                transaction = conn.begin()
            except sa.exc.OperationalError as exc:
                if "locked" in str(exc):
                    raise StoreError(f"{self.url} is busy: another import held it for 30 s; "
                                     "try again when it has finished.") from exc
                raise self._refused(exc) from exc
            with transaction:
                try:
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
                except sa.exc.DBAPIError as exc:
                    raise self._refused(exc) from exc

    def _refused(self, exc: sa.exc.DBAPIError) -> Exception:
        """A clear StoreError when the database refused a write, else ``exc``."""
        text = str(exc.orig if exc.orig is not None else exc)
        if not any(r in text.lower() for r in _REFUSED):
            return exc
        return StoreError(f"{self.url} refused to write ({text.splitlines()[0].strip()}): this "
                          "connection is read-only or its database role lacks the privilege "
                          "(see docs/deploy.md, database roles). Nothing was written.")

    def _prepare(self, conn: sa.Connection) -> None:
        if not sa.inspect(conn).has_table(META.name):
            create_tables(conn)
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

    # -- schema versions -----------------------------------------------------------------

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

    # -- import --------------------------------------------------------------------------

    def import_portfolio(self, portfolio: Portfolio, *, source: str, file_checksums: dict,
                         based_on: int | None = None, force: bool = False) -> ImportSummary:
        """Merge a validated portfolio into the store, in one transaction.

        Entity tables are merged by key, event tables accumulate, plan tables
        replace the row set of each project that has rows in the workbook (see
        :class:`pmo_nb.schema.Table`). Nothing is ever deleted. The merged
        result is checked with :func:`pmo_nb.validation.check_references`
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

        Raises
        ------
        pmo_nb.ValidationError
            When the incoming tables repeat a key or the merged portfolio has
            broken references; nothing is written.
        pmo_nb.store_rows.ImportConflict
            (a StoreError) When later imports changed rows this one changes;
            it names them, and nothing is written.
        pmo_nb.StoreError
            When the store's schema is not this code's, or the URL is read-only.
        """
        based_on = None if based_on is None else int(based_on)  # numpy ints are blobs to SQLite
        encoded = {n: encode(n, getattr(portfolio, n)) for n in TABLE_NAMES}
        check_unique_keys(encoded, source)
        with self._write() as (conn, now):
            later, imports = ({}, {}) if based_on is None or force else (
                self._changed_since(conn, based_on))
            plans = {n: plan_table(conn, n, *encoded[n], later=later.get(n, {}))
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
            for n in TABLE_NAMES:
                apply_plan(conn, n, encoded[n], plans[n], now=now, import_id=import_id)
            counts = {n: plans[n]["counts"] for n in TABLE_NAMES}
            merged = self._load(conn, None)
            _check_references(merged, source)
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

    def load(self, as_of=None) -> Portfolio:
        """The portfolio now, or as it stood at ``as_of``.

        Parameters
        ----------
        as_of : date-like, optional
            A time (naive = UTC); a bare date means the end of that day.
            Rows are the versions with ``_valid_from <= as_of < _valid_to``.

        Raises
        ------
        pmo_nb.StoreError
            When nothing has been imported into the store yet.
        """
        with self._read() as conn:
            if conn is None:
                raise StoreError(f"{self.url} holds no portfolio yet: import a workbook first "
                                 "(pmo import <folder or .xlsx>).")
            return self._load(conn, None if as_of is None else store_time(as_of))

    def _load(self, conn: sa.Connection, at: dt.datetime | None) -> Portfolio:
        tables = {}
        for name in TABLE_NAMES:
            table = DATA_TABLES[name]
            cols = [*TABLES[name].column_names, "_extra"]
            query = sa.select(*(table.c[c] for c in cols))
            if at is None:
                query = query.where(table.c._valid_to.is_(None))
            else:
                query = query.where(table.c._valid_from <= at, sa.or_(
                    table.c._valid_to.is_(None), table.c._valid_to > at))
            tables[name] = decode(name, fetch_columns(conn, query, len(cols)), cols)
        return Portfolio(**tables, source=self.url)

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
            for name in TABLE_NAMES:
                t = DATA_TABLES[name]
                cols = [*TABLES[name].column_names, "_extra", "_valid_from", "_valid_to",
                        "_import_id"]
                query = sa.select(*(t.c[c] for c in cols)).where(t.c._valid_to.is_not(None))
                if at is not None:
                    query = query.where(t.c._valid_to <= at)
                query = query.order_by(*(t.c[k] for k in TABLES[name].key), t.c._valid_from)
                found = conn.execute(query).all()  # typed by SQLAlchemy: few rows
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

    def history(self) -> pd.DataFrame:
        """The import log, newest first, with counts summed over tables.

        ``details`` spells out the non-zero counts per table; ``based_on`` is
        the import a workbook said it was exported from (None if it did not).
        """
        columns = ["import_id", "started_at", "finished_at", "source", *COUNT_KINDS,
                   "details", "data_checksum", "file_checksums", "based_on"]
        with self._read() as conn:
            if conn is None:
                rows_ = []
            else:
                present = {c["name"] for c in sa.inspect(conn).get_columns(IMPORT_LOG.name)}
                rows_ = conn.execute(sa.select(
                    *(c for c in IMPORT_LOG.c if c.name in present)).order_by(
                    IMPORT_LOG.c.import_id.desc())).mappings().all()
        out = []
        for r in rows_:
            counts = json.loads(r["row_counts"] or "{}")
            rec = {k: r[k] for k in ("import_id", "started_at", "finished_at", "source")}
            for k in COUNT_KINDS:
                rec[k] = sum(c[k] for c in counts.values())
            moved = ("inserted", "changed", "retired")
            rec["details"] = "; ".join(
                f"{n}: " + ", ".join(f"{c[k]} {k}" for k in moved if c[k])
                for n, c in counts.items() if any(c[k] for k in moved))
            rec["data_checksum"] = r["data_checksum"]
            rec["file_checksums"] = json.loads(r["file_checksums"] or "{}")
            rec["based_on"] = r.get("based_on_import")
            out.append(rec)
        frame = pd.DataFrame(out, columns=columns)
        for k in COUNT_KINDS:
            frame[k] = frame[k].astype("int64")
        for k in ("started_at", "finished_at"):
            frame[k] = pd.to_datetime(frame[k])
        frame["based_on"] = frame["based_on"].astype("Int64")
        return frame

    # -- results of analyses -------------------------------------------------------------

    def save_result(self, kind: str, name: str, frame: pd.DataFrame | None = None,
                    payload: bytes | None = None, attrs: dict | None = None) -> int:
        """Keep an analysis result (forecast, scenario, fitted model) as a new version.

        ``frame`` is stored as pandas JSON (orient="table", dtypes kept),
        ``payload`` as bytes (e.g. a NetCDF InferenceData), ``attrs`` as JSON
        (how it was made). Returns the new version number; older versions stay.
        """
        text = None if frame is None else frame_to_json(frame)
        attrs_text = json.dumps(attrs or {}, sort_keys=True, default=json_default)
        with self._write() as (conn, now):
            last = conn.execute(sa.select(sa.func.max(RESULTS.c.version)).where(
                RESULTS.c.kind == kind, RESULTS.c.name == name)).scalar() or 0
            conn.execute(RESULTS.insert().values(
                kind=kind, name=name, version=last + 1, saved_at=now, frame=text,
                payload=None if payload is None else bytes(payload), attrs=attrs_text))
        return last + 1

    def load_result(self, kind: str, name: str, version: int | None = None
                    ) -> tuple[pd.DataFrame | None, bytes | None, dict] | None:
        """``(frame, payload, attrs)`` of the latest (or given) version, or None."""
        query = sa.select(RESULTS.c.frame, RESULTS.c.payload, RESULTS.c.attrs).where(
            RESULTS.c.kind == kind, RESULTS.c.name == name)
        query = (query.where(RESULTS.c.version == version) if version is not None
                 else query.order_by(RESULTS.c.version.desc()).limit(1))
        with self._read() as conn:
            row = None if conn is None else conn.execute(query).first()
        if row is None:
            return None
        frame = None if row.frame is None else frame_from_json(row.frame)
        return frame, None if row.payload is None else bytes(row.payload), json.loads(row.attrs)

    def list_results(self, kind: str | None = None) -> pd.DataFrame:
        """The saved results, one row per kind and name (latest version), newest first."""
        columns = ["kind", "name", "version", "saved_at", "has_frame", "payload_bytes", "attrs"]
        query = sa.select(RESULTS.c.kind, RESULTS.c.name, RESULTS.c.version,
                          RESULTS.c.saved_at, RESULTS.c.frame.is_not(None).label("has_frame"),
                          sa.func.length(RESULTS.c.payload).label("payload_bytes"),
                          RESULTS.c.attrs)
        if kind is not None:
            query = query.where(RESULTS.c.kind == kind)
        with self._read() as conn:
            found = [] if conn is None else conn.execute(query).all()
        frame = pd.DataFrame.from_records(found, columns=columns)
        frame = frame.sort_values("version").drop_duplicates(["kind", "name"], keep="last")
        frame["attrs"] = [json.loads(a) for a in frame["attrs"]]
        frame["has_frame"] = frame["has_frame"].astype(bool)
        frame["saved_at"] = pd.to_datetime(frame["saved_at"])
        return frame.sort_values(["saved_at", "kind", "name"], ascending=[False, True, True]
                                 ).reset_index(drop=True)


# --- helpers of import -----------------------------------------------------------------

def _check_references(merged: Portfolio, source: str) -> None:
    from .validation import check_references  # pandera: imported only when importing

    problems = check_references(merged)
    if len(problems):
        raise ValidationError(problems, source)



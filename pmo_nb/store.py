"""The portfolio store: every import kept as versioned rows in one database.

Only this module knows SQL. It speaks portable SQLAlchemy Core, so the same
code serves the embedded SQLite file (the default, ``./portfolio.db``) and a
PostgreSQL server (``postgresql+psycopg://...``). Encoding rows into column
lists, keys and hashes (pure Python) lives in :mod:`pmo_nb.store_rows`.

Each of the ten tables of the format is one SQL table with the spec's typed
columns plus bookkeeping: ``_extra`` (JSON text of extra columns),
``_row_hash`` (hash of the row's content), ``_valid_from`` / ``_valid_to``
(naive UTC; ``_valid_to`` NULL = current version) and ``_import_id``. An
import never deletes: a changed or retired row is closed by setting
``_valid_to``, so :meth:`Store.load` can show the portfolio at any past time.

Schema versions: Alembic revisions in ``pmo_nb/migrations`` (``0001`` is the
layout before Alembic; such stores have no ``alembic_version`` table). A new
store is created from :data:`METADATA` and stamped with the newest revision
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
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .config import resolve_db_url
from .errors import StoreError, ValidationError
from .portfolio import Portfolio
from .schema import TABLE_NAMES, TABLES
from .store_rows import (
    COUNT_KINDS,
    SEP,
    ImportConflict,
    ImportSummary,
    canon,
    check_unique_keys,
    decode,
    encode,
    frame_from_json,
    frame_to_json,
    json_default,
    key_text,
    store_time,
)

__all__ = ["Store", "ImportSummary", "ImportConflict", "read_only_url", "HEAD", "REVISIONS"]

#: ``meta.schema_version``: pmo_nb releases from before Alembic refuse to write above 1.
SCHEMA_VERSION = 2
#: Alembic revisions this code knows, oldest first; it writes the last one.
REVISIONS = ("0001", "0002")
HEAD = REVISIONS[-1]
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

_SQL_TYPES = {
    "id": sa.Text, "text": sa.Text, "enum": sa.Text, "month": sa.Text,
    "number": sa.Double, "date": sa.Date, "bool": sa.Boolean,
}

METADATA = sa.MetaData()
DATA_TABLES: dict[str, sa.Table] = {
    name: sa.Table(
        name, METADATA,
        sa.Column("_rowid", sa.Integer, primary_key=True, autoincrement=True),
        *(sa.Column(c.name, _SQL_TYPES[c.kind](), nullable=c.name not in spec.key)
          for c in spec.columns),
        sa.Column("_extra", sa.Text),
        sa.Column("_row_hash", sa.String(32), nullable=False),
        sa.Column("_valid_from", sa.DateTime, nullable=False),
        sa.Column("_valid_to", sa.DateTime),
        sa.Column("_import_id", sa.Integer, nullable=False),
        sa.Index(f"ix_{name}_key", *spec.key, "_valid_to"),
        sa.Index(f"ix_{name}_import_id", "_import_id"),
    )
    for name, spec in TABLES.items()
}
META = sa.Table(
    "meta", METADATA,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text),
)
IMPORT_LOG = sa.Table(
    "import_log", METADATA,
    sa.Column("import_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("source", sa.Text),
    sa.Column("file_checksums", sa.Text),
    sa.Column("row_counts", sa.Text),
    sa.Column("data_checksum", sa.String(64)),
    sa.Column("based_on_import", sa.Integer),
)
RESULTS = sa.Table(
    "results", METADATA,
    sa.Column("_rowid", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
    sa.Column("frame", sa.Text),
    sa.Column("payload", sa.LargeBinary),
    sa.Column("attrs", sa.Text),
    sa.Index("ix_results_kind_name", "kind", "name", "version"),
)
#: Alembic's own table, as Alembic creates it (kept out of METADATA).
VERSION_TABLE = sa.Table(
    "alembic_version", sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
_READ_ONLY_OPTION = re.compile(r"default_transaction_read_only\s*=\s*(on|true|1)\b", re.I)
_REFUSED = ("permission denied", "read-only transaction", "readonly database")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _sqlite_path(url: sa.URL) -> Path | None:
    """The file of an SQLite URL (plain path or ``file:`` URI), None in memory."""
    database = url.database or ""
    if str(url.query.get("uri", "")).lower() in ("true", "1") and database.startswith("file:"):
        database = database[len("file:"):].split("?", 1)[0]
        if database.startswith("//"):  # file://host/path: host must be empty or localhost
            database = "/" + database[2:].split("/", 1)[1]
    return None if database in ("", ":memory:") else Path(database)


def _is_read_only(url: sa.URL) -> bool:
    if url.get_backend_name() == "sqlite":
        return str(url.query.get("mode", "")) == "ro"
    options = url.query.get("options", "")
    options = " ".join(options) if isinstance(options, tuple) else options
    return bool(_READ_ONLY_OPTION.search(options))


def read_only_url(db=None) -> str:
    """A URL for the same store that can only read it (what dashboards get).

    SQLite: ``sqlite:///file:/abs/path.db?mode=ro&uri=true`` (the folder must
    let the reader create the ``-shm`` file, or it must exist already).
    PostgreSQL: the URL with ``options=-c default_transaction_read_only=on``
    added; give dashboards a role with SELECT only as well (docs/deploy.md).
    """
    given = resolve_db_url(db)
    url = sa.make_url(given)
    if _is_read_only(url):
        return given
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path is None or any(c in str(path) for c in "?#%"):
            raise ValueError(f"cannot open {url} read-only: give the store a file path "
                             "without ?, # or %")
        return f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"
    options = url.query.get("options", "")
    options = (options + " " if options else "") + "-c default_transaction_read_only=on"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


# --- bulk statements ---------------------------------------------------------------------
# SQLAlchemy's per-row parameter handling dominates an import of 300,000 rows, so
# bulk statements are compiled once by Core for the connection's dialect, their
# parameters converted column by column with the types' own bind processors, and
# the rows handed to the driver's executemany; reads fetch plain tuples.

def _executemany(conn: sa.Connection, statement, columns: dict[str, list],
                 constants: dict | None = None) -> None:
    """Run a Core insert/update once per row of ``columns`` (bind name -> values).

    ``constants`` are bind values shared by every row.
    """
    n_rows = len(next(iter(columns.values())))
    columns = {**columns, **{c: [v] for c, v in (constants or {}).items()}}
    names = list(columns)
    compiled = statement.compile(dialect=conn.dialect, column_keys=names)
    values = {}
    for n in names:
        type_ = compiled.binds[n].type
        proc = type_.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if proc is None:
            values[n] = columns[n]
        elif isinstance(type_, sa.Date | sa.DateTime):  # text on SQLite; dates repeat: memoise
            memo: dict = {}
            values[n] = [memo[v] if v in memo else memo.setdefault(v, proc(v))
                         for v in columns[n]]
        else:
            values[n] = [proc(v) for v in columns[n]]
        if constants and n in constants:
            values[n] = values[n] * n_rows
    if compiled.positional:
        params = list(zip(*(values[n] for n in compiled.positiontup), strict=True))
    else:
        params = [dict(zip(names, row, strict=True)) for row in zip(*values.values(), strict=True)]
    if params:
        conn.exec_driver_sql(compiled.string, params)


def _fetch_columns(conn: sa.Connection, query, width: int) -> list[list]:
    """The query's result as one tuple per column, values as the driver gives them."""
    result = conn.execute(query)
    try:
        rows_ = result.cursor.fetchall()
    finally:
        result.close()
    if not rows_:
        return [[] for _ in range(width)]
    table = np.array(rows_, dtype=object)  # transposes much faster than zip(*rows)
    return [table[:, i].tolist() for i in range(width)]


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
        self._path = _sqlite_path(url) if self._sqlite else None
        #: True when the URL asks for a read-only connection
        self.read_only = _is_read_only(url)
        kwargs = {"connect_args": {"timeout": 30}} if self._sqlite else {}
        self.engine = sa.create_engine(url, **kwargs)
        if self._sqlite:
            sa.event.listen(self.engine, "connect",
                            functools.partial(_sqlite_connect, wal=not self.read_only))
            sa.event.listen(self.engine, "begin", _sqlite_begin)

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
            _create(conn)
            return
        conn.execute(sa.select(META.c.value).where(  # the writers' lock on PostgreSQL
            META.c.key == "schema_version").with_for_update()).scalar()
        found = _revision(conn)
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
            return None if conn is None else _revision(conn)

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
            before = _revision(conn)
            if before is not None and before not in REVISIONS:
                raise self._version_error(before)
            if before is None and target == HEAD:
                _create(conn)
            elif before != target:
                if before is not None:
                    conn.execute(sa.select(META.c.value).where(
                        META.c.key == "schema_version").with_for_update()).scalar()
                    if not sa.inspect(conn).has_table(VERSION_TABLE.name):
                        _stamp(conn, REVISIONS[0])  # made before Alembic
                command = "upgrade" if before is None or (
                    REVISIONS.index(target) > REVISIONS.index(before)) else "downgrade"
                _alembic(conn, command, target)
            return before, _revision(conn)

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
            plans = {n: _plan(conn, n, *encoded[n], later=later.get(n, {})) for n in TABLE_NAMES}
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
                _apply(conn, n, encoded[n], plans[n], now=now, import_id=import_id)
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
            keys = _keys(name, [[r[i] for r in found] for i in range(width)])
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
            tables[name] = decode(name, _fetch_columns(conn, query, len(cols)), cols)
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
                "revision": _revision(conn),
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


# --- schema versions ---------------------------------------------------------------------

def _revision(conn: sa.Connection) -> str | None:
    """The Alembic revision of the store; ``0001`` for a store made before Alembic."""
    inspector = sa.inspect(conn)
    if inspector.has_table(VERSION_TABLE.name):
        return conn.execute(sa.select(VERSION_TABLE.c.version_num)).scalar()
    return REVISIONS[0] if inspector.has_table(META.name) else None


def _stamp(conn: sa.Connection, revision: str) -> None:
    VERSION_TABLE.create(conn, checkfirst=True)
    conn.execute(VERSION_TABLE.delete())
    conn.execute(VERSION_TABLE.insert().values(version_num=revision))


def _create(conn: sa.Connection) -> None:
    """A new store at the newest revision: the tables of METADATA, stamped."""
    METADATA.create_all(conn)
    conn.execute(META.insert(), [{"key": "schema_version", "value": str(SCHEMA_VERSION)},
                                 {"key": "store_id", "value": uuid.uuid4().hex}])
    _stamp(conn, HEAD)


def _alembic(conn: sa.Connection, command_name: str, revision: str) -> None:
    """Run ``alembic upgrade|downgrade revision`` inside the caller's transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    getattr(command, command_name)(config, revision)


# --- helpers of import -----------------------------------------------------------------

def _sqlite_connect(dbapi_connection, connection_record, wal: bool = True) -> None:
    # SQLAlchemy's pysqlite recipe: let SQLAlchemy (our "begin" hook) emit BEGIN
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA foreign_keys = OFF")  # history tables hold closed versions
    if wal:  # a read-only connection reads the journal mode the writers set
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the importer
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get("pmo_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _check_references(merged: Portfolio, source: str) -> None:
    from .validation import check_references  # pandera: imported only when importing

    problems = check_references(merged)
    if len(problems):
        raise ValidationError(problems, source)


def _keys(name: str, key_columns: list[list]) -> list[str]:
    """Canonical key text of fetched rows (as :func:`~pmo_nb.store_rows.encode` makes it)."""
    spec = TABLES[name]
    parts = [canon(spec.column(k).kind, v) for k, v in zip(spec.key, key_columns, strict=True)]
    return [SEP.join(p) for p in zip(*parts, strict=True)]


def _plan(conn: sa.Connection, name: str, columns: dict[str, list], keys: list[str],
          hashes: list[str], *, later: dict[str, tuple[int, str | None]]) -> dict:
    """Decide what one incoming table does to the current versions (nothing written yet).

    ``later`` maps keys that imports after the workbook's base changed to
    ``(import_id, hash at the base or None)``: such a row is kept as it is
    when the workbook holds it as it was at the base, and is a conflict when
    the workbook changed it too.
    """
    spec, table = TABLES[name], DATA_TABLES[name]
    plan = {"counts": dict.fromkeys(COUNT_KINDS, 0), "kept": 0, "conflicts": [],
            "insert": [], "close": []}
    if not keys:
        return plan
    counts = plan["counts"]
    query = sa.select(table.c._rowid, table.c._row_hash,
                      *(table.c[k] for k in spec.key)).where(table.c._valid_to.is_(None))
    current = _fetch_columns(conn, query, 2 + len(spec.key))
    rowids, cur_hashes = current[0], current[1]
    cur_keys = _keys(name, current[2:])
    by_key = dict(zip(cur_keys, zip(rowids, cur_hashes, strict=True), strict=True))
    for i, (k, h) in enumerate(zip(keys, hashes, strict=True)):
        found = by_key.get(k)
        if found is not None and found[1] == h:
            counts["unchanged"] += 1
        elif k in later:
            if later[k][1] == h:  # as at the base: the workbook did not change it
                counts["unchanged"] += 1
                plan["kept"] += 1
            else:
                plan["conflicts"].append((k, later[k][0]))
        elif found is None:
            counts["inserted"] += 1
            plan["insert"].append(i)
        else:
            counts["changed"] += 1
            plan["close"].append(found[0])
            plan["insert"].append(i)
    if spec.history == "plan":
        owners = set(columns[spec.owner])
        incoming = set(keys)
        cur_owner = current[2 + spec.key.index(spec.owner)]
        for k, owner, rowid in zip(cur_keys, cur_owner, rowids, strict=True):
            if owner not in owners or k in incoming:
                continue
            if k in later:  # added after the base: not the workbook's to drop
                if later[k][1] is None:
                    plan["kept"] += 1
                else:
                    plan["conflicts"].append((k, later[k][0]))
                continue
            counts["retired"] += 1
            plan["close"].append(rowid)
    return plan


def _apply(conn: sa.Connection, name: str, encoded: tuple, plan: dict, *, now: dt.datetime,
           import_id: int) -> None:
    """Write what :func:`_plan` decided: close versions, insert new ones."""
    columns, keys, hashes = encoded
    table = DATA_TABLES[name]
    if plan["close"]:
        close = table.update().where(table.c._rowid == sa.bindparam("rid", type_=sa.Integer))
        close = close.values(_valid_to=sa.bindparam("closed", type_=sa.DateTime))
        _executemany(conn, close, {"rid": plan["close"]}, {"closed": now})
    to_insert = plan["insert"]
    if to_insert:
        every = len(to_insert) == len(keys)
        picked = {c: v if every else [v[i] for i in to_insert] for c, v in columns.items()}
        picked["_row_hash"] = hashes if every else [hashes[i] for i in to_insert]
        _executemany(conn, table.insert(), picked,
                     {"_valid_from": now, "_valid_to": None, "_import_id": import_id})

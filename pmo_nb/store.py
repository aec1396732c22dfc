"""The portfolio store: every import kept as versioned rows in one database.

Only this module knows SQL. It speaks portable SQLAlchemy Core, so the same
code serves the embedded SQLite file (the default, ``./portfolio.db``) and a
PostgreSQL server (``postgresql+psycopg://...``).

Each of the ten tables of the format is one SQL table with the spec's typed
columns plus bookkeeping: ``_extra`` (JSON text of extra columns),
``_row_hash`` (hash of the row's content), ``_valid_from`` / ``_valid_to``
(naive UTC; ``_valid_to`` NULL = current version) and ``_import_id``. An
import never deletes: a changed or retired row is closed by setting
``_valid_to``, so :meth:`Store.load` can show the portfolio at any past time.

Concurrency: writers are serialised (``BEGIN IMMEDIATE`` on SQLite, a row lock
on ``meta`` on PostgreSQL) and a reader sees one snapshot (a deferred ``BEGIN``
in WAL mode on SQLite, ``REPEATABLE READ`` on PostgreSQL), so a load never mixes
two imports. Known limit: two processes creating a new PostgreSQL store at the
very same moment may race on ``CREATE TABLE``; the loser's import fails cleanly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .config import resolve_db_url
from .errors import PROBLEM_COLUMNS, StoreError, ValidationError
from .portfolio import Portfolio
from .schema import TABLE_NAMES, TABLES, coerce_types

#: Version of the SQL layout this code writes (kept in the ``meta`` table).
SCHEMA_VERSION = 1
#: What an import counts, per table.
COUNT_KINDS = ("inserted", "changed", "unchanged", "retired")

_SQL_TYPES = {
    "id": sa.Text, "text": sa.Text, "enum": sa.Text, "month": sa.Text,
    "number": sa.Double, "date": sa.Date, "bool": sa.Boolean,
}
_NULL = "\x00"  # canonical text of a missing value (cannot occur in a cell)
_SEP = "\x1f"

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


@dataclass(frozen=True)
class ImportSummary:
    """What one import did, table by table.

    ``inserted`` counts new keys, ``changed`` rows whose content differed
    (old version closed, new one inserted), ``unchanged`` rows left alone and
    ``retired`` plan rows dropped from a project's set (closed, not deleted).
    ``started`` is the time stamped on the versions it wrote (naive UTC).
    """

    import_id: int
    started: dt.datetime
    finished: dt.datetime
    source: str
    inserted: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)
    data_checksum: str = ""

    def totals(self) -> dict[str, int]:
        """Counts summed over the tables, by kind."""
        return {k: sum(getattr(self, k).values()) for k in COUNT_KINDS}

    def as_frame(self) -> pd.DataFrame:
        """One row per table, one column per kind of count."""
        return pd.DataFrame({k: getattr(self, k) for k in COUNT_KINDS}).reindex(TABLE_NAMES)

    def __str__(self) -> str:
        t = self.totals()
        return (f"import {self.import_id} from {self.source}: " +
                ", ".join(f"{t[k]} {k}" for k in COUNT_KINDS) +
                f" (data checksum {self.data_checksum})")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _store_time(as_of) -> dt.datetime:
    """The naive-UTC instant ``as_of`` means.

    A bare date (or a timestamp at exactly midnight) means the whole day: the
    store as it stood at the end of that day, so a report dated today sees
    today's import.
    """
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    elif ts == ts.normalize():
        ts = ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ts.to_pydatetime()


def _json_default(value):
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def _frame_to_json(frame: pd.DataFrame) -> str:
    """pandas' JSON table format, plus the exact dtypes (it keeps no time resolution)."""
    table = json.loads(frame.to_json(orient="table", date_format="iso"))
    table["schema"]["pandas_dtypes"] = {str(c): str(t) for c, t in frame.dtypes.items()}
    return json.dumps(table)


def _frame_from_json(text: str) -> pd.DataFrame:
    frame = pd.read_json(StringIO(text), orient="table")
    dtypes = json.loads(text)["schema"].get("pandas_dtypes", {})
    for c in frame.columns:
        if str(frame[c].dtype) != dtypes.get(str(c), str(frame[c].dtype)):
            frame[c] = frame[c].astype(dtypes[str(c)])
    return frame


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


# --- turning typed frames into SQL rows and canonical text -----------------------------

def _py_values(kind: str, series: pd.Series) -> list:
    """Python values ready for the driver (None for missing)."""
    present = series.notna().to_numpy()
    if kind == "number":
        vals = series.to_numpy(dtype="float64", na_value=np.nan).tolist()
    elif kind == "date":
        vals = pd.to_datetime(series).dt.date.tolist()
    elif kind == "bool":
        vals = [bool(v) if p else None for v, p in zip(series.tolist(), present, strict=True)]
    else:
        vals = series.tolist()
    return [v if p else None for v, p in zip(vals, present, strict=True)]


def _canon(kind: str, values: list) -> list[str]:
    """Text that is equal exactly when the stored values are equal."""
    if kind == "number":
        return [_NULL if v is None else repr(float(v)) for v in values]
    if kind == "date":
        return [_NULL if v is None else str(v)[:10] for v in values]  # date or its ISO text
    if kind == "bool":
        return [_NULL if v is None else ("1" if v else "0") for v in values]
    return [_NULL if v is None else str(v) for v in values]


def _encode(name: str, frame: pd.DataFrame) -> tuple[dict[str, list], list[str], list[str]]:
    """SQL column lists, row keys and row hashes for an incoming table."""
    spec = TABLES[name]
    frame = coerce_types(name, frame)
    columns, canon = {}, {}
    for c in spec.columns:
        columns[c.name] = _py_values(c.kind, frame[c.name])
        canon[c.name] = _canon(c.kind, columns[c.name])
    extras = [c for c in frame.columns if c not in columns]
    n = len(frame)
    if extras:
        recs = [{} for _ in range(n)]
        for c in extras:
            for rec, v in zip(recs, _py_values("text", frame[c]), strict=True):
                rec[c] = v.item() if isinstance(v, np.generic) else v
        columns["_extra"] = [json.dumps(r, default=_json_default) for r in recs]
        # an all-empty extra column is not a change of content
        hashed = [json.dumps({k: v for k, v in r.items() if v is not None}, sort_keys=True,
                             default=_json_default) for r in recs]
    else:
        columns["_extra"] = [None] * n
        hashed = ["{}"] * n
    key_cols = [canon[k] for k in spec.key]
    keys = [_SEP.join(parts) for parts in zip(*key_cols, strict=True)] if n else []
    hashes = [hashlib.blake2b(_SEP.join(parts).encode(), digest_size=16).hexdigest()
              for parts in zip(*canon.values(), hashed, strict=True)]
    return columns, keys, hashes


def _decode(name: str, data: list[list], columns: list[str]) -> pd.DataFrame:
    """A typed frame (extras unpacked, ordered by key) from raw SQL columns."""
    spec = TABLES[name]
    frame = pd.DataFrame({c: pd.Series(v, dtype=object)
                          for c, v in zip(columns, data, strict=True)})
    extra = frame.pop("_extra")
    present = extra.notna()
    if present.any():
        parsed = [json.loads(t) if p else {} for t, p in zip(extra, present, strict=True)]
        extras = pd.DataFrame.from_records(parsed, index=frame.index)
        for c in extras.columns:  # extras read from a workbook are text, even when empty
            frame[c] = extras[c].astype("str") if extras[c].isna().all() else extras[c]
    frame = coerce_types(name, frame)
    if len(frame):
        frame = frame.sort_values(list(spec.key), kind="stable").reset_index(drop=True)
    return frame


# --- the store ---------------------------------------------------------------------------

class Store:
    """The versioned portfolio database.

    Parameters
    ----------
    db : str or path, optional
        An SQLite file path or an SQLAlchemy URL; ``None`` means ``PMO_DB`` or
        ``./portfolio.db`` (see :func:`pmo_nb.config.resolve_db_url`). Nothing
        is created until the first write.
    """

    def __init__(self, db=None):
        self._url = resolve_db_url(db)
        url = sa.make_url(self._url)
        self._sqlite = url.get_backend_name() == "sqlite"
        self._path = Path(url.database) if self._sqlite and url.database not in (
            None, "", ":memory:") else None
        kwargs = {"connect_args": {"timeout": 30}} if self._sqlite else {}
        self.engine = sa.create_engine(url, **kwargs)
        if self._sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_connect)
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
    def _write(self) -> Iterator[tuple[sa.Connection, dt.datetime]]:
        """A serialised write transaction and its timestamp; creates the schema."""
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        with self.engine.connect() as conn:
            conn.execution_options(pmo_write=True)  # BEGIN IMMEDIATE on SQLite
            try:
                transaction = conn.begin()
            except sa.exc.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                raise StoreError(f"{self.url} is busy: another import held it for 30 s; "
                                 "try again when it has finished.") from exc
            with transaction:
                if sa.inspect(conn).has_table(META.name):
                    self._check_version(conn)
                METADATA.create_all(conn)
                found = conn.execute(sa.select(META.c.value).where(
                    META.c.key == "schema_version").with_for_update()).scalar()
                if found is None:
                    conn.execute(META.insert().values(key="schema_version",
                                                      value=str(SCHEMA_VERSION)))
                # taken once the lock is held, and never before the last import's
                last = conn.execute(sa.select(sa.func.max(IMPORT_LOG.c.started_at))).scalar()
                now = _utcnow()
                if last is not None and now <= last:
                    now = last + dt.timedelta(microseconds=1)
                yield conn, now

    def _check_version(self, conn: sa.Connection) -> None:
        found = conn.execute(sa.select(META.c.value).where(
            META.c.key == "schema_version")).scalar()
        if found is not None and int(found) > SCHEMA_VERSION:
            raise StoreError(
                f"{self.url} has store schema version {found}, newer than this pmo_nb "
                f"understands ({SCHEMA_VERSION}); upgrade pmo_nb before writing to it.")

    def schema_version(self) -> int | None:
        """The schema version recorded in the store (None if never written)."""
        with self._read() as conn:
            if conn is None:
                return None
            found = conn.execute(sa.select(META.c.value).where(
                META.c.key == "schema_version")).scalar()
            return None if found is None else int(found)

    # -- import --------------------------------------------------------------------------

    def import_portfolio(self, portfolio: Portfolio, *, source: str,
                         file_checksums: dict) -> ImportSummary:
        """Merge a validated portfolio into the store, in one transaction.

        Entity tables are merged by key, event tables accumulate, plan tables
        replace the row set of each project that has rows in the workbook (see
        :class:`pmo_nb.schema.Table`). Nothing is ever deleted. The merged
        result is checked with :func:`pmo_nb.validation.check_references`
        before commit.

        Raises
        ------
        pmo_nb.ValidationError
            When the incoming tables repeat a key or the merged portfolio has
            broken references; nothing is written.
        pmo_nb.StoreError
            When the store's schema is newer than this code.
        """
        encoded = {n: _encode(n, getattr(portfolio, n)) for n in TABLE_NAMES}
        _check_unique_keys(encoded, source)
        with self._write() as (conn, now):
            import_id = conn.execute(IMPORT_LOG.insert().values(
                started_at=now, source=source,
                file_checksums=json.dumps(dict(file_checksums or {}), sort_keys=True),
            )).inserted_primary_key[0]
            counts = {n: _merge(conn, n, *encoded[n], now=now, import_id=import_id)
                      for n in TABLE_NAMES}
            merged = self._load(conn, None)
            _check_references(merged, source)
            checksum = merged.checksum()
            finished = max(_utcnow(), now)
            conn.execute(IMPORT_LOG.update().where(IMPORT_LOG.c.import_id == import_id).values(
                finished_at=finished, row_counts=json.dumps(counts), data_checksum=checksum))
        return ImportSummary(
            import_id=import_id, started=now, finished=finished, source=source,
            data_checksum=checksum,
            **{k: {n: counts[n][k] for n in TABLE_NAMES} for k in COUNT_KINDS})

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
            return self._load(conn, None if as_of is None else _store_time(as_of))

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
            tables[name] = _decode(name, _fetch_columns(conn, query, len(cols)), cols)
        return Portfolio(**tables, source=self.url)

    def history(self) -> pd.DataFrame:
        """The import log, newest first, with counts summed over tables.

        ``details`` spells out the non-zero counts per table.
        """
        columns = ["import_id", "started_at", "finished_at", "source", *COUNT_KINDS,
                   "details", "data_checksum", "file_checksums"]
        with self._read() as conn:
            rows_ = [] if conn is None else conn.execute(
                sa.select(IMPORT_LOG).order_by(IMPORT_LOG.c.import_id.desc())).mappings().all()
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
            out.append(rec)
        frame = pd.DataFrame(out, columns=columns)
        for k in COUNT_KINDS:
            frame[k] = frame[k].astype("int64")
        for k in ("started_at", "finished_at"):
            frame[k] = pd.to_datetime(frame[k])
        return frame

    # -- results of analyses -------------------------------------------------------------

    def save_result(self, kind: str, name: str, frame: pd.DataFrame | None = None,
                    payload: bytes | None = None, attrs: dict | None = None) -> int:
        """Keep an analysis result (forecast, scenario, fitted model) as a new version.

        ``frame`` is stored as pandas JSON (orient="table", dtypes kept),
        ``payload`` as bytes (e.g. a NetCDF InferenceData), ``attrs`` as JSON
        (how it was made). Returns the new version number; older versions stay.
        """
        text = None if frame is None else _frame_to_json(frame)
        attrs_text = json.dumps(attrs or {}, sort_keys=True, default=_json_default)
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
        frame = None if row.frame is None else _frame_from_json(row.frame)
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

def _sqlite_connect(dbapi_connection, connection_record) -> None:
    # SQLAlchemy's pysqlite recipe: let SQLAlchemy (our "begin" hook) emit BEGIN
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA foreign_keys = OFF")  # history tables hold closed versions
    cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the importer
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get("pmo_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _check_unique_keys(encoded: dict, source: str) -> None:
    problems = []
    for name, (_, keys, _) in encoded.items():
        if len(set(keys)) == len(keys):
            continue
        seen = set()
        for i, k in enumerate(keys):
            if k in seen:
                problems.append({"file": name, "table": name, "row": i + 2,
                                 "column": ", ".join(TABLES[name].key),
                                 "value": k.replace(_SEP, ", "), "rule": "duplicate key"})
            seen.add(k)
    if problems:
        raise ValidationError(pd.DataFrame(problems, columns=PROBLEM_COLUMNS), source)


def _check_references(merged: Portfolio, source: str) -> None:
    from .validation import check_references  # pandera: imported only when importing

    problems = check_references(merged)
    if len(problems):
        raise ValidationError(problems, source)


def _merge(conn: sa.Connection, name: str, columns: dict[str, list], keys: list[str],
           hashes: list[str], *, now: dt.datetime, import_id: int) -> dict[str, int]:
    """Apply one incoming table to the current versions; return the counts."""
    spec, table = TABLES[name], DATA_TABLES[name]
    counts = dict.fromkeys(COUNT_KINDS, 0)
    if not keys:
        return counts
    query = sa.select(table.c._rowid, table.c._row_hash,
                      *(table.c[k] for k in spec.key)).where(table.c._valid_to.is_(None))
    current = _fetch_columns(conn, query, 2 + len(spec.key))
    rowids, cur_hashes = current[0], current[1]
    cur_canon = [_canon(spec.column(k).kind, v) for k, v in zip(spec.key, current[2:], strict=True)]
    cur_keys = [_SEP.join(parts) for parts in zip(*cur_canon, strict=True)]
    by_key = dict(zip(cur_keys, zip(rowids, cur_hashes, strict=True), strict=True))
    to_insert, to_close = [], []
    for i, (k, h) in enumerate(zip(keys, hashes, strict=True)):
        found = by_key.get(k)
        if found is None:
            counts["inserted"] += 1
            to_insert.append(i)
        elif found[1] != h:
            counts["changed"] += 1
            to_close.append(found[0])
            to_insert.append(i)
        else:
            counts["unchanged"] += 1
    if spec.history == "plan":
        owners = set(columns[spec.owner])
        incoming = set(keys)
        cur_owner = current[2 + spec.key.index(spec.owner)]
        for k, owner, rowid in zip(cur_keys, cur_owner, rowids, strict=True):
            if owner in owners and k not in incoming:
                counts["retired"] += 1
                to_close.append(rowid)
    if to_close:
        close = table.update().where(table.c._rowid == sa.bindparam("rid", type_=sa.Integer))
        close = close.values(_valid_to=sa.bindparam("closed", type_=sa.DateTime))
        _executemany(conn, close, {"rid": to_close}, {"closed": now})
    if to_insert:
        every = len(to_insert) == len(keys)
        picked = {c: v if every else [v[i] for i in to_insert] for c, v in columns.items()}
        picked["_row_hash"] = hashes if every else [hashes[i] for i in to_insert]
        _executemany(conn, table.insert(), picked,
                     {"_valid_from": now, "_valid_to": None, "_import_id": import_id})
    return counts

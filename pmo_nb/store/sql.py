"""How the store talks to its database: URLs, connection hooks, bulk statements.

SQLite and PostgreSQL differ in how a store is opened read-only (a ``mode=ro``
file URI, or ``default_transaction_read_only``) and in how transactions begin
(SQLite needs ``BEGIN IMMEDIATE`` for writers and WAL mode so readers never
wait); both take the same bulk statements.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from pmo_nb.config import resolve_db_url

_READ_ONLY_OPTION = re.compile(r"default_transaction_read_only\s*=\s*(on|true|1)\b", re.I)


def sqlite_path(url: sa.URL) -> Path | None:
    """The file of an SQLite URL (plain path or ``file:`` URI), None in memory."""
    database = url.database or ""
    if str(url.query.get("uri", "")).lower() in ("true", "1") and database.startswith("file:"):
        database = database[len("file:"):].split("?", 1)[0]
        if database.startswith("//"):  # file://host/path: host must be empty or localhost
            database = "/" + database[2:].split("/", 1)[1]
    return None if database in ("", ":memory:") else Path(database)


def is_read_only(url: sa.URL) -> bool:
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
    if is_read_only(url):
        return given
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None or any(c in str(path) for c in "?#%"):
            raise ValueError(f"cannot open {url} read-only: give the store a file path "
                             "without ?, # or %")
        return f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"
    options = url.query.get("options", "")
    options = (options + " " if options else "") + "-c default_transaction_read_only=on"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


def sqlite_connect(dbapi_connection, connection_record, wal: bool = True) -> None:
    """Set up each new SQLite connection (the engine's ``connect`` event)."""
    # SQLAlchemy's pysqlite recipe: let SQLAlchemy (our "begin" hook) emit BEGIN
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA foreign_keys = OFF")  # history tables hold closed versions
    if wal:  # a read-only connection reads the journal mode the writers set
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the importer
    cursor.close()


#: SQLite page cache of a writing connection, KiB. Durability is untouched: the
#: journal stays WAL with synchronous=FULL (SQLite's default), so a committed
#: import survives a power cut; NORMAL measured no faster for one big transaction.
WRITER_CACHE_KIB = 65536


def sqlite_begin(conn: sa.Connection) -> None:
    """Begin an SQLite transaction: ``IMMEDIATE`` (the write lock) for writers."""
    write = conn.get_execution_options().get("pmo_write", False)
    if write:  # an import touches many pages: 64 MiB of cache instead of 2 spills less
        conn.exec_driver_sql(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


# --- bulk statements ---------------------------------------------------------------------
# SQLAlchemy's per-row parameter handling dominates an import of 300,000 rows, so
# bulk statements are compiled once by Core for the connection's dialect, their
# parameters converted column by column with the types' own bind processors, and
# the rows handed to the driver's executemany; reads fetch plain tuples.

def executemany(conn: sa.Connection, statement, columns: dict[str, list],
                constants: dict | None = None) -> dict[str, list]:
    """Run a Core insert/update once per row of ``columns`` (bind name -> values).

    ``constants`` are bind values shared by every row. Returns the values as
    handed to the driver (bind name -> one per row), which is what a read of
    those rows fetches.
    """
    n_rows = len(next(iter(columns.values())))
    columns = {**columns, **{c: [v] for c, v in (constants or {}).items()}}
    names = list(columns)
    compiled = statement.compile(dialect=conn.dialect, column_keys=names)
    inline = _inlined(conn, statement, compiled, constants)
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
    if n_rows and isinstance(statement, sa.Insert) and conn.dialect.name == "postgresql":
        _copy(conn, statement.table.name, names,
              zip(*(values[n] for n in names), strict=True))
        return values
    if inline:  # the constants written into the statement: fewer values bound per row
        statement = statement.values({n: sa.literal_column(inline[n]) for n in inline})
        compiled = statement.compile(dialect=conn.dialect,
                                     column_keys=[n for n in names if n not in inline])
    if compiled.positional:
        params = list(zip(*(values[n] for n in compiled.positiontup), strict=True))
    else:
        bound = [n for n in names if n not in inline]
        params = [dict(zip(bound, row, strict=True))
                  for row in zip(*(values[n] for n in bound), strict=True)]
    if params:
        conn.exec_driver_sql(compiled.string, params)
    return values


def _inlined(conn: sa.Connection, statement, compiled, constants: dict | None) -> dict:
    """SQL literals for the constant columns of an SQLite insert (name -> literal).

    SQLite binds each value of each row on its own, so three bookkeeping
    constants cost a fifth of an import's binding; written as literals they
    store the same values (the texts, integers and NULLs the driver would bind).
    Empty for other statements and backends, or a constant of another kind.
    """
    if not constants or conn.dialect.name != "sqlite" or not isinstance(statement, sa.Insert):
        return {}
    found = {}
    for name, value in constants.items():
        proc = compiled.binds[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        value = value if proc is None else proc(value)
        if value is None:
            found[name] = "NULL"
        elif type(value) is int:
            found[name] = str(value)
        elif type(value) is str and "\x00" not in value:
            found[name] = "'" + value.replace("'", "''") + "'"
        else:
            return {}
    return found


def _copy(conn: sa.Connection, table: str, names: list[str], rows) -> None:
    """Insert ``rows`` with PostgreSQL's COPY (psycopg 3), in the connection's transaction.

    COPY streams the rows in one command instead of one INSERT each: several
    times faster for an import of 100,000s of rows. Values are those the
    driver would bind (psycopg adapts them the same way).
    """
    import psycopg  # lazy: psycopg loads only for a PostgreSQL store

    statement = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg.sql.Identifier(table),
        psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, names)))
    try:
        with conn.connection.driver_connection.cursor() as cursor, \
                cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:  # as SQLAlchemy wraps the driver's errors: a store fault
        raise sa.exc.DBAPIError(f"COPY {table}", None, exc) from exc


def fetch_rows(conn: sa.Connection, query, width: int) -> np.ndarray:
    """The query's result as an object array of ``width`` columns, values as the driver
    gives them (no per-value conversion by SQLAlchemy: the decoding types them)."""
    result = conn.execute(query)
    try:
        rows_ = result.cursor.fetchall()
    finally:
        result.close()
    if not rows_:
        return np.empty((0, width), dtype=object)
    return np.array(rows_, dtype=object)


def fetch_columns(conn: sa.Connection, query, width: int) -> list[list]:
    """The query's result as one list per column (:func:`fetch_rows`, transposed)."""
    table = fetch_rows(conn, query, width)  # transposes much faster than zip(*rows)
    return [table[:, i].tolist() for i in range(width)]

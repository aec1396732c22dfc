"""The store's SQL schema and its Alembic revisions.

Each table of the format is one SQL table with the spec's typed columns plus bookkeeping
(``_extra``, ``_row_hash``, ``_valid_from``, ``_valid_to``, ``_import_id``; see
:mod:`pmo_nb.store.core`), next to ``meta``, ``import_log``, ``results``, ``alert_log``
and ``digest_log``. A new store is created from :data:`METADATA` and stamped with the
newest revision; older stores are upgraded by the migrations in
``pmo_nb/store/migrations`` (a test checks both give one schema).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from pmo_nb.schema import TABLES

#: ``meta.schema_version``: pmo_nb releases from before Alembic refuse to write above 1.
SCHEMA_VERSION = 2
#: Alembic revisions this code knows, oldest first; it writes the last one.
REVISIONS = ("0001", "0002", "0003", "0004")
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
#: one row per alert episode: opened when a rule starts holding, closed when it stops
ALERT_LOG = sa.Table(
    "alert_log", METADATA,
    sa.Column("alert_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("value", sa.Double),
    sa.Column("threshold", sa.Double),
    sa.Column("message", sa.Text),
    sa.Column("raised_at", sa.DateTime, nullable=False),
    sa.Column("raised_as_of", sa.Date, nullable=False),
    sa.Column("last_value", sa.Double),
    sa.Column("cleared_at", sa.DateTime),
    sa.Column("cleared_as_of", sa.Date),
    sa.Index("ix_alert_log_open", "rule", "subject", "cleared_at"),
)
#: one row per person, period and channel a digest was built for, with its delivery
DIGEST_LOG = sa.Table(
    "digest_log", METADATA,
    sa.Column("_rowid", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person", sa.String(200), nullable=False),
    sa.Column("period", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("items", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("built_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("message_id", sa.String(200)),
    sa.UniqueConstraint("person", "period", "channel", name="uq_digest_log_person_period"),
)
#: Alembic's own table, as Alembic creates it (kept out of METADATA).
VERSION_TABLE = sa.Table(
    "alembic_version", sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def revision_of(conn: sa.Connection) -> str | None:
    """The Alembic revision of the store; ``0001`` for a store made before Alembic."""
    inspector = sa.inspect(conn)
    if inspector.has_table(VERSION_TABLE.name):
        return conn.execute(sa.select(VERSION_TABLE.c.version_num)).scalar()
    return REVISIONS[0] if inspector.has_table(META.name) else None


def missing_columns(conn: sa.Connection) -> dict[str, set[str]]:
    """Spec columns (by table) a store at an older revision does not have yet.

    Empty at :data:`HEAD`; a missing table lists all its columns. Reading an
    older store leaves them empty, so it loads before ``pmo db upgrade``.
    """
    if revision_of(conn) == HEAD:
        return {}
    inspector = sa.inspect(conn)
    found = {}
    for name, spec in TABLES.items():
        have = ({c["name"] for c in inspector.get_columns(name)}
                if inspector.has_table(name) else set())
        lacking = set(spec.column_names) - have
        if lacking:
            found[name] = lacking
    return found


def stamp(conn: sa.Connection, revision: str) -> None:
    """Record ``revision`` as the store's Alembic revision (as ``alembic stamp`` does)."""
    VERSION_TABLE.create(conn, checkfirst=True)
    conn.execute(VERSION_TABLE.delete())
    conn.execute(VERSION_TABLE.insert().values(version_num=revision))


def create_tables(conn: sa.Connection) -> None:
    """A new store at the newest revision: the tables of METADATA, stamped."""
    METADATA.create_all(conn)
    conn.execute(META.insert(), [{"key": "schema_version", "value": str(SCHEMA_VERSION)},
                                 {"key": "store_id", "value": uuid.uuid4().hex}])
    stamp(conn, HEAD)


@contextmanager
def indexes_built_after(conn: sa.Connection, defer: bool) -> Iterator[None]:
    """With ``defer``: the data tables' indexes dropped, then built again on leaving.

    For a store created in this very transaction (no other one can see its
    tables): building an index over the rows of a bulk insert once is cheaper
    than updating it row by row (SQLite: a fifth of inserting 650,000 rows).
    The schema left behind is the same. An error rolls everything back.
    """
    indexes = [i for t in DATA_TABLES.values() for i in t.indexes] if defer else []
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)


def run_alembic(conn: sa.Connection, command_name: str, revision: str) -> None:
    """Run ``alembic upgrade|downgrade revision`` inside the caller's transaction."""
    from alembic import command  # lazy: Alembic loads only for migrations
    from alembic.config import Config  # lazy: Alembic loads only for migrations

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    getattr(command, command_name)(config, revision)

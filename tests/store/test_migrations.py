"""Safe upgrades: a store made by the previous schema keeps every row through ``pmo db upgrade``.

Runs on SQLite and, where a throwaway cluster can be started, PostgreSQL.
"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
import store_fixtures
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from pandas.testing import assert_frame_equal
from store_worker import make_portfolio

from pmo_nb.cli import main as pmo
from pmo_nb.dates import latest_status
from pmo_nb.errors import StoreError
from pmo_nb.schema import TABLE_NAMES
from pmo_nb.store.core import Store
from pmo_nb.store.reading import LatestUpdates
from pmo_nb.store.rows import encode
from pmo_nb.store.tables import HEAD, METADATA, MIGRATIONS_DIR, REVISIONS

pg, db = store_fixtures.pg, store_fixtures.db  # fixtures


def legacy_store(db: str, portfolio, changed) -> Store:
    """A store as the previous pmo_nb left it: revision 0001, no ``alembic_version``.

    Rows are written with SQL against the 0001 tables: ``portfolio`` as
    import 1, then ``changed`` (its projects) as import 2 closing the old versions.
    """
    store = Store(db)
    assert store.upgrade("0001") == (None, "0001")
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))  # made before Alembic
        tables = sa.MetaData()
        tables.reflect(conn)
        log = tables.tables["import_log"]
        times = [pd.Timestamp("2026-01-05 09:00").to_pydatetime(),
                 pd.Timestamp("2026-02-05 09:00").to_pydatetime()]
        for import_id, (source, p) in enumerate([("v1", portfolio), ("v2", changed)], 1):
            now = times[import_id - 1]
            conn.execute(log.insert().values(started_at=now,
                                             finished_at=now, source=source,
                                             file_checksums="{}", row_counts="{}"))
            for name in TABLES_0001:
                columns, keys, hashes = encode(name, getattr(p, name))
                if not keys:
                    continue
                table = tables.tables[name]
                columns = {c: v for c, v in columns.items() if c in table.c}
                if import_id == 2:  # close the versions this import replaces
                    conn.execute(table.update().where(table.c.project_id.in_(
                        columns["project_id"])).values(_valid_to=now))
                rows = [dict(zip(columns, values, strict=True)) for values in
                        zip(*columns.values(), strict=True)]
                conn.execute(table.insert(), [
                    {**r, "_row_hash": h, "_valid_from": now, "_valid_to": None,
                     "_import_id": import_id} for r, h in zip(rows, hashes, strict=True)])
    return store


#: The data tables of revision 0001 (0003 added the tables after them).
TABLES_0001 = TABLE_NAMES[: TABLE_NAMES.index("dependencies") + 1]
#: Columns later revisions added to the tables of revision 0001.
LATER_COLUMNS = {("import_log", "based_on_import"), ("risks", "task_id")}


def dump(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table of revision 0001, all versions, in a stable order."""
    out = {}
    with store.engine.connect() as conn:
        tables = sa.MetaData()
        tables.reflect(conn)
        for name in [*TABLES_0001, "import_log", "results"]:
            t = tables.tables[name]
            old = [c for c in t.c if (name, c.name) not in LATER_COLUMNS]
            out[name] = [tuple(r) for r in conn.execute(sa.select(*old).order_by(*t.primary_key))]
    return out


def test_upgrade_keeps_every_row_of_a_store_made_before_alembic(db):
    a = make_portfolio(12, 3)
    changed = make_portfolio(12, 3)
    changed.projects.loc[:3, "budget"] = 1.0
    store = legacy_store(db, a, type(a)(projects=changed.projects.iloc[:4]))
    # results saved by the old code survive too
    with store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO results (kind, name, version, saved_at, attrs) "
                             "VALUES ('forecast', 'cost', 1, '2026-02-06 00:00:00', '{}')"))
    assert store.revision() == "0001" and store.schema_version() == 1
    before, now_then = dump(store), store.load()
    assert now_then.projects["budget"].tolist()[:4] == [1.0] * 4  # reading works before
    # so do the partial reads (tables 0001 lacks are empty, as in a whole load)
    pair = store.load_pair("2026-01-31", None)
    for got, want in zip(pair, (store.load(as_of="2026-01-31"), now_then), strict=True):
        assert got.checksum() == want.checksum()
    latest = store.load(tables=["status_updates"], latest=LatestUpdates())
    assert_frame_equal(latest.status_updates, latest_status(now_then))
    with pytest.raises(StoreError, match=r"revision 0001, older .* run `pmo db upgrade"):
        store.import_portfolio(a, source="too early", file_checksums={})

    url = store.engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(pmo, ["db", "upgrade", "--db", url])
    assert done.exit_code == 0, done.output
    assert f"0001 -> {HEAD}" in done.output

    assert store.revision() == HEAD and store.schema_version() == 2
    assert dump(store) == before  # every row, every version, every value
    assert len(before["projects"]) == 16 and len(before["status_updates"]) == 36
    assert store.load().checksum() == now_then.checksum()
    assert store.load(as_of="2026-01-31").checksum() == a.checksum()  # history intact
    assert len(store.store_id()) == 32
    log = store.history()
    assert log["import_id"].tolist() == [2, 1] and log["based_on"].isna().all()
    # the new schema works: an import based on import 1 keeps import 2's budgets
    summary = store.import_portfolio(a, source="v3", file_checksums={}, based_on=1)
    assert summary.kept["projects"] == 4 and summary.totals()["changed"] == 0
    assert store.history().loc[0, "based_on"] == 1
    again = CliRunner().invoke(pmo, ["db", "upgrade", "--db", url])
    assert again.exit_code == 0 and "already at" in again.output


def test_migrations_make_the_schema_new_stores_get(db, tmp_path):
    migrated = Store(db)
    assert migrated.upgrade("0001") == (None, "0001")
    for revision in REVISIONS[1:]:
        migrated.upgrade(revision)
    with migrated.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), METADATA) == []
    a = make_portfolio(5, 2)
    migrated.import_portfolio(a, source="a", file_checksums={})
    rows = dump(migrated)
    assert migrated.upgrade("0001") == (HEAD, "0001")  # downgrade keeps the rows
    assert dump(migrated) == rows and migrated.store_id() is None
    assert migrated.upgrade() == ("0001", HEAD) and dump(migrated) == rows
    fresh = Store(tmp_path / "fresh.db")
    fresh.import_portfolio(a, source="a", file_checksums={})  # created at head directly
    assert fresh.revision() == HEAD and fresh.schema_version() == 2


def test_a_store_made_by_its_first_import_has_the_schema_and_its_indexes(db):
    """The first import builds the data tables' indexes after its rows: same schema."""
    store = Store(db)
    store.import_portfolio(make_portfolio(5, 2), source="a", file_checksums={})
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), METADATA) == []
        names = {i["name"] for i in sa.inspect(conn).get_indexes("status_updates")}
    assert names == {"ix_status_updates_key", "ix_status_updates_import_id"}
    again = store.import_portfolio(make_portfolio(5, 2), source="a", file_checksums={})
    assert again.totals()["changed"] == again.totals()["inserted"] == 0
    store.close()


def test_store_newer_than_the_code_is_read_but_not_written(db):
    store = Store(db)
    a = make_portfolio(3, 1)
    store.import_portfolio(a, source="a", file_checksums={})
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    assert store.load().checksum() == a.checksum()
    message = rf"revision 0099, newer than this pmo_nb understands \({HEAD}\)"
    with pytest.raises(StoreError, match=message):
        store.import_portfolio(a, source="again", file_checksums={})
    with pytest.raises(StoreError, match="newer"):
        store.save_result("forecast", "x", attrs={})
    done = CliRunner().invoke(pmo, ["db", "upgrade", "--db",
                                    store.engine.url.render_as_string(hide_password=False)])
    assert done.exit_code == 1 and "0099, newer" in done.output
    assert len(store.history()) == 1 and store.list_results().empty


def test_the_code_knows_every_migration_script():
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert script.get_heads() == [HEAD]
    walked = [r.revision for r in script.walk_revisions("base", "heads")]
    assert tuple(reversed(walked)) == REVISIONS

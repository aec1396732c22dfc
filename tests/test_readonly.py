"""Dashboards cannot write: the URL ``pmo serve`` gives its kernels is read-only.

The Store refuses up front with a clear StoreError, and the database itself
refuses too (a raw INSERT on the same connection fails), so a dashboard bug
cannot change the portfolio.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import store_fixtures
from store_worker import make_portfolio

from pmo_nb.errors import StoreError
from pmo_nb.serve import voila_env
from pmo_nb.store import DATA_TABLES, Store, read_only_url

pg = store_fixtures.pg  # fixture

#: The SQL docs/deploy.md gives for the dashboards' role (database name filled in).
DASHBOARD_ROLE_SQL = """
CREATE ROLE pmo_dashboard LOGIN;
GRANT CONNECT ON DATABASE {database} TO pmo_dashboard;
GRANT USAGE ON SCHEMA public TO pmo_dashboard;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO pmo_dashboard;
ALTER ROLE pmo_dashboard SET default_transaction_read_only = on;
"""


def assert_cannot_write(reader: Store, writer: Store, match: str) -> None:
    """Import and save_result refuse clearly; a raw INSERT fails; nothing changed."""
    before = writer.load().checksum(), len(writer.history()), len(writer.list_results())
    with pytest.raises(StoreError, match=match):
        reader.import_portfolio(make_portfolio(2, 1, "B"), source="dashboard",
                                file_checksums={})
    with pytest.raises(StoreError, match=match):
        reader.save_result("forecast", "x", attrs={})
    table = DATA_TABLES["teams"]
    with pytest.raises(sa.exc.DBAPIError, match="read-only|readonly|permission denied"):
        with reader.engine.begin() as conn:  # past the Store's own check
            conn.execute(table.insert().values(team_id="T9", _row_hash="x", _import_id=1,
                                               _valid_from=sa.func.now()))
    assert (writer.load().checksum(), len(writer.history()),
            len(writer.list_results())) == before


def test_sqlite_dashboard_session_reads_but_cannot_write(tmp_path, monkeypatch):
    path = tmp_path / "p.db"
    writer = Store(path)
    a = make_portfolio(5, 2)
    writer.import_portfolio(a, source="a", file_checksums={})
    writer.close()  # the last connection gone: SQLite removes the -wal and -shm files
    assert not (tmp_path / "p.db-shm").exists()
    env = voila_env(path, config_dir=tmp_path / "cfg")
    assert env["PMO_DB"] == f"sqlite:///file:{path}?mode=ro&uri=true"
    monkeypatch.setenv("PMO_DB", env["PMO_DB"])
    dashboard = Store()  # as load_portfolio() in a dashboard kernel opens it
    assert dashboard.read_only and dashboard.load().checksum() == a.checksum()
    # WAL while an analyst imports: the reader's snapshot moves on with each commit
    b = make_portfolio(5, 2, "B")
    with writer.engine.connect():
        writer.import_portfolio(b, source="b", file_checksums={})
        assert (tmp_path / "p.db-wal").exists()
        assert dashboard.load().checksum() == b.checksum()
    assert_cannot_write(dashboard, writer, "opened read-only")
    assert read_only_url(env["PMO_DB"]) == env["PMO_DB"]
    assert Store(tmp_path / "none.db").read_only is False


def test_postgresql_read_only_url_and_select_only_role(pg):
    url = pg.create_database("ro_test")
    writer = Store(url)
    writer.import_portfolio(make_portfolio(5, 2), source="a", file_checksums={})
    ro = read_only_url(url)
    assert "default_transaction_read_only" in ro and Store(ro).read_only
    assert_cannot_write(Store(ro), writer, "opened read-only")

    with writer.engine.begin() as conn:
        for statement in DASHBOARD_ROLE_SQL.format(database="ro_test").strip().split(";\n"):
            conn.execute(sa.text(statement.rstrip(";")))
    role = Store(url.replace("pmo@", "pmo_dashboard@"))
    assert not role.read_only  # the URL says nothing: the role alone must hold
    assert role.load().checksum() == writer.load().checksum()
    assert_cannot_write(role, writer, "refused to write .*read-only")

"""Dashboards cannot write: the URL ``pmo serve`` gives its kernels is read-only.

The Store refuses up front with a clear StoreError, and the database itself
refuses too (a raw INSERT on the same connection fails), so a dashboard bug
cannot change the portfolio.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
import store_fixtures
from store_worker import make_portfolio

from pmo_nb.apps.serve import voila_env
from pmo_nb.config import project_root
from pmo_nb.errors import StoreError
from pmo_nb.portfolio import Portfolio
from pmo_nb.store.alert_log import HOLDING_COLUMNS
from pmo_nb.store.core import Store, read_only_url
from pmo_nb.store.tables import DATA_TABLES

pg = store_fixtures.pg  # fixture

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


def test_postgresql_read_only_url(pg):
    url = pg.create_database("ro_test")
    writer = Store(url)
    writer.import_portfolio(make_portfolio(5, 2), source="a", file_checksums={})
    ro = read_only_url(url)
    assert "default_transaction_read_only" in ro and Store(ro).read_only
    assert_cannot_write(Store(ro), writer, "opened read-only")



def documented_role_sql() -> list[str]:
    """The role statements of docs/deploy.md, comments and passwords removed."""
    doc = (project_root() / "docs" / "deploy.md").read_text()
    block = doc.split("Then the roles")[1].split("```sql")[1].split("```")[0]
    block = "\n".join(line.split("--")[0] for line in block.splitlines())
    return [s.strip().replace(" PASSWORD 'change-me'", "") for s in block.split(";")
            if s.strip()]


def test_the_documented_roles_allow_what_deploy_md_says(pg):
    url = pg.create_database("roles_test")
    owner = Store(url)
    a = make_portfolio(5, 1)
    owner.import_portfolio(a, source="a", file_checksums={})
    with owner.engine.begin() as conn:
        for statement in documented_role_sql():
            conn.execute(sa.text(statement.replace("DATABASE pmo ", "DATABASE roles_test ")))
    as_role = lambda role: Store(url.replace("pmo@", f"{role}@"))  # noqa: E731
    proposal = make_portfolio(6, 1)
    new = Portfolio(projects=proposal.projects.iloc[5:],
                    alignment=proposal.alignment[proposal.alignment["project_id"] == "P00005"])
    intake = as_role("pmo_intake")
    assert intake.import_portfolio(new, source="intake", file_checksums={}).totals()[
        "inserted"] == 3
    assert intake.save_result("scenario", "cut", attrs={}) == 1
    budget_change = a.projects.copy()
    budget_change.loc[0, "budget"] = 1.0
    with pytest.raises(StoreError, match="permission denied for table projects"):
        intake.import_portfolio(Portfolio(projects=budget_change), source="x", file_checksums={})
    reports = as_role("pmo_reports")
    assert reports.save_result("forecast_model", "m", payload=b"x") == 1
    holding = pd.DataFrame([("r", "P1", "cpi", "info", 0.5, 0.9, "m")],
                           columns=list(HOLDING_COLUMNS))
    for day, found in (("2026-11-02", holding), ("2026-11-09", holding.iloc[:0])):
        reports.record_alerts(found, rules=["r"], as_of=day)  # `pmo alerts run` raises, clears
    assert reports.alert_log()["cleared_as_of"].tolist() == [dt.date(2026, 11, 9)]
    with pytest.raises(StoreError, match="refused to write"):
        reports.import_portfolio(new, source="r", file_checksums={})
    analyst = as_role("pmo_analyst")
    assert analyst.import_portfolio(Portfolio(projects=budget_change), source="analyst",
                                    file_checksums={}).totals()["changed"] == 1
    dashboard = as_role("pmo_dashboard")
    assert not dashboard.read_only  # the URL says nothing: the role alone must hold
    assert dashboard.load().checksum() == owner.load().checksum()
    assert_cannot_write(dashboard, owner, "refused to write")

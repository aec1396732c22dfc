"""The store fixtures: each store test runs on SQLite and, where possible, PostgreSQL.

Test modules import them (``from store_fixtures import pg, store``); the
PostgreSQL cluster is started once per test process and every test gets its
own empty database in it.
"""

from __future__ import annotations

import uuid

import pg_cluster
import pytest

from pmo_nb.store.core import Store


@pytest.fixture()
def pg():
    """The shared throwaway cluster; skips with the reason when none can be started."""
    cluster = pg_cluster.shared()
    if isinstance(cluster, str):
        pytest.skip(cluster)
    return cluster


def new_db(request, tmp_path) -> str:
    """An empty store URL for the test's backend (``request.param``)."""
    if request.param == "sqlite":
        return str(tmp_path / "portfolio.db")
    cluster = request.getfixturevalue("pg")
    return cluster.create_database(f"t{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """An empty store (SQLite path or PostgreSQL URL)."""
    return new_db(request, tmp_path)


@pytest.fixture()
def store(db):
    s = Store(db)
    yield s
    s.close()

"""Run-wide caches (pmo_nb.memo): on only in report kernels, per portfolio, copies out."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_nb import memo
from pmo_nb.delivery.evm import earned_value
from pmo_nb.store.core import Store

AS_OF = "2026-06-30"


@pytest.fixture
def caches_on(monkeypatch):
    monkeypatch.setenv(memo.ENV, "1")
    monkeypatch.setattr(memo, "_values", {})
    monkeypatch.setattr(memo, "_by_portfolio", {})


def _counting():
    calls = []

    @memo.per_portfolio
    def total(portfolio, column, frame=None):
        calls.append(column)
        return pd.DataFrame({"sum": [portfolio.projects[column].sum()]})

    return total, calls


def test_off_outside_a_report_kernel_so_an_edited_portfolio_is_seen(demo_small, monkeypatch):
    monkeypatch.delenv(memo.ENV, raising=False)
    total, calls = _counting()
    total(demo_small, "budget")
    total(demo_small, "budget")
    assert calls == ["budget", "budget"]


def test_once_per_portfolio_and_arguments_and_a_copy_each_time(demo_small, caches_on):
    total, calls = _counting()
    first = total(demo_small, "budget")
    first.loc[0, "sum"] = -1  # a caller's change must not reach the next caller
    again = total(demo_small, "budget")
    assert calls == ["budget"]
    assert again.loc[0, "sum"] == demo_small.projects["budget"].sum()
    frame = pd.DataFrame({"a": [1, 2]})
    total(demo_small, "budget", frame=frame)
    total(demo_small, "budget", frame=frame.copy())  # same content, same entry
    total(demo_small, "budget", frame=frame.assign(a=[1, 3]))
    assert calls == ["budget", "budget", "budget"]


def test_cached_analysis_equals_the_uncached_one(demo_small, caches_on, monkeypatch):
    cached = earned_value(demo_small, AS_OF)
    monkeypatch.delenv(memo.ENV)
    pd.testing.assert_frame_equal(cached, earned_value(demo_small, AS_OF))


def test_store_load_is_kept_until_the_data_changes(demo_db_copy_memo, demo_small, caches_on):
    store = Store(demo_db_copy_memo)
    first = store.load()
    assert Store(demo_db_copy_memo).load() is first  # same data version: the same object
    changed = demo_small.projects.copy()
    changed.loc[0, "name"] = "Renamed by the test"
    store.import_portfolio(type(demo_small)(**{**demo_small.tables(), "projects": changed}),
                           source="test", file_checksums={})
    after = store.load()
    assert after is not first
    assert after.projects.set_index("project_id").loc[changed.loc[0, "project_id"], "name"] \
        == "Renamed by the test"


@pytest.fixture
def demo_db_copy_memo(demo_db, tmp_path) -> str:
    """A private copy of the shared demo store (this test imports into it)."""
    import sqlite3

    path = tmp_path / "portfolio.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()
    return str(path)

"""Partial reads give what a full load gives: some tables, the latest status updates, two
times at once (:mod:`pmo_nb.store.reading`), on SQLite and PostgreSQL.

Known answers: every frame :meth:`Store.load_pair` and ``Store.load(tables=...,
latest=...)`` return is compared with the same table of a plain ``Store.load`` at
the same time, on two imports of the demo and of a second portfolio, with a
project removed from the workbook, a plan that lost tasks, and tables empty in
the first import.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import store_fixtures
import watch_support
from pandas.testing import assert_frame_equal
from second_portfolio import renamed_portfolio
from watch_support import a_week_later, without

from pmo_nb.dates import latest_status
from pmo_nb.demo.generator import demo_portfolio
from pmo_nb.errors import StoreError
from pmo_nb.schema import TABLE_NAMES, TABLES
from pmo_nb.store.reading import LatestUpdates

pg, db, store = store_fixtures.pg, store_fixtures.db, store_fixtures.store  # fixtures
clock = watch_support.clock

#: Tables emptied in the first import of the "empty at first" scenario.
EMPTY_AT_FIRST = ("decisions", "demand", "requirements")


@pytest.fixture(scope="module")
def generated():
    return {"demo": demo_portfolio(n_projects=60, seed=7, as_of="2026-06-30"),
            "second": renamed_portfolio(80, 11)}


@pytest.fixture(params=["demo", "second", "demo, tables empty at first"])
def imported(request, generated, store, clock):
    """The store after two imports a week apart, and the two import times."""
    one = generated[request.param.split(",")[0]]
    first = without(one, *EMPTY_AT_FIRST) if "empty" in request.param else one
    for when, portfolio in (("2026-06-30T09:00", first), ("2026-07-07T09:00", a_week_later(one))):
        clock.set(when)
        store.import_portfolio(portfolio, source=when, file_checksums={})
    return store, [t.to_pydatetime() for t in store.history()["started_at"].sort_values()]


def assert_same(got, want, tables=TABLE_NAMES) -> None:
    for name in tables:
        assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True, obj=name)


def test_load_pair_is_two_loads(imported):
    store, (t1, t2) = imported
    full = store.load(as_of=t1), store.load(as_of=t2)
    for got, want in zip(store.load_pair(t1, t2), full, strict=True):
        assert_same(got, want)
    now = store.load_pair(t1)  # until=None: the current versions
    assert_same(now[0], full[0])
    assert_same(now[1], store.load())
    same = store.load_pair(t2, t2)
    assert_same(same[0], full[1])
    assert_same(same[1], full[1])
    # the second import changed rows, retired plan rows and kept the removed project
    assert len(full[1].tasks) < len(full[0].tasks)
    assert not full[0].projects.equals(full[1].projects)
    assert set(full[0].projects["project_id"]) < set(full[1].projects["project_id"])


def test_some_tables_and_latest_updates(imported):
    store, (t1, t2) = imported
    tables = ("projects", "status_updates", "risks", "demand", "decisions")
    latest = LatestUpdates(require="rag")
    full = store.load(as_of=t1), store.load(as_of=t2)
    pair = store.load_pair(t1, t2, tables=tables, latest=latest)
    one = store.load(as_of=t2, tables=tables, latest=latest)
    for got, want in zip([*pair, one], [*full, full[1]], strict=True):
        assert_same(got, want, [t for t in tables if t != "status_updates"])
        assert_frame_equal(got.status_updates, latest_status(want, require="rag"))
        assert_frame_equal(latest_status(got, require="rag"), latest_status(want, require="rag"))
        for name in set(TABLE_NAMES) - set(tables):  # not read: empty, with the spec's columns
            frame = getattr(got, name)
            assert frame.empty and list(frame.columns) == TABLES[name].column_names
    assert len(one.status_updates) < len(full[1].status_updates)


def test_latest_updates_on_or_before_a_day(imported):
    store, (_, t2) = imported
    full = store.load(as_of=t2)
    day = full.status_updates["as_of"].quantile(0.8).normalize()
    got = store.load(as_of=t2, tables=["status_updates"], latest=LatestUpdates(until=day))
    assert_frame_equal(got.status_updates, latest_status(full, day))
    assert got.status_updates["as_of"].max() <= day
    every = store.load(tables=["status_updates"], latest=LatestUpdates())
    assert_frame_equal(every.status_updates, latest_status(store.load()))


def test_a_store_with_one_import(store, clock, generated):
    clock.set("2026-06-30T09:00")
    store.import_portfolio(generated["second"], source="one", file_checksums={})
    (t,) = [x.to_pydatetime() for x in store.history()["started_at"]]
    full = store.load(as_of=t)
    for pair in (store.load_pair(t, t), store.load_pair(t), store.load_pair(t, t + dt.timedelta(
            days=3))):
        assert_same(pair[0], full)
        assert_same(pair[1], full)


def test_bad_reads_are_named(tmp_path, store, clock, generated):
    from pmo_nb.store.core import Store

    with pytest.raises(StoreError, match="holds no portfolio yet"):
        Store(tmp_path / "empty.db").load_pair("2026-01-01")
    clock.set("2026-06-30T09:00")
    store.import_portfolio(generated["demo"], source="one", file_checksums={})
    with pytest.raises(ValueError, match=r"tables=\['budgets'\]: not tables of the format"):
        store.load(tables=["projects", "budgets"])
    with pytest.raises(ValueError, match="is before since"):
        store.load_pair("2026-07-02", "2026-07-01")
    with pytest.raises(ValueError, match="require='colour': not a status_updates column"):
        LatestUpdates(require="colour")
    assert LatestUpdates(until=pd.Timestamp("2026-07-01 10:00")).until == dt.date(2026, 7, 1)

"""The store keeps every import as versions and loads consistent snapshots.

Each behaviour runs on the embedded SQLite store and, where a throwaway
PostgreSQL cluster can be started (tests/pg_cluster.py), on PostgreSQL too.
"""

from __future__ import annotations

import multiprocessing

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import store_fixtures
from pandas.testing import assert_frame_equal
from store_worker import import_once, make_portfolio, read_loop, run, write_loop

from pmo_nb.errors import StoreError, ValidationError
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLE_NAMES, TABLES, coerce_types
from pmo_nb.store.core import ImportConflict, Store
from pmo_nb.store.tables import DATA_TABLES

pg, db, store = store_fixtures.pg, store_fixtures.db, store_fixtures.store  # fixtures


def assert_portfolios_equal(got: Portfolio, want: Portfolio) -> None:
    for name in TABLE_NAMES:
        expected = want.tables()[name]
        if len(expected):
            expected = expected.sort_values(list(TABLES[name].key), kind="stable")
        assert_frame_equal(got.tables()[name], expected.reset_index(drop=True), obj=name)


def version_counts(store: Store) -> dict[str, int]:
    """Rows (all versions) per SQL table, for checking that nothing was written."""
    with store.engine.connect() as conn:
        return {n: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for n, t in DATA_TABLES.items()}


def test_round_trip_keeps_values_dtypes_and_extras(store):
    a = make_portfolio(30, 3)
    summary = store.import_portfolio(a, source="wb/", file_checksums={"projects.csv": "ab12"})
    got = store.load()
    assert_portfolios_equal(got, a)
    assert list(got.projects.columns)[-1] == "programme"  # the extra column, after the spec's
    assert got.checksum() == a.checksum() == summary.data_checksum
    assert got.source == store.url
    assert summary.inserted == {n: len(a.tables()[n]) for n in TABLE_NAMES}
    assert summary.totals()["changed"] == summary.totals()["retired"] == 0
    assert summary.started <= summary.finished


def test_empty_extra_columns_come_back_as_text(tmp_path):
    a = make_portfolio(3, 1)
    a.risks["note"] = pd.Series([None] * 3, dtype="str")
    store = Store(tmp_path / "new folder" / "p.db")  # the folder is created on first write
    store.import_portfolio(a, source="a", file_checksums={})
    assert_frame_equal(store.load().risks, a.risks)


def test_reimport_unchanged_writes_only_a_log_row(store):
    a = make_portfolio(30, 3)
    store.import_portfolio(a, source="first", file_checksums={"projects.csv": "x"})
    before = version_counts(store)
    second = store.import_portfolio(a, source="second", file_checksums={"projects.csv": "x"})
    assert version_counts(store) == before
    assert second.totals() == {"inserted": 0, "changed": 0, "retired": 0,
                               "unchanged": sum(len(f) for f in a.tables().values())}
    log = store.history()
    assert list(log["source"]) == ["second", "first"]  # newest first
    assert log.loc[0, ["inserted", "changed", "retired"]].tolist() == [0, 0, 0]
    assert log.loc[0, "details"] == ""
    assert log.loc[1, "inserted"] == sum(len(f) for f in a.tables().values())
    assert log.loc[0, "data_checksum"] == log.loc[1, "data_checksum"] == a.checksum()
    assert log.loc[0, "file_checksums"] == {"projects.csv": "x"}


def test_status_updates_accumulate_when_a_workbook_omits_old_ones(store):
    a = make_portfolio(10, 3)
    store.import_portfolio(a, source="march", file_checksums={})
    later = a.status_updates.copy()
    later["as_of"] = later["as_of"] + pd.DateOffset(months=3)
    store.import_portfolio(Portfolio(projects=a.projects, status_updates=later),
                           source="june", file_checksums={})
    got = store.load()
    assert len(got.status_updates) == 2 * len(a.status_updates)
    both = pd.concat([a.status_updates, later])
    assert_frame_equal(got.status_updates, both.sort_values(["project_id", "as_of"])
                       .reset_index(drop=True))
    assert len(got.alignment) == len(a.alignment)  # tables absent from the workbook are kept


def test_changed_budget_keeps_old_version_with_its_replacement_time(store):
    a = make_portfolio(10, 2)
    first = store.import_portfolio(a, source="v1", file_checksums={})
    b = Portfolio(**a.tables())
    b.projects = a.projects.copy()
    b.projects.loc[b.projects["project_id"] == "P00003", "budget"] = 999_000.0
    second = store.import_portfolio(b, source="v2", file_checksums={})
    assert second.changed["projects"] == 1 and second.inserted["projects"] == 0
    assert second.unchanged["projects"] == 9

    budget = lambda p: p.projects.set_index("project_id").at["P00003", "budget"]  # noqa: E731
    assert budget(store.load()) == 999_000.0
    assert budget(store.load(as_of=first.finished)) == budget(a)
    assert store.load(as_of=first.started - pd.Timedelta(seconds=1)).projects.empty
    t = DATA_TABLES["projects"]
    with store.engine.connect() as conn:
        old = conn.execute(sa.select(t.c.budget, t.c._valid_to, t.c._import_id).where(
            t.c.project_id == "P00003").order_by(t.c._valid_from)).all()
    assert [r.budget for r in old] == [budget(a), 999_000.0]
    assert old[0]._valid_to == second.started and old[1]._valid_to is None
    assert [r._import_id for r in old] == [first.import_id, second.import_id]


def test_bare_date_as_of_means_the_end_of_that_day(store):
    a = make_portfolio(5, 1)
    summary = store.import_portfolio(a, source="today", file_checksums={})
    day = summary.started.date()
    assert len(store.load(as_of=day).projects) == 5
    assert len(store.load(as_of=str(day)).projects) == 5
    assert store.load(as_of=day - pd.Timedelta(days=1)).projects.empty
    utc = pd.Timestamp(summary.started, tz="UTC")
    assert len(store.load(as_of=utc.tz_convert("America/New_York")).projects) == 5
    assert store.load(as_of=(utc - pd.Timedelta(seconds=1)).tz_convert("Asia/Tokyo")).projects.empty


def test_plan_tables_replace_the_set_of_each_project_in_the_workbook(store):
    a = make_portfolio(6, 1)
    store.import_portfolio(a, source="a", file_checksums={})
    new_alignment = coerce_types("alignment", pd.DataFrame(
        {"project_id": ["P00000"], "objective_id": ["O3"], "score": [4.0]}))
    summary = store.import_portfolio(
        Portfolio(objectives=a.objectives, projects=a.projects, alignment=new_alignment),
        source="b", file_checksums={})
    assert (summary.inserted["alignment"], summary.retired["alignment"]) == (1, 2)
    assert summary.retired["demand"] == 0  # absent table: every project keeps its set
    got = store.load()
    p0 = got.alignment[got.alignment["project_id"] == "P00000"]
    assert p0["objective_id"].tolist() == ["O3"]
    others = got.alignment[got.alignment["project_id"] != "P00000"].reset_index(drop=True)
    want = a.alignment[a.alignment["project_id"] != "P00000"].reset_index(drop=True)
    assert_frame_equal(others, want)
    assert len(got.demand) == len(a.demand)
    t = DATA_TABLES["alignment"]
    with store.engine.connect() as conn:
        closed = conn.execute(sa.select(t.c.objective_id).where(
            t.c.project_id == "P00000", t.c._valid_to.is_not(None))).scalars().all()
    assert sorted(closed) == ["O1", "O2"]  # retired, not deleted


def test_failing_reference_check_after_merge_writes_nothing(store):
    a = make_portfolio(8, 2)
    store.import_portfolio(a, source="good", file_checksums={})
    before, log_before = version_counts(store), store.history()
    bad = Portfolio(**a.tables())
    bad.projects = a.projects.copy()
    bad.projects.loc[0, "budget"] = 1.0  # a change that must be rolled back too
    bad.alignment = coerce_types("alignment", pd.DataFrame(
        {"project_id": ["P00001"], "objective_id": ["O9"], "score": [3.0]}))
    with pytest.raises(ValidationError) as err:
        store.import_portfolio(bad, source="bad", file_checksums={})
    assert err.value.source == "bad"
    assert err.value.problems["value"].tolist() == ["O9"]
    assert version_counts(store) == before
    assert_frame_equal(store.history(), log_before)
    assert_portfolios_equal(store.load(), a)


def test_references_may_point_at_rows_kept_from_earlier_imports(store):
    a = make_portfolio(4, 1)
    store.import_portfolio(a, source="all", file_checksums={})
    update = coerce_types("status_updates", pd.DataFrame({
        "project_id": ["P00002"], "as_of": ["2026-05-31"], "percent_complete": [50.0],
        "actual_cost": [10.0]}))
    summary = store.import_portfolio(Portfolio(status_updates=update), source="one update",
                                     file_checksums={})
    assert summary.inserted["status_updates"] == 1
    assert len(store.load().projects) == 4


def test_duplicate_keys_are_refused(store):
    a = make_portfolio(3, 1)
    a.projects = pd.concat([a.projects, a.projects.iloc[[1]]], ignore_index=True)
    with pytest.raises(ValidationError, match="duplicate key"):
        store.import_portfolio(a, source="dup", file_checksums={})
    assert store.history().empty


def test_results_keep_versions_and_round_trip(store):
    assert store.load_result("forecast", "cost") is None
    frame = pd.DataFrame({"project_id": pd.Series(["P1", "P2"], dtype="str"),
                          "month": pd.to_datetime(["2026-01-31", "2026-02-28"]),
                          "p50": [1.5, np.nan], "late": pd.array([True, None], dtype="boolean")})
    assert store.save_result("forecast", "cost", frame=frame, payload=b"\x00v1",
                             attrs={"draws": 500, "as_of": pd.Timestamp("2026-06-30")}) == 1
    assert store.save_result("forecast", "cost", payload=b"v2", attrs={"draws": 1000}) == 2
    store.save_result("scenario", "cut 10%", frame=frame.iloc[:1])
    got_frame, payload, attrs = store.load_result("forecast", "cost")
    assert (got_frame, payload, attrs) == (None, b"v2", {"draws": 1000})
    got_frame, payload, attrs = store.load_result("forecast", "cost", version=1)
    assert_frame_equal(got_frame, frame)
    assert payload == b"\x00v1" and attrs == {"as_of": "2026-06-30T00:00:00", "draws": 500}
    listing = store.list_results()
    assert sorted(zip(listing["kind"], listing["name"], listing["version"], strict=True)) == [
        ("forecast", "cost", 2), ("scenario", "cut 10%", 1)]
    only = store.list_results("scenario")
    assert only["has_frame"].tolist() == [True] and only["payload_bytes"].isna().all()


def test_empty_store_reads_clearly_and_creates_no_file(tmp_path):
    path = tmp_path / "nothing.db"
    store = Store(path)
    with pytest.raises(StoreError, match="no portfolio yet"):
        store.load()
    assert store.history().empty and list(store.history().columns)[:2] == [
        "import_id", "started_at"]
    assert store.list_results().empty and store.schema_version() is None
    assert not path.exists()


def test_sqlite_store_uses_wal_journal(tmp_path):
    store = Store(tmp_path / "p.db")
    store.import_portfolio(make_portfolio(2, 1), source="a", file_checksums={})
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_readers_see_one_import_or_the_other_never_a_mix(store):
    """A writer alternates imports of A and B while 3 reader processes load."""
    a, b = make_portfolio(200, 12, "A", seed=1), make_portfolio(200, 12, "B", seed=1)
    expected = {a.checksum(), b.checksum()}
    assert len(expected) == 2
    db = store.engine.url.render_as_string(hide_password=False)
    store.import_portfolio(a, source="start", file_checksums={})
    jobs = [("writer", write_loop, (db, [b, a], 6))]
    jobs += [(f"reader {i}", read_loop, (db, 100, 3)) for i in range(3)]
    results = run_processes(jobs)
    written = results.pop("writer")
    seen = list(results.values())
    assert written == [b.checksum(), a.checksum()] * 3
    loads = [c for s in seen for c in s]
    errors = [c for c in loads if c.startswith("error")]
    assert not errors, errors[0]
    assert set(loads) <= expected, "a reader saw a mix of two imports"
    assert set(loads) == expected  # the readers ran while the writer switched versions


def test_concurrent_writers_take_turns(store):
    """Two importer processes at once: every import succeeds, one after the other."""
    a, b = make_portfolio(100, 6, "A", seed=2), make_portfolio(100, 6, "B", seed=2)
    db = store.engine.url.render_as_string(hide_password=False)
    store.import_portfolio(a, source="start", file_checksums={})
    run_processes([(f"writer {i}", write_loop, (db, [a, b] if i else [b, a], 3))
                   for i in range(2)])
    log = store.history()
    assert len(log) == 7
    assert log["started_at"].is_monotonic_decreasing and log["started_at"].is_unique
    assert (log["finished_at"] >= log["started_at"]).all()
    # each import started after the previous one had finished: they were serialised
    assert (log["started_at"].iloc[:-1].to_numpy() >= log["finished_at"].iloc[1:].to_numpy()).all()
    assert store.load().checksum() == log.loc[0, "data_checksum"]
    assert set(log["data_checksum"]) == {a.checksum(), b.checksum()}


def run_processes(jobs: list[tuple]) -> dict[str, list[str]]:
    """Run ``(name, loop, args)`` jobs in spawned processes started together."""
    ctx = multiprocessing.get_context("spawn")
    barrier, done, queue = ctx.Barrier(len(jobs)), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=run, args=(queue, name, loop, *args, barrier, done))
             for name, loop, args in jobs]
    for p in procs:
        p.start()
    try:
        results = dict(queue.get(timeout=300) for _ in procs)
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.terminate()
    assert [p.exitcode for p in procs] == [0] * len(jobs), results
    return results


def edited(base: Portfolio, project: str, budget: float, name: str) -> Portfolio:
    """The whole workbook as exported, with one project's budget changed."""
    out = Portfolio(**base.tables(), source=name)
    out.projects = base.projects.copy()
    out.projects.loc[out.projects["project_id"] == project, "budget"] = budget
    return out


def test_two_analysts_editing_one_export_at_once(store):
    """Same row changed by both: one import wins, the other is refused and told by whom.
    Different rows changed (edits of one export, imported in turn): both kept."""
    base = make_portfolio(20, 2)
    start = store.import_portfolio(base, source="export", file_checksums={}).import_id
    db = store.engine.url.render_as_string(hide_password=False)
    results = run_processes([
        (name, import_once, (db, edited(base, "P00001", budget, name), start))
        for name, budget in (("anna", 1.0), ("ben", 2.0))])
    winner = next(n for n, r in results.items() if r[0].startswith("ok"))
    loser = next(n for n, r in results.items() if r[0].startswith("conflict"))
    won_id = int(results[winner][0].split()[1])
    message = results[loser][0]
    assert f"based on import {start}" in message and f"import {won_id} (" in message
    assert f"from {winner})" in message and "projects: P00001" in message
    assert "--force" in message
    assert len(store.history()) == 2  # the refused import left nothing, not even a log row
    budget = store.load().projects.set_index("project_id")["budget"]
    assert budget["P00001"] == (1.0 if winner == "anna" else 2.0)

    now = store.history().loc[0, "import_id"]  # two more edits of one export, one at a time
    current = store.load()
    kept = [store.import_portfolio(edited(current, project, 5.0, name), source=name,
                                   file_checksums={}, based_on=now).kept["projects"]
            for name, project in (("anna", "P00002"), ("ben", "P00003"))]
    assert kept == [0, 1]  # ben's workbook still had P00002 as exported: anna's change stays
    budget = store.load().projects.set_index("project_id")["budget"]
    assert budget[["P00001", "P00002", "P00003"]].tolist() == [budget["P00001"], 5.0, 5.0]
    log = store.history()
    assert log["based_on"].tolist()[:2] == [now, now]
    assert log["details"].tolist()[:2] == ["projects: 1 changed"] * 2


def test_merge_keeps_later_changes_refuses_clashes_and_force_overwrites(store):
    base = make_portfolio(6, 1)
    first = store.import_portfolio(base, source="base", file_checksums={}).import_id
    later = edited(base, "P00001", 7.0, "colleague")
    later.alignment = later.alignment[later.alignment["project_id"] != "P00002"]
    later.alignment = pd.concat([later.alignment, coerce_types("alignment", pd.DataFrame(
        {"project_id": ["P00002"], "objective_id": ["O3"], "score": [1.0]}))],
        ignore_index=True)
    store.import_portfolio(later, source="colleague", file_checksums={})
    mine = edited(base, "P00004", 9.0, "mine")  # stale P00001 and P00002's old plan rows
    summary = store.import_portfolio(mine, source="mine", file_checksums={}, based_on=first)
    assert summary.changed["projects"] == 1 and summary.kept["projects"] == 1
    assert summary.kept["alignment"] == 3  # 2 stale rows not revived, the new one not retired
    got = store.load()
    assert got.projects.set_index("project_id")["budget"][["P00001", "P00004"]].tolist() == [
        7.0, 9.0]
    assert got.alignment[got.alignment["project_id"] == "P00002"]["objective_id"].tolist() == [
        "O3"]
    clash = edited(base, "P00001", 8.0, "clash")
    with pytest.raises(ImportConflict, match=r"colleague\) changed:\n    projects: P00001$"
                       r"|colleague\) changed:\n    projects: P00001\n"):
        store.import_portfolio(clash, source="clash", file_checksums={}, based_on=first)
    with pytest.raises(StoreError, match="no import 99"):
        store.import_portfolio(clash, source="clash", file_checksums={}, based_on=99)
    forced = store.import_portfolio(clash, source="clash", file_checksums={}, based_on=first,
                                    force=True)
    assert forced.changed["projects"] == 2  # P00001 to 8, P00004 back to the base
    assert store.load().projects.set_index("project_id").at["P00001", "budget"] == 8.0

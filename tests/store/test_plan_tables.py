"""The plan and governance tables in the store: round trips, plan sets, the 0003 upgrade."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from pmo_nb.errors import ValidationError
from pmo_nb.io.blank_workbook import example_portfolio
from pmo_nb.io.reading import read_workbook
from pmo_nb.io.validation import validate
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLE_NAMES, TABLES
from pmo_nb.store.core import Store
from pmo_nb.store.export import export_portfolio
from pmo_nb.store.tables import HEAD

OLD_STORE = Path(__file__).parents[1] / "data" / "store_before_packages.db"
NEW_TABLES = ("tasks", "task_links", "holidays", "requirements", "change_requests",
              "decisions", "people")


def assert_same(got: Portfolio, want: Portfolio) -> None:
    """Equal table by table (the store keeps rows in key order)."""
    assert got.checksum() == want.checksum()
    for name in TABLE_NAMES:
        key = list(TABLES[name].key)
        frames = [p.tables()[name].sort_values(key).reset_index(drop=True) for p in (got, want)]
        assert_frame_equal(*frames, check_exact=True, obj=name)


def test_import_load_and_export_round_trips_keep_every_new_table(tmp_path):
    want = example_portfolio()
    assert all(len(want.tables()[n]) for n in NEW_TABLES)
    store = Store(tmp_path / "p.db")
    store.import_portfolio(want, source="example", file_checksums={})
    assert_same(store.load(), want)
    again = store.import_portfolio(want, source="again", file_checksums={})
    assert again.totals()["changed"] == again.totals()["inserted"] == 0
    for dest in ("book", "book.xlsx"):
        fresh = Store(tmp_path / f"{dest}.db")
        book = validate(read_workbook(export_portfolio(tmp_path / dest, db=store.url)))
        fresh.import_portfolio(book, source=dest, file_checksums={})
        assert_same(fresh.load(), want)


def test_a_projects_plan_is_its_tasks_and_links_replaced_together(tmp_path):
    first = example_portfolio()
    store = Store(tmp_path / "p.db")
    store.import_portfolio(first, source="first", file_checksums={})
    replanned = Portfolio(**first.tables())
    replanned.tasks = first.tasks.iloc[:1].copy()  # TK002 dropped, and with it the link
    replanned.task_links = first.task_links.iloc[:0]
    summary = store.import_portfolio(replanned, source="re-plan", file_checksums={})
    assert summary.retired["tasks"] == 1 and summary.retired["task_links"] == 1
    now = store.load()
    assert now.tasks["task_id"].tolist() == ["TK001"] and now.task_links.empty
    # a workbook without the project's tasks leaves its plan alone
    summary = store.import_portfolio(Portfolio(projects=first.projects), source="projects",
                                     file_checksums={})
    assert sum(summary.retired.values()) == 0
    assert store.load().tasks["task_id"].tolist() == ["TK001"]
    assert store.load(as_of=summary.started.date().replace(year=2000)).tasks.empty


def test_a_store_at_0002_loads_then_upgrades_keeping_every_row(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(OLD_STORE, path)
    store = Store(path)
    assert store.revision() == "0002"
    before = store.load()  # readable before the upgrade: the new tables are empty
    assert all(before.tables()[n].empty for n in NEW_TABLES)
    assert before.risks["task_id"].isna().all() and len(before.risks) == 86
    with store.engine.connect() as conn:
        rows = {n: conn.execute(sa.text(f"SELECT * FROM {n} ORDER BY _rowid")).all()
                for n in TABLE_NAMES if n not in NEW_TABLES}
    assert store.upgrade() == ("0002", HEAD)
    with store.engine.connect() as conn:
        for name, old in rows.items():
            got = conn.execute(sa.text(f"SELECT * FROM {name} ORDER BY _rowid")).all()
            if name == "risks":  # the new task_id column is last, and empty
                assert {r[-1] for r in got} == {None}
                got = [r[:-1] for r in got]
            assert got == old, name
    after = store.load()
    assert after.checksum() == before.checksum()
    summary = store.import_portfolio(after, source="same again", file_checksums={})
    assert summary.totals()["changed"] == summary.totals()["inserted"] == 0
    assert store.upgrade("0002") == (HEAD, "0002")  # downgrade keeps the old rows too
    assert store.load().checksum() == before.checksum()


def test_a_workbook_replans_only_its_projects_and_keeps_references_whole(tmp_path):
    first = example_portfolio()
    other = first.tasks.assign(task_id=["TK101", "TK102"], project_id="P000",
                               percent_complete=0.0, actual_start=pd.NaT, actual_finish=pd.NaT)
    first.tasks = pd.concat([first.tasks, other], ignore_index=True)
    first.task_links = pd.concat([first.task_links, first.task_links.assign(
        predecessor="TK101", successor="TK102", type="SS")], ignore_index=True)
    store = Store(tmp_path / "p.db")
    store.import_portfolio(first, source="first", file_checksums={})
    only_p001 = Portfolio(projects=first.projects, tasks=first.tasks.iloc[:2],
                          task_links=first.task_links.iloc[:1])
    summary = store.import_portfolio(only_p001, source="P001 again", file_checksums={})
    assert sum(summary.retired.values()) == 0 and summary.totals()["inserted"] == 0
    assert store.load().task_links["predecessor"].tolist() == ["TK001", "TK101"]
    # a stored risk naming a task the new plan drops: refused, nothing written
    risky = Portfolio(**store.load().tables())
    risky.risks = risky.risks.assign(task_id="TK102", project_id="P000")
    store.import_portfolio(risky, source="risk on TK102", file_checksums={})
    replan = Portfolio(projects=first.projects, tasks=other.iloc[:1])
    with pytest.raises(ValidationError, match=r"risks.*task_id.*TK102.*must exist in tasks"):
        store.import_portfolio(replan, source="drops TK102", file_checksums={})
    assert len(store.history()) == 3 and len(store.load().tasks) == 4

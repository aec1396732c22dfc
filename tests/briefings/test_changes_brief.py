"""The executive summary opens with the changes since the previous import, escaped."""

from __future__ import annotations

import pytest
from watch_support import two_imports, week_one

from pmo_nb.briefings import changes_markdown, changes_since_previous
from pmo_nb.store.core import Store


@pytest.fixture
def store(tmp_path):
    found = Store(tmp_path / "portfolio.db")
    yield found
    found.close()


def test_opens_with_the_changes_since_the_previous_import(store, clock):
    two_imports(store, clock)
    # a summary dated 2026-11-10 reads the import of 2026-11-09 and the forecast of 11-10
    brief = changes_since_previous(store, "2026-11-10")
    assert brief.table.attrs["since_import"] == 1 and brief.table.attrs["until_import"] == 2
    text = changes_markdown(brief, limit=3)
    lines = text.splitlines()
    assert lines[0] == ("Since import 1 \\(to import 2\\): 14 changes; forecasts 2026-11-03 "
                        "v1 -&gt; 2026-11-10 v1.")
    assert lines[2].startswith("- P\\(over budget\\) of P1 Project P1 rose from 20% to 45%")
    assert lines[5] == ("- and 11 more \\(1 rebaselined\\_budget, 1 rebaselined\\_finish, "
                        "1 risk\\_new, 1 risk\\_closed, 2 risk\\_escalated, "
                        "1 benefit\\_off\\_track, 1 decision\\_overdue, 1 capacity\\_over, "
                        "1 project\\_new, 1 project\\_closed\\)")
    # the import of 2026-11-02 is the first: nothing to compare
    first = changes_since_previous(store, "2026-11-02")
    assert first.table is None
    assert changes_markdown(first) == ("No changes shown: import 1 is the first: there is no "
                                       "previous import to compare with.")


def test_store_text_is_escaped(store, clock):
    clock.set("2026-11-02T09:00:00")
    one = week_one()
    store.import_portfolio(one, source="w1", file_checksums={})
    tables = one.tables()
    projects = tables["projects"].copy()
    projects.loc[0, "name"] = "<img src=x onerror=alert(1)>"
    projects.loc[0, "budget"] = 2000.0
    tables["projects"] = projects
    clock.set("2026-11-09T09:00:00")
    store.import_portfolio(type(one)(**tables), source="w2", file_checksums={})
    text = changes_markdown(changes_since_previous(store))
    assert "<img" not in text and "&lt;img src=x onerror=alert\\(1\\)&gt;" in text

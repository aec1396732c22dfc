"""No text from a workbook becomes live markup in any report page or index.

Every text and id column of every table of the format gets the payloads of
``tests/payloads.py``; the workbook goes in through ``pmo import``; every
notebook runs through the report runner as in production (the forecast
first, so the pages that show it have one); every page and index is parsed
with an HTML parser. A new table, column or page is covered without editing
this test.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from payloads import MARK, live_payloads, poisoned_store

from pmo_nb.config import notebooks_dir
from pmo_nb.reports import run_report, write_indexes
from pmo_nb.store import Store

AS_OF = "2026-06-30"
pytestmark = pytest.mark.slow


def _smoke(name: str) -> dict:
    book = nbformat.read(notebooks_dir() / f"{name}.ipynb", as_version=4)
    return dict(book.metadata.get("pmo", {}).get("smoke_parameters", {}))


@pytest.fixture(scope="module")
def poisoned_pages(tmp_path_factory):
    """(out folder, store) after every report ran on the poisoned portfolio."""
    root = tmp_path_factory.mktemp("payload")
    db = poisoned_store(root, AS_OF)
    store = Store(db)
    projects = store.load().projects
    active = projects.loc[projects["stage"] == "active", "project_id"].iloc[0]
    assert MARK in active  # ids carry the payload too
    out = root / "reports"
    names = ["risk_forecast"] + sorted(p.stem for p in notebooks_dir().glob("*.ipynb")
                                       if p.stem != "risk_forecast")
    for name in names:
        parameters = _smoke(name) | ({"project_id": active} if name == "project_status" else {})
        record = run_report(name, as_of=AS_OF, db=db, out=out, parameters=parameters,
                            timeout=600)
        assert record["status"] == "succeeded", (name, record.get("reason"))
    write_indexes(out, AS_OF)
    return out, store


def test_every_page_and_index_shows_the_payloads_as_text(poisoned_pages):
    out, _ = poisoned_pages
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 10
    live = {str(p.relative_to(out)): found for p in pages
            if (found := live_payloads(p.read_text(encoding="utf-8")))}
    assert not live, json.dumps(live, indent=1)[:6000]


def test_the_payloads_are_on_the_pages_as_text(poisoned_pages):
    """The check above could pass by dropping the text: the names must still be shown."""
    out, store = poisoned_pages
    status = next(out.rglob("project_status*.html")).read_text(encoding="utf-8")
    assert "&lt;img src=x onerror" in status or "&lt;img src=x onerror".replace(
        "&lt;", "&#60;") in status

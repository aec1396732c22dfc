"""The change-request form as a person uses it, in headless Chromium.

One Voila server, started as ``pmo serve --intake-db`` starts it: it reads a
store of this module's own and writes to another (the writer). Every request
a page makes is recorded: anything leaving 127.0.0.1 fails the test.
"""

from __future__ import annotations

import pytest
from browser_util import (
    BROWSER_MARKS,
    LOAD_TIMEOUT_MS,
    SERVER_ORIGINS,
    WAIT_MS,
    outside,
    screenshot_on_failure,
    seeded_store,
    wait_text,
)

from pmo_nb.dates import LIVE_STAGES
from pmo_nb.governance import change_form as cf
from pmo_nb.store.core import Store

pytestmark = BROWSER_MARKS

CHANGE_REQUEST = "/voila/render/change_request.ipynb"


@pytest.fixture(scope="module")
def store_path(demo_small, tmp_path_factory) -> str:
    return seeded_store(demo_small, tmp_path_factory.mktemp("cr-reader"))


@pytest.fixture(scope="module")
def writer_path(demo_small, tmp_path_factory) -> str:
    return seeded_store(demo_small, tmp_path_factory.mktemp("cr-writer"))


@pytest.fixture(scope="module")
def serving_options(writer_path) -> dict:
    return {"intake_db": writer_path}


def _fill(page, key: str, value: str, tag: str = "input") -> None:
    field = page.locator(f".pmo-cr-{key} {tag}")
    field.fill(value)
    field.press("Tab")  # a FloatText sends its value when it loses focus


def _state(db: str) -> tuple[str, int]:
    store = Store(db)
    return store.load().checksum(), len(store.history())


def test_change_form_rejects_an_invalid_change_and_saves_a_valid_one(
        server, page, store_path, writer_path, demo_small):
    projects = demo_small.projects
    chosen = projects[projects["stage"].isin(LIVE_STAGES)].sort_values("project_id").iloc[0]
    label = f"{chosen['project_id']} {chosen['name']}"
    want_id = cf.next_change_id(demo_small)
    with screenshot_on_failure(page, "change_request"):
        page.goto(server.base + CHANGE_REQUEST)
        page.wait_for_selector(".pmo-cr-save", state="visible", timeout=LOAD_TIMEOUT_MS)
        before, written = _state(store_path), _state(writer_path)

        page.locator(".pmo-cr-project select").select_option(label=label)
        _fill(page, "cost", "2,5k")  # a decimal comma: not read, refused by the import rules
        _fill(page, "days", "14")
        _fill(page, "reason", "Regulator asked for a report", tag="textarea")
        page.click(".pmo-cr-save")  # no title yet
        errors = page.locator(".pmo-cr-errors")
        errors.locator("text=nothing was saved").wait_for(timeout=WAIT_MS)
        text = errors.inner_text()
        assert "Title" in text and "required" in text
        assert "Cost impact" in text and "2,5k" in text and "must be a number" in text
        assert _state(store_path) == before and _state(writer_path) == written

        _fill(page, "title", "Browser change")
        _fill(page, "cost", "25k")
        wait_text(page, ".pmo-cr-cost-hint", "= 25,000")
        page.click(".pmo-cr-save")
        page.wait_for_selector(".pmo-cr-saved-id", timeout=WAIT_MS)
        assert page.inner_text(".pmo-cr-saved-id") == want_id
        assert page.inner_text(".pmo-cr-errors").strip() == ""
        assert "if approved (+25.0 k)" in page.inner_text(".pmo-cr-effect-budget")
        assert "if approved (+14 days)" in page.inner_text(".pmo-cr-effect-finish")
    saved = Store(writer_path).load().change_requests.set_index("change_id").loc[want_id]
    assert (saved["project_id"], saved["title"], saved["status"]) == (
        chosen["project_id"], "Browser change", "proposed")
    assert (saved["cost_impact"], saved["schedule_impact_days"]) == (25000.0, 14.0)
    assert saved["reason"] == "Regulator asked for a report"
    assert len(Store(writer_path).history()) == written[1] + 1
    assert _state(store_path) == before  # the reader store is unchanged
    assert outside(page.requested, SERVER_ORIGINS) == []

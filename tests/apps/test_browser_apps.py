"""The executive dashboard and the proposal intake as a person uses them, in headless Chromium.

One Voila server, started as ``pmo serve --intake-db`` starts it, on a store
of this module's own (the intake writes to it). Every request a page makes
is recorded: anything leaving 127.0.0.1 fails the test.
"""

from __future__ import annotations

import pytest
from browser_util import (
    BROWSER_MARKS,
    LOAD_TIMEOUT_MS,
    SERVER_ORIGINS,
    WAIT_MS,
    kpi_value,
    outside,
    screenshot_on_failure,
    seeded_store,
    wait_text,
)

from pmo_nb.briefings import executive as executive
from pmo_nb.store.core import Store

pytestmark = BROWSER_MARKS

EXECUTIVE = "/voila/render/executive.ipynb"
INTAKE = "/voila/render/intake.ipynb"


@pytest.fixture(scope="module")
def store_path(demo_small, tmp_path_factory) -> str:
    """A store of this module's own: the intake writes to it."""
    return seeded_store(demo_small, tmp_path_factory.mktemp("apps-store"))


@pytest.fixture(scope="module")
def serving_options(store_path) -> dict:
    return {"intake_db": store_path}


def test_executive_dashboard_filters_and_drills_down(server, page, demo_small):
    with screenshot_on_failure(page, "executive_dashboard"):
        page.goto(server.base + EXECUTIVE)
        for key in ("rag", "rag-trend", "benefits", "capacity", "risks"):
            page.wait_for_selector(f".pmo-chart-{key} svg.marks", state="visible",
                                   timeout=LOAD_TIMEOUT_MS)
        assert kpi_value(page, "projects") == str(len(demo_small.projects))
        # no forecast was persisted in this store: the page says so, and draws none
        assert executive.NO_FORECAST in page.inner_text(".pmo-chart-overrun")
        assert kpi_value(page, "likely-overruns") == executive.NO_FORECAST
        before = page.inner_html(".pmo-chart-rag-trend svg.marks")

        data = executive.prepare(demo_small, page_as_of(page))
        category = str(demo_small.projects["category"].value_counts().index[-1])
        ids = executive.select(data, category=category)
        kpis = executive.view(data, ids)["kpis"]
        page.select_option(".pmo-filter-category select", category)
        # each tile is its own widget message: wait until all three show the filtered numbers
        want = {"projects": len(ids), "live": kpis["live"], "red": kpis["red"]}
        page.wait_for_function(
            "want => Object.entries(want).every(([k, v]) => document.querySelector("
            "`.pmo-kpi-${k} .pmo-kpi-value`)?.textContent.trim() === String(v))",
            arg=want, timeout=WAIT_MS)
        assert {k: kpi_value(page, k) for k in want} == {k: str(v) for k, v in want.items()}
        page.wait_for_function(
            "([sel, old]) => document.querySelector(sel)?.innerHTML !== old",
            arg=[".pmo-chart-rag-trend svg.marks", before], timeout=WAIT_MS)

        chosen = sorted(ids)[0]
        name = demo_small.projects.set_index("project_id").at[chosen, "name"]
        # options: "(choose a project)", then the filtered projects by id
        page.select_option(".pmo-project select", index=1)
        wait_text(page, ".pmo-project-name", name)
        assert executive.NO_FORECAST in page.inner_text(".pmo-project-forecast")
        page.wait_for_selector(".pmo-chart-history svg.marks", state="visible", timeout=WAIT_MS)
    assert outside(page.requested, SERVER_ORIGINS) == []


def page_as_of(page) -> str:
    """The reporting date the dashboard shows (its default is today)."""
    return page.inner_text("text=Reporting date >> b").strip()


def _fill(page, key: str, value: str) -> None:
    page.fill(f".pmo-intake-{key} input", value)


def _proposal(page, *, finish: str, budget: str, team: str) -> None:
    """Fill the form (a Dropdown's options are matched by their label)."""
    _fill(page, "name", "Browser proposal")
    page.select_option(".pmo-intake-category select", "IT")  # chosen, not typed
    _fill(page, "start", "2026-09-01")  # a date picker: <input type="date">
    _fill(page, "finish", finish)
    _fill(page, "budget", budget)
    row = page.locator(".pmo-intake-demand-row").first
    row.locator("select").select_option(label=team)
    inputs = row.locator("input")
    inputs.nth(0).fill("2026-09")
    inputs.nth(1).fill("2026-11")
    inputs.nth(2).fill("2")


def _state(db: str) -> tuple[str, int]:
    store = Store(db)
    return store.load().checksum(), len(store.history())


def test_intake_rejects_an_invalid_proposal_and_saves_a_valid_one(server, page, store_path,
                                                                   demo_small):
    first = demo_small.teams.iloc[0]
    team = f"{first['team_id']} {first['name']}"
    with screenshot_on_failure(page, "intake"):
        page.goto(server.base + INTAKE)
        page.wait_for_selector(".pmo-intake-save", state="visible", timeout=LOAD_TIMEOUT_MS)
        before = _state(store_path)

        _proposal(page, finish="2026-03-01", budget="lots", team=team)
        page.click(".pmo-intake-save")
        errors = page.locator(".pmo-intake-errors")
        errors.locator("text=nothing was saved").wait_for(timeout=WAIT_MS)
        text = errors.inner_text()
        assert "finish_date must be >= start_date" in text and "must be a number" in text
        assert _state(store_path) == before  # nothing written

        _fill(page, "finish", "2027-06-30")
        _fill(page, "budget", "€1.5M")  # read as money, and said so beside the field
        wait_text(page, ".pmo-intake-budget-hint", "= 1,500,000")
        page.click(".pmo-intake-save")
        page.wait_for_selector(".pmo-intake-saved-id", timeout=WAIT_MS)
        assert page.inner_text(".pmo-intake-saved-id") == "PR0001"
        assert page.inner_text(".pmo-intake-errors").strip() == ""
        assert "Would rank" in page.inner_text(".pmo-intake-rank")
    saved = Store(store_path).load()
    row = saved.projects.set_index("project_id").loc["PR0001"]
    assert (row["name"], row["stage"], row["budget"]) == ("Browser proposal", "proposed", 1.5e6)
    assert len(saved.demand[saved.demand["project_id"] == "PR0001"]) == 3
    assert len(Store(store_path).history()) == before[1] + 1
    assert outside(page.requested, SERVER_ORIGINS) == []

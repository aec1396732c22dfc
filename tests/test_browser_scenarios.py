"""The scenario explorer as a person uses it, in headless Chromium.

Voila is started as ``pmo serve`` starts it, on the small demo store. The test
moves the budget slider (typing into its readout, as a keyboard user can),
waits for the selection to change, and fails on any request leaving 127.0.0.1.
"""

from __future__ import annotations

import pytest
from browser_util import CHROMIUM_ARGS, SERVER_ORIGINS, VoilaServer, outside, screenshot_on_failure
from conftest import chromium_path

from pmo_nb.frontier import default_budget
from pmo_nb.selection import select_portfolio

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium not found at /usr/bin/chromium (Debian: apt-get install chromium)",
    ),
]

LOAD_TIMEOUT_MS = 120_000
EXPLORER = "/voila/render/scenario_explorer.ipynb"
LOW_BUDGET = 1_000_000


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    voila = VoilaServer(demo_db, tmp_path_factory.mktemp("jupyter-config"))
    try:
        voila.wait_ready()
        yield voila
    finally:
        voila.stop()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_budget_slider_reselects(server, browser, demo_small):
    start = select_portfolio(demo_small, round(default_budget(demo_small), -3))
    low = select_portfolio(demo_small, LOW_BUDGET)
    assert len(low.selected) < len(start.selected)  # the demo makes the change visible

    context = browser.new_context(viewport={"width": 1300, "height": 1600})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        with screenshot_on_failure(page, "scenario_explorer_budget"):
            page.goto(server.base + EXPLORER)
            count = page.locator(".pmo-selected-count")
            count.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
            page.wait_for_selector(".pmo-chart-frontier svg.marks", state="visible",
                                   timeout=LOAD_TIMEOUT_MS)
            assert count.inner_text().strip() == str(len(start.selected))
            assert page.inner_text(".pmo-selected-ids").strip() == ", ".join(start.selected)

            readout = page.locator(".pmo-budget .widget-readout")
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type(str(LOW_BUDGET))
            page.keyboard.press("Enter")

            page.wait_for_function(
                "want => document.querySelector('.pmo-selected-count')?.textContent.trim() "
                "=== want", arg=str(len(low.selected)), timeout=30_000)
            assert page.inner_text(".pmo-selected-ids").strip() == ", ".join(low.selected)
            assert "1,000,000 budget" in page.inner_text(".pmo-summary")
    finally:
        context.close()
    assert outside(requested, SERVER_ORIGINS) == []
    assert any(u.startswith(server.base + EXPLORER) for u in requested)

"""The scenario explorer as a person uses it, in headless Chromium.

Voila is started as ``pmo serve`` starts it, on the small demo store. The test
moves the budget slider (typing into its readout, as a keyboard user can),
waits for the selection to change, and fails on any request leaving 127.0.0.1.
"""

from __future__ import annotations

from browser_util import (
    BROWSER_MARKS,
    LOAD_TIMEOUT_MS,
    SERVER_ORIGINS,
    outside,
    recording_page,
    screenshot_on_failure,
    wait_text,
)

from pmo_nb.prioritise.frontier import default_budget
from pmo_nb.prioritise.selection import select_portfolio

pytestmark = BROWSER_MARKS

EXPLORER = "/voila/render/scenario_explorer.ipynb"
LOW_BUDGET = 1_000_000


def _named(selection) -> str:
    names = selection.table["name"]
    return ", ".join(f"{pid} {names[pid]}" for pid in selection.selected)


def test_budget_slider_reselects(server, browser, demo_small):
    start = select_portfolio(demo_small, round(default_budget(demo_small), -3))
    low = select_portfolio(demo_small, LOW_BUDGET)
    assert len(low.selected) < len(start.selected)  # the demo makes the change visible

    with (recording_page(browser, 1300, 1600) as page,
          screenshot_on_failure(page, "scenario_explorer_budget")):
        page.goto(server.base + EXPLORER)
        count = page.locator(".pmo-selected-count")
        count.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_selector(".pmo-chart-frontier svg.marks", state="visible",
                               timeout=LOAD_TIMEOUT_MS)
        assert count.inner_text().strip() == str(len(start.selected))
        # the weight sliders say which objective they weigh, by name
        for row in demo_small.objectives.itertuples():
            label = page.inner_text(f".pmo-weight-{row.objective_id} .widget-label").strip()
            assert label == row.name
        # the funded projects are named, not bare ids
        assert page.inner_text(".pmo-selected-ids").strip() == _named(start)

        readout = page.locator(".pmo-budget .widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(str(LOW_BUDGET))
        page.keyboard.press("Enter")

        wait_text(page, ".pmo-selected-count", str(len(low.selected)))
        assert page.inner_text(".pmo-selected-ids").strip() == _named(low)
        assert "1,000,000 budget" in page.inner_text(".pmo-summary")
    assert outside(page.requested, SERVER_ORIGINS) == []
    assert any(u.startswith(server.base + EXPLORER) for u in page.requested)

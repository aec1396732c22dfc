"""The first screen (1400x900) of each dashboard holds its "What to know" block.

Served by Voila as ``pmo serve`` serves them, on the small demo and on a second
portfolio of another size with other categories, people and names: the
dashboards and the two forms (proposal intake, change request). Every chart
has its "how to read this" line under it. A screenshot of each first
screen goes to the artefacts folder for a reviewer (the full page too when a
check fails).
"""

from __future__ import annotations

import pytest
from browser_util import (
    BROWSER_MARKS,
    LOAD_TIMEOUT_MS,
    first_screen_box,
    keep_screenshot,
    recording_page,
    screenshot_on_failure,
    seeded_store,
    serving,
)
from second_portfolio import renamed_portfolio

from pmo_nb.briefings.what_to_know import BLOCK_CLASS, LIMIT

pytestmark = BROWSER_MARKS

#: Dashboard notebook -> the chart boxes it draws first.
APPS = {"portfolio_health": ("stage", "budget", "rag", "cpi-spi"),
        "executive": ("rag", "rag-trend", "benefits", "capacity", "risks"),
        "scenario_explorer": ("ranking", "frontier"),
        # the forms draw no chart: their block says what a proposer or a change needs
        "intake": (), "change_request": ()}
HEIGHT = 900


@pytest.fixture(scope="module", params=["demo", "second"])
def server(request, demo_small, tmp_path_factory):
    """One Voila server per portfolio (read-only use: nothing here writes)."""
    folder = tmp_path_factory.mktemp(f"first-screen-{request.param}")
    portfolio = demo_small if request.param == "demo" else renamed_portfolio()
    db = seeded_store(portfolio, folder, request.param)
    with serving(db, folder / "jupyter-config") as voila:
        yield request.param, voila


@pytest.mark.parametrize("app", sorted(APPS))
def test_first_screen_holds_what_to_know(browser, server, app):
    portfolio, voila = server
    with recording_page(browser, 1400, HEIGHT) as page, \
            screenshot_on_failure(page, f"first-screen-{portfolio}-{app}"):
        page.goto(f"{voila.base}/voila/render/{app}.ipynb", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_selector(f".{BLOCK_CLASS} li", timeout=LOAD_TIMEOUT_MS)
        for key in APPS[app]:
            page.wait_for_selector(f".pmo-chart-{key} svg.marks", state="visible",
                                   timeout=LOAD_TIMEOUT_MS)
        keep_screenshot(page, f"app-{portfolio}-{app}")
        box = first_screen_box(page, f".{BLOCK_CLASS}")
        assert box["height"] > 0 and box["y"] + box["height"] <= HEIGHT, box
        assert 1 <= len(page.query_selector_all(f".{BLOCK_CLASS} li")) <= LIMIT
        for key in APPS[app]:
            line = page.inner_text(f".pmo-chart-{key} .pmo-how-to-read")
            assert line.startswith("How to read this:") and len(line) > 30, (key, line)

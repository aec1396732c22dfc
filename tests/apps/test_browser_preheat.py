"""A pre-heated executive dashboard shows the store as it is when the page is asked for.

``pmo serve`` keeps one kernel that has run the executive dashboard before
anyone asks for it (:func:`pmo_nb.apps.serve.preheat_options`). Here the
dashboards never look at the store by themselves (``--refresh 0``), the
pooled kernel is waited for until it ran the whole notebook, and only then is
a changed workbook imported: the page must still show the new import, so it
can only come from the look taken at the request
(:func:`pmo_nb.apps.live.when_viewed`), and Voila must say it used the
pre-heated kernel. Then the pool is refilled: a second viewer is served
pre-heated too, within the kernel limit.
"""

from __future__ import annotations

import pytest
from browser_util import (
    BROWSER_MARKS,
    LOAD_TIMEOUT_MS,
    kpi_value,
    preheated_kernels,
    screenshot_on_failure,
    seeded_store,
    wait_preheated,
    wait_text,
)
from test_browser_live import AS_OF_LINE, EXECUTIVE, changed_portfolio, pmo_import

from pmo_nb.briefings import executive
from pmo_nb.formatting import money
from pmo_nb.io.writing import write_workbook

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def store_path(demo_small, tmp_path_factory) -> str:
    """A store of this module's own: the test imports a changed workbook into it."""
    return seeded_store(demo_small, tmp_path_factory.mktemp("preheat-store"), "/in/first.xlsx")


@pytest.fixture(scope="module")
def serving_options() -> dict:
    return {"refresh": 0}  # as ``pmo serve --refresh 0``: no watcher ticks


def test_preheated_page_shows_the_import_made_after_it_was_heated(
        server, page, demo_small, store_path, tmp_path):
    wait_preheated(server)  # the kernel ran the notebook on the first import
    chosen = sorted(demo_small.projects["project_id"])[0]
    changed = changed_portfolio(demo_small, chosen)
    pmo_import(write_workbook(changed, tmp_path / "second.xlsx"), store_path)
    with screenshot_on_failure(page, "executive_preheated"):
        page.goto(server.base + EXECUTIVE)
        page.wait_for_selector(".pmo-chart-rag svg.marks", state="visible",
                               timeout=LOAD_TIMEOUT_MS)
        line = page.inner_text(AS_OF_LINE)
        assert line.startswith("Data as of import 2 (") and "from second.xlsx" in line, line
        as_of = page.inner_text("text=Reporting date >> b").strip()
        after, before = executive.prepare(changed, as_of), executive.prepare(demo_small, as_of)
        kpis = executive.view(after, executive.select(after))["kpis"]
        assert kpis["budget"] != executive.view(before, executive.select(before))["kpis"]["budget"]
        wait_text(page, ".pmo-kpi-budget .pmo-kpi-value", money(kpis["budget"]))
        assert kpi_value(page, "red") == str(kpis["red"])
    assert "Using pre-heated kernel" in "".join(server.log)


def test_the_pool_is_refilled_for_the_next_viewer(server, page):
    wait_preheated(server)  # the kernel handed out above is replaced by a new one
    assert preheated_kernels(server) == 1
    used = "".join(server.log).count("Using pre-heated kernel")
    page.goto(server.base + EXECUTIVE)
    page.wait_for_selector(".pmo-chart-rag svg.marks", state="visible", timeout=LOAD_TIMEOUT_MS)
    assert "".join(server.log).count("Using pre-heated kernel") == used + 1

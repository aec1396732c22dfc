"""The executive dashboard's project page with a plan and without one, in headless Chromium."""

from __future__ import annotations

from browser_util import (
    BROWSER_MARKS,
    LOAD_TIMEOUT_MS,
    WAIT_MS,
    recording_page,
    screenshot_on_failure,
)

from pmo_nb.plans import plan_brief
from pmo_nb.store import Store

pytestmark = BROWSER_MARKS

EXECUTIVE = "/voila/render/executive.ipynb"


def _choose(page, project_id: str, name: str) -> str:
    """Select ``project_id`` in the project drop-down; the plan line it then shows."""
    page.select_option(".pmo-project select", label=f"{project_id} {name}")
    page.wait_for_selector(".pmo-project-plan", timeout=WAIT_MS)
    page.wait_for_function(
        "(pid) => document.querySelector('.pmo-project-panel')?.textContent.includes(pid)",
        arg=project_id, timeout=WAIT_MS)
    return page.inner_text(".pmo-project-plan")


def test_the_project_page_shows_the_plans_p80_and_its_drivers_or_no_plan(server, browser,
                                                                          demo_db):
    portfolio = Store(demo_db).load()
    live = portfolio.projects[portfolio.projects["stage"].isin(["active", "approved",
                                                                  "on_hold"])]
    planned = set(portfolio.tasks["project_id"])
    with_plan = sorted(p for p in live["project_id"] if p in planned)[0]
    without = sorted(p for p in live["project_id"] if p not in planned)[0]
    with recording_page(browser, 1500, 1400) as page:
        with screenshot_on_failure(page, "executive-plan-page"):
            page.goto(server.base + EXECUTIVE)
            page.wait_for_selector(".pmo-project select", state="visible",
                                   timeout=LOAD_TIMEOUT_MS)
            names = portfolio.projects.set_index("project_id")["name"]
            shown = _choose(page, with_plan, names[with_plan])
            assert "P80 finish" in shown
            as_of = page.inner_text("text=Reporting date >> b").strip()
            brief = plan_brief(portfolio, with_plan, as_of)
            assert f"{brief.p80:%Y-%m-%d}" in shown
            for task_id, _ in brief.drivers:
                assert task_id in shown
            assert "no plan" in _choose(page, without, names[without])

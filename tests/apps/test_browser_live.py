"""The executive dashboard updates itself while open: `pmo import` of a changed workbook shows.

Voila is started as ``pmo serve --refresh 1`` starts it (read-only store URL),
Chromium opens the dashboard and sets a filter and a project, then the
changed workbook (one project's budget raised and its latest RAG turned) is
imported with the real CLI in a subprocess. The page must show the new
figures, keep the filter and project, name the new import in its "data as
of" line, and never reload (a marker set in the page survives).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

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

from pmo_nb.briefings import executive
from pmo_nb.formatting import money
from pmo_nb.io.writing import write_workbook

pytestmark = BROWSER_MARKS

EXECUTIVE = "/voila/render/executive.ipynb"
AS_OF_LINE = ".pmo-data-as-of"


@pytest.fixture(scope="module")
def store_path(demo_small, tmp_path_factory) -> str:
    """A store of this module's own: the test imports a changed workbook into it."""
    return seeded_store(demo_small, tmp_path_factory.mktemp("live-store"), "/in/first.xlsx")


@pytest.fixture(scope="module")
def serving_options() -> dict:
    return {"refresh": 1}  # as ``pmo serve --refresh 1``


def changed_portfolio(portfolio, project_id: str):
    """``portfolio`` with ``project_id``'s budget raised by 1 m and its latest RAG turned."""
    projects = portfolio.projects.copy()
    projects.loc[projects["project_id"] == project_id, "budget"] += 1_000_000
    updates = portfolio.status_updates.copy()
    mine = updates[(updates["project_id"] == project_id) & updates["rag"].notna()]
    last = mine["as_of"].idxmax()
    updates.loc[last, "rag"] = "green" if updates.loc[last, "rag"] == "red" else "red"
    return dataclasses.replace(portfolio, projects=projects, status_updates=updates)


def pmo_import(workbook, db: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pmo_nb.cli", "import", str(workbook),
                           "--db", db], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dashboard_shows_a_new_import_keeping_filter_and_project(
        server, page, demo_small, store_path, tmp_path):
    with screenshot_on_failure(page, "executive_live_update"):
        page.goto(server.base + EXECUTIVE)
        page.wait_for_selector(".pmo-chart-rag svg.marks", state="visible",
                               timeout=LOAD_TIMEOUT_MS)
        line = page.inner_text(AS_OF_LINE)
        assert line.startswith("Data as of import 1 (") and "from first.xlsx" in line
        as_of = page.inner_text("text=Reporting date >> b").strip()

        category = str(demo_small.projects["category"].value_counts().index[-1])
        before = executive.prepare(demo_small, as_of)
        ids = executive.select(before, category=category)
        page.select_option(".pmo-filter-category select", category)
        wait_text(page, ".pmo-kpi-projects .pmo-kpi-value", str(len(ids)))
        # the project list follows the filter last; a Dropdown syncs by index, so choose
        # only once it lists the filtered projects ("(choose a project)" first)
        page.wait_for_function(
            "n => document.querySelector('.pmo-project select')?.options.length === n",
            arg=len(ids) + 1, timeout=WAIT_MS)
        chosen = sorted(ids)[0]
        name = demo_small.projects.set_index("project_id").at[chosen, "name"]
        page.select_option(".pmo-project select", label=f"{chosen} {name}")
        # the first project page builds its chart: as slow as a first render on a busy box
        wait_text(page, ".pmo-project-name", name, timeout=LOAD_TIMEOUT_MS)
        page.evaluate("window.pmoNotReloaded = true")

        changed = changed_portfolio(demo_small, chosen)
        after = executive.prepare(changed, as_of)
        kpis = executive.view(after, executive.select(after, category=category))["kpis"]
        old = executive.view(before, ids)["kpis"]
        assert (kpis["budget"], kpis["red"]) != (old["budget"], old["red"])
        workbook = write_workbook(changed, tmp_path / "changed <Q3>.xlsx")
        pmo_import(workbook, store_path)

        page.wait_for_function(
            "sel => document.querySelector(sel)?.textContent.startsWith('Data as of import 2 (')",
            arg=AS_OF_LINE, timeout=LOAD_TIMEOUT_MS)  # a tick, then a full reload
        assert "from changed <Q3>.xlsx" in page.inner_text(AS_OF_LINE)
        wait_text(page, ".pmo-kpi-budget .pmo-kpi-value", money(kpis["budget"]))
        wait_text(page, ".pmo-kpi-red .pmo-kpi-value", str(kpis["red"]))
        assert kpi_value(page, "projects") == str(len(ids))
        assert page.input_value(".pmo-filter-category select") == category
        assert page.input_value(".pmo-project select") == f"{chosen} {name}"  # its label
        budget = float(changed.projects.set_index("project_id").at[chosen, "budget"])
        page.wait_for_function(
            "want => document.querySelector('.pmo-project-panel')?.textContent.includes(want)",
            arg=f"budget {money(budget)}", timeout=WAIT_MS)
        rag = after.projects.at[chosen, "rag"]
        assert page.inner_text(".pmo-project-rag").strip() == rag
        assert page.evaluate("window.pmoNotReloaded") is True
        assert page.inner_text(".pmo-refresh-error").strip() == ""
    assert outside(page.requested, SERVER_ORIGINS) == []

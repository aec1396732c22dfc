"""The "What to know" block: its findings state the reports' own numbers and link to sections."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from pmo_nb import benefits_rollup, benefits_status, capacity, over_allocations
from pmo_nb.benefits import needing_attention
from pmo_nb.briefings import what_to_know as wtk
from pmo_nb.briefings.insights import anchor
from pmo_nb.config import notebooks_dir
from pmo_nb.delivery import overview
from pmo_nb.governance import (
    baseline,
    change_summary,
    decisions_owed,
    drift_table,
    league_table,
    scope_change,
)

AS_OF = pd.Timestamp("2026-06-30")


def _headings(report: str) -> set[str]:
    """The ``##`` headings a report notebook writes (the sections findings may link to)."""
    nb = nbformat.read(notebooks_dir() / f"{report}.ipynb", as_version=4)
    return {line[3:].strip() for c in nb.cells if c.cell_type == "markdown"
            for line in c.source.splitlines() if line.startswith("## ")}


def _check_sections(findings, report: str) -> None:
    headings = _headings(report)
    assert 1 <= len(findings) <= wtk.LIMIT
    for f in findings:
        assert f.section in headings, (f.section, sorted(headings))
        assert f.link == f"#{anchor(f.section)}"
        assert f.number and f.text


def test_html_escapes_store_text_and_keeps_at_most_five():
    evil = "<img src=x onerror=alert(1)>"
    found = [wtk.Finding(f"{evil} is late", str(n), "Earned value") for n in range(7)]
    page = wtk.to_html(found)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt; is late" in page
    assert page.count("<li>") == wtk.LIMIT
    assert 'href="#Earned-value"' in page and f'class="{wtk.BLOCK_CLASS}"' in page
    assert "Nothing crosses its threshold" in wtk.to_html([])


def test_overview_findings_state_the_overview_numbers(demo_small):
    evm = overview.evm_table(demo_small, AS_OF)
    kpi = overview.kpis(demo_small, AS_OF, evm)
    budgets = overview.budget_by_category(demo_small)
    found = wtk.portfolio_overview(demo_small, kpi, budgets, evm)
    _check_sections(found, "portfolio_overview")
    by_section = {f.section: f for f in found}
    assert by_section["Projects by stage"].number == str(kpi["live"])
    live = demo_small.projects["stage"].isin(["approved", "active", "on_hold"]).sum()
    assert kpi["live"] == live
    assert by_section["Latest RAG of live projects"].number == str(kpi["red"])
    top = budgets.iloc[0]
    assert by_section["Budget by category"].number == f"{top['share']:.0%}"
    name = demo_small.projects.set_index("project_id").at[kpi["worst_cpi_project"], "name"]
    assert f"{kpi['worst_cpi_project']} {name}" in " ".join(f.text for f in found)


def test_benefit_capacity_and_governance_findings(demo_small):
    status = benefits_status(demo_small, AS_OF, "linear")
    rollup = benefits_rollup(status, demo_small, "objective")
    attention = needing_attention(status)
    found = wtk.benefits(status, rollup, attention)
    _check_sections(found, "benefits")
    off = int((attention["status"] == "off_track").sum())
    assert any(f.number == str(off) and "off track" in f.text for f in found)

    cap = capacity(demo_small)
    over = over_allocations(cap, demo_small)
    found = wtk.capacity(demo_small, cap, over)
    _check_sections(found, "capacity")
    assert found[0].number == str(len(over.drop_duplicates(["team_id", "month"])))

    base = baseline(demo_small, AS_OF)
    summary = change_summary(demo_small, AS_OF)
    scope = league_table(scope_change(demo_small, AS_OF))
    owed = decisions_owed(demo_small, AS_OF)
    found = wtk.governance(demo_small, summary, drift_table(base), scope, owed,
                           pd.DataFrame(), 0.2)
    _check_sections(found, "governance")
    assert found[0].number == str(int(summary.at["proposed", "changes"]))
    assert any(f.section == "Decisions owed" and f.number == str(len(owed)) for f in found)


def test_no_over_allocation_is_said_as_such(demo_small):
    cap = capacity(demo_small)
    found = wtk.capacity(demo_small, cap, over_allocations(cap, demo_small).iloc[0:0])
    assert [f.number for f in found] == ["0"]


def test_names_put_the_project_name_beside_its_id(demo_small):
    ids = list(demo_small.projects["project_id"][:5])
    said = wtk.names(demo_small, ids, limit=2)
    first = demo_small.projects.iloc[0]
    assert said.startswith(f"{first['project_id']} {first['name']}")
    assert said.endswith("and 3 more")
    assert wtk.names(demo_small, ["P-unknown"]) == "P-unknown"


@pytest.mark.parametrize("report", ["portfolio_overview", "project_status", "benefits", "capacity",
                                    "prioritisation", "risk_forecast", "executive_summary",
                                    "quarterly_review", "governance", "plan"])
def test_every_report_opens_with_the_block(report):
    """The block is the first output after the setup cell, before any ``##`` section."""
    nb = nbformat.read(notebooks_dir() / f"{report}.ipynb", as_version=4)
    first_section = next(i for i, c in enumerate(nb.cells)
                         if c.cell_type == "markdown" and re.search(r"^## ", c.source, re.M))
    block = [i for i, c in enumerate(nb.cells) if "wtk.to_html(" in c.source]
    assert len(block) == 1 and block[0] < first_section


def test_executive_findings_are_the_top_insights_in_short(demo_small):
    from pmo_nb.briefings import insights as ins

    found = ins.portfolio_insights(demo_small, AS_OF)
    said = wtk.executive_summary(found)
    assert len(said) == min(wtk.LIMIT, len(found.table))
    for f, row in zip(said, found.table.itertuples(), strict=False):
        assert f.href == row.evidence and f.number == wtk.money(row.money_at_stake)
        gist = f.text.removeprefix("at stake: ").rstrip(".")
        assert row.headline.startswith(gist) and ": " not in gist and "; " not in gist


def test_forecast_findings_count_the_likely_overruns_and_the_warnings(demo_small):
    from types import SimpleNamespace

    ids = list(demo_small.projects["project_id"][:4])
    table = pd.DataFrame({"p_over_budget": [0.9, 0.6, 0.2, 0.4], "p_late": [0.7, 0.1, 0.1, 0.8],
                          "p_on_budget_and_time": [0.05, 0.3, 0.7, 0.2]}, index=ids)
    found = wtk.risk_forecast(demo_small, table, SimpleNamespace(ok=False, warnings=["a", "b"]))
    _check_sections(found, "risk_forecast")
    assert [f.number for f in found] == ["2", "2", "5%", "2"]
    assert ids[0] in found[2].text and "caution" in found[3].text
    calm = wtk.risk_forecast(demo_small, table, SimpleNamespace(ok=True, warnings=[]))
    assert calm[3].number == "0" and "converged" in calm[3].text


def test_a_colon_in_store_text_does_not_cut_the_claim(demo_small):
    # a risk titled "Phase 2: data" and a project named "Core: ledger": the claim keeps both
    from dataclasses import replace

    from pmo_nb.briefings import insights as ins
    from pmo_nb.briefings.insights_text import split_headline

    top = ins.portfolio_insights(demo_small, AS_OF).table
    risk_id = top.loc[top["kind"] == "risk"].iloc[0]["headline"].split()[1]
    risks = demo_small.risks.copy()
    risks.loc[risks["risk_id"] == risk_id, "title"] = "Phase 2: data"
    project = risks.loc[risks["risk_id"] == risk_id, "project_id"].iloc[0]
    projects = demo_small.projects.copy()
    projects.loc[projects["project_id"] == project, "name"] = "Core: ledger"
    found = ins.portfolio_insights(replace(demo_small, risks=risks, projects=projects), AS_OF)
    row = found.table.loc[found.table["headline"].str.contains("Phase 2: data")].iloc[0]
    assert row["claim"] == f'Risk {risk_id} "Phase 2: data" on {project} Core: ledger'
    claim, detail = split_headline(row["headline"], row["claim"])
    assert claim == row["claim"] + "." and detail.endswith("(risk register).")
    assert detail[0].isdigit()  # "30% chance of ...", not "data ..." nor "ledger ..."
    # without the built claim the first colon, inside the title, would have cut it
    assert split_headline(row["headline"])[0] == f'Risk {risk_id} "Phase 2.'

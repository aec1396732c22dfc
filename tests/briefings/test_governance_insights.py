"""Known answers for the governance rows of the insights table."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_nb.briefings.insights import portfolio_insights
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


def _table(name: str, rows: list[dict]) -> pd.DataFrame:
    return coerce_types(name, pd.DataFrame(rows))


def _change(cid, status, raised, decided=None, cost=None, days=None) -> dict:
    return {"change_id": cid, "project_id": "P1", "title": f"Change {cid}",
            "raised_date": raised, "status": status, "decided_date": decided,
            "decided_by": "Board" if decided else None, "cost_impact": cost,
            "schedule_impact_days": days}


def _req(rid, size, status, baseline, added, removed=None) -> dict:
    return {"requirement_id": rid, "project_id": "P1", "title": f"Item {rid}", "size": size,
            "status": status, "baseline": baseline, "added_date": added,
            "removed_date": removed}


@pytest.fixture
def governed() -> Portfolio:
    """P1 (budget 1,000 over 364 days) with changes, growing scope and an overdue decision."""
    project = {"category": "IT", "stage": "active", "start_date": "2026-01-01",
               "finish_date": "2026-12-31", "manager": "Ann"}
    return Portfolio(
        projects=_table("projects", [
            {"project_id": "P1", "name": "One", "budget": 1000.0, **project},
            {"project_id": "P2", "name": "Two", "budget": 500.0, **project}]),
        change_requests=_table("change_requests", [
            _change("C1", "approved", "2026-02-01", "2026-02-15", cost=200.0, days=30),
            _change("C2", "approved", "2026-03-01", "2026-06-30", cost=50.0),
            _change("C3", "rejected", "2026-03-01", "2026-04-01", cost=999.0, days=99),
            _change("C4", "proposed", "2026-05-01", cost=120.0, days=14),
            _change("C5", "approved", "2026-06-01", "2026-07-15", cost=80.0, days=10),
            _change("C6", "proposed", "2026-07-01", cost=400.0, days=40),
            _change("C8", "rejected", "2026-06-10", "2026-07-02", cost=30.0, days=3)]),
        requirements=_table("requirements", [
            _req("R1", 5, "done", True, "2026-01-05"),
            _req("R2", 8, "in_progress", True, "2026-01-05"),
            _req("R3", 3, "removed", True, "2026-01-05", "2026-03-10"),
            _req("R4", 4, "baselined", True, "2026-01-05"),
            _req("R5", 6, "in_progress", False, "2026-02-20"),
            _req("R7", 10, "baselined", False, "2026-08-01"),
            _req("R9", 1, "removed", True, "2026-01-05", "2026-09-01")]),
        decisions=_table("decisions", [
            {"decision_id": "D1", "date": "2026-05-01", "forum": "Board", "title": "Fund it",
             "project_id": "P1", "kind": "funding", "owner": "Ann",
             "due_date": "2026-06-01", "status": "open"}]),
        status_updates=_table("status_updates", [
            {"project_id": "P1", "as_of": "2026-06-30", "percent_complete": 50,
             "actual_cost": 400.0}]),
    )


def _rows(portfolio, as_of) -> pd.DataFrame:
    table = portfolio_insights(portfolio, as_of).table
    return table[table["kind"].isin(["decisions_overdue", "scope_growth", "pending_changes"])
                 ].set_index("kind")


def test_at_mid_year_a_late_decision_and_pending_changes_but_no_scope_alarm(governed):
    rows = _rows(governed, "2026-06-30")
    # scope grew 3/21 = 14% (under 20%): not an insight
    assert sorted(rows.index) == ["decisions_overdue", "pending_changes"]
    late = rows.loc["decisions_overdue"]
    assert late["money_at_stake"] == pytest.approx(29 * 1000 / 364)  # 29 days at 1,000/364 a day
    assert late["probability"] == 1.0 and late["projects"] == ["P1"]
    assert "1 decision is overdue: Ann (1, up to 29 days late)" in late["headline"]
    assert late["evidence"] == "governance.html#Decisions-owed"
    waiting = rows.loc["pending_changes"]
    # C4, C5 (decided after the date) and C8 (likewise) are pending: 120 + 80 + 30
    assert waiting["money_at_stake"] == 230.0
    assert waiting["probability"] == pytest.approx(2 / 3)  # C1, C2 approved; C3 rejected
    assert "3 pending change requests would add 230 and up to 14 days" in waiting["headline"]


def test_by_autumn_scope_growth_not_covered_by_approved_changes(governed):
    rows = _rows(governed, "2026-09-30")
    grown = rows.loc["scope_growth"]
    # growth 12/21 of a 1,000 baseline, less the 330 the approved changes added
    assert grown["money_at_stake"] == pytest.approx(1000 * 12 / 21 - 330)
    assert grown["probability"] == 0.5 and grown["projects"] == ["P1"]
    assert "on 1 live project: P1 One (+57%); " in grown["headline"]  # named (issue #18)
    assert grown["recommendation"].startswith("Ask the sponsors of P1 One to put")
    assert rows.loc["decisions_overdue", "money_at_stake"] == pytest.approx(121 * 1000 / 364)
    waiting = rows.loc["pending_changes"]
    assert waiting["money_at_stake"] == 520.0  # C4 and C6
    assert waiting["probability"] == pytest.approx(3 / 5)  # C1, C2, C5 of C1-C3, C5, C8


def test_a_portfolio_without_governance_says_so(governed):
    bare = Portfolio(projects=governed.projects, status_updates=governed.status_updates)
    found = portfolio_insights(bare, "2026-06-30")
    assert not found.table["kind"].isin(["decisions_overdue", "scope_growth",
                                         "pending_changes"]).any()
    assert any("Governance insights are omitted" in u for u in found.unavailable)

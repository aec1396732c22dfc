"""Tests of pmo_nb.governance: baselines, scope, decisions owed, the gate audit."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types

#: The reporting date the known answers are computed at.
AS_OF = pd.Timestamp("2026-06-30")


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    """A typed table of the format from plain rows."""
    return coerce_types(name, pd.DataFrame(rows))


def project(pid: str, stage: str = "active", budget: float = 1000.0, **extra) -> dict:
    """A project row starting 2026-01-01 and finishing 2026-12-31."""
    return {"project_id": pid, "name": f"Project {pid}", "category": "IT", "stage": stage,
            "start_date": "2026-01-01", "finish_date": "2026-12-31", "budget": budget,
            "manager": "Ann", **extra}


def change(cid: str, pid: str, status: str, raised: str, decided: str | None = None,
           cost: float | None = None, days: float | None = None) -> dict:
    """A change request row (decided ones get a decider)."""
    return {"change_id": cid, "project_id": pid, "title": f"Change {cid}", "raised_date": raised,
            "status": status, "decided_date": decided,
            "decided_by": "Board" if decided else None,
            "cost_impact": cost, "schedule_impact_days": days}


@pytest.fixture
def changes_portfolio() -> Portfolio:
    """P1 with approved, rejected, pending, withdrawn and later changes; P2 with none."""
    return Portfolio(
        projects=table("projects", [project("P1"), project("P2", budget=500.0)]),
        change_requests=table("change_requests", [
            change("C1", "P1", "approved", "2026-02-01", "2026-02-15", cost=200.0, days=30),
            change("C2", "P1", "approved", "2026-03-01", "2026-06-30", cost=50.0, days=None),
            change("C3", "P1", "rejected", "2026-03-01", "2026-04-01", cost=999.0, days=99),
            change("C4", "P1", "proposed", "2026-05-01", cost=120.0, days=14),
            change("C5", "P1", "approved", "2026-06-01", "2026-07-15", cost=80.0, days=10),
            change("C6", "P1", "proposed", "2026-07-01", cost=400.0, days=40),
            change("C7", "P1", "withdrawn", "2026-04-01", cost=70.0, days=7),
            change("C8", "P1", "rejected", "2026-06-10", "2026-07-02", cost=30.0, days=3),
        ]),
        status_updates=table("status_updates", [
            {"project_id": "P1", "as_of": "2026-06-30", "percent_complete": 50,
             "actual_cost": 600.0},
            {"project_id": "P2", "as_of": "2026-06-30", "percent_complete": 40,
             "actual_cost": 250.0},
        ]),
    )


def requirement(rid: str, pid: str, size: float, status: str, baseline: bool, added: str,
                removed: str | None = None) -> dict:
    """A requirement row."""
    return {"requirement_id": rid, "project_id": pid, "title": f"Item {rid}", "size": size,
            "status": status, "baseline": baseline, "added_date": added,
            "removed_date": removed}


@pytest.fixture
def scope_portfolio() -> Portfolio:
    """P1: baseline 20, one removal, additions before and after the date, a proposal."""
    return Portfolio(
        projects=table("projects", [project("P1"), project("P2")]),
        requirements=table("requirements", [
            requirement("R1", "P1", 5, "done", True, "2026-01-05"),
            requirement("R2", "P1", 8, "in_progress", True, "2026-01-05"),
            requirement("R3", "P1", 3, "removed", True, "2026-01-05", "2026-03-10"),
            requirement("R4", "P1", 4, "baselined", True, "2026-01-05"),
            requirement("R5", "P1", 6, "in_progress", False, "2026-02-20"),
            requirement("R6", "P1", 2, "removed", False, "2026-03-01", "2026-05-01"),
            requirement("R7", "P1", 10, "baselined", False, "2026-08-01"),
            requirement("R8", "P1", 7, "proposed", False, "2026-04-01"),
            requirement("R9", "P1", 1, "removed", True, "2026-01-05", "2026-09-01"),
            requirement("R10", "P2", 4, "done", True, "2026-01-10"),
        ]),
        status_updates=table("status_updates", [
            {"project_id": "P1", "as_of": "2026-03-31", "percent_complete": 25,
             "actual_cost": 100.0},
            {"project_id": "P1", "as_of": "2026-06-30", "percent_complete": 50,
             "actual_cost": 300.0},
        ]),
    )


@pytest.fixture
def governance_portfolio(changes_portfolio, scope_portfolio) -> Portfolio:
    """Changes, requirements, status and an overdue and a gate decision on P1 and P2."""
    decisions = table("decisions", [
        {"decision_id": "D1", "date": "2026-05-01", "forum": "Portfolio board",
         "title": "Fund phase 2", "project_id": "P1", "kind": "funding", "owner": "Ann",
         "due_date": "2026-06-01", "status": "open"},
        {"decision_id": "G1", "date": "2026-01-01", "forum": "Gate 3", "title": "Hold P2",
         "project_id": "P2", "kind": "gate", "outcome": "approved", "stage_to": "on_hold",
         "decided_date": "2026-01-15", "status": "closed", "owner": "Board"},
    ])
    return Portfolio(projects=changes_portfolio.projects,
                     change_requests=changes_portfolio.change_requests,
                     requirements=scope_portfolio.requirements,
                     status_updates=changes_portfolio.status_updates, decisions=decisions)

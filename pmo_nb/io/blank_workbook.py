"""The blank workbook a PMO starts from: every table with one example row.

The example rows are consistent with each other (every reference resolves)
and valid, so the shipped template (``templates/portfolio/`` and
``templates/portfolio.xlsx``) can be imported as it is and then edited.
Regenerate the shipped files with ``python -m pmo_nb.io.blank_workbook``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pmo_nb.config import templates_dir
from pmo_nb.io.reading import RawTable, Workbook
from pmo_nb.io.validation import validate
from pmo_nb.io.writing import write_workbook
from pmo_nb.schema import TABLES

#: One example row per table, as the text a user would type.
EXAMPLE_ROWS: dict[str, dict[str, str]] = {
    "objectives": {
        "objective_id": "OBJ1", "name": "Grow digital revenue", "weight": "0.6",
        "description": "Double online sales by 2028",
    },
    "projects": {
        "project_id": "P001", "name": "New online shop", "category": "IT", "stage": "active",
        "sponsor": "Chief Digital Officer", "manager": "A. Manager",
        "start_date": "2026-01-05", "finish_date": "2026-12-18", "budget": "1500000",
        "mandatory": "false", "actual_finish_date": "", "actual_cost": "",
        "business_value": "8", "time_criticality": "5", "risk_reduction": "3", "job_size": "5",
        "reach": "20000", "impact": "2", "confidence": "0.8", "effort": "12",
    },
    "alignment": {"project_id": "P001", "objective_id": "OBJ1", "score": "4"},
    "status_updates": {
        "project_id": "P001", "as_of": "2026-03-31", "percent_complete": "20",
        "actual_cost": "310000", "planned_value": "340000", "earned_value": "300000",
        "rag": "amber", "commentary": "Payment provider contract signed late",
    },
    "risks": {
        "risk_id": "R001", "project_id": "P001", "title": "Payment provider delays integration",
        "category": "Supplier", "probability": "0.3",
        "cost_low": "20000", "cost_likely": "50000", "cost_high": "120000",
        "delay_low": "10", "delay_likely": "30", "delay_high": "60",
        "status": "open", "owner": "A. Manager", "mitigation": "Second provider on standby",
        "mitigated_probability": "0.15", "task_id": "",
    },
    "benefits": {
        "benefit_id": "B001", "project_id": "P001", "objective_id": "OBJ1",
        "name": "Online revenue per month", "unit": "EUR", "direction": "increase",
        "baseline": "400000", "target": "650000", "realisation_start": "2027-01-01",
        "target_date": "2027-12-31", "owner": "Head of E-commerce",
    },
    "benefit_measurements": {"benefit_id": "B001", "date": "2026-03-31", "value": "405000"},
    "teams": {"team_id": "T01", "name": "Web development", "capacity_fte": "12"},
    "demand": {"project_id": "P001", "team_id": "T01", "month": "2026-04", "fte": "4.5"},
    "dependencies": {"project_id": "P001", "depends_on": "P000", "lag_days": "0"},
    "tasks": {
        "task_id": "TK001", "project_id": "P001", "name": "Design the checkout",
        "duration_likely": "15", "duration_low": "10", "duration_high": "25", "team_id": "T01",
        "percent_complete": "100", "actual_start": "2026-01-05", "actual_finish": "2026-01-30",
    },
    "task_links": {"predecessor": "TK001", "successor": "TK002", "type": "FS", "lag": "0"},
    "holidays": {"date": "2026-12-25", "name": "Christmas Day"},
    "requirements": {
        "requirement_id": "RQ001", "project_id": "P001", "title": "Pay by card",
        "size": "8", "priority": "must", "status": "in_progress", "baseline": "true",
        "added_date": "2026-01-05", "removed_date": "", "change_id": "",
    },
    "change_requests": {
        "change_id": "CR001", "project_id": "P001", "title": "Add gift cards",
        "raised_date": "2026-02-10", "status": "approved", "decided_date": "2026-02-24",
        "decided_by": "Portfolio board", "cost_impact": "60000", "schedule_impact_days": "14",
        "scope_impact": "5", "benefit_impact": "20000", "benefit_id": "B001",
        "reason": "Customers ask for it",
    },
    "decisions": {
        "decision_id": "D001", "date": "2026-02-24", "forum": "Portfolio board",
        "title": "Approve gift cards (CR001)", "project_id": "P001", "kind": "funding",
        "outcome": "approved", "stage_to": "", "owner": "Chief Digital Officer",
        "due_date": "2026-03-10", "decided_date": "2026-02-24", "status": "closed",
    },
    "people": {"name": "A. Manager", "email": "a.manager@example.org",
               "role": "project manager", "digest": "weekly"},
}

# A dependency needs a second project; the template shows it as a closed one.
EXTRA_PROJECT = {
    "project_id": "P000", "name": "Cloud hosting platform", "category": "Infrastructure",
    "stage": "completed", "sponsor": "CIO", "manager": "B. Manager",
    "start_date": "2025-03-03", "finish_date": "2025-11-28", "budget": "600000",
    "mandatory": "true", "actual_finish_date": "2025-12-12", "actual_cost": "640000",
}
# A task link needs a second task; an open milestone, as most plans end.
EXTRA_TASK = {
    "task_id": "TK002", "project_id": "P001", "name": "Checkout live",
    "duration_likely": "0", "percent_complete": "0",
}
#: Further example rows after the first, by table.
EXTRA_ROWS = {"projects": [EXTRA_PROJECT], "tasks": [EXTRA_TASK]}


def example_workbook():
    """The example rows as a raw :class:`~pmo_nb.io.reading.Workbook` (not yet validated)."""
    import pandas as pd  # lazy: keeps `pmo --help` fast


    book = Workbook(source="example")
    for name, row in EXAMPLE_ROWS.items():
        rows = [row, *EXTRA_ROWS.get(name, [])]
        frame = pd.DataFrame(rows, columns=TABLES[name].column_names, dtype=object)
        frame = frame.map(lambda v: v or None).astype(object)
        frame.index = pd.RangeIndex(2, 2 + len(frame))
        book.tables[name] = RawTable(name, f"{name}.csv", frame)
    return book


def example_portfolio():
    """The example rows as a validated Portfolio."""

    portfolio = validate(example_workbook())
    portfolio.source = "example"
    return portfolio


def write_blank_workbook(dest: str | os.PathLike) -> Path:
    """Write the template workbook (CSV folder, or ``.xlsx`` when ``dest`` ends so)."""

    return write_workbook(example_portfolio(), dest)


if __name__ == "__main__":  # regenerate the shipped templates

    write_blank_workbook(templates_dir() / "portfolio")
    write_blank_workbook(templates_dir() / "portfolio.xlsx")

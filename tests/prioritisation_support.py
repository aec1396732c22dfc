"""Build small typed portfolios by hand for the prioritisation tests."""

from __future__ import annotations

import pandas as pd

from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


def project(pid: str, budget: float, stage: str = "proposed", mandatory: bool = False,
            **extra) -> dict:
    """One projects row with the required columns filled in."""
    return {"project_id": pid, "name": f"Project {pid}", "category": "IT", "stage": stage,
            "start_date": "2026-01-01", "finish_date": "2026-12-31", "budget": budget,
            "mandatory": mandatory, **extra}


def make_portfolio(projects: list[dict], objectives: dict[str, float] | None = None,
                   alignment: dict[str, dict[str, float]] | None = None,
                   teams: dict[str, float] | None = None,
                   demand: list[tuple[str, str, str, float]] = (),
                   dependencies: list[tuple[str, str]] = ()) -> Portfolio:
    """A typed Portfolio from plain Python values.

    ``alignment`` maps project_id -> {objective_id: score}; ``teams`` maps
    team_id -> capacity_fte; ``demand`` rows are (project, team, month, fte);
    ``dependencies`` rows are (project, depends_on).
    """
    objectives = objectives or {}
    frames = {
        "projects": pd.DataFrame(projects),
        "objectives": pd.DataFrame(
            {"objective_id": list(objectives), "name": list(objectives),
             "weight": list(objectives.values())}),
        "alignment": pd.DataFrame(
            [{"project_id": p, "objective_id": o, "score": s}
             for p, row in (alignment or {}).items() for o, s in row.items()],
            columns=["project_id", "objective_id", "score"]),
        "teams": pd.DataFrame({"team_id": list(teams or {}), "name": list(teams or {}),
                               "capacity_fte": list((teams or {}).values())}),
        "demand": pd.DataFrame(list(demand), columns=["project_id", "team_id", "month", "fte"]),
        "dependencies": pd.DataFrame(list(dependencies), columns=["project_id", "depends_on"]),
    }
    return Portfolio(**{name: coerce_types(name, frame) for name, frame in frames.items()},
                     source="test")

"""Why and what if: overrun drivers, a what-if selection, benefits behind plan, capacity.

Like :mod:`pmo_nb.assistant.tools`, each function answers from the package
APIs the reports use; the drivers come from the persisted fitted model and
nothing is ever sampled.
"""

from __future__ import annotations

import json
import math

from numpy.linalg import LinAlgError

from pmo_nb.assistant.source import (
    MAX_LIMIT,
    MAX_TEXT,
    ArgumentError,
    Source,
    check_paging,
    page,
    plain,
    records,
)
from pmo_nb.benefits.status import benefits_status
from pmo_nb.benefits.views import needing_attention
from pmo_nb.briefings.review_pack import selection_changes
from pmo_nb.capacity.demand import capacity, describe_capacity, over_allocations
from pmo_nb.forecast.forecasting import describe_drivers, drivers
from pmo_nb.forecast.model import ForecastModel
from pmo_nb.forecast.stored import MODEL_KIND, MODEL_NAME
from pmo_nb.prioritise.ahp import parse_weights

#: Seconds the what-if optimiser may search (the quarterly review's default).
WHAT_IF_TIME_LIMIT = 30.0
TARGETS = ("cost", "duration")


def overrun_drivers(source: Source, target: str | None = None) -> dict:
    """What predicts cost and schedule overruns, from the persisted fitted model."""
    if target is not None and target not in TARGETS:
        raise ArgumentError("target", f"must be one of {list(TARGETS)}, got {target!r}")
    day = source.as_of(None)
    out = source.provenance(day)
    found = source.store.load_result(MODEL_KIND, MODEL_NAME)
    if found is None or found[1] is None:
        return out | {"available": False, "model": None,
                      "statement": "No fitted forecast model is stored: nothing is sampled "
                                   "here; run the risk_forecast report to fit one."}
    model = source.cached(("model", json.dumps(found[2], sort_keys=True, default=str)),
                          lambda: ForecastModel.from_bytes(found[1]))
    table = drivers(model=model, seed=0)  # seed 0: the risk_forecast report's default
    if target is not None:
        table = table[table["target"] == target]
    attrs = model.idata.attrs
    return out | {
        "available": True,
        "model": {"kind": MODEL_KIND, "name": MODEL_NAME, "fitted_at": attrs.get("fitted_at"),
                  "data_checksum": attrs.get("data_checksum")},
        "drivers": records(table),
        "sentences": describe_drivers(table),
        "source": "pmo_nb.forecast.drivers(model=<persisted reference_class fit>) and "
                  "describe_drivers, as in the risk_forecast report",
    }


def _weights(source: Source, weights, ahp_matrix, ahp_labels) -> tuple:
    """Weights via :func:`parse_weights`: a mapping, its JSON text, or an AHP matrix."""
    objectives = [str(o) for o in source.portfolio().objectives["objective_id"]]
    if weights and ahp_matrix:
        raise ArgumentError("weights", "give weights or ahp_matrix, not both")
    if weights:
        if isinstance(weights, str) and len(weights) > MAX_TEXT:
            raise ArgumentError("weights", f"longer than {MAX_TEXT} characters")
        text = weights if isinstance(weights, str) else json.dumps(weights, default=str)
        name = "weights"
    elif ahp_matrix:
        text = json.dumps({"ahp_matrix": ahp_matrix, "labels": ahp_labels or None})
        name = "ahp_matrix"
    else:
        return None, None
    try:
        chosen, worksheet = parse_weights(text, objectives)
    except (ValueError, TypeError, LinAlgError) as exc:
        raise ArgumentError(name, str(exc)[:500]) from None
    if chosen is None:
        return None, None
    unknown = sorted(set(chosen) - set(objectives))
    if unknown:
        raise ArgumentError("ahp_labels" if worksheet else name,
                            f"unknown objective(s) {unknown[:10]}; known: {objectives[:30]}")
    if any(not math.isfinite(v) or v < 0 for v in chosen.values()):
        raise ArgumentError(name, "every weight must be a finite number >= 0")
    if not any(v > 0 for v in chosen.values()):
        raise ArgumentError(name, "at least one weight must be above 0")
    return chosen, worksheet


def what_if_selection(source: Source, budget: float | None = None,
                      weights: dict | str | None = None, ahp_matrix: list | None = None,
                      ahp_labels: list | None = None, limit: int = 50, offset: int = 0) -> dict:
    """The exact optimal selection at a budget and weights, against the current plan."""
    check_paging(limit, offset)
    if budget is not None and (not math.isfinite(budget) or budget < 0):
        raise ArgumentError("budget", f"must be a finite number >= 0, got {budget}")
    chosen, worksheet = _weights(source, weights, ahp_matrix, ahp_labels)
    day = source.as_of(None)
    try:
        changes = selection_changes(source.portfolio(), budget or None, weights=chosen,
                                    time_limit=WHAT_IF_TIME_LIMIT)
    except ValueError as exc:
        raise ArgumentError("weights" if chosen else "budget", str(exc)[:500]) from None
    out = {**source.provenance(day), "budget": plain(changes.budget),
           "budget_basis": changes.basis, "weights": plain(chosen),
           "weights_basis": "given" if chosen else "the objectives' stated weights"}
    if worksheet is not None:
        out["ahp"] = {"consistency_ratio": plain(worksheet["cr"]),
                      "consistent": bool(worksheet["consistent"]),
                      "weights": plain(worksheet["weights"].to_dict())}
    if changes.message:
        return out | {"feasible": False, "statement": changes.message}
    sel = changes.selection
    optimum = None if sel is None else {
        "selected": sel.selected, "value": plain(sel.value), "cost": plain(sel.cost),
        "gap": plain(sel.gap), "proven_optimal": sel.gap == 0,
        "cut_line_selected": sel.greedy_selected, "cut_line_value": plain(sel.greedy_value),
        "gain_over_cut_line": plain(sel.gain), "sentences": sel.sentences()}
    return out | {
        "feasible": True, "optimum": optimum,
        "fund": changes.fund, "drop": changes.drop, "sentences": changes.sentences,
        "candidates": page(records(changes.table, index="project_id"), limit, offset),
        "source": "pmo_nb.prioritise.select_portfolio via "
                  "pmo_nb.briefings.review_pack.selection_changes (the quarterly review's "
                  "re-optimisation); nothing is saved",
    }


def benefits_behind_plan(source: Source, as_of: str | None = None,
                         project_id: str | None = None, limit: int = 20,
                         offset: int = 0) -> dict:
    """Benefits off track, at risk, not measured or measured late, worst first."""
    check_paging(limit, offset)
    day = source.as_of(as_of)
    portfolio = source.portfolio()
    status = benefits_status(portfolio, day)
    if project_id and project_id.strip():
        pid = project_id.strip()
        if pid not in set(portfolio.projects["project_id"].astype(str)):
            raise ArgumentError("project_id", f"no project {pid[:80]!r} in the portfolio")
        status = status[status["project_id"] == pid]
    attention = needing_attention(status)
    counts = status["status"].value_counts()
    return {**source.provenance(day),
            "benefits": int(len(status)),
            "by_status": {str(k): int(v) for k, v in counts.items()},
            **page(records(attention, ["benefit_id", *attention.columns], "benefit_id"),
                   limit, offset),
            "source": "pmo_nb.benefits (benefits_status, needing_attention), as in the "
                      "benefits report"}


def capacity_hotspots(source: Source, team_id: str | None = None, limit: int = 20,
                      offset: int = 0, projects_per_hotspot: int = 5) -> dict:
    """Over-allocated team-months, largest overload first, with the projects causing them."""
    check_paging(limit, offset)
    if not 1 <= projects_per_hotspot <= MAX_LIMIT:
        raise ArgumentError("projects_per_hotspot", f"must be between 1 and {MAX_LIMIT}")
    portfolio = source.portfolio()
    cap = capacity(portfolio)
    over = over_allocations(cap, portfolio)
    sentences = describe_capacity(cap, over)
    hot = cap[cap["over"] > 0]
    if team_id and team_id.strip():
        team = team_id.strip()
        if team not in set(cap["team_id"]):
            raise ArgumentError("team_id", f"no team {team[:80]!r}; known: "
                                           f"{sorted(set(cap['team_id']))[:30]}")
        hot, over = hot[hot["team_id"] == team], over[over["team_id"] == team]
    hot = hot.sort_values(["over", "team_id", "month"], ascending=[False, True, True])
    rows = []
    for r in hot.itertuples(index=False):
        mine = over[(over["team_id"] == r.team_id) & (over["month"] == r.month)]
        rows.append(plain({"team_id": r.team_id, "month": r.month, "demand": r.demand,
                           "capacity": r.capacity, "over": r.over,
                           "utilisation": r.utilisation,
                           "projects": records(mine.head(projects_per_hotspot),
                                               ["project_id", "project_fte", "share"])}))
    return {**source.provenance(source.as_of(None)),
            "team_months": int(len(cap)), "over_team_months": int((cap["over"] > 0).sum()),
            "sentences": sentences, **page(rows, limit, offset),
            "source": "pmo_nb.capacity (capacity, over_allocations, describe_capacity), as in "
                      "the capacity report"}

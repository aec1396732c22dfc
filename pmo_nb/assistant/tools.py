"""What the portfolio says: summary, project search, one project's status, the forecast.

Each function takes a :class:`~pmo_nb.assistant.source.Source` and plain
arguments and returns a JSON-ready dict with the answer's provenance; the
numbers come from the same package functions the reports call. Bad
arguments raise :class:`~pmo_nb.assistant.source.ArgumentError`.
"""

from __future__ import annotations

import pandas as pd

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
from pmo_nb.briefings.status_narrative import narrative
from pmo_nb.briefings.status_report import status_facts
from pmo_nb.dates import latest_status
from pmo_nb.delivery.overview import filter as filter_projects
from pmo_nb.delivery.overview import kpis, rag_counts, stage_counts
from pmo_nb.delivery.overview import narrative as overview_narrative
from pmo_nb.schema import STAGES

#: Columns of a project in search results.
PROJECT_COLUMNS = ["project_id", "name", "stage", "category", "sponsor", "manager", "budget",
                   "start_date", "finish_date", "rag", "rag_date"]
#: Columns of a project's persisted forecast row.
FORECAST_COLUMNS = ["project_id", "name", "category", "budget", "cost_to_date", "cost_p10",
                    "cost_p50", "cost_p90", "finish_date", "finish_p10", "finish_p50",
                    "finish_p90", "p_over_budget", "p_late", "p_on_budget_and_time", "basis"]
RISK_COLUMNS = ["risk_id", "title", "category", "p", "mean_cost_if_occurs", "expected_cost",
                "mean_delay_if_occurs", "expected_delay"]
BENEFIT_COLUMNS = ["benefit_id", "name", "owner", "status", "planned_share", "realised_share",
                   "forecast_share", "p_target_met", "measured_date", "target_date"]


def portfolio_summary(source: Source, as_of: str | None = None) -> dict:
    """Money, health and RAG counts of the portfolio (the overview report's numbers)."""
    day = source.as_of(as_of)
    portfolio = source.portfolio()
    return {
        **source.provenance(day),
        "kpis": plain(kpis(portfolio, day)),
        "rag_counts": records(rag_counts(portfolio, day)),
        "stage_counts": records(stage_counts(portfolio)),
        "sentences": [str(s) for s in overview_narrative(portfolio, day)],
        "source": "pmo_nb.delivery.overview (kpis, rag_counts, stage_counts, narrative)",
    }


def _known(argument: str, value: str | None, known, what: str) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    known = sorted({str(k) for k in known})
    if value not in known:
        shown = ", ".join(known[:30]) + (" ..." if len(known) > 30 else "")
        raise ArgumentError(argument, f"no {what} {value!r}; known: {shown}")
    return value


def find_projects(source: Source, stage: str | None = None, category: str | None = None,
                  sponsor: str | None = None, objective: str | None = None,
                  text: str | None = None, as_of: str | None = None, limit: int = 20,
                  offset: int = 0) -> dict:
    """Projects matching every given filter, by project_id, one page at a time."""
    check_paging(limit, offset)
    day = source.as_of(as_of)
    portfolio = source.portfolio()
    projects = portfolio.projects
    stage = _known("stage", stage, STAGES, "stage")
    category = _known("category", category, projects["category"].dropna(), "category")
    sponsor = _known("sponsor", sponsor, projects["sponsor"].dropna(), "sponsor")
    objective = _known("objective", objective, portfolio.objectives["objective_id"],
                       "objective")
    chosen = filter_projects(portfolio, category=category, sponsor=sponsor,
                             stage=stage).projects
    if objective is not None:
        al = portfolio.alignment
        aligned = set(al.loc[(al["objective_id"] == objective) & (al["score"] > 0),
                             "project_id"])
        chosen = chosen[chosen["project_id"].isin(aligned)]
    if text is not None and text.strip():
        if len(text) > MAX_TEXT:
            raise ArgumentError("text", f"longer than {MAX_TEXT} characters")
        needle = text.strip().casefold()
        hay = chosen["project_id"].astype(str) + " " + chosen["name"].astype(str)
        if "description" in chosen.columns:
            hay = hay + " " + chosen["description"].fillna("").astype(str)
        chosen = chosen[hay.str.casefold().str.contains(needle, regex=False)]
    rag = latest_status(portfolio, day, require="rag")[["project_id", "rag", "as_of"]]
    rag = rag.rename(columns={"as_of": "rag_date"})
    chosen = chosen.merge(rag, on="project_id", how="left").sort_values("project_id")
    filters = {"stage": stage, "category": category, "sponsor": sponsor,
               "objective": objective, "text": text or None}
    return {**source.provenance(day), "filters": filters,
            **page(records(chosen, PROJECT_COLUMNS), limit, offset)}


def _project(source: Source, project_id: str) -> str:
    pid = (project_id or "").strip()
    if not pid:
        raise ArgumentError("project_id", "is required (find_projects lists them)")
    if pid not in set(source.portfolio().projects["project_id"].astype(str)):
        raise ArgumentError("project_id", f"no project {pid[:80]!r} in the portfolio "
                                          "(find_projects lists them)")
    return pid


def _forecast_row(row: pd.Series | None) -> dict | None:
    if row is None:
        return None
    return plain({c: row[c] for c in FORECAST_COLUMNS[2:] if c in row.index})


def project_status(source: Source, project_id: str, as_of: str | None = None,
                   max_risks: int = 5, max_benefits: int = 10) -> dict:
    """One project's status report facts: RAG, earned value, forecast band, risks, benefits."""
    pid = _project(source, project_id)
    for name, value in (("max_risks", max_risks), ("max_benefits", max_benefits)):
        if not 0 <= value <= MAX_LIMIT:
            raise ArgumentError(name, f"must be between 0 and {MAX_LIMIT}, got {value}")
    day = source.as_of(as_of)
    stored = source.forecast(day)
    facts = status_facts(source.portfolio(), pid, day, forecast=stored.table,
                         forecast_name=stored.name)
    p = facts.project
    project = {"project_id": pid, **{c: p.get(c) for c in
               ("name", "stage", "category", "sponsor", "manager", "budget", "start_date",
                "finish_date")}}
    return {
        **source.provenance(day, stored),
        "project": plain(project),
        "reported": plain({"rag": facts.rag, "rag_date": facts.rag_date,
                           "commentary": (facts.commentary or "")[:2000] or None}),
        "earned_value": None if facts.evm is None else plain(facts.evm.to_dict()),
        "forecast_band": _forecast_row(facts.forecast),
        "rag_disagreement": facts.disagreement,
        "narrative": [{"text": s.text, "number": s.number, "source": s.source}
                      for s in narrative(facts)],
        "top_risks": records(facts.risks.head(max_risks), RISK_COLUMNS),
        "open_risks": int(len(facts.risks)),
        "benefits": records(facts.benefits.head(max_benefits), BENEFIT_COLUMNS),
        "benefit_count": int(len(facts.benefits)),
        "prerequisites": facts.prerequisites[:MAX_LIMIT],
        "dependents": facts.dependents[:MAX_LIMIT],
        "source": "pmo_nb.briefings.status_report (status_facts, narrative), the project_status "
                  "report's facts",
    }


def forecast(source: Source, project_id: str | None = None, as_of: str | None = None,
             limit: int = 20, offset: int = 0) -> dict:
    """The persisted forecast for the portfolio (least likely to land first) or one project."""
    check_paging(limit, offset)
    pid = _project(source, project_id) if project_id and project_id.strip() else None
    day = source.as_of(as_of)
    stored = source.forecast(day)
    out = {**source.provenance(day, stored), "project_id": pid}
    if not stored.available:
        return out | {"available": False, "statement": out["forecast"]["statement"]}
    table = stored.table.join(source.portfolio().projects.set_index("project_id")[["name"]])
    table = table.sort_values(["p_on_budget_and_time", "p_over_budget"],
                              ascending=[True, False], kind="stable")  # as most_at_risk
    if pid is not None:
        if pid not in table.index:
            return out | {"available": True, "in_forecast": False,
                          "statement": f"{pid} is not in the forecast of {stored.name}: only "
                                       "active projects are forecast."}
        return out | {"available": True, "in_forecast": True,
                      "band": records(table.loc[[pid]], FORECAST_COLUMNS, "project_id")[0]}
    summary = {
        "projects": int(len(table)),
        "likely_over_budget": int((table["p_over_budget"] > 0.5).sum()),
        "likely_late": int((table["p_late"] > 0.5).sum()),
        "median_p_on_budget_and_time": plain(table["p_on_budget_and_time"].median()),
        "budget": plain(table["budget"].sum()),
    }
    return out | {"available": True, "summary": summary,
                  **page(records(table, FORECAST_COLUMNS, "project_id"), limit, offset)}

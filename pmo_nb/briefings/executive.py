"""What the executive dashboard shows, as frames computed once and filtered with pandas.

:func:`prepare` does the expensive work once per portfolio (earned value,
latest RAG, the RAG history by month, benefits status, open risks, demand,
and the forecast persisted in the store); :func:`select` and :func:`view`
then answer a filter change by masking those frames, so the dashboard
answers within a fraction of a second. Nothing here samples: the forecast is
only ever read from the store (:func:`persisted_forecast`), and when there is
none the view says so instead of inventing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from pmo_nb.benefits.status import benefits_rollup, benefits_status
from pmo_nb.capacity.demand import capacity
from pmo_nb.delivery import overview as overview
from pmo_nb.forecast.stored import FORECAST_KIND, NO_FORECAST, latest
from pmo_nb.formatting import money
from pmo_nb.governance import baseline, scope_change
from pmo_nb.plans import NO_PLAN, plan_brief
from pmo_nb.portfolio import Portfolio
from pmo_nb.risks.model import open_risks
from pmo_nb.schema import RAGS

#: An alignment score at least this high counts a project as serving an objective.
ALIGNED_MIN = 1.0
#: A project this likely (or more) to overrun its budget is called "likely to overrun".
LIKELY_OVERRUN = 0.7
#: Months of RAG history shown in the trend.
TREND_MONTHS = 18
#: Capacity window around the reporting date, in months (before, after).
CAPACITY_WINDOW = (3, 15)
#: How many risks the top-risks chart lists.
TOP_RISKS = 10


def persisted_forecast(store, as_of) -> tuple[pd.DataFrame | None, str]:
    """The latest forecast saved for a date on or before ``as_of``, and which one it is.

    Reads :func:`pmo_nb.forecast.stored.latest`; never fits or samples.

    Returns
    -------
    (pandas.DataFrame or None, str)
        The table indexed by ``project_id`` (None when there is none) and a
        sentence saying which forecast it is, or :data:`NO_FORECAST`.
    """
    found = latest(store, FORECAST_KIND, as_of)
    return found.table, found.describe()


@dataclass
class ExecutiveData:
    """Per-portfolio frames the dashboard filters; built by :func:`prepare`."""

    portfolio: Portfolio
    as_of: pd.Timestamp
    projects: pd.DataFrame  # indexed by project_id: name, category, sponsor, stage, budget, rag
    evm: pd.DataFrame
    rag_months: pd.DataFrame  # project_id, month, rag: last RAG reported in each month
    benefits: pd.DataFrame
    risks: pd.DataFrame
    forecast: pd.DataFrame | None
    forecast_note: str
    objective_members: dict[str, set[str]] = field(default_factory=dict)
    baselines: pd.DataFrame | None = None  # governance.baseline at as_of
    scope: pd.DataFrame | None = None  # governance.scope_change at as_of

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """Filter options as (label, value) pairs."""
        base = overview.choices(self.portfolio)
        out = {k: [(v, v) for v in vals] for k, vals in base.items()}
        obj = self.portfolio.objectives
        out["objective"] = [(f"{r.objective_id} {r.name}", r.objective_id)
                            for r in obj.itertuples()]
        return out


def prepare(portfolio: Portfolio, as_of, forecast: pd.DataFrame | None = None,
            forecast_note: str = NO_FORECAST) -> ExecutiveData:
    """Compute every per-portfolio frame of the dashboard once.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date-like
        The reporting date: status updates, measurements after it are ignored.
    forecast : pandas.DataFrame, optional
        A persisted forecast table (:func:`persisted_forecast`); None = not run.
    forecast_note : str
        Which forecast it is, shown with it.
    """
    as_of = pd.Timestamp(as_of).normalize()
    projects = portfolio.projects.set_index("project_id")
    latest = overview.latest_status(portfolio, as_of).set_index("project_id")
    table = projects[["name", "category", "sponsor", "stage", "budget"]].copy()
    table["rag"] = latest["rag"].reindex(table.index)
    live = table["stage"].isin(overview.LIVE_STAGES)
    table["rag"] = table["rag"].where(table["rag"].isin(RAGS) | ~live, overview.UNREPORTED)
    evm = overview.evm_table(portfolio, as_of).set_index("project_id")

    updates = portfolio.status_updates
    updates = updates[(updates["as_of"] <= as_of) & updates["rag"].isin(RAGS)]
    first = (as_of.to_period("M") - (TREND_MONTHS - 1)).to_timestamp()
    updates = updates[updates["as_of"] >= first].sort_values(["project_id", "as_of"])
    months = updates.assign(month=updates["as_of"].dt.strftime("%Y-%m"))
    rag_months = months.groupby(["project_id", "month"], as_index=False).tail(1)[
        ["project_id", "month", "rag"]].reset_index(drop=True)

    align = portfolio.alignment
    align = align[align["score"] >= ALIGNED_MIN]
    members = {str(o): set(g["project_id"]) for o, g in align.groupby("objective_id")}
    for o in portfolio.objectives["objective_id"]:
        members.setdefault(str(o), set())

    status = benefits_status(portfolio, as_of) if len(portfolio.benefits) else None
    risks = open_risks(portfolio, None, mitigated=False) if len(portfolio.risks) else None
    if risks is not None:
        risks = risks[[c for c in risks if not c.startswith("_")]]
    return ExecutiveData(portfolio=portfolio, as_of=as_of, projects=table, evm=evm,
                         rag_months=rag_months, benefits=status, risks=risks,
                         forecast=forecast, forecast_note=forecast_note,
                         objective_members=members, baselines=baseline(portfolio, as_of),
                         scope=scope_change(portfolio, as_of))


def select(data: ExecutiveData, category=None, sponsor=None, objective=None,
           stage=None) -> pd.Index:
    """The project ids matching every given filter (None or "" = no restriction)."""
    p = data.projects
    keep = np.ones(len(p), dtype=bool)
    for column, value in (("category", category), ("sponsor", sponsor), ("stage", stage)):
        if value:
            keep &= (p[column] == value).to_numpy()
    if objective:
        keep &= p.index.isin(list(data.objective_members.get(objective, ())))
    return p.index[keep]


def _rag_counts(part: pd.DataFrame) -> pd.DataFrame:
    live = part[part["stage"].isin(overview.LIVE_STAGES)]
    order = [*RAGS, overview.UNREPORTED]
    counts = live["rag"].value_counts().reindex(order, fill_value=0)
    return pd.DataFrame({"rag": order, "projects": counts.to_numpy().astype(int)})


def _rag_trend(data: ExecutiveData, ids: pd.Index) -> pd.DataFrame:
    rows = data.rag_months[data.rag_months["project_id"].isin(ids)]
    counts = rows.groupby(["month", "rag"]).size()
    months = pd.period_range(end=data.as_of.to_period("M"), periods=TREND_MONTHS, freq="M")
    labels = [m.strftime("%Y-%m") for m in months]
    full = pd.MultiIndex.from_product([labels, list(RAGS)], names=["month", "rag"])
    out = counts.reindex(full, fill_value=0).rename("projects").reset_index()
    out["projects"] = out["projects"].astype(int)
    return out


def _capacity(data: ExecutiveData, ids: pd.Index) -> pd.DataFrame:
    pf = data.portfolio
    keep = set(ids)
    part = replace(pf, projects=pf.projects[pf.projects["project_id"].isin(keep)],
                   demand=pf.demand[pf.demand["project_id"].isin(keep)])
    cap = capacity(part)
    lo = (data.as_of.to_period("M") - CAPACITY_WINDOW[0]).strftime("%Y-%m")
    hi = (data.as_of.to_period("M") + CAPACITY_WINDOW[1]).strftime("%Y-%m")
    return cap[(cap["month"] >= lo) & (cap["month"] <= hi)].reset_index(drop=True)


def _kpis(data: ExecutiveData, part: pd.DataFrame, forecast, rollup, cap) -> dict:
    live = part[part["stage"].isin(overview.LIVE_STAGES)]
    evm = data.evm.reindex(live.index)
    cpi = evm["cpi"].dropna()
    out = {"projects": len(part), "live": len(live), "budget": float(part["budget"].sum()),
           "red": int((live["rag"] == "red").sum()),
           "cpi_below_1": int((cpi < 1).sum()), "evm_projects": len(cpi),
           "over_team_months": int((cap["over"] > 0).sum()) if cap is not None else 0}
    if forecast is None:
        out["likely_overruns"] = None
    else:
        out["likely_overruns"] = int((forecast["p_over_budget"] > LIKELY_OVERRUN).sum())
    total = rollup.attrs.get("total", {}) if rollup is not None else {}
    out["benefits_realised"] = total.get("realised_share")
    return out


def view(data: ExecutiveData, ids) -> dict:
    """Everything the dashboard draws for the projects ``ids``.

    Returns
    -------
    dict
        ``projects`` (the filtered project table), ``kpis`` (dict),
        ``rag`` (counts of live projects by latest RAG), ``rag_trend`` (month,
        rag, projects: last RAG reported per project and month),
        ``forecast`` (persisted forecast rows of these projects with ``name``,
        or None when forecasts were not run), ``benefits`` (rollup by
        objective, or None without benefits), ``capacity`` (team x month
        demand of these projects against whole-team capacity, around the
        reporting date), ``risks`` (top open risks by expected cost).
    """
    ids = pd.Index(ids)
    part = data.projects.loc[data.projects.index.isin(ids)]
    forecast = None
    if data.forecast is not None:
        forecast = data.forecast[data.forecast.index.isin(ids)].copy()
        forecast["name"] = data.projects["name"].reindex(forecast.index)
    rollup = None
    if data.benefits is not None:
        status = data.benefits[data.benefits["project_id"].isin(ids)]
        rollup = benefits_rollup(status, data.portfolio) if len(status) else None
    cap = _capacity(data, ids) if len(data.portfolio.teams) else None
    risks = None
    if data.risks is not None:
        risks = data.risks[data.risks["bucket"].isin(ids)]
        risks = risks.nlargest(TOP_RISKS, "expected_cost").reset_index(drop=True)
        risks["name"] = risks["bucket"].map(data.projects["name"])
    return {"projects": part, "kpis": _kpis(data, part, forecast, rollup, cap),
            "rag": _rag_counts(part), "rag_trend": _rag_trend(data, part.index),
            "forecast": forecast, "benefits": rollup, "capacity": cap, "risks": risks}


def project_detail(data: ExecutiveData, project_id: str) -> dict:
    """One project's page: facts, earned value, forecast band, history, risks, benefits.

    Raises
    ------
    KeyError
        When the project is not in the portfolio.
    """
    if project_id not in data.projects.index:
        raise KeyError(f"unknown project {project_id!r}")
    facts = data.portfolio.projects.set_index("project_id").loc[project_id]
    evm = data.evm.loc[project_id] if project_id in data.evm.index else None
    updates = data.portfolio.status_updates
    history = updates[(updates["project_id"] == project_id) & (updates["as_of"] <= data.as_of)]
    history = history.sort_values("as_of")[["as_of", "percent_complete", "actual_cost",
                                            "planned_value", "earned_value", "rag"]]
    if data.forecast is None:
        band, note = None, data.forecast_note
    elif project_id in data.forecast.index:
        band, note = data.forecast.loc[project_id], data.forecast_note
    else:
        band, note = None, "not forecast (only active projects are)"
    risks = None if data.risks is None else data.risks[data.risks["bucket"] == project_id]
    benefits = None if data.benefits is None else data.benefits[
        data.benefits["project_id"] == project_id]
    plan = plan_brief(data.portfolio, project_id, data.as_of)
    governance = _governance_text(data, project_id)
    return {"project_id": project_id, "facts": facts, "rag": data.projects.at[project_id, "rag"],
            "plan": plan, "plan_text": NO_PLAN if plan is None else plan.sentence(),
            "governance_text": governance,
            "evm": evm, "history": history.reset_index(drop=True), "forecast": band,
            "forecast_note": note,
            "risks": None if risks is None else risks.sort_values(
                "expected_cost", ascending=False).reset_index(drop=True),
            "benefits": None if benefits is None else benefits.reset_index()}


def _governance_text(data: ExecutiveData, project_id: str) -> str:
    """Original against current baseline, scope growth and open change requests, in words."""
    b = data.baselines.loc[project_id] if data.baselines is not None \
        and project_id in data.baselines.index else None
    parts = []
    if b is not None:
        parts.append(f"baseline budget {money(b['budget_original'])} original, "
                     f"{money(b['budget_current'])} current; finish "
                     f"{pd.Timestamp(b['finish_original']):%Y-%m-%d} original, "
                     f"{pd.Timestamp(b['finish_current']):%Y-%m-%d} current "
                     f"({int(b['approved_changes'])} approved changes)")
        if b["pending_changes"]:
            parts.append(f"{int(b['pending_changes'])} open change request(s) would add "
                         f"{money(b['pending_cost'])} and {b['pending_days']:.0f} days")
        else:
            parts.append("no open change request")
    s = data.scope.loc[project_id] if data.scope is not None \
        and project_id in data.scope.index else None
    if s is not None and pd.notna(s["growth"]):
        parts.append(f"scope grew {s['growth']:.0%} (churn {s['churn']:.0%}) against its "
                     "baseline")
    else:
        parts.append("no baselined scope recorded")
    return "; ".join(parts) + " (change requests and requirements)."

"""Portfolio insights for executives, ranked by importance, each with its evidence.

Pure: :func:`portfolio_insights` computes every insight from the data (and a
persisted forecast table when there is one; nothing is sampled) and returns
them in an :class:`Insights` result, most important first.

Importance
----------
Every insight gets one score, in money, so that unlike findings rank on one
scale::

    importance = money at stake x probability x (1 + strategic weight)

- *money at stake* is what the finding puts at risk (per kind, below);
- *probability* the chance that it materialises;
- *strategic weight* of a project, in [0, 1], is its alignment with the
  board's objectives: ``sum_o w_o * score_po / 5`` with the objective
  weights ``w`` normalised to sum to 1 (a project decisive for every
  objective scores 1). An insight about several projects uses the
  money-weighted mean. So a strategic project's problem counts up to twice
  as much as an unaligned one's.

Kinds (``kind`` column):

``forecast_overrun`` (needs a forecast)
    Active projects more than :data:`LIKELY` (70%) likely to overrun their
    budget by more than :data:`OVERRUN` (10%). The probability is read from
    the forecast's cost-ratio P10/P50/P90 through a two-piece lognormal.
    Money: the median overrun (cost P50 - budget); probability: that chance.
``rag_disagreement`` (needs a forecast)
    Projects reported green whose forecast gives more than 50% chance of
    going over budget or finishing late (:func:`pmo_nb.briefings.status_report.rag_disagreement`).
    Money: what the green RAG does not warn of, the forecast's P90 cost minus
    the budget; probability: the larger of the two chances.
``cost_overrun`` (earned value, always available)
    Active projects with CPI below :data:`CPI_ALERT`. Money: EAC - BAC at
    today's CPI; probability 0.5, since BAC / CPI is a point projection as
    likely to be beaten as missed.
``benefit_behind``
    Measured benefits off track or at risk. "Behind plan" is
    ``1 - realised share / planned share``. Money: the project's budget
    spread over its benefits, times that shortfall (the part of the business
    case not being delivered); probability: 1 - the trend's chance of meeting
    the target (1 when there is no trend).
``over_allocation``
    A team's worst future month over capacity by at least :data:`MIN_OVER`.
    Money: the budgets of the projects asking that team that month, times
    the share of the demand that cannot be served (over / demand);
    probability 1 (it is the plan).
``risk``
    The open risks of active projects with the largest expected cost.
    Money: the PERT mean cost if it occurs; probability: its probability.
``decisions_overdue``, ``scope_growth``, ``pending_changes``
    The governance facts (:mod:`pmo_nb.briefings.governance_insights`).

Evidence links are relative to the run folder (``OUT/<as_of>/``) where the
executive summary sits beside the other reports: ``capacity.html#...``,
``benefits.html#...`` and the fan-out pages ``project_status/<id>.html#...``.
:data:`SECTIONS` names each target section as its notebook writes the heading;
:func:`anchor` turns a heading into the id nbconvert gives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_nb.benefits.status import benefits_status
from pmo_nb.briefings.governance_insights import GROWTH_ALERT, governance_insights
from pmo_nb.briefings.importance import mean_weight as _mean_weight
from pmo_nb.briefings.importance import p_ratio_above, strategic_weights
from pmo_nb.briefings.importance import row as _row
from pmo_nb.briefings.status_report import rag_disagreement
from pmo_nb.capacity.demand import capacity, over_allocations
from pmo_nb.config import safe_stem
from pmo_nb.dates import latest_status, reporting_date
from pmo_nb.delivery.evm import earned_value
from pmo_nb.formatting import labelled, labelled_list, money, project_names
from pmo_nb.portfolio import Portfolio
from pmo_nb.risks.model import open_risks

#: "Likely" overrun: the chance above which a project is listed.
LIKELY = 0.7
#: Overrun the chance is about: cost more than (1 + OVERRUN) x budget.
OVERRUN = 0.1
#: CPI below which an active project's cost overrun is an insight.
CPI_ALERT = 0.9
#: A team-month is reported when demand exceeds capacity by at least this share.
MIN_OVER = 0.1
#: Probability given to a BAC / CPI projection (a point estimate).
POINT_ESTIMATE_P = 0.5

#: Report sections the insights link to: key -> (report notebook, heading as written).
SECTIONS = {
    "capacity": ("capacity", "Over-allocations and the projects causing them"),
    "benefits": ("benefits", "Benefits needing attention"),
    "evm": ("project_status", "Earned value"),
    "forecast": ("project_status", "Forecast"),
    "risks": ("project_status", "Top risks"),
}
#: Columns of :attr:`Insights.table`.
COLUMNS = ["rank", "kind", "headline", "claim", "recommendation", "evidence", "importance",
           "money_at_stake", "probability", "strategic_weight", "projects", "pages"]

def anchor(heading: str) -> str:
    """The id nbconvert's HTML gives a markdown heading (spaces become hyphens)."""
    return heading.strip().replace(" ", "-")


def project_page(project_id: str) -> str:
    """Relative path of a project's status page in the run folder (the fan-out's name)."""

    return f"project_status/{safe_stem(project_id)}.html"


def evidence_link(section: str, project_id: str | None = None) -> str:
    """Relative link to a section of :data:`SECTIONS` (a project's page needs its id)."""
    report, heading = SECTIONS[section]
    page = project_page(project_id) if report == "project_status" else f"{report}.html"
    return f"{page}#{anchor(heading)}"


@dataclass
class Insights:
    """Ranked insights and the analyses that could not be run.

    Attributes
    ----------
    table : pandas.DataFrame
        :data:`COLUMNS`, most important first (``rank`` 1 = most important).
        ``projects`` holds the project ids an insight is about (each has
        a status page when active); ``pages`` maps those that are active to
        their status page (relative links).
    unavailable : list of str
        Analyses left out and why (e.g. no forecast has been run yet).
    forecast_name : str or None
        The persisted forecast used, if any.
    names : dict
        project id -> name, so a page names the projects it links to.
    """

    table: pd.DataFrame
    unavailable: list = field(default_factory=list)
    forecast_name: str | None = None
    names: dict = field(default_factory=dict)


def _forecast_insights(portfolio, as_of, forecast, name, weights, likely, overrun) -> list[dict]:
    f = forecast.set_index("project_id") if "project_id" in forecast.columns else forecast
    f = f[f["budget"] > 0]
    src = f"Bayesian forecast of {name}"
    names = project_names(portfolio)
    rows = []
    p = pd.Series(p_ratio_above(1.0 + overrun, f["cost_ratio_p10"], f["cost_ratio_p50"],
                                f["cost_ratio_p90"]), index=f.index)
    hot = p[p > likely].sort_values(ascending=False, kind="stable")
    if len(hot):
        excess = (f.loc[hot.index, "cost_p50"] - f.loc[hot.index, "budget"]).clip(lower=0.0)
        n = len(hot)
        head = (f"{n} project{'s are' if n > 1 else ' is'} more than {likely:.0%} likely to "
                f"overrun {'their' if n > 1 else 'its'} budget by more than {overrun:.0%}: "
                f"{labelled_list(hot.index, names, [f'{v:.0%}' for v in hot])}; median overrun "
                f"{money(excess.sum())} in all ({src}).")
        rec = (f"Ask the sponsors of {labelled_list(hot.index, names)} for recovery plans or "
               "re-baselined "
               f"budgets, and hold {money(excess.sum())} of contingency until they report.")
        w = _mean_weight(weights, hot.index, excess)
        imp = float((hot * excess * (1 + weights.reindex(hot.index).fillna(0.0))).sum())
        row = _row("forecast_overrun", head, rec, evidence_link("forecast", hot.index[0]),
                   excess.sum(), float((hot * excess).sum() / excess.sum()) if excess.sum() > 0
                   else float(hot.mean()), w, hot.index)
        row["importance"] = imp
        rows.append(row)

    rag = _latest_rags(portfolio, f.index, as_of)
    flagged = []
    for pid in f.index:
        if pid in rag.index and rag_disagreement(rag[pid], f.at[pid, "p_over_budget"],
                                                 f.at[pid, "p_late"]) and rag[pid] == "green":
            flagged.append(pid)
    if flagged:
        worst = f.loc[flagged, ["p_over_budget", "p_late"]].max(axis=1).sort_values(
            ascending=False, kind="stable")
        n = len(worst)
        head = (f"{n} project{'s report' if n > 1 else ' reports'} green but the forecast gives "
                f"more than 50% chance of going over budget or finishing late: "
                f"{labelled_list(worst.index, names, [f'{v:.0%}' for v in worst])} ({src}).")
        rec = (f"Ask the managers of {labelled_list(worst.index, names)} to review their RAG "
               "against the "
               "forecast at the next status update.")
        hidden = (f.loc[worst.index, "cost_p90"] - f.loc[worst.index, "budget"]).clip(lower=0.0)
        prob = float((worst * hidden).sum() / hidden.sum()) if hidden.sum() > 0 \
            else float(worst.mean())
        row = _row("rag_disagreement", head, rec, evidence_link("forecast", worst.index[0]),
                   hidden.sum(), prob, _mean_weight(weights, worst.index, hidden), worst.index)
        row["importance"] = float(
            (worst * hidden * (1 + weights.reindex(worst.index).fillna(0.0))).sum())
        rows.append(row)
    return rows


def _latest_rags(portfolio: Portfolio, ids, as_of) -> pd.Series:
    """The RAG each of ``ids`` last reported on or before ``as_of`` (never a later one)."""
    latest = latest_status(portfolio, as_of, require="rag")
    return latest[latest["project_id"].isin(set(ids))].set_index("project_id")["rag"]


def _evm_insights(portfolio, as_of, weights, cpi_alert) -> list[dict]:
    ev = earned_value(portfolio, as_of)
    ev = ev[(ev["stage"] == "active") & (ev["cpi"] < cpi_alert)].sort_values("cpi",
                                                                             kind="stable")
    if ev.empty:
        return []
    excess = (ev["eac"] - ev["bac"]).clip(lower=0.0)
    n, names = len(ev), project_names(portfolio)
    head = (f"{n} active project{'s run' if n > 1 else ' runs'} more than "
            f"{1 - cpi_alert:.0%} over cost (CPI below {cpi_alert:.2f}): "
            f"{labelled_list(ev.index, names, [f'CPI {v:.2f}' for v in ev['cpi']])}; at that "
            "CPI they "
            f"would finish {money(excess.sum())} over budget (earned value, latest status "
            "updates).")
    rec = (f"Review the cost baselines of {labelled_list(ev.index, names)} and agree where "
           "the overspend will be found.")
    return [_row("cost_overrun", head, rec, evidence_link("evm", ev.index[0]), excess.sum(),
                 POINT_ESTIMATE_P, _mean_weight(weights, ev.index, excess), ev.index)]


def benefits_behind(portfolio: Portfolio, status: pd.DataFrame) -> pd.DataFrame:
    """The measured benefits off track or at risk, with ``behind``, ``stake`` and ``prob``.

    ``status`` is :func:`pmo_nb.benefits_status` at the reporting date. The
    shortfall, money at stake and probability are those of the
    ``benefit_behind`` insight (module docstring), so the digests rank a
    benefit exactly as the executive summary does.
    """
    s = status[status["status"].isin(["off_track", "at_risk"]) & (status["planned_share"] > 0)]
    budgets = portfolio.projects.set_index("project_id")["budget"].astype(float)
    per_project = status.groupby("project_id").size()
    behind = (1.0 - s["realised_share"] / s["planned_share"]).clip(0.0, 1.0).astype(float)
    stake = s["project_id"].map(budgets).fillna(0.0) / s["project_id"].map(per_project) * behind
    prob = (1.0 - s["p_target_met"]).where(s["p_target_met"].notna(), 1.0).astype(float)
    return s.assign(behind=behind, stake=stake.astype(float), prob=prob)


def _benefit_insights(portfolio, as_of, weights) -> list[dict]:
    s = benefits_behind(portfolio, benefits_status(portfolio, as_of))
    names = project_names(portfolio)
    rows = []
    for bid, b in s.iterrows():
        behind, stake, prob = b["behind"], b["stake"], b["prob"]
        owner = b["owner"] if isinstance(b["owner"], str) and b["owner"] else "its owner"
        claim = (f"Benefit \"{b['name']}\" ({bid}, project "
                 f"{labelled(b['project_id'], names)}) is {behind:.0%} behind plan")
        head = (f"{claim}: {b['realised_share']:.0%} of the improvement realised against "
                f"{b['planned_share']:.0%} planned (measurement of "
                f"{pd.Timestamp(b['measured_date']):%Y-%m-%d}, benefits register).")
        rec = f"Ask {owner} for a recovery plan or a revised target date for {bid}."
        rows.append(_row("benefit_behind", head, rec, evidence_link("benefits"), stake, prob,
                         weights.get(b["project_id"], 0.0), [b["project_id"]], claim=claim))
    return rows


def _capacity_insights(portfolio, as_of, weights, min_over) -> list[dict]:
    cap = capacity(portfolio)
    month = pd.Timestamp(as_of).strftime("%Y-%m")
    ahead = cap[(cap["month"] >= month) & (cap["capacity"] > 0)]
    ahead = ahead.assign(share=ahead["over"] / ahead["capacity"])
    hot = ahead[ahead["share"] >= min_over]
    if hot.empty:
        return []
    detail = over_allocations(cap, portfolio)
    budgets = portfolio.projects.set_index("project_id")["budget"].astype(float)
    teams = portfolio.teams.set_index("team_id")["name"]
    names = project_names(portfolio)
    rows = []
    for team, g in hot.groupby("team_id", sort=True):
        worst = g.sort_values(["share", "month"], ascending=[False, True]).iloc[0]
        who = detail[(detail["team_id"] == team) & (detail["month"] == worst["month"])]
        stake = worst["over"] / worst["demand"] * budgets.reindex(who["project_id"]).sum()
        n_months = len(g)
        claim = (f"Team {teams.get(team, team)} ({team}) is over-allocated by "
                 f"{worst['share']:.0%} in {worst['month']}")
        head = (f"{claim}: {worst['demand']:.1f} FTE asked of "
                f"{worst['capacity']:.1f}; {n_months} month{'s' if n_months > 1 else ''} from "
                f"{month} are over by {min_over:.0%} or more (capacity plan).")
        top = labelled_list(who["project_id"], names)
        rec = (f"Re-sequence or shift {top} (the largest demand on {team} in {worst['month']}), "
               f"or add {worst['over']:.1f} FTE; the capacity report proposes start shifts.")
        rows.append(_row("over_allocation", head, rec, evidence_link("capacity"), stake, 1.0,
                         _mean_weight(weights, who["project_id"], who["project_fte"]),
                         list(who["project_id"]), claim=claim))
    return rows


def _risk_insights(portfolio, weights, n_risks) -> list[dict]:
    reg = open_risks(portfolio, None, mitigated=False)
    active = set(portfolio.projects.loc[portfolio.projects["stage"] == "active", "project_id"])
    reg = reg[reg["bucket"].isin(active) & (reg["expected_cost"] > 0)]
    reg = reg.sort_values(["expected_cost", "risk_id"], ascending=[False, True], kind="stable")
    extra = portfolio.risks.set_index("risk_id")
    names = project_names(portfolio)
    rows = []
    for r in reg.head(n_risks).itertuples():
        info = extra.loc[r.risk_id]
        owner = info["owner"] if isinstance(info["owner"], str) and info["owner"] else "its owner"
        claim = f"Risk {r.risk_id} \"{r.title}\" on {labelled(r.bucket, names)}"
        head = (f"{claim}: {r.p:.0%} chance of {money(r.mean_cost_if_occurs)} if it occurs, "
                f"expected {money(r.expected_cost)} (risk register).")
        if isinstance(info["mitigation"], str) and info["mitigation"]:
            after = info["mitigated_probability"]
            cut = f", cutting its chance to {after:.0%}" if pd.notna(after) else ""
            rec = f"Confirm that {owner} is funded to mitigate: {info['mitigation']}{cut}."
        else:
            rec = f"Ask {owner} for a mitigation plan; none is recorded."
        rows.append(_row("risk", head, rec, evidence_link("risks", r.bucket),
                         r.mean_cost_if_occurs, r.p, weights.get(r.bucket, 0.0), [r.bucket],
                         claim=claim))
    return rows


def portfolio_insights(portfolio: Portfolio, as_of=None, *, forecast: pd.DataFrame | None = None,
                       forecast_name: str | None = None, n_risks: int = 3,
                       likely: float = LIKELY, overrun: float = OVERRUN,
                       cpi_alert: float = CPI_ALERT, min_over: float = MIN_OVER,
                       growth_alert: float = GROWTH_ALERT) -> Insights:
    """Every insight the data supports, ranked by importance (see the module docstring).

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date-like, optional
        Reporting date (default: the latest status update).
    forecast : pandas.DataFrame, optional
        A persisted forecast table; without one the forecast-based insights
        are omitted and :attr:`Insights.unavailable` says so.
    forecast_name : str, optional
        Its name (as-of date), quoted as the source.
    n_risks : int
        How many of the largest risks to list.
    likely, overrun, cpi_alert, min_over, growth_alert : float
        Thresholds of the insights (module constants by default).
    """
    as_of = reporting_date(portfolio, as_of)
    weights = strategic_weights(portfolio)
    rows: list[dict] = []
    unavailable: list[str] = []
    if forecast is not None and len(forecast):
        rows += _forecast_insights(portfolio, as_of, forecast, forecast_name, weights, likely,
                                   overrun)
    else:
        unavailable.append(
            f"Forecast-based insights (chance of overrunning, reported RAG against the forecast) "
            f"are omitted: no forecast has been run yet on or before {as_of:%Y-%m-%d}.")
    if len(portfolio.status_updates):
        rows += _evm_insights(portfolio, as_of, weights, cpi_alert)
    else:
        unavailable.append("Earned value insights are omitted: there are no status updates.")
    if len(portfolio.benefits):
        rows += _benefit_insights(portfolio, as_of, weights)
    else:
        unavailable.append("Benefit insights are omitted: no benefit is registered.")
    if len(portfolio.teams) and len(portfolio.demand):
        rows += _capacity_insights(portfolio, as_of, weights, min_over)
    else:
        unavailable.append("Capacity insights are omitted: no teams or no demand are recorded.")
    if len(portfolio.risks):
        rows += _risk_insights(portfolio, weights, n_risks)
    else:
        unavailable.append("Risk insights are omitted: the risk register is empty.")
    if len(portfolio.decisions) or len(portfolio.requirements) or len(portfolio.change_requests):
        rows += governance_insights(portfolio, as_of, weights, _row, _mean_weight, growth_alert)
    else:
        unavailable.append("Governance insights are omitted: no decisions, requirements or "
                           "change requests are recorded.")
    active = set(portfolio.projects.loc[portfolio.projects["stage"] == "active", "project_id"])
    for row in rows:
        row["pages"] = {p: project_page(p) for p in row["projects"] if p in active}
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"])
    table = table.sort_values(["importance", "kind", "headline"],
                              ascending=[False, True, True], kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return Insights(table=table[COLUMNS], unavailable=unavailable,
                    forecast_name=forecast_name if forecast is not None else None,
                    names=project_names(portfolio))


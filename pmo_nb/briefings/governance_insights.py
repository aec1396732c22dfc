"""Governance insights: decisions overdue, scope grown past its baseline, changes pending.

The same facts as the governance report (:mod:`pmo_nb.governance`), turned
into rows of the ranked insights table (:mod:`pmo_nb.briefings.insights`), so
the executive summary and the quarterly review rank them against the
forecast, cost, benefit, capacity and risk findings on one scale::

    importance = money at stake x probability x (1 + strategic weight)

Kinds (``kind`` column):

``decisions_overdue``
    Open decisions past their due date. Money: the cost of the delay at the
    project's planned burn rate (budget / planned duration, per day late),
    summed over the decisions about a project; probability 1 (the delay has
    happened). A decision about no project adds no money but is listed.
``scope_growth``
    Live projects whose scope grew by more than :data:`GROWTH_ALERT` (20%) of
    their baseline scope. Money: the part of the growth the budget has not
    absorbed, at the baseline's cost per unit of scope:
    ``max(0, budget_original x growth - drift_money)``; probability 0.5, since
    that is a point projection as likely to be beaten as missed.
``pending_changes``
    Change requests raised and not yet decided. Money: the cost they would add
    (their positive cost impacts); probability: the share of the change
    requests decided so far that were approved (0.5 before any was decided).
"""

from __future__ import annotations

import pandas as pd

from pmo_nb.dates import LIVE_STAGES
from pmo_nb.formatting import labelled_list, money, project_names
from pmo_nb.governance.baselines import baseline, change_status_at
from pmo_nb.governance.decisions import decisions_owed
from pmo_nb.governance.scope import scope_change
from pmo_nb.portfolio import Portfolio

#: Scope growth (share of the baseline scope) above which a project is listed.
GROWTH_ALERT = 0.2
#: Probability given to a point projection (as likely to be beaten as missed).
POINT_ESTIMATE_P = 0.5
#: The governance report's sections the insights link to (headings as written).
GOVERNANCE_SECTIONS = {
    "decisions": "Decisions owed",
    "scope": "Scope growth and churn",
    "changes": "Change requests by status",
}


def governance_link(section: str) -> str:
    """Relative link to a section of the governance report in the run folder."""
    return f"governance.html#{GOVERNANCE_SECTIONS[section].strip().replace(' ', '-')}"


def governance_insights(portfolio: Portfolio, as_of, weights: pd.Series, row,
                        mean_weight, growth_alert: float = GROWTH_ALERT) -> list[dict]:
    """The governance rows of the insights table (see the module docstring).

    ``row`` and ``mean_weight`` are the insights table's row builder and
    money-weighted strategic weight (passed in so both modules share them).
    """
    rows = []
    if len(portfolio.decisions):
        rows += _decisions(portfolio, as_of, weights, row, mean_weight)
    if len(portfolio.requirements):
        rows += _scope(portfolio, as_of, weights, row, mean_weight, growth_alert)
    if len(portfolio.change_requests):
        rows += _pending(portfolio, as_of, weights, row, mean_weight)
    return rows


def _burn_per_day(portfolio: Portfolio) -> pd.Series:
    """Each project's planned spend per calendar day (budget / planned duration)."""
    p = portfolio.projects.set_index("project_id")
    days = ((p["finish_date"] - p["start_date"]) / pd.Timedelta(days=1)).clip(lower=1.0)
    return p["budget"].astype("float64") / days


def _decisions(portfolio, as_of, weights, row, mean_weight) -> list[dict]:
    owed = decisions_owed(portfolio, as_of)
    if owed.empty:
        return []
    burn = _burn_per_day(portfolio)
    cost = owed["project_id"].map(burn).fillna(0.0) * owed["days_late"]
    owners = owed.groupby("owner", sort=False)["days_late"].agg(["size", "max"])
    owners = owners.sort_values(["size", "max"], ascending=False, kind="stable")
    n = len(owed)
    said = ", ".join(f"{o} ({int(r['size'])}, up to {int(r['max'])} days late)"
                     for o, r in owners.head(5).iterrows())
    more = f" and {len(owners) - 5} more owners" if len(owners) > 5 else ""
    head = (f"{n} decision{'s are' if n > 1 else ' is'} overdue: {said}{more}; at the planned "
            f"burn rate of the projects they hold up, the delay has cost about "
            f"{money(cost.sum())} (decisions register).")
    rec = (f"Ask {', '.join(owners.index[:3])} to decide or re-date their decisions before the "
           "next board, and record the outcome in the decisions register.")
    projects = [p for p in dict.fromkeys(owed["project_id"].dropna()) if p]
    return [row("decisions_overdue", head, rec, governance_link("decisions"), cost.sum(), 1.0,
                mean_weight(weights, owed["project_id"].fillna(""), cost), projects)]


def _scope(portfolio, as_of, weights, row, mean_weight, growth_alert) -> list[dict]:
    scope = scope_change(portfolio, as_of)
    base = baseline(portfolio, as_of)
    live = base.index[base["stage"].isin(LIVE_STAGES)]
    grown = scope.reindex(live)
    grown = grown[grown["growth"] > growth_alert].sort_values(
        "growth", ascending=False, kind="stable")
    if grown.empty:
        return []
    b = base.loc[grown.index]
    unfunded = (b["budget_original"] * grown["growth"] - b["drift_money"]).clip(lower=0.0)
    n, names = len(grown), project_names(portfolio)
    listing = labelled_list(grown.index, names, [f"{g:+.0%}" for g in grown["growth"]])
    head = (f"Scope grew by more than {growth_alert:.0%} of its baseline on {n} live "
            f"project{'s' if n > 1 else ''}: {listing}; at the baseline's cost per unit "
            f"of scope, {money(unfunded.sum())} of that growth is not covered by approved "
            "budget changes (requirements and change requests).")
    rec = (f"Ask the sponsors of {labelled_list(grown.index, names)} to put the added scope "
           "through change control, or take it out.")
    return [row("scope_growth", head, rec, governance_link("scope"), unfunded.sum(),
                POINT_ESTIMATE_P, mean_weight(weights, grown.index, unfunded), grown.index)]


def _pending(portfolio, as_of, weights, row, mean_weight) -> list[dict]:
    changes = change_status_at(portfolio, as_of)
    waiting = changes[changes["status_then"] == "proposed"]
    if waiting.empty:
        return []
    decided = changes["status_then"].isin(["approved", "rejected"])
    approved = int((changes["status_then"] == "approved").sum())
    rate = approved / int(decided.sum()) if decided.any() else POINT_ESTIMATE_P
    cost = waiting["cost_impact"].fillna(0.0).clip(lower=0.0)
    days = waiting["schedule_impact_days"].fillna(0.0).clip(lower=0.0)
    n, names = len(waiting), project_names(portfolio)
    basis = (f"{approved} of {int(decided.sum())} decided so far were approved"
             if decided.any() else "none has been decided yet")
    head = (f"{n} pending change request{'s' if n > 1 else ''} would add {money(cost.sum())} "
            f"and up to {days.max():,.0f} days if approved ({basis}; change requests).")
    by_project = cost.groupby(waiting["project_id"]).sum().sort_values(
        ascending=False, kind="stable")
    rec = (f"Put the largest pending changes ({labelled_list(by_project.index[:3], names)}) "
           "on the next change board's agenda, and hold contingency for the ones likely to pass.")
    return [row("pending_changes", head, rec, governance_link("changes"), cost.sum(), rate,
                mean_weight(weights, by_project.index, by_project), by_project.index)]

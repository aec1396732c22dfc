"""The "What to know" block every report opens with: at most five findings.

Each finding is one plain sentence led by its number and linked to the
section of the report that holds the evidence (the anchor nbconvert gives
that section's ``##`` heading, :func:`pmo_nb.briefings.insights.anchor`).
The functions are pure: they take what the report already computed (the
same frames its sections show) and pick the facts a reader needs first, so
the block and the sections below it can never disagree.

Texts quote names from the store; :func:`to_html` escapes them where they
meet HTML (never before, so a test can compare the plain words).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pmo_nb.briefings.insights import anchor
from pmo_nb.briefings.insights_text import split_headline
from pmo_nb.formatting import html_text, labelled_list, money, project_names

#: Findings shown at most: the block must fit the first screen.
LIMIT = 5
#: CSS class of the block (the browser tests look for it).
BLOCK_CLASS = "pmo-what-to-know"


@dataclass(frozen=True)
class Finding:
    """One thing to know: ``number`` (as shown) leads ``text``; ``section`` holds the evidence.

    ``href`` is the link; it defaults to the section's anchor on this page
    (the executive summary links to sections of the other reports instead).
    """

    text: str
    number: str
    section: str
    href: str | None = None

    @property
    def link(self) -> str:
        """Where "evidence" points: ``href``, else ``#<anchor of section>``."""
        return self.href or f"#{anchor(self.section)}"


def to_html(findings: list[Finding], title: str = "What to know", links: bool = True) -> str:
    """The block as HTML: a short list, every store text escaped, at most :data:`LIMIT`.

    ``links=False`` (apps, whose charts have no anchors) names the section
    holding the evidence instead of linking to it.
    """
    shown = list(findings)[:LIMIT]
    if not shown:
        items = '<li class="pmo-wtk-none">Nothing crosses its threshold on this date.</li>'
    else:
        items = "".join(
            f'<li><strong class="pmo-wtk-number">{html_text(f.number)}</strong> '
            f'<span class="pmo-wtk-text">{html_text(f.text)}</span> '
            + (f'<a class="pmo-wtk-link" href="{html_text(f.link)}">'
               f'evidence: {html_text(f.section)}</a>' if links else
               f'<span class="pmo-wtk-link">({html_text(f.section)})</span>')
            + '</li>' for f in shown)
    return (f'<div class="{BLOCK_CLASS}" style="border-left: 4px solid #1565c0; '
            'padding: 0.3em 1em; margin: 0.5em 0 1em; background: #f5f8fc;">'
            f'<p style="font-weight: bold; margin: 0.3em 0;">{html_text(title)}</p>'
            f'<ul style="margin: 0.2em 0 0.4em; padding-left: 1.2em;">{items}</ul></div>')


def names(portfolio, ids, limit: int = 3) -> str:
    """``P0001 Name, P0002 Name`` for the first ``limit`` of ``ids`` ("and N more" after)."""
    return labelled_list(ids, project_names(portfolio), limit=limit)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def portfolio_overview(portfolio, kpi: dict, budgets: pd.DataFrame, evm: pd.DataFrame
                       ) -> list[Finding]:
    """Live projects, red reports, over-cost projects, the largest category, the worst SPI."""
    out = [Finding(f"of {kpi['projects']} projects are live (approved, active or on hold), "
                   f"{money(kpi['live_budget'])} of {money(kpi['budget'])} budget.",
                   str(kpi["live"]), "Projects by stage")]
    if kpi["red"] or kpi["unreported"]:
        out.append(Finding(f"live {_plural(kpi['red'], 'project reports', 'projects report')} "
                           f"red at the latest status update; {kpi['unreported']} "
                           "have no status update.", str(kpi["red"]),
                           "Latest RAG of live projects"))
    if kpi["cpi_below_1"]:
        out.append(Finding(f"{_plural(kpi['cpi_below_1'], 'project runs', 'projects run')} over "
                           f"cost (CPI below 1); the worst is "
                           f"{names(portfolio, [kpi['worst_cpi_project']])} at CPI "
                           f"{kpi['worst_cpi']:.2f}.", str(kpi["cpi_below_1"]), "Earned value"))
    if kpi["spi_below_1"]:
        out.append(Finding(f"{_plural(kpi['spi_below_1'], 'project is', 'projects are')} behind "
                           f"schedule (SPI below 1); the worst is "
                           f"{names(portfolio, [kpi['worst_spi_project']])} at SPI "
                           f"{kpi['worst_spi']:.2f}.", str(kpi["spi_below_1"]), "Earned value"))
    if len(budgets):
        top = budgets.iloc[0]
        out.append(Finding(f"of all budget goes to {top['category']} ({top['projects']} projects, "
                           f"{money(top['budget'])}).", f"{top['share']:.0%}",
                           "Budget by category"))
    return out[:LIMIT]


def project_status(facts) -> list[Finding]:
    """The reported RAG, CPI/SPI, the forecast's chances, the top risk, benefits behind."""
    out = []
    if facts.rag:
        said = f"reported on {facts.rag_date:%Y-%m-%d}"
        if facts.disagreement:
            said += "; the forecast disagrees (see Forecast)"
        out.append(Finding(f"status {said}.", str(facts.rag).upper(), "In brief"))
    ev = facts.evm
    if ev is not None and pd.notna(ev.get("cpi")):
        out.append(Finding(f"CPI (below 1: over cost); SPI {ev['spi']:.2f} (below 1: behind), "
                           f"estimate at completion {money(ev['eac'])} against "
                           f"{money(ev['bac'])}.", f"{ev['cpi']:.2f}", "Earned value"))
    f = facts.forecast
    if f is not None:
        out.append(Finding(f"chance of going over budget, {f['p_late']:.0%} of finishing late; "
                           f"median cost {money(f['cost_p50'])} (forecast of "
                           f"{facts.forecast_name}).", f"{f['p_over_budget']:.0%}", "Forecast"))
    if len(facts.risks):
        top = facts.risks.iloc[0]
        out.append(Finding(f"expected cost of the largest open risk, "
                           f"{top.get('title', top.name)} ({len(facts.risks)} open).",
                           money(top["expected_cost"]), "Top risks"))
    if len(facts.benefits):
        behind = facts.benefits["status"].isin(["off_track", "at_risk"]).sum()
        out.append(Finding(f"of {len(facts.benefits)} benefits off track or at risk.",
                           str(int(behind)), "Benefits"))
    return out[:LIMIT]


def benefits(status: pd.DataFrame, by_objective: pd.DataFrame, attention: pd.DataFrame
             ) -> list[Finding]:
    """Realised against planned, off track, at risk, unmeasured, the weakest objective."""
    total = by_objective.attrs.get("total", {})
    out = []
    if total:
        out.append(Finding(f"of the committed improvement is realised, against "
                           f"{total['planned_share']:.0%} planned by now "
                           f"({total['committed']} benefits).", f"{total['realised_share']:.0%}",
                           "Roll-up by objective"))
    counts = attention["status"].value_counts() if len(attention) else pd.Series(dtype=int)
    for key, words in (("off_track", "off track"), ("at_risk", "at risk"),
                       ("not_measured", "not measured since realisation started")):
        n = int(counts.get(key, 0))
        if n:
            out.append(Finding(f"{_plural(n, 'benefit is', 'benefits are')} {words}.", str(n),
                               "Benefits needing attention"))
    rated = by_objective.dropna(subset=["realised_share", "planned_share"])
    if len(rated):
        gap = (rated["planned_share"] - rated["realised_share"]).sort_values(ascending=False)
        worst = gap.index[0]
        name = rated.at[worst, "objective"] if "objective" in rated.columns else worst
        out.append(Finding(f"behind plan: {name}, the objective furthest behind.",
                           f"{gap.iloc[0]:.0%}", "Roll-up by objective"))
    return out[:LIMIT]


def capacity(portfolio, cap: pd.DataFrame, over: pd.DataFrame) -> list[Finding]:
    """Over-allocated team-months, the worst one and who causes it, the busiest team."""
    if over.empty:
        return [Finding("team-months over capacity: the teams can carry the committed work.",
                        "0", "Utilisation by team and month")]
    months = over.drop_duplicates(["team_id", "month"])
    worst = months.sort_values("over", ascending=False, kind="stable").iloc[0]
    causes = over[(over["team_id"] == worst["team_id"]) & (over["month"] == worst["month"])]
    team_names = portfolio.teams.set_index("team_id")["name"].astype(str).to_dict() \
        if "name" in portfolio.teams.columns else {}
    team = f"{worst['team_id']} {team_names.get(worst['team_id'], '')}".strip()
    out = [Finding(f"team-months are over capacity, across {months['team_id'].nunique()} teams.",
                   str(len(months)), "Over-allocations and the projects causing them"),
           Finding(f"FTE over in the worst month: {team} in {worst['month']} "
                   f"({worst['demand']:.1f} asked of {worst['capacity']:.1f}), asked by "
                   f"{names(portfolio, causes['project_id'])}.", f"{worst['over']:.1f}",
                   "Over-allocations and the projects causing them")]
    return out


def prioritisation(portfolio, selection, budget: float) -> list[Finding]:
    """What the optimum funds within the budget, and where it differs from the cut-line."""
    t = selection.table
    chosen = t[t["selected"]]
    out = [Finding(f"of {len(t)} candidates funded by the optimal selection within "
                   f"{money(budget)}, costing {money(chosen['budget'].sum())}.",
                   str(len(chosen)), "Ranking and selection")]
    differ = t[t["selected"] != t["greedy"]]
    if len(differ):
        out.append(Finding(f"{_plural(len(differ), 'candidate is', 'candidates are')} treated "
                           f"differently by the optimum than by a cut-line down the ranking: "
                           f"{names(portfolio, differ.index)}.", str(len(differ)),
                           "Ranking and selection"))
    if len(t):
        best = t.sort_values("rank", kind="stable").iloc[0]
        out.append(Finding(f"score of the top-ranked candidate, {names(portfolio, [best.name])}.",
                           f"{best['score']:.1f}", "Ranking and selection"))
    return out[:LIMIT]


def governance(portfolio, summary: pd.DataFrame, drift: pd.DataFrame, scope: pd.DataFrame,
               owed: pd.DataFrame, audit: pd.DataFrame, growth_alert: float) -> list[Finding]:
    """Pending changes, baseline drift, scope growth, overdue decisions, ungated stage changes."""
    out = []
    if "proposed" in summary.index:
        row = summary.loc["proposed"]
        out.append(Finding(f"change requests wait for a decision, carrying "
                           f"{money(row['cost_impact'])} and {row['schedule_impact_days']:,.0f} "
                           "days.", str(int(row["changes"])), "Change requests by status"))
    if len(drift):
        out.append(Finding(f"baseline drift in all from approved changes; the largest is "
                           f"{names(portfolio, drift.index[:1])}.",
                           money(drift["drift_money"].sum()), "Baseline drift by project"))
    grown = scope[scope["growth"] > growth_alert] if len(scope) else scope
    if len(grown):
        out.append(Finding(f"{_plural(len(grown), 'project has', 'projects have')} grown their "
                           f"scope by more than {growth_alert:.0%}: "
                           f"{names(portfolio, grown.index)}.",
                           str(len(grown)), "Scope growth and churn"))
    if len(owed):
        out.append(Finding(f"{_plural(len(owed), 'decision is', 'decisions are')} overdue, the "
                           f"latest by {int(owed['days_late'].max())} days.", str(len(owed)),
                           "Decisions owed"))
    if len(audit) and "decision_id" in audit.columns:
        missing = int(audit["decision_id"].isna().sum())
        if missing:
            out.append(Finding("stage changes have no gate decision recorded.", str(missing),
                               "Gate audit"))
    return out[:LIMIT]


def quarterly_review(align: pd.DataFrame, changes, rollup: pd.DataFrame, asks: pd.DataFrame
                     ) -> list[Finding]:
    """Decisions asked, the largest spend gap, selection changes, benefits realised."""
    out = [Finding(f"{_plural(len(asks), 'decision is', 'decisions are')} asked of the board "
                   "this quarter.", str(len(asks)), "Decisions needed")]
    known = align.dropna(subset=["spend_gap"]) if len(align) else align
    if len(known):
        oid = known["spend_gap"].abs().idxmax()
        name = f"{known.at[oid, 'objective']} ({oid})" if "objective" in known.columns else oid
        out.append(Finding(f"percentage points of committed money against its weight for "
                           f"{name}, the furthest from its weight.",
                           f"{known.at[oid, 'spend_gap'] * 100:+.0f}", "Strategic alignment"))
    if not changes.message and len(changes.table):
        t = changes.table
        fund, drop = t.index[t["change"] == "fund"], t.index[t["change"] == "drop"]
        out.append(Finding(f"proposed projects to fund and {len(drop)} approved to drop, by the "
                           "exact optimum within the money.", str(len(fund)),
                           "Selection changes proposed by prioritisation"))
    total = rollup.attrs.get("total", {})
    if total:
        out.append(Finding(f"of the committed improvement is realised, against "
                           f"{total['planned_share']:.0%} planned by now.",
                           f"{total['realised_share']:.0%}", "Benefits realisation"))
    return out[:LIMIT]


def plan(simulation) -> list[Finding]:
    """P50 and P80 finish against the plan, and the task that drives the P80 most."""
    if simulation is None:
        return []
    s = simulation.summary().iloc[0]
    out = [Finding(f"chance of meeting the planned finish {s['planned_finish']:%Y-%m-%d}.",
                   f"{s['p_on_time']:.0%}", "When it will finish"),
           Finding(f"is the P80 finish (80% of {len(simulation.finish):,} simulated futures "
                   f"finish by then); half finish by {s['finish_p50']:%Y-%m-%d}.",
                   f"{s['finish_p80']:%Y-%m-%d}", "When it will finish")]
    crit = simulation.criticality()
    drivers = crit[crit["p80_criticality"] > 0]
    if len(drivers):
        tid, row = next(drivers.iterrows())
        out.append(Finding(f"of the late futures have {tid} {row['name']} on their critical "
                           "path, the largest driver of the P80.",
                           f"{row['p80_criticality']:.0%}", "What drives the finish"))
    return out


def _evidence_label(link: str) -> str:
    """``capacity.html#Over-allocations`` -> ``Over allocations (capacity)``."""
    page, _, target = link.partition("#")
    report = page.removesuffix(".html").replace("_", " ")
    return f"{target.replace('-', ' ')} ({report})" if target else report


def executive_summary(found) -> list[Finding]:
    """The most important insights, each led by its money at stake, linked to its evidence."""
    return [Finding(f"at stake: {split_headline(r.headline, r.claim)[0]}", money(r.money_at_stake),
                    _evidence_label(r.evidence), href=r.evidence)
            for r in found.table.head(LIMIT).itertuples()]


def risk_forecast(portfolio, table: pd.DataFrame, diagnostics) -> list[Finding]:
    """Likely overruns and late finishes, the lowest joint confidence, the sampler's health.

    ``diagnostics`` is :func:`pmo_nb.forecast.diagnostics` of the fit (``ok``, ``warnings``).
    """
    if not len(table):
        return [Finding("active projects to forecast.", "0", "Projects most at risk")]
    n = len(table)
    over = int((table["p_over_budget"] > 0.5).sum())
    late = int((table["p_late"] > 0.5).sum())
    worst = table["p_on_budget_and_time"].idxmin()
    out = [Finding(f"of {n} active projects are more likely than not to overrun their budget.",
                   str(over), "Projects most at risk"),
           Finding(f"of {n} are more likely than not to finish late.", str(late),
                   "Projects most at risk"),
           Finding(f"chance of landing on budget and on time for "
                   f"{names(portfolio, [worst])}, the lowest.",
                   f"{table.at[worst, 'p_on_budget_and_time']:.0%}", "Projects most at risk"),
           Finding("convergence warnings: the sampler converged (R-hat, effective sample "
                   "size, no divergences)." if diagnostics.ok else "convergence warnings: the "
                   "sampler did not converge well enough, treat the forecasts with caution.",
                   str(len(diagnostics.warnings)), "Convergence")]
    return out


def executive_app(kpi: dict) -> list[Finding]:
    """The executive dashboard's tiles in words: red, likely overruns, benefits, capacity."""
    out = [Finding(f"of {kpi['live']} live projects report red at their latest status update.",
                   str(kpi["red"]), "RAG chart")]
    if kpi.get("likely_overruns") is not None:
        out.append(Finding("projects are more than 70% likely to overrun their budget "
                           "(persisted forecast).", str(kpi["likely_overruns"]),
                           "overrun chart"))
    realised = kpi.get("benefits_realised")
    if realised is not None and pd.notna(realised):
        out.append(Finding("of the committed benefit improvement is realised.",
                           f"{realised:.0%}", "benefits chart"))
    out.append(Finding("team-months are over capacity around the reporting date.",
                       str(kpi["over_team_months"]), "capacity heatmap"))
    return out[:LIMIT]

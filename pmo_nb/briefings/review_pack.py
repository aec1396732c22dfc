"""The quarterly portfolio review pack: alignment, selection changes, benefits, accuracy, decisions.

Pure functions on a :class:`~pmo_nb.portfolio.Portfolio` (and, when a
forecasting run persisted them, a forecast table and a backtest scorecard;
nothing is sampled here).

- :func:`alignment` compares where the money and the forecast benefit go
  with the board's objective weights. A project's money is split over the
  objectives in proportion to its alignment scores (a project scored 4 on
  one objective and 1 on another puts 80% of its money on the first);
  projects with no positive score are "(unaligned)". Money is the budget of
  the committed projects (active, approved, on hold), or, for a project the
  forecast covers, its median forecast cost. Benefit is counted in units of
  committed improvement (one per benefit, as in
  :func:`pmo_nb.benefits.status.benefits_rollup`); the forecast benefit of an
  objective is the sum of its benefits' forecast shares (capped at 1).
- :func:`selection_changes` re-optimises the candidates (proposed and
  approved) with :func:`pmo_nb.select_portfolio` at the money already
  committed to the approved ones: which proposals the optimum would fund
  and which approvals it would drop.
- :func:`accuracy` summarises a persisted backtest scorecard.
- :func:`decisions` derives the decisions the board is asked to take.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_nb.benefits.status import UNASSIGNED, benefits_rollup, benefits_status
from pmo_nb.forecast.calibration import COVERAGE_BAND
from pmo_nb.formatting import labelled_list, money
from pmo_nb.portfolio import Portfolio
from pmo_nb.prioritise.frontier import default_budget
from pmo_nb.prioritise.scoring import objective_weights
from pmo_nb.prioritise.selection import InfeasibleSelection, select_portfolio

#: Stages whose money counts as committed spend.
COMMITTED = ("active", "approved", "on_hold")
#: Label of the money of projects aligned with no objective.
UNALIGNED = "(unaligned)"
#: An objective whose share of money differs from its weight by more than this is flagged.
GAP = 0.10
#: Target band of the 80% interval's coverage in the backtest.
#: Objectives realising less than this share of their planned benefit are flagged.
BEHIND = 0.7


def alignment(portfolio: Portfolio, as_of=None, forecast: pd.DataFrame | None = None,
              status: pd.DataFrame | None = None) -> pd.DataFrame:
    """Money and forecast benefit by objective against the board's weights.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``objective_id`` (objectives in table order, then
        ``(unaligned)`` when some money is unaligned): ``objective``,
        ``weight_share``, ``spend``, ``spend_share``, ``spend_gap`` =
        spend share - weight share, ``benefits`` (committed benefit units),
        ``benefit_forecast`` (forecast units), ``benefit_share`` (of all
        forecast units) and ``benefit_gap``. ``attrs["spend_basis"]`` says
        whether forecast costs were used.
    """
    objectives = portfolio.objectives
    w = objective_weights(portfolio)
    p = portfolio.projects
    live = p[p["stage"].isin(COMMITTED)].set_index("project_id")
    spend = live["budget"].astype(float)
    basis = "budget of the active, approved and on-hold projects"
    if forecast is not None and len(forecast):
        f = forecast.set_index("project_id") if "project_id" in forecast.columns else forecast
        covered = spend.index.intersection(f.index)
        if len(covered):
            spend.loc[covered] = f.loc[covered, "cost_p50"].astype(float)
            basis = (f"median forecast cost for the {len(covered)} forecast projects, budget "
                     "for the other committed projects")
    a = portfolio.alignment
    a = a[a["project_id"].isin(spend.index) & (a["score"] > 0)]
    share = a["score"] / a.groupby("project_id")["score"].transform("sum")
    money_by = (share * a["project_id"].map(spend).to_numpy()).groupby(a["objective_id"]).sum()
    unaligned = float(spend[~spend.index.isin(set(a["project_id"]))].sum())

    if status is None:
        status = benefits_status(portfolio, as_of)
    roll = benefits_rollup(status, portfolio, "objective")
    units = status["forecast_share"].clip(upper=1.0).groupby(
        status["objective_id"].fillna(UNASSIGNED)).sum(min_count=1)

    ids = list(objectives["objective_id"]) + ([UNALIGNED] if unaligned > 0 else [])
    out = pd.DataFrame(index=pd.Index(ids, name="objective_id"))
    out["objective"] = objectives.set_index("objective_id")["name"].reindex(ids).fillna(UNALIGNED)
    out["weight_share"] = w.reindex(ids).fillna(0.0)
    out["spend"] = money_by.reindex(ids).fillna(0.0)
    if unaligned > 0:
        out.loc[UNALIGNED, "spend"] = unaligned
    total = out["spend"].sum()
    out["spend_share"] = out["spend"] / total if total > 0 else np.nan
    out["spend_gap"] = out["spend_share"] - out["weight_share"]
    out["benefits"] = roll["committed"].reindex(ids).fillna(0).astype("int64")
    out["benefit_forecast"] = units.reindex(ids)
    forecast_total = out["benefit_forecast"].sum()
    out["benefit_share"] = (out["benefit_forecast"] / forecast_total if forecast_total > 0
                            else np.nan)
    out["benefit_gap"] = out["benefit_share"] - out["weight_share"]
    out.attrs["spend_basis"] = basis
    return out


def alignment_sentences(table: pd.DataFrame) -> list[str]:
    """The largest over- and under-funded objectives, in words with their numbers."""
    known = table.drop(index=UNALIGNED, errors="ignore").dropna(subset=["spend_gap"])
    if known.empty:
        return ["No committed project is aligned with an objective, so money cannot be "
                "compared with the objective weights (alignment table)."]
    out = []
    hi, lo = known["spend_gap"].idxmax(), known["spend_gap"].idxmin()
    for oid, word in ((hi, "more"), (lo, "less")):
        r = known.loc[oid]
        if (word == "more" and r["spend_gap"] > 0) or (word == "less" and r["spend_gap"] < 0):
            out.append(f"{r['objective']} ({oid}) receives {r['spend_share']:.0%} of the committed "
                       f"money against a weight of {r['weight_share']:.0%}: "
                       f"{abs(r['spend_gap']) * 100:.0f} percentage points {word} than its weight "
                       f"(alignment-weighted {table.attrs.get('spend_basis', 'spend')}).")
    if UNALIGNED in table.index:
        r = table.loc[UNALIGNED]
        out.append(f"{money(r['spend'])} ({r['spend_share']:.0%}) of the committed money goes to "
                   "projects aligned with no objective (alignment table).")
    return out


@dataclass
class SelectionChanges:
    """What re-optimising the candidates at the committed money would change.

    ``table``: every candidate with ``change`` (``fund`` a proposal,
    ``drop`` an approval, ``keep``, ``leave out``), ``reason``, ``score``,
    ``rank``, ``budget``, ``stage``. ``message`` explains an infeasible
    request (then ``table`` is empty). ``selection`` is the optimum itself
    (:class:`pmo_nb.prioritise.Selection`; None without one).
    """

    table: pd.DataFrame
    budget: float
    basis: str
    sentences: list = field(default_factory=list)
    message: str | None = None
    selection: object | None = None

    @property
    def fund(self) -> list[str]:
        return list(self.table.index[self.table["change"] == "fund"])

    @property
    def drop(self) -> list[str]:
        return list(self.table.index[self.table["change"] == "drop"])


def selection_changes(portfolio: Portfolio, budget: float | None = None, *,
                      method: str = "weighted", time_limit: float | None = 30.0,
                      weights=None) -> SelectionChanges:
    """Re-run :func:`pmo_nb.select_portfolio` over the proposed and approved projects.

    Parameters
    ----------
    budget : float, optional
        Money available; default (None or <= 0) the total budget of the
        approved projects (what is committed to candidates today), or, with no
        approved project, :func:`pmo_nb.prioritise.frontier.default_budget`.
    """

    p = portfolio.projects
    cands = p[p["stage"].isin(["proposed", "approved"])]
    empty = pd.DataFrame(columns=["name", "stage", "budget", "score", "rank", "change",
                                  "reason"])
    if cands.empty:
        return SelectionChanges(empty, 0.0, "no candidates",
                                ["There is no proposed or approved project to re-optimise "
                                 "(projects table)."])
    approved = float(cands.loc[cands["stage"] == "approved", "budget"].sum())
    if budget is not None and budget > 0:
        budget, basis = float(budget), "the budget given to this report"
    elif approved > 0:
        budget, basis = approved, "the total budget of the approved projects"
    else:

        budget, basis = default_budget(portfolio, method=method, weights=weights), \
            "half of what the candidates ask for (no project is approved)"
    try:
        sel = select_portfolio(portfolio, budget, method=method, weights=weights,
                               time_limit=time_limit)
    except InfeasibleSelection as exc:
        return SelectionChanges(empty, budget, basis, message=str(exc))
    t = sel.table.copy()
    t["stage"] = cands.set_index("project_id")["stage"].reindex(t.index)
    t["change"] = np.select(
        [t["selected"] & (t["stage"] == "proposed"), ~t["selected"] & (t["stage"] == "approved"),
         t["selected"]], ["fund", "drop", "keep"], "leave out")
    t = t[["name", "stage", "budget", "score", "rank", "change", "reason"]]
    fund, drop = t[t["change"] == "fund"], t[t["change"] == "drop"]
    sentences = [f"At {money(budget)} ({basis}), the optimal selection funds "
                 f"{len(sel.selected)} of {len(t)} candidates for {money(sel.cost)} "
                 f"(weighted score {sel.value:,.1f}; prioritisation)."]
    if len(fund):
        sentences.append(f"It would fund {len(fund)} proposal(s) not yet approved: "
                         + labelled_list(fund.index, t["name"], map(money, fund["budget"]))
                         + " (prioritisation).")
    if len(drop):
        sentences.append(f"It would drop {len(drop)} approved project(s): "
                         + labelled_list(drop.index, t["name"], drop["reason"])
                         + " (prioritisation).")
    if not len(fund) and not len(drop):
        sentences.append(f"It confirms the {int((t['stage'] == 'approved').sum())} approved "
                         "project(s) and funds no proposal (prioritisation).")
    return SelectionChanges(t, budget, basis, sentences, selection=sel)


def accuracy(card: pd.DataFrame | None) -> list[str]:
    """The backtest scorecard in words, or the plain statement that none is available."""
    if card is None or len(card) == 0:
        return ["The forecast accuracy scorecard is not available: no backtest has been "
                "persisted in the store."]
    c = card.reset_index() if "method" not in card.columns else card
    out = []
    lo, hi = COVERAGE_BAND
    for at, g in c.groupby("at", sort=True):
        g = g.set_index("method")
        if "bayes" not in g.index:
            continue
        b = g.loc["bayes"]
        ok = "within" if lo <= b["coverage_cost"] <= hi else "outside"
        text = (f"At {at:.0%} of planned duration ({int(b['n'])} projects), the forecast's 80% "
                f"cost interval held the outcome {b['coverage_cost']:.0%} of the time, {ok} the "
                f"{lo:.0%}-{hi:.0%} target")
        if pd.notna(b.get("cost_error_vs_bac_cpi", np.nan)):
            text += (f"; its median cost error was {b['cost_error_vs_bac_cpi']:.0%} of BAC/CPI's")
        out.append(text + " (backtest).")
    return out or ["The persisted backtest has no row for the Bayesian forecast (backtest)."]


def decisions(align: pd.DataFrame, changes: SelectionChanges, rollup: pd.DataFrame,
              card: pd.DataFrame | None, forecast_available: bool) -> pd.DataFrame:
    """The decisions the board is asked to take, each with why and its source.

    Derived from the other sections: objectives funded more than :data:`GAP`
    away from their weight, each proposal to fund and approval to drop,
    objectives realising less than :data:`BEHIND` of their planned benefit,
    a backtest outside the coverage band, and missing forecasts.
    """
    rows = []
    for oid, r in align.drop(index=UNALIGNED, errors="ignore").iterrows():
        if pd.notna(r["spend_gap"]) and abs(r["spend_gap"]) > GAP:
            way = "Reduce" if r["spend_gap"] > 0 else "Increase"
            rows.append((f"{way} the money going to {r['objective']} ({oid}), or restate its "
                         "weight.",
                         f"{r['spend_share']:.0%} of committed money against a weight of "
                         f"{r['weight_share']:.0%}.", "strategic alignment"))
    if UNALIGNED in align.index and align.loc[UNALIGNED, "spend_share"] > GAP:
        rows.append(("Confirm why the unaligned projects are funded, or align them.",
                     f"{align.loc[UNALIGNED, 'spend_share']:.0%} of committed money serves no "
                     "objective.", "strategic alignment"))
    for pid, r in changes.table.iterrows():
        if r["change"] == "fund":
            rows.append((f"Approve {pid} ({r['name']}).",
                         f"Funded by the optimal selection at {money(changes.budget)}; rank "
                         f"{int(r['rank'])}, budget {money(r['budget'])}.", "selection"))
        elif r["change"] == "drop":
            rows.append((f"Reconsider the approval of {pid} ({r['name']}).",
                         f"Left out by the optimal selection at {money(changes.budget)}: "
                         f"{r['reason']}.", "selection"))
    for oid, r in rollup.iterrows():
        if (r["committed"] and pd.notna(r["planned_share"]) and r["planned_share"] > 0
                and r["realised_share"] < BEHIND * r["planned_share"]):
            rows.append((f"Ask the owners of {r.get('objective', oid) or oid}'s benefits for "
                         "recovery plans.",
                         f"{r['realised_share']:.0%} of the improvement realised against "
                         f"{r['planned_share']:.0%} planned.", "benefits realisation"))
    if card is not None and len(card):
        c = card.reset_index() if "method" not in card.columns else card
        b = c[c["method"] == "bayes"]
        lo, hi = COVERAGE_BAND
        off = b[(b["coverage_cost"] < lo) | (b["coverage_cost"] > hi)]
        if len(off):
            shown = ", ".join(f"{v:.0%}" for v in off["coverage_cost"])
            rows.append(("Have the forecast model recalibrated before relying on its ranges.",
                         f"Cost interval coverage {shown} outside {lo:.0%}-{hi:.0%}.",
                         "forecast accuracy"))
    if not forecast_available:
        rows.append(("Run the forecast so that the next review can weigh overrun risk.",
                     "No forecast has been run yet; forecast-based views are missing.",
                     "forecast"))
    return pd.DataFrame(rows, columns=["decision", "why", "source"])

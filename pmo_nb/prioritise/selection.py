"""Which projects to fund: the exact optimum within budget and capacity, beside the cut-line.

:func:`select_portfolio` solves the selection as a 0/1 mixed-integer
programme (HiGHS, through ``highspy``) rather than sorting and cutting, and
reports the greedy cut-line at the same budget so the gain is visible. Every
candidate gets a reason: why it is in, or what kept it out.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_nb.portfolio import Portfolio
from pmo_nb.prioritise.highs_solver import solve
from pmo_nb.prioritise.scoring import score
from pmo_nb.prioritise.selection_model import (
    EPS,
    InfeasibleSelection,
    SelectionModel,
    build_model,
    check_feasible,
    greedy,
)

__all__ = ["InfeasibleSelection", "Selection", "select_portfolio"]


@dataclass
class Selection:
    """The optimal selection at one budget, with the cut-line beside it.

    Attributes
    ----------
    selected : list of str
        project_ids funded by the optimum, best rank first.
    value, cost : float
        Total score and total budget of ``selected``.
    greedy_selected : list of str
        project_ids funded by the cut-line (see :func:`select_portfolio`).
    greedy_value, greedy_cost : float
        Total score and budget of the cut-line.
    budget : float
        The money available.
    method : str
        The scoring method whose score is maximised.
    table : pandas.DataFrame
        Every candidate (index project_id, in rank order): ``score``, ``rank``,
        ``name``, ``budget``, ``mandatory``, ``selected``, ``greedy`` and
        ``reason`` (``mandatory``, ``forced in``, ``optimal``; or ``forced
        out``, ``dependency: needs P``, ``capacity: team T in YYYY-MM``,
        ``budget``).
    """

    selected: list[str]
    value: float
    cost: float
    greedy_selected: list[str]
    greedy_value: float
    greedy_cost: float
    budget: float
    method: str
    table: pd.DataFrame
    #: Proven relative optimality gap: 0 = optimal; > 0 only if time_limit stopped the search.
    gap: float = 0.0

    @property
    def gain(self) -> float:
        """Value the optimum adds over the cut-line (>= 0)."""
        return self.value - self.greedy_value

    def sentences(self) -> list[str]:
        """The selection and its gain over the cut-line, in plain words."""
        out = [
            f"With a budget of {self.budget:,.0f}, the optimal selection funds "
            f"{len(self.selected)} of {len(self.table)} candidates for {self.cost:,.0f}, "
            f"a total score of {self.value:,.1f}.",
        ]
        if self.gain > 1e-9:
            pct = f" ({self.gain / self.greedy_value:.0%} more)" if self.greedy_value > 0 else ""
            only = [p for p in self.selected if p not in set(self.greedy_selected)]
            dropped = [p for p in self.greedy_selected if p not in set(self.selected)]
            out.append(
                f"Funding down the ranking until the money runs out (the cut-line) would fund "
                f"{len(self.greedy_selected)} projects for a score of {self.greedy_value:,.1f}; "
                f"the optimum adds {self.gain:,.1f}{pct} by funding "
                f"{', '.join(only) or 'nothing else'} instead of {', '.join(dropped) or 'nothing'}."
            )
        else:
            out.append(f"Here the cut-line (funding down the ranking) is already optimal: it "
                       f"reaches the same score of {self.greedy_value:,.1f}.")
        out_of = self.table.loc[~self.table["selected"], "reason"].str.split(":").str[0]
        if len(out_of):
            counts = out_of.value_counts()
            out.append("Not funded: " + ", ".join(f"{n} for {why}" for why, n in counts.items())
                       + ".")
        return out


def _reasons(model: SelectionModel, chosen: np.ndarray, budget: float) -> list[str]:
    """Why each candidate is in or out of the optimal selection ``chosen``."""
    ids = model.ids
    money = budget - float(model.cost[chosen].sum())
    load = model.demand @ chosen.astype(float) if model.demand.shape[0] else np.zeros(0)
    # every candidate's would-be overloads at once: candidate x binding team-month
    overloads = model.demand.T.toarray() + load > model.available + EPS
    reasons = []
    for i in range(len(ids)):
        if chosen[i]:
            reasons.append("mandatory" if i in model.mandatory
                           else "forced in" if i in model.forced_in else "optimal")
            continue
        if i in model.forced_out:
            reasons.append("forced out")
            continue
        if i in model.blocked:
            reasons.append("dependency: needs " + ", ".join(p for p, _ in model.blocked[i]))
            continue
        if load.size:
            over = np.flatnonzero(overloads[i])
            if over.size:
                reasons.append("capacity: " + ", ".join(
                    f"team {model.team_months[r][0]} in {model.team_months[r][1]}"
                    for r in over[:3]) + (" ..." if over.size > 3 else ""))
                continue
        missing = [ids[p] for p in model.prereqs.get(i, []) if not chosen[p]]
        if missing:
            reasons.append("dependency: needs " + ", ".join(missing))
        elif model.cost[i] > money + EPS:
            reasons.append("budget")
        else:
            reasons.append("no value")  # fits everything: only when its score is <= 0
    return reasons


def select_portfolio(portfolio: Portfolio, budget: float, *, method: str = "weighted",
                     weights: Mapping[str, float] | None = None, capacity: bool = True,
                     forced_in: Iterable[str] = (),
                     forced_out: Iterable[str] = (),
                     time_limit: float | None = 120.0) -> Selection:
    """The candidate set of greatest total score that the budget and the rules allow.

    Solves exactly (0/1 programme, HiGHS branch and bound with zero gap)::

        maximise   sum_i score_i x_i,  x_i in {0, 1}  over candidates i
        subject to sum_i budget_i x_i <= budget
                   x_i = 1  for mandatory and forced_in projects
                   x_i = 0  for forced_out projects
                   x_dep <= x_pre  when both are candidates (dependencies table)
                   x_dep = 0  when a prerequisite is neither a candidate nor
                              active/completed (e.g. cancelled or on hold)
                   sum_i fte_i,t,m x_i <= capacity_t - active_t,m  (capacity=True)

    Capacity: for every team and month, the demand of the selected candidates
    plus that of projects already active must not exceed the team's
    ``capacity_fte``. Where active projects alone already exceed it, the
    right-hand side is floored at zero: the constraint then forbids adding
    any demand in that team-month instead of making every selection
    infeasible (the existing overload is the delivery plan's problem, not the
    funding decision's). Mandatory and forced-in projects (and their
    prerequisites) are in whatever the capacity, so their demand counts as
    committed too, like the active projects'.

    The cut-line beside it: fund the required projects, then walk the ranking
    and fund each project that still fits the money left (and the same
    dependency and capacity rules), skipping those that do not, as PPM tools
    draw it. It is a feasible selection, so its value never exceeds the
    optimum's.

    Parameters
    ----------
    portfolio : Portfolio
    budget : float
        Money available (same currency as project budgets).
    method, weights
        Passed to :func:`pmo_nb.score`; candidates are proposed and approved.
    capacity : bool
        Respect team capacity (demand and teams tables).
    forced_in, forced_out : iterable of str
        project_ids to fund or to leave out whatever their score.
    time_limit : float or None
        Seconds the solver may search (None: until proven optimal). If it
        stops early, ``.gap`` says how far from optimal the answer may be and
        a warning is issued; typical portfolios solve well within it.

    Returns
    -------
    Selection

    Raises
    ------
    InfeasibleSelection
        (a ValueError) when no selection meets the request: mandatory and
        forced-in projects (with their prerequisites) over budget,
        a project both forced in and out, or a required project that depends on
        a cancelled/on-hold project or on one forced out. The message lists the
        culprits and the money needed (``.needed``).
    ValueError
        Missing scoring inputs or unknown project ids.
    """
    table = score(portfolio, method=method, weights=weights)
    model = build_model(portfolio, table, capacity=capacity,
                        forced_in=forced_in, forced_out=forced_out)
    check_feasible(model, float(budget))
    values = table["score"].reindex(model.ids).to_numpy(dtype=float)
    chosen, gap = solve(model, values, float(budget), time_limit=time_limit)
    if gap > 0:
        warnings.warn(f"the optimiser stopped at the {time_limit:g} s time limit; the selection "
                      f"is within {gap:.2%} of the optimum, not proven optimal", stacklevel=2)
    cut = greedy(model, values, float(budget))
    result = assemble(model, table, values, chosen, cut, float(budget), method)
    result.gap = gap
    return result


def assemble(model: SelectionModel, table: pd.DataFrame, values: np.ndarray,
             chosen: np.ndarray, cut: np.ndarray, budget: float, method: str) -> Selection:
    """Build the :class:`Selection` from solved vectors (shared with the frontier)."""
    out = table[["score", "rank", "name", "budget", "mandatory"]].copy()
    out["selected"] = pd.Series(chosen, index=model.ids).reindex(out.index)
    out["greedy"] = pd.Series(cut, index=model.ids).reindex(out.index)
    out["reason"] = pd.Series(_reasons(model, chosen, budget), index=model.ids).reindex(out.index)
    return Selection(
        selected=list(out.index[out["selected"]]),
        value=float(values[chosen].sum()),
        cost=float(model.cost[chosen].sum()),
        greedy_selected=list(out.index[out["greedy"]]),
        greedy_value=float(values[cut].sum()),
        greedy_cost=float(model.cost[cut].sum()),
        budget=budget,
        method=method,
        table=out,
    )

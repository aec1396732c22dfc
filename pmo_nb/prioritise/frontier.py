"""The efficient frontier: the best attainable value at each budget, by true optimisation.

Most PPM "frontiers" are the running total down a sorted list; this one solves
the selection exactly at every budget (same constraints as
:func:`pmo_nb.select_portfolio`) and keeps the cut-line's value beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from pmo_nb.portfolio import Portfolio
from pmo_nb.prioritise.highs_solver import Solver
from pmo_nb.prioritise.scoring import score
from pmo_nb.prioritise.selection_model import (
    EPS,
    SelectionModel,
    build_model,
    check_feasible,
    greedy,
)


def _solve_ascending(job) -> list[tuple[np.ndarray, float]]:
    """Optimum and proven gap at each budget of an ascending list, in one HiGHS object.

    Only the budget row's bound changes between solves, and each optimum is
    handed to the next solve as its first incumbent: the budget grew, so it
    still fits, and HiGHS prunes against it from the first node.
    """
    model, values, budgets, time_limit = job
    solver, out, previous = Solver(model), [], None
    for budget in budgets:
        previous, gap = solver.solve(values, budget, time_limit, start=previous)
        out.append((previous, gap))
    return out


def frontier_budgets(portfolio: Portfolio, n: int = 20, *, method: str = "weighted",
                     weights: Mapping[str, float] | None = None) -> np.ndarray:
    """``n`` evenly spaced budgets from the mandatory projects' cost to all candidates' cost."""
    table = score(portfolio, method=method, weights=weights)
    low = float(table.loc[table["mandatory"], "budget"].sum())
    high = float(table["budget"].sum())
    return np.linspace(low, high, n)


#: Default budget as a share of what all candidates ask for (reports and the explorer).
DEFAULT_BUDGET_SHARE = 0.5


def default_budget(portfolio: Portfolio, *, method: str = "weighted",
                   weights: Mapping[str, float] | None = None) -> float:
    """Half of what the candidates ask for, never less than the mandatory projects' cost.

    A report run without a budget answers "what if we could fund about half
    of the requests?", the usual shape of an annual funding round.
    """
    table = score(portfolio, method=method, weights=weights)
    need = float(table.loc[table["mandatory"], "budget"].sum())
    return max(need, DEFAULT_BUDGET_SHARE * float(table["budget"].sum()))


def efficient_frontier(portfolio: Portfolio, budgets: Iterable[float] | int, *,
                       method: str = "weighted", weights: Mapping[str, float] | None = None,
                       capacity: bool = True, forced_in: Iterable[str] = (),
                       forced_out: Iterable[str] = (),
                       time_limit: float | None = 120.0, n_jobs: int = 1) -> pd.DataFrame:
    """Optimal value and selection at each budget.

    Parameters
    ----------
    portfolio : Portfolio
    budgets : iterable of float, or int
        The budgets to solve at; an int ``n`` means :func:`frontier_budgets`
        with ``n`` points.
    method, weights, capacity, forced_in, forced_out, time_limit
        As for :func:`pmo_nb.select_portfolio` (time_limit is per budget).
    n_jobs : int
        Worker processes. Budgets are dealt out in turn (the 1st, 3rd, ... to
        one worker, the 2nd, 4th, ... to the next), so each worker climbs its
        own ascending list warm-started as above and the costly high budgets
        are shared; every point is still solved to the same proven optimum.

    Returns
    -------
    pandas.DataFrame
        One row per budget (ascending): ``budget``, ``value``, ``cost``,
        ``n_selected``, ``selected`` (list of project_ids), ``greedy_value``,
        ``feasible`` and ``gap`` (0 = proven optimal). Budgets below what the
        mandatory/forced projects need are kept with ``feasible`` False and NaN value.

    Raises
    ------
    InfeasibleSelection
        For conflicts no budget resolves (forced in and out, capacity,
        blocked dependencies).
    """
    if isinstance(budgets, int | np.integer):
        budgets = frontier_budgets(portfolio, int(budgets), method=method, weights=weights)
    budgets = sorted(float(b) for b in budgets)
    table = score(portfolio, method=method, weights=weights)
    model = build_model(portfolio, table, capacity=capacity,
                        forced_in=forced_in, forced_out=forced_out)
    check_feasible(model, np.inf)
    values = table["score"].reindex(model.ids).to_numpy(dtype=float)
    need = float(model.cost[model.required].sum())
    todo = sorted({b for b in budgets if need <= b + EPS})
    jobs = max(1, min(int(n_jobs), len(todo)))
    chunks = [(model, values, todo[j::jobs], time_limit) for j in range(jobs)]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            parts = list(pool.map(_solve_ascending, chunks))
    else:
        parts = [_solve_ascending(chunks[0])] if todo else []
    solved = {}
    for (_, _, part, _), results in zip(chunks, parts, strict=True):
        solved.update(zip(part, results, strict=True))
    return _table(model, table, values, budgets, solved, method)


def _table(model: SelectionModel, table: pd.DataFrame, values: np.ndarray,
           budgets: list[float], solved: dict, method: str) -> pd.DataFrame:
    """The frontier's rows: solved budgets with their cut-line, the others infeasible."""
    rows = []
    for budget in budgets:
        if budget not in solved:
            rows.append({"budget": budget, "value": np.nan, "cost": np.nan, "n_selected": 0,
                         "selected": [], "greedy_value": np.nan, "feasible": False,
                         "gap": np.nan})
            continue
        chosen, gap = solved[budget]
        cut = greedy(model, values, budget)
        ids = [model.ids[i] for i in np.flatnonzero(chosen)]
        rows.append({"budget": budget, "value": float(values[chosen].sum()),
                     "cost": float(model.cost[chosen].sum()), "n_selected": len(ids),
                     "selected": sorted(ids, key=lambda p: table.at[p, "rank"]),
                     "greedy_value": float(values[cut].sum()), "feasible": True, "gap": gap})
    out = pd.DataFrame(rows, columns=["budget", "value", "cost", "n_selected", "selected",
                                      "greedy_value", "feasible", "gap"])
    out.attrs = {"method": method, "unit": table.attrs.get("unit")}
    return out

"""The selection programme in HiGHS (``highspy``): loaded once, re-solved for new scores or budgets.

The model itself (constraints, feasibility, cut-line) is
:mod:`pmo_nb.prioritise.selection_model`; this module is how it is handed to the
solver: units, options, incumbents and column bounds.
"""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
from scipy import sparse

from pmo_nb.prioritise.selection_model import (
    EPS,
    InfeasibleSelection,
    SelectionModel,
    constraint_matrix,
)

#: HiGHS settings for the selection MIP. Measured on the benchmark's instances
#: (bench/bench_prioritisation.py; profile of 2026-12-02: the time goes to root cut
#: separation and sub-MIP heuristics, not to branching): no RINS/RENS sub-MIPs and
#: branching on pseudo-costs at once (no strong-branching warm-up). Restarts stay on:
#: on 1,000 candidates the root's reduced-cost fixing removes ~80 % of the columns and
#: the restarted model is small (4.4 vs 2.2 CPU s). One thread: HiGHS's idle workers
#: spin, so two per process would fight the decision confidence's worker processes for
#: the cores (measured: 3x slower on 2 cores). Cuts are separated at the root only:
#: profile of the 1,000-candidate selection (2026-12-02): 0.03 s of the call builds the
#: model, 1.6-1.7 CPU s is HiGHS, most of it root cut separation (about 4,500 cuts) and
#: the root reduced-cost sub-MIPs; separating again at every node cost 17 % more CPU over
#: five seeded instances (6.5 vs 5.4 s) for the same optima. (Turning the root
#: reduced-cost sub-MIPs off instead made HiGHS 1.16 report a worse selection as
#: optimal on the benchmark's instance: keep them.) Light presolve (presolve_mode 2):
#: the full presolve spent ~0.25 CPU s more for two more columns removed (0.38 vs 0.13 s
#: on bench seed 5) and runs again at every restart; measured interleaved on 2026-12-03
#: (load 6-8 on 2 cores): 12 seeded instances, two HiGHS random seeds each, 27.9 vs
#: 32.4 CPU s in all. The 20-point frontier gains less: seed 0 in one process 47.9 vs
#: 56.2 CPU s, in the bench's two processes 56.0, 49.9, 57.9, 52.9 vs 58.8, 55.3, 59.1,
#: 54.6 CPU s over four interleaved pairs (2-10 %); the same optima everywhere.
#: Tried on 2026-12-03 and not kept (same optima, within the +-10 % that HiGHS's own
#: random_seed moves one instance by, or worse): integer objective costs (HiGHS already
#: finds the scores integral, "objective integral with scale 1.3", and prunes on it);
#: capacity rows scaled to integers with floored right-hand sides, the budget floored to
#: the costs' common divisor (HiGHS does both itself: the same search); mip_heuristic_effort
#: 0.02/0.1, mip_pool_soft_limit 1,000/3,000, mip_pool_age_limit 5/10, mip_lp_age_limit
#: 5/20, no feasibility jump, no symmetry detection, mip_lifting_for_probing 1 (all within
#: 3 % over 16 instances); mip_root_presolve_only, presolve off, no restarts (worse). A
#: first incumbent makes it slower, even the optimum itself (22.6 vs 9.8 CPU s over 8
#: instances): with it the root's reduced-cost fixing restarts HiGHS a dozen times
#: after a few cuts each; only with the root reduced-cost sub-MIPs off as well is it
#: faster (7.3 s), which needs a perfect start and is the setting seen to be wrong above.
#: Extended cover cuts of the capacity rows added up front (they lift the LP bound from
#: 28,051 to 27,986 in 0.08 s) cost more than they saved (17.0 vs 12.9 CPU s, 12 instances).
#: They change the search only, never the answer: the gap stays 0.
HIGHS_OPTIONS = {
    "presolve_mode": 2,
    "mip_allow_cut_separation_at_nodes": False,
    "mip_rel_gap": 0.0,
    "mip_allow_restart": True,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_pscost_minreliable": 0,
    "threads": 1,
}
#: Money is handed to HiGHS in units of 10^k so the largest cost is at most 1,000 of
#: them: a budget row with coefficients of 1e7 and a right-hand side of 6e8 made HiGHS
#: warn that the model was badly scaled and cost 1.7x the CPU on the benchmark. The
#: solver's feasibility tolerance (1e-6 of a unit) is then at most a thousandth of the
#: currency unit for costs up to 1e9, so no selection over budget by a cent can pass.
MONEY_DIGITS = 3
_BANNER_LOCK = threading.Lock()
_BANNER_DONE = False


def _new_highs():
    """A silent :class:`highspy.Highs`.

    HiGHS prints a two-line banner on the C stdout the first time a process
    creates a solver, before any option can silence it; inside a report kernel
    that line would land in the report. The first creation therefore runs
    with file descriptor 1 pointed at /dev/null.
    """
    global _BANNER_DONE
    import highspy  # lazy: HiGHS loads only when a programme is solved

    with _BANNER_LOCK:
        if _BANNER_DONE:
            highs = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    highs = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _BANNER_DONE = True
    highs.setOptionValue("output_flag", False)
    for key, value in HIGHS_OPTIONS.items():
        highs.setOptionValue(key, value)
    return highs


def money_scale(cost: np.ndarray) -> float:
    """The power of ten that brings the largest cost to at most 10^MONEY_DIGITS units."""
    top = float(np.max(np.abs(cost), initial=0.0))
    return 10.0 ** max(0, int(np.floor(np.log10(top))) - MONEY_DIGITS + 1) if top > 0 else 1.0


class Solver:
    """One selection model loaded into HiGHS once, re-solved for new scores or budgets.

    The frontier (new budget each time) and the decision confidence (new
    scores each time) change only the objective, the budget row or column
    bounds, so the constraint matrix is handed to the solver once. Every solve
    is exact (branch and bound to zero gap) unless ``time_limit`` stops it.
    Rows: budget (in units of :func:`money_scale`), dependencies
    ``x_dep - x_pre <= 0`` (exactly 0: integral rows need no slack) and capacity.
    """

    def __init__(self, model: SelectionModel, constraints: sparse.csr_matrix | None = None,
                 options: dict | None = None):
        import highspy  # lazy: HiGHS loads only when a programme is solved

        self.model = model
        self.scale = money_scale(model.cost)
        matrix = constraint_matrix(model) if constraints is None else constraints
        matrix = sparse.diags(np.r_[1.0 / self.scale, np.ones(matrix.shape[0] - 1)]) @ matrix
        self.matrix = matrix.tocsr()
        n, rows = len(model.ids), matrix.shape[0]
        matrix = matrix.tocsc()
        self.upper = np.concatenate([[np.inf], np.zeros(model.dep_rows.shape[0]),
                                     model.available + EPS])
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, rows
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.asarray(model.lb, dtype=float)
        lp.col_upper_ = np.asarray(model.ub, dtype=float)
        lp.row_lower_ = np.full(rows, -highspy.kHighsInf)
        lp.row_upper_ = np.where(np.isfinite(self.upper), self.upper, highspy.kHighsInf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(float)
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
        self._lp = lp
        self._highspy = highspy
        self._highs = _new_highs()
        for key, value in (options or {}).items():
            self._highs.setOptionValue(key, value)
        if n:
            self._highs.passModel(lp)
        self._cols = np.arange(n, dtype=np.int32)
        self._bounded = False
        self._time_limit = None

    def _new_relaxation(self):
        """A second HiGHS holding the LP relaxation of the same rows (continuous columns)."""
        highs, n = _new_highs(), len(self.model.ids)
        if n:
            highs.passModel(self._lp)
            highs.changeColsIntegrality(
                n, self._cols, np.array([self._highspy.HighsVarType.kContinuous] * n))
        return highs

    def budget_row(self, budget: float) -> float:
        """The budget row's upper bound for ``budget`` (in the solver's money units)."""
        return (float(budget) + EPS) / self.scale

    def run(self, values: np.ndarray, budget: float, *, time_limit: float | None = None,
            start: np.ndarray | None = None, lower: np.ndarray | None = None,
            upper: np.ndarray | None = None) -> tuple[np.ndarray | None, float]:
        """Branch and bound once; ``(None, nan)`` when no selection meets the bounds.

        ``start`` is a feasible selection handed to HiGHS as its first incumbent
        (it prunes from the first node on); ``lower``/``upper`` override the
        column bounds for this solve only (reduced-cost fixing, see
        :mod:`pmo_nb.prioritise.reduced_cost`).
        """
        highs, hs, n = self._highs, self._highspy, len(self.model.ids)
        highs.changeColsCost(n, self._cols, -np.asarray(values, dtype=float))
        highs.changeRowBounds(0, -hs.kHighsInf, self.budget_row(budget))
        if lower is not None or self._bounded:
            lo = self.model.lb if lower is None else lower
            hi = self.model.ub if upper is None else upper
            highs.changeColsBounds(n, self._cols, np.asarray(lo, dtype=float),
                                   np.asarray(hi, dtype=float))
            self._bounded = lower is not None
        if time_limit != self._time_limit:
            highs.setOptionValue("time_limit", float("inf") if time_limit is None
                                 else float(time_limit))
            self._time_limit = time_limit
        if start is not None:
            incumbent = hs.HighsSolution()
            incumbent.col_value = np.asarray(start, dtype=float)
            incumbent.value_valid = True
            highs.setSolution(incumbent)
        highs.run()
        status, info = highs.getModelStatus(), highs.getInfo()
        if info.primal_solution_status != 2:  # 2 = feasible
            return None, float("nan")
        chosen = np.asarray(highs.getSolution().col_value) > 0.5
        gap = 0.0 if status == hs.HighsModelStatus.kOptimal else float(info.mip_gap)
        return chosen, gap

    def solve(self, values: np.ndarray, budget: float, time_limit: float | None = None,
              start: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """The optimal selection for ``values`` at ``budget`` and its proven gap."""
        if not self.model.ids:
            return np.zeros(0, dtype=bool), 0.0
        chosen, gap = self.run(values, budget, time_limit=time_limit, start=start)
        if chosen is None:  # check_feasible makes this rare
            status = self._highs.modelStatusToString(self._highs.getModelStatus())
            raise InfeasibleSelection([f"the solver found no selection ({status})"],
                                      self.model.ids)
        return chosen, gap


def solve(model: SelectionModel, values: np.ndarray, budget: float,
          constraints: sparse.csr_matrix | None = None,
          time_limit: float | None = None) -> tuple[np.ndarray, float]:
    """Exact 0/1 optimum (HiGHS branch and bound, zero gap).

    Returns the boolean selection and the proven relative optimality gap: 0
    when optimal; positive only when ``time_limit`` (seconds) stopped the
    search first, in which case the selection is the best found and its value
    is within that fraction of the optimum. ``constraints`` is
    :func:`constraint_matrix` (pass it to reuse it). To solve one model many
    times, build a :class:`Solver` once instead.
    """
    return Solver(model, constraints).solve(values, budget, time_limit)

"""Exact re-solves of one selection model for many objectives: a bound, fixing, a small MIP.

The decision confidence solves the same constraints for a thousand objective
vectors. A plain HiGHS solve of a 200-candidate model spends most of its time
in presolve and at the root (profile of 2026-12-02, ~40 ms a draw), on
columns whose value no good selection could change. :class:`ReducedCostSolver`
removes them first, by a textbook argument that keeps every solve exact:

1. The LP relaxation (warm-started from the previous objective's basis) prices
   the rows, ``lam >= 0``. For any ``lam >= 0`` and every selection ``x``
   meeting the constraints ``A x <= b``, with ``r = v - A' lam``::

       v.x = r.x + lam.A x <= r.x + lam.b <= L = lam.b + sum_j max(r_j, 0)

   so ``L`` bounds every selection whatever the accuracy of ``lam`` (we
   compute it ourselves from the prices, with ``b`` widened by HiGHS's
   feasibility tolerance).
2. A selection that sets column ``j`` against the sign of ``r_j`` is worth at
   most ``L - |r_j|``. For a target ``z``, every column with
   ``L - |r_j| < z`` is fixed: no selection worth ``z`` or more has it otherwise.
3. Every earlier optimum meets the same constraints, so the best of them
   under the new scores is a feasible selection worth ``z_inc``.
4. HiGHS solves the programme over the columns left for a target ``z`` a
   little above ``z_inc``. If its optimum reaches ``z`` it is the optimum of
   the whole programme (every selection worth at least ``z`` was in the
   restricted one); if not, ``z`` drops to ``z_inc`` and the restricted
   programme, which then contains the incumbent, is solved once more.

Only strict inequalities fix a column, so every optimal selection survives;
HiGHS proves the restricted optimum to zero gap, as a full solve would.
"""

from __future__ import annotations

import numpy as np

from pmo_nb.prioritise.highs_solver import Solver
from pmo_nb.prioritise.selection_model import SelectionModel

#: HiGHS's MIP feasibility tolerance: a returned selection may exceed a row by this much.
ROW_TOLERANCE = 1e-6
#: The first target sits this fraction of the way from the bound down to the incumbent:
#: closer to the bound fixes more columns but fails (and solves again) more often.
#: 0.2 measured best on the benchmark's 200-candidate draws (1.8 MIPs a draw, ~13 columns left).
TARGET_SHARE = 0.2


#: The restricted programmes are small and start from an incumbent: a restart
#: (re-presolve after root fixing) costs more than it saves there (measured: 60 vs
#: 40 ms a plain 200-candidate solve), and so does the feasibility-jump heuristic.
SMALL_MIP_OPTIONS = {"mip_allow_restart": False, "mip_heuristic_run_feasibility_jump": False}


class ReducedCostSolver:
    """Solve one model at one budget, exactly, for objective after objective.

    Parameters
    ----------
    model : SelectionModel
    budget : float
    known : iterable of boolean arrays
        Selections known to meet the constraints (e.g. the stated optimum);
        each optimum found is added to them.
    """

    def __init__(self, model: SelectionModel, budget: float, known=()):
        self.mip = Solver(model, options=SMALL_MIP_OPTIONS)
        self.model, self.budget = model, float(budget)
        n = len(model.ids)
        self._lp = self.mip._new_relaxation()
        upper = self.mip.upper.copy()
        upper[0] = self.mip.budget_row(budget)
        self._lp.changeRowBounds(0, -self.mip._highspy.kHighsInf, upper[0])
        self._upper = upper + ROW_TOLERANCE
        self._cols = np.arange(n, dtype=np.int32)
        self._free = model.lb < model.ub
        self.pool = np.zeros((0, n), dtype=bool)
        for x in known:
            self._remember(np.asarray(x, dtype=bool))
        #: how many restricted MIPs each solve needed (for the benchmark's report)
        self.mip_calls = 0

    def _remember(self, x: np.ndarray) -> None:
        if not (self.pool == x).all(axis=1).any():
            self.pool = np.vstack([self.pool, x])

    def _bound(self, values: np.ndarray):
        """The Lagrangian bound ``L`` and the reduced profits ``r`` (None if the LP fails)."""
        lp = self._lp
        lp.changeColsCost(len(values), self._cols, -values)
        lp.run()
        if lp.getModelStatus() != self.mip._highspy.HighsModelStatus.kOptimal:
            return None
        prices = np.maximum(0.0, -np.asarray(lp.getSolution().row_dual))
        profit = values - self.mip.matrix.T @ prices
        gain = np.where(profit > 0, profit * self.model.ub, profit * self.model.lb)
        return float(prices @ self._upper + gain.sum()), profit

    def _fixed(self, profit: np.ndarray, bound: float, target: float, margin: float):
        """Column bounds with every column fixed that no selection worth ``target`` flips."""
        fix = self._free & (bound - np.abs(profit) < target - margin)
        lower = np.where(fix & (profit > 0), 1.0, self.model.lb)
        upper = np.where(fix & (profit < 0), 0.0, self.model.ub)
        return lower, upper

    def solve(self, values: np.ndarray) -> tuple[np.ndarray, float]:
        """The optimal selection for ``values`` and its gap (0: proven optimal)."""
        values = np.asarray(values, dtype=float)
        found = self._bound(values) if len(self.pool) else None
        if found is None:  # nothing to fix against: one plain solve
            chosen, gap = self.mip.solve(values, self.budget)
            self._remember(chosen)
            return chosen, gap
        bound, profit = found
        worth = self.pool @ values
        best = int(np.argmax(worth))
        incumbent, z_inc = self.pool[best], float(worth[best])
        margin = 1e-9 * (abs(bound) + np.abs(values).sum())
        if z_inc >= bound - margin:  # nothing can beat it
            return incumbent.copy(), 0.0
        target = bound - TARGET_SHARE * (bound - z_inc)
        for _ in range(2):
            lower, upper = self._fixed(profit, bound, target, margin)
            start = incumbent if target <= z_inc else None
            chosen, gap = self.mip.run(values, self.budget, start=start,
                                       lower=lower, upper=upper)
            self.mip_calls += 1
            if chosen is not None and gap == 0.0:
                value = float(values @ chosen)
                if value >= target - margin:
                    self._remember(chosen)
                    return chosen, 0.0
                if value > z_inc:
                    incumbent, z_inc = chosen, value
            target = z_inc
        chosen, gap = self.mip.solve(values, self.budget)  # numerical trouble: no fixing
        self._remember(chosen)
        return chosen, gap

"""The selection problem as a 0/1 programme: constraints, feasibility, MILP and cut-line.

Built once per portfolio and request (:func:`build_model`), then solved for any
objective vector and budget (:func:`solve`), so the frontier and the decision
confidence re-optimise without rebuilding the constraint matrix (HiGHS through its own
Python binding, ``highspy``: the model is loaded once and re-solved). The public
entry point is :func:`pmo_nb.select_portfolio`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from pmo_nb.portfolio import Portfolio

#: Stages whose projects already satisfy a dependency (the prerequisite exists).
SATISFIED_STAGES = ("active", "completed")
#: Stages whose demand is already committed against team capacity.
COMMITTED_STAGES = ("active",)
#: Slack for floating-point money and FTE comparisons.
EPS = 1e-7


class InfeasibleSelection(ValueError):
    """A selection request no portfolio can meet (e.g. mandatory projects over budget).

    Attributes
    ----------
    problems : list of str
        One sentence per conflict, naming the projects.
    culprits : list of str
        The project_ids involved.
    needed : float or None
        The money the required projects need when the budget is short.
    """

    def __init__(self, problems: list[str], culprits: Iterable[str], needed: float | None = None):
        self.problems = list(problems)
        self.culprits = sorted(set(culprits))
        self.needed = needed
        super().__init__("the selection request cannot be met:\n- " + "\n- ".join(self.problems))


@dataclass
class SelectionModel:
    """Constraints of one selection request over the candidates (in ``ids`` order)."""

    ids: list[str]
    cost: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    #: candidate index -> indices of its candidate prerequisites
    prereqs: dict[int, list[int]]
    #: candidate index -> non-candidate prerequisites that block it (id, stage)
    blocked: dict[int, list[tuple[str, str]]]
    #: dependency rows (x_dep - x_pre <= 0) as a sparse matrix
    dep_rows: sparse.csr_matrix
    #: candidate demand on each team-month that can bind (rows) x candidates
    demand: sparse.csr_matrix
    available: np.ndarray
    team_months: list[tuple[str, str]]
    required: np.ndarray  # bool: mandatory, forced in, and their prerequisites
    mandatory: set[int] = field(default_factory=set)
    forced_in: set[int] = field(default_factory=set)
    forced_out: set[int] = field(default_factory=set)

    @property
    def index(self) -> dict[str, int]:
        return {pid: i for i, pid in enumerate(self.ids)}


def _capacity(portfolio: Portfolio, ids: list[str], free: np.ndarray, required: np.ndarray):
    """Demand rows that can bind: free candidates' FTE per team-month and what is left.

    Left = capacity_fte - demand of committed work (active projects and the
    required candidates, which are in whatever happens), floored at 0: where
    committed work alone already exceeds a team's capacity the row only stops
    other candidates from adding demand there.
    """
    demand = portfolio.demand
    capacity = portfolio.teams.set_index("team_id")["capacity_fte"].astype(float)
    stage = portfolio.projects.set_index("project_id")["stage"]
    demand = demand[demand["team_id"].isin(capacity.index) & (demand["fte"] > 0)]
    pos = {pid: i for i, pid in enumerate(ids)}
    must = [p for p, i in pos.items() if required[i]]
    committed = demand[demand["project_id"].map(stage).isin(COMMITTED_STAGES)
                       | demand["project_id"].isin(must)]
    used = committed.groupby(["team_id", "month"])["fte"].sum()
    cand = demand[demand["project_id"].isin([p for p, i in pos.items()
                                             if free[i] > 0 and not required[i]])]
    cand = cand.groupby(["team_id", "month", "project_id"], as_index=False)["fte"].sum()
    if cand.empty:
        return sparse.csr_matrix((0, len(ids))), np.zeros(0), []
    keys = pd.MultiIndex.from_frame(cand[["team_id", "month"]])
    left = (capacity.reindex(keys.get_level_values(0)).to_numpy()
            - used.reindex(keys).fillna(0.0).to_numpy())
    cand["left"] = np.maximum(left, 0.0)
    totals = cand.groupby(["team_id", "month"]).agg(total=("fte", "sum"), left=("left", "first"))
    binding = totals[totals["total"] > totals["left"] + EPS]
    team_months = list(binding.index)
    row = {tm: r for r, tm in enumerate(team_months)}
    cand = cand[[tm in row for tm in zip(cand["team_id"], cand["month"], strict=True)]]
    rows = [row[tm] for tm in zip(cand["team_id"], cand["month"], strict=True)]
    cols = cand["project_id"].map(pos).to_numpy()
    matrix = sparse.csr_matrix((cand["fte"].to_numpy(), (rows, cols)),
                               shape=(len(team_months), len(ids)))
    return matrix, binding["left"].to_numpy(dtype=float), team_months


def build_model(portfolio: Portfolio, table: pd.DataFrame, *, capacity: bool = True,
                forced_in: Iterable[str] = (), forced_out: Iterable[str] = ()) -> SelectionModel:
    """Translate a scored candidate table and the request into a :class:`SelectionModel`.

    ``table`` is the output of :func:`pmo_nb.score` (index project_id, columns
    budget and mandatory). Unknown ids in ``forced_in``/``forced_out`` raise
    ValueError.
    """
    ids = sorted(table.index)
    pos = {pid: i for i, pid in enumerate(ids)}
    forced_in, forced_out = list(forced_in), list(forced_out)
    unknown = sorted({p for p in forced_in + forced_out if p not in pos})
    if unknown:
        raise ValueError("forced_in/forced_out name projects that are not candidates: "
                         + ", ".join(map(str, unknown)))
    n = len(ids)
    cost = table["budget"].reindex(ids).to_numpy(dtype=float)
    mandatory = {pos[p] for p in table.index[table["mandatory"].astype(bool)]}
    fin, fout = {pos[p] for p in forced_in}, {pos[p] for p in forced_out}
    lb, ub = np.zeros(n), np.ones(n)

    stage = portfolio.projects.set_index("project_id")["stage"]
    prereqs: dict[int, list[int]] = {}
    blocked: dict[int, list[tuple[str, str]]] = {}
    for dep, pre in zip(portfolio.dependencies["project_id"],
                        portfolio.dependencies["depends_on"], strict=True):
        if dep not in pos or dep == pre:
            continue
        if pre in pos:
            prereqs.setdefault(pos[dep], []).append(pos[pre])
        elif stage.get(pre) not in SATISFIED_STAGES:
            blocked.setdefault(pos[dep], []).append((pre, str(stage.get(pre, "unknown"))))
    for i in blocked:
        ub[i] = 0.0
    for i in fout:
        ub[i] = 0.0
    for i in mandatory | fin:
        lb[i] = 1.0

    pairs = [(d, p) for d, ps in prereqs.items() for p in ps]
    dep_rows = sparse.csr_matrix(
        (np.tile([1.0, -1.0], len(pairs)),
         (np.repeat(np.arange(len(pairs)), 2), np.array(pairs, dtype=int).ravel())),
        shape=(len(pairs), n),
    )
    required = np.zeros(n, dtype=bool)
    stack = list(mandatory | fin)
    while stack:
        i = stack.pop()
        if not required[i]:
            required[i] = True
            stack.extend(prereqs.get(i, []))
    if capacity:
        demand, available, team_months = _capacity(portfolio, ids, ub, required)
    else:
        demand, available, team_months = sparse.csr_matrix((0, n)), np.zeros(0), []
    return SelectionModel(ids, cost, lb, ub, prereqs, blocked, dep_rows, demand, available,
                          team_months, required, mandatory, fin, fout)


def check_feasible(model: SelectionModel, budget: float) -> None:
    """Raise :class:`InfeasibleSelection` listing every conflict in the request.

    The required set (mandatory, forced in, and their prerequisites) must be
    allowed and within budget; it is then itself a feasible selection (its
    demand counts as committed capacity), so the optimisation has an answer.
    """
    ids, problems, culprits, needed = model.ids, [], [], None
    for i in sorted((model.mandatory | model.forced_in) & model.forced_out):
        why = "forced in" if i in model.forced_in else "mandatory"
        problems.append(f"{ids[i]} is both {why} and forced out")
        culprits.append(ids[i])
    req = np.flatnonzero(model.required)
    for i in req:
        for pre, stage in model.blocked.get(i, []):
            problems.append(f"{ids[i]} is required but depends on {pre}, which is {stage} "
                            "(neither a candidate nor active/completed)")
            culprits += [ids[i], pre]
        if i in model.forced_out and i not in model.mandatory | model.forced_in:
            needers = [ids[d] for d in req if i in model.prereqs.get(d, [])]
            problems.append(f"{ids[i]} is forced out but {', '.join(needers)} depend(s) on it")
            culprits += [ids[i], *needers]
    total = float(model.cost[req].sum())
    if total > budget + EPS:
        needed = total
        problems.append(
            f"the required projects ({', '.join(ids[i] for i in req)}) cost {total:,.0f}, "
            f"{total - budget:,.0f} more than the budget of {budget:,.0f}"
        )
        culprits += [ids[i] for i in req]
    if problems:
        raise InfeasibleSelection(problems, culprits, needed)


#: HiGHS settings for the selection MIP. Measured on the benchmark's instances
#: (bench/bench_prioritisation.py; profile of 2026-12-02: the time goes to root cut
#: separation and sub-MIP heuristics, not to branching): no RINS/RENS sub-MIPs and
#: branching on pseudo-costs at once (no strong-branching warm-up). Restarts stay on:
#: on 1,000 candidates the root's reduced-cost fixing removes ~80 % of the columns and
#: the restarted model is small (4.4 vs 2.2 CPU s). One thread: HiGHS's idle workers
#: spin, so two per process would fight the decision confidence's worker processes for
#: the cores (measured: 3x slower on 2 cores). They change the search only, never the
#: answer: the gap stays 0.
HIGHS_OPTIONS = {
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


def constraint_matrix(model: SelectionModel) -> sparse.csr_matrix:
    """Rows: budget, dependencies, capacity (upper bounds given in :func:`solve`)."""
    return sparse.vstack(
        [sparse.csr_matrix(model.cost), model.dep_rows, model.demand], format="csr"
    )


def greedy(model: SelectionModel, values: np.ndarray, budget: float) -> np.ndarray:
    """The cut-line: fund the required set, then walk the ranking funding what fits.

    Projects are visited best score first (ties by project_id). Each is funded
    when it is allowed (not forced out or blocked), its candidate prerequisites
    are already funded, its cost fits the money left and its demand fits the
    capacity left; otherwise it is skipped and the walk goes on. This is the
    PPM tools' "fund down the ranking" made to respect the same rules as the
    optimum, so the two values are comparable and greedy never exceeds it.
    """
    chosen = model.required.copy()
    money = budget - float(model.cost[chosen].sum())
    columns = model.demand.T.toarray()  # candidate x binding team-month, read row by row
    room = model.available + EPS - columns[chosen].sum(axis=0)
    order = np.lexsort((np.arange(len(values)), -np.asarray(values, dtype=float)))
    for i in order:
        if chosen[i] or model.ub[i] == 0 or model.cost[i] > money + EPS:
            continue
        if any(not chosen[p] for p in model.prereqs.get(i, [])):
            continue
        if np.any(columns[i] > room):
            continue
        chosen[i] = True
        money -= model.cost[i]
        room -= columns[i]
    return chosen

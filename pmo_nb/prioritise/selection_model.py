"""The selection problem as a 0/1 programme: constraints, feasibility, MILP and cut-line.

Built once per portfolio and request (:func:`build_model`), then solved for any
objective vector and budget by :mod:`pmo_nb.prioritise.highs_solver`, so the frontier
and the decision confidence re-optimise without rebuilding the constraint matrix. The
public entry point is :func:`pmo_nb.select_portfolio`.
"""

from __future__ import annotations

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

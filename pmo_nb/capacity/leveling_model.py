"""The leveling programme's variables and constraint blocks, one builder each.

:func:`pmo_nb.capacity.leveling.level` states the problem; this module writes
it down for :func:`scipy.optimize.milp`, block by block, as
:mod:`pmo_nb.prioritise.selection_model` does for the selection: a binary
``x[p, s]`` per movable project and shift, a continuous overload ``o[t, m]``
per reachable team-month, and rows for "one shift each", "load minus overload
within capacity" and the finish-to-start links.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_array


@dataclass
class Rows:
    """Sparse constraint rows ``lo <= A @ v <= hi``, appended one block at a time."""

    r: list = field(default_factory=list)
    c: list = field(default_factory=list)
    v: list = field(default_factory=list)
    lo: list = field(default_factory=list)
    hi: list = field(default_factory=list)
    n: int = 0

    def add(self, cols, vals, lo: float, hi: float) -> None:
        """One row with ``vals`` at columns ``cols``."""
        self.r += [self.n] * len(cols)
        self.c += list(cols)
        self.v += list(vals)
        self.lo.append(lo)
        self.hi.append(hi)
        self.n += 1

    def matrix(self, n_cols: int):
        return coo_array((self.v, (self.r, self.c)), shape=(self.n, n_cols)).tocsr()


@dataclass
class LevelingProblem:
    """The variables of one leveling programme and the data its rows need."""

    variables: list[str]          # movable projects that demand capacity or are linked
    shifts: int                   # S: shifts 0..S months
    rows: pd.DataFrame            # demand rows of the movable projects (project_id, team_id, m)
    cells: pd.MultiIndex          # reachable team-months, one overload variable each
    fixed_load: np.ndarray        # demand of unmovable projects in each cell
    capacity: np.ndarray          # each cell's team capacity (FTE)

    @property
    def pos(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.variables)}

    @property
    def n_x(self) -> int:
        return len(self.variables) * (self.shifts + 1)

    @property
    def n_o(self) -> int:
        return len(self.cells)

    def x(self, project_id: str, shift: int) -> int:
        """Column of ``x[project, shift]``."""
        return self.pos[project_id] * (self.shifts + 1) + shift


def build_problem(variables: list[str], shifts: int, demand: pd.DataFrame,
                  capacity: pd.Series) -> LevelingProblem:
    """Variables and reachable team-months; fixed demand sits there as a constant."""
    moving = demand[demand["project_id"].isin(set(variables))]
    reach = pd.concat([moving.assign(m=moving["m"] + s) for s in range(shifts + 1)])
    cells = reach[["team_id", "m"]].drop_duplicates().reset_index(drop=True)
    index = pd.MultiIndex.from_frame(cells)
    fixed = (demand[~demand["project_id"].isin(set(variables))].groupby(["team_id", "m"])["fte"]
             .sum().reindex(index, fill_value=0.0).to_numpy())
    return LevelingProblem(variables, shifts, moving, index, fixed,
                           cells["team_id"].map(capacity).fillna(0.0).to_numpy())


def one_shift_rows(problem: LevelingProblem, rows: Rows) -> None:
    """Exactly one shift per movable project."""
    width = problem.shifts + 1
    for i in problem.pos.values():
        rows.add(range(i * width, (i + 1) * width), [1.0] * width, 1.0, 1.0)


def load_rows(problem: LevelingProblem, rows: Rows) -> None:
    """Per reachable team-month: ``sum(moved demand) - o <= capacity - fixed demand``."""
    n_o = problem.n_o
    if not n_o:
        return
    width, pos = problem.shifts + 1, problem.pos
    agg = problem.rows.groupby(["project_id", "team_id", "m"], as_index=False)["fte"].sum()
    for s in range(width):
        cell = problem.cells.get_indexer(pd.MultiIndex.from_arrays([agg["team_id"],
                                                                    agg["m"] + s]))
        rows.r += list(rows.n + cell)
        rows.c += list(agg["project_id"].map(pos).to_numpy() * width + s)
        rows.v += list(agg["fte"].to_numpy())
    rows.r += list(rows.n + np.arange(n_o))
    rows.c += list(problem.n_x + np.arange(n_o))
    rows.v += [-1.0] * n_o
    rows.lo += [-np.inf] * n_o
    rows.hi += list(problem.capacity - problem.fixed_load)
    rows.n += n_o


def dependency_rows(problem: LevelingProblem, rows: Rows, links: pd.DataFrame,
                    allowed_of) -> np.ndarray:
    """Finish-to-start links; returns the variables' upper bounds (0 = shift forbidden).

    ``allowed_of(link)`` gives ``allowed[a, b]`` (prerequisite shift a,
    dependent shift b). A link with one side fixed only forbids shifts of the
    other; with both movable it becomes ``x[A, a] <= sum of x[B, b] over allowed b``.
    """
    S, pos = problem.shifts, problem.pos
    upper = np.ones(problem.n_x + problem.n_o)
    upper[problem.n_x:] = np.inf
    for _, dep in links.iterrows():
        pre, post = dep["depends_on"], dep["project_id"]
        a_var, b_var = pre in pos, post in pos
        if not (a_var or b_var):
            continue
        allowed = allowed_of(dep)
        a_dom = range(S + 1) if a_var else [0]
        b_dom = range(S + 1) if b_var else [0]
        for a in a_dom:
            ok = [b for b in b_dom if allowed[a, b]]
            if not a_var:
                for b in b_dom:
                    if b not in ok:
                        upper[problem.x(post, b)] = 0.0
            elif not b_var:
                if not ok:
                    upper[problem.x(pre, a)] = 0.0
            elif len(ok) < len(b_dom):
                rows.add([problem.x(pre, a)] + [problem.x(post, b) for b in ok],
                         [1.0] + [-1.0] * len(ok), -np.inf, 0.0)
    return upper

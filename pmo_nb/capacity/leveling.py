"""Resource leveling: whole-month start shifts that minimise team overload.

The problem is solved exactly as a mixed-integer linear programme with
:func:`scipy.optimize.milp` (HiGHS):

- a binary ``x[p, s]`` for each movable project ``p`` and shift ``s`` in
  ``0..max_shift_months`` (exactly one chosen per project);
- a continuous ``o[t, m] >= 0`` for each team-month a movable project can
  reach, with ``o[t, m] >= fixed demand + sum(demand moved there) - capacity``;
- finish-to-start links with lag: for a dependent ``B`` on ``A``, a pair of
  shifts ``(a, b)`` is allowed when ``start_B + b months >= finish_A + a months
  + lag``. A link the plan already breaks (the organisation accepted the
  overlap) may not be made worse, so shifting both by the same amount stays
  allowed. Written as ``x[A, a] <= sum of x[B, b] over allowed b``.

It minimises total overload (sum over team-months of max(0, demand -
capacity), FTE-months), then, among plans with that overload, the months
shifted in total (lexicographic: see :func:`_solve`). Shifting by whole
calendar months moves each demand row ``s`` months later and the planned
dates by ``s`` calendar months.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from pmo_nb.capacity.demand import DEFAULT_STAGES, capacity, demand_rows, included_projects
from pmo_nb.capacity.leveling_model import (
    Rows,
    build_problem,
    dependency_rows,
    load_rows,
    one_shift_rows,
)
from pmo_nb.portfolio import Portfolio

#: Objectives :func:`level` knows.
OBJECTIVES = ("overload",)


def _movability(projects: pd.DataFrame, fixed: set[str], as_of) -> pd.Series:
    """Why each project cannot move ('' when it can)."""
    reasons = pd.Series("", index=projects.index, dtype="str")
    started = projects["stage"].eq("active")
    if as_of is not None:
        started &= projects["start_date"] <= pd.Timestamp(as_of)
    reasons[started] = "under way (active, started " + projects.loc[
        started, "start_date"
    ].dt.strftime("%Y-%m-%d") + "): cannot move"
    mandatory = projects["mandatory"].fillna(False).astype(bool)
    reasons[mandatory] = "mandatory: cannot move"
    reasons[projects["project_id"].isin(fixed)] = "fixed by request"
    return reasons


def _link_allowed(dep: pd.Series, projects: pd.DataFrame, max_shift: int) -> np.ndarray:
    """``allowed[a, b]`` for one link: prerequisite shift a, dependent shift b."""
    pre = projects.loc[dep["depends_on"]]
    post = projects.loc[dep["project_id"]]
    lag = pd.Timedelta(days=float(dep["lag_days"]) if pd.notna(dep["lag_days"]) else 0.0)
    shifts = range(max_shift + 1)
    pre_finish = [pre["finish_date"] + pd.DateOffset(months=a) for a in shifts]
    post_start = [post["start_date"] + pd.DateOffset(months=b) for b in shifts]
    slack0 = post_start[0] - pre_finish[0] - lag
    floor = min(pd.Timedelta(0), slack0)
    return np.array([[post_start[b] - pre_finish[a] - lag >= floor for b in shifts]
                     for a in shifts])


def level(
    portfolio: Portfolio,
    max_shift_months: int = 3,
    *,
    stages: Iterable[str] = DEFAULT_STAGES,
    fixed: Iterable[str] = (),
    objective: str = "overload",
    as_of=None,
    time_limit: float | None = None,
) -> pd.DataFrame:
    """Propose start shifts that minimise over-allocation, exactly.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``projects``, ``teams``, ``demand``; ``dependencies`` are respected.
    max_shift_months : int
        Each movable project may start 0 to this many months later.
    stages : iterable of str
        Projects in these stages take part (as in :func:`pmo_nb.capacity.demand.capacity`).
    fixed : iterable of str
        Project ids the caller does not want moved.
    objective : {"overload"}
        Total overload in FTE-months, ties broken by fewest months shifted.
    as_of : date-like, optional
        An active project that started on or before it cannot move. ``None``
        treats every active project as under way.
    time_limit : float, optional
        Seconds for the solver (split between the two solves). When it runs
        out, the best plan found is returned and ``attrs["optimal"]`` is False.

    Returns
    -------
    pandas.DataFrame
        One row per project in ``stages``: ``project_id``, ``shift_months``,
        ``reason``, ``movable``, ``new_start``, ``new_finish``. ``attrs``:
        ``overload_before`` / ``overload_after`` (FTE-months),
        ``months_shifted``, ``optimal`` (bool), ``mip_gap`` (relative gap of
        the overload solve), ``message`` and ``seconds``.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
    if max_shift_months < 0:
        raise ValueError("max_shift_months must be >= 0")
    began = time.perf_counter()
    stages = tuple(stages)
    S = int(max_shift_months)
    projects = portfolio.projects.set_index("project_id", drop=False)
    done = projects["stage"].eq("completed") & projects["actual_finish_date"].notna()
    projects = projects.assign(
        finish_date=projects["finish_date"].mask(done, projects["actual_finish_date"])
    )
    ids, _ = included_projects(portfolio, stages)
    links = portfolio.dependencies
    alive = set(projects.index[projects["stage"] != "cancelled"])
    links = links[links["project_id"].isin(alive) & links["depends_on"].isin(alive)]
    in_play = projects.loc[ids]
    why_not = _movability(in_play, set(fixed), as_of)
    rows = demand_rows(portfolio, ids)
    movable = [p for p in ids if why_not[p] == ""]
    mov_set = set(movable)
    has_demand = set(rows["project_id"])
    linked = set(links["project_id"]) | set(links["depends_on"])
    variables = [p for p in movable if p in has_demand or p in linked]
    cap = portfolio.teams.set_index("team_id")["capacity_fte"].astype("float64")
    problem = build_problem(variables, S, rows, cap)
    cons = Rows()
    one_shift_rows(problem, cons)
    load_rows(problem, cons)
    upper = dependency_rows(problem, cons, links, lambda dep: _link_allowed(dep, projects, S))
    n_x, n_o, pos = problem.n_x, problem.n_o, problem.pos

    before = float(capacity(portfolio, stages=stages)["over"].sum())
    shifts = {p: 0 for p in variables}
    optimal, gap, message = True, 0.0, "nothing to move"
    if variables:
        quantum = _quantum(np.r_[rows["fte"].to_numpy(), cap.to_numpy()])
        best, optimal, gap, message = _solve(
            cons.matrix(n_x + n_o), cons.lo, cons.hi, upper, n_x, n_o, S, quantum, time_limit,
            began)
        if best is not None:
            choice = best[:n_x].reshape(len(variables), S + 1).argmax(axis=1)
            shifts = {p: int(choice[i]) for p, i in pos.items()}
    return _result(portfolio, in_play, why_not, mov_set, shifts, links, stages, before,
                   optimal, gap, message, began)


def _quantum(values: np.ndarray) -> float | None:
    """The decimal step all FTE figures sit on (1, 0.1, ... 1e-6), or None."""
    values = values[np.isfinite(values)]
    for k in range(7):
        scaled = values * 10.0**k
        if np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6):
            return 10.0**-k
    return None


#: Smallest tie-break weight trusted against HiGHS's absolute gap (1e-6).
_MIN_EPS = 1e-5


def _solve(A, lo, hi, upper, n_x, n_o, S, quantum, time_limit, began):
    """Least overload, then fewest months shifted: one weighted solve or two solves.

    When every FTE figure sits on a decimal step ``q`` the total overload of
    two plans differs by 0 or by at least ``q``, so a weight ``eps < q / (most
    months that can be shifted)`` on months shifted never trades overload for
    fewer shifts: one solve is exactly lexicographic. Otherwise (or when eps
    would drown in solver tolerance) the months are minimised in a second
    solve with the overload held at its optimum.
    """
    n_var = n_x // (S + 1)
    constraints = [LinearConstraint(A, lo, hi)]
    integrality = np.r_[np.ones(n_x), np.zeros(n_o)]
    bounds = Bounds(np.zeros(n_x + n_o), upper)
    overload = np.r_[np.zeros(n_x), np.ones(n_o)]
    months = np.r_[np.tile(np.arange(S + 1, dtype="float64"), n_var), np.zeros(n_o)]

    def run(c, cons, left):
        opts = {"mip_rel_gap": 0.0}
        if left is not None:
            opts["time_limit"] = max(float(left), 0.1)
        return milp(c, integrality=integrality, bounds=bounds, constraints=cons, options=opts)

    eps = quantum / (n_var * S + 1) if quantum is not None else 0.0
    if eps >= _MIN_EPS:
        res = run(overload + eps * months, constraints, time_limit)
        gap = float(res.mip_gap) if res.mip_gap is not None else float("nan")
        return res.x, res.status == 0, gap, res.message
    res = run(overload, constraints, time_limit)
    gap = float(res.mip_gap) if res.mip_gap is not None else float("nan")
    if res.x is None:
        return None, False, gap, res.message
    left = None if time_limit is None else time_limit - (time.perf_counter() - began)
    limit = float(res.fun) + 1e-6 + 1e-9 * abs(float(res.fun))
    res2 = run(months, constraints + [LinearConstraint(overload[None, :], -np.inf, limit)],
               left)
    if res2.x is None:  # keep the overload optimum; its tie-break is unproven
        return res.x, False, gap, f"{res.message}; tie-break: {res2.message}"
    return res2.x, res.status == 0 and res2.status == 0, gap, res2.message


def _result(portfolio, in_play, why_not, mov_set, shifts, links, stages, before,
            optimal, gap, message, began) -> pd.DataFrame:
    """The leveling table with the reasons and before/after figures."""
    moved = {p: s for p, s in shifts.items() if s}
    shift = in_play["project_id"].map(lambda p: shifts.get(p, 0)).astype("int64")
    reasons = []
    for p, s in zip(in_play["project_id"], shift, strict=True):
        if why_not[p]:
            reasons.append(why_not[p])
        elif s == 0:
            reasons.append("no shift needed")
        else:
            pres = links.loc[links["project_id"] == p, "depends_on"]
            pushers = sorted(q for q in pres if moved.get(q, 0) > 0)
            unit = "month" if s == 1 else "months"
            tail = f" (with prerequisite {', '.join(pushers)})" if pushers else ""
            reasons.append(f"start {s} {unit} later to reduce overload{tail}")
    new_start = [d + pd.DateOffset(months=int(s))
                 for d, s in zip(in_play["start_date"], shift, strict=True)]
    new_finish = [d + pd.DateOffset(months=int(s))
                  for d, s in zip(in_play["finish_date"], shift, strict=True)]
    out = pd.DataFrame({
        "project_id": in_play["project_id"].to_numpy(),
        "shift_months": shift.to_numpy(),
        "reason": reasons,
        "movable": [p in mov_set for p in in_play["project_id"]],
        "new_start": pd.to_datetime(pd.Series(new_start, dtype="datetime64[ns]")),
        "new_finish": pd.to_datetime(pd.Series(new_finish, dtype="datetime64[ns]")),
    })
    after = float(capacity(portfolio, scenario=moved, stages=stages)["over"].sum())
    out.attrs.update({
        "overload_before": before,
        "overload_after": after,
        "months_shifted": int(sum(moved.values())),
        "optimal": bool(optimal),
        "mip_gap": gap,
        "message": str(message),
        "seconds": time.perf_counter() - began,
    })
    return out


def describe_leveling(plan: pd.DataFrame) -> str:
    """The leveling proposal of :func:`level` in one or two sentences."""
    a = plan.attrs
    moved = plan[plan["shift_months"] > 0]
    before, after = a.get("overload_before", np.nan), a.get("overload_after", np.nan)
    proof = ("This is the proven optimum." if a.get("optimal")
             else f"The solver stopped before proving optimality ({a.get('message', '')}).")
    if before == 0:
        return "Nothing to level: no team is over-allocated."
    if moved.empty:
        return (f"No shift within the limits reduces the overload ({before:.1f} FTE-months "
                f"stays): the projects that could move do not cause it. {proof}")
    fixed = int((~plan["movable"]).sum())
    return (f"Shifting {len(moved)} project(s) by {a.get('months_shifted', 0)} month(s) in total "
            f"cuts overload from {before:.1f} to {after:.1f} FTE-months; {fixed} project(s) "
            f"cannot move (under way, mandatory or fixed). {proof}")

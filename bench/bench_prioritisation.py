"""Benchmark the prioritisation core on a seeded synthetic portfolio (prints figures).

Run: ``.venv/bin/python bench/bench_prioritisation.py [REPEATS]``. Targets (issue #17):
optimal selection of 1,000 candidates (20 teams x 24 months of capacity, dependencies)
under 1 s and at most half the time of PuLP with its bundled CBC on the same
constraints; a 20-point frontier under 10 s, every point proven optimal (peer: twenty
cold CBC solves; ours in two worker processes, CPU counted over both); 1,000
decision-confidence draws on 200 candidates under 10 s (peer:
one plain HiGHS solve per draw, as before the reduced-cost fixing, on 100 draws).
Ours and the peers run interleaved in the same process, REPEATS times (default 3;
the frontier and the confidence once each), and the medians are compared, because the
machine is shared. PuLP is a test/bench extra, never a runtime dependency. The
instance is built here (not from pmo_nb.demo.generator) so the figures only move when
the solver code does.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from importlib.metadata import version

import numpy as np
import pandas as pd
import scipy

from pmo_nb.portfolio import Portfolio
from pmo_nb.prioritise.confidence import decision_confidence, draw_scores
from pmo_nb.prioritise.frontier import efficient_frontier
from pmo_nb.prioritise.highs_solver import Solver
from pmo_nb.prioritise.scoring import score
from pmo_nb.prioritise.selection import select_portfolio
from pmo_nb.prioritise.selection_model import EPS, SelectionModel, build_model
from pmo_nb.schema import coerce_types

MONTHS = [f"{2026 + m // 12}-{m % 12 + 1:02d}" for m in range(24)]


def synthetic(n_candidates: int, *, n_active: int = 100, n_teams: int = 20,
              n_objectives: int = 5, n_scarce: int = 4, seed: int = 0) -> Portfolio:
    """Candidates with alignment, team demand over 24 months, and dependencies."""
    rng = np.random.default_rng(seed)
    n = n_candidates + n_active
    ids = [f"P{i:04d}" for i in range(n)]
    stages = rng.choice(["proposed", "approved"], size=n, p=[0.7, 0.3]).astype(object)
    stages[n_candidates:] = "active"
    budget = np.round(rng.lognormal(np.log(1.5e6), 0.8, size=n), -3)
    mandatory = np.zeros(n, dtype=bool)
    mandatory[rng.choice(n_candidates, size=max(1, n_candidates // 50), replace=False)] = True
    projects = pd.DataFrame({
        "project_id": ids, "name": ids, "category": "IT", "stage": stages,
        "start_date": "2026-01-01", "finish_date": "2027-12-31", "budget": budget,
        "mandatory": mandatory,
    })
    objectives = pd.DataFrame({
        "objective_id": [f"O{j}" for j in range(n_objectives)],
        "name": [f"Objective {j}" for j in range(n_objectives)],
        "weight": rng.integers(1, 10, size=n_objectives).astype(float),
    })
    alignment = pd.DataFrame({
        "project_id": np.repeat(ids, n_objectives),
        "objective_id": np.tile(objectives["objective_id"], n),
        "score": rng.integers(0, 6, size=n * n_objectives).astype(float),
    })
    # a few bottleneck teams (scarce skills), the rest with room to spare
    scarce = np.arange(n_teams) < n_scarce
    capacity = np.where(scarce, rng.integers(8, 16, size=n_teams),
                        rng.integers(40, 61, size=n_teams))
    teams = pd.DataFrame({"team_id": [f"T{t:02d}" for t in range(n_teams)],
                          "name": [f"Team {t}" for t in range(n_teams)],
                          "capacity_fte": capacity.astype(float)})
    rows = []
    for p in range(n):  # each project: 1-3 teams for a 3-9 month window
        start = rng.integers(0, 8) if p >= n_candidates else rng.integers(0, 20)
        length = rng.integers(3, 10)
        for t in rng.choice(n_teams, size=rng.integers(1, 4), replace=False):
            for m in range(start, min(start + length, 24)):
                rows.append((ids[p], f"T{t:02d}", MONTHS[m], 0.5 * rng.integers(1, 5)))
    demand = pd.DataFrame(rows, columns=["project_id", "team_id", "month", "fte"])
    deps = []
    for p in range(n_candidates):  # ~15 % depend on an earlier candidate or active project
        if p > 0 and rng.random() < 0.15:
            pre = rng.integers(0, p) if rng.random() < 0.7 else rng.integers(n_candidates, n)
            if not mandatory[p]:
                deps.append((ids[p], ids[pre]))
    dependencies = pd.DataFrame(deps, columns=["project_id", "depends_on"])
    frames = {"projects": projects, "objectives": objectives, "alignment": alignment,
              "teams": teams, "demand": demand, "dependencies": dependencies}
    return Portfolio(**{k: coerce_types(k, v) for k, v in frames.items()}, source="synthetic")


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    print(f"{label:<58s} {time.perf_counter() - start:8.2f} s")
    return result


def clock(func):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def cpu_clock(func):
    """(wall s, CPU s of this process and its children, result): CBC runs as a child.

    CPU seconds move far less than wall seconds when the shared machine is loaded.
    """
    def cpu():
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    start, start_cpu = time.perf_counter(), cpu()
    result = func()
    return time.perf_counter() - start, cpu() - start_cpu, result


def cbc_select(model: SelectionModel, values: np.ndarray, budget: float) -> np.ndarray:
    """The peer: the same constraints written with PuLP and solved by its bundled CBC.

    What a user would otherwise write: one binary per candidate (bounds fixing the
    mandatory, forced and blocked ones), the budget row, x_dep <= x_pre, and the
    binding team-month capacity rows with the same right-hand sides.
    """
    import pulp  # lazy: a bench/test extra, imported only when the peer runs

    n = len(model.ids)
    prob = pulp.LpProblem("selection", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i}", lowBound=int(model.lb[i]), upBound=int(model.ub[i]),
                         cat="Integer") for i in range(n)]
    prob += pulp.LpAffineExpression([(x[i], float(values[i])) for i in range(n)])
    prob += pulp.LpAffineExpression([(x[i], float(model.cost[i])) for i in range(n)]) \
        <= budget + EPS
    for dep, pres in model.prereqs.items():
        for pre in pres:
            prob += x[dep] - x[pre] <= 0
    demand = model.demand.tocsr()
    for r in range(demand.shape[0]):
        lo, hi = demand.indptr[r], demand.indptr[r + 1]
        prob += pulp.LpAffineExpression(
            [(x[j], float(f)) for j, f in zip(demand.indices[lo:hi], demand.data[lo:hi],
                                              strict=True)]) <= model.available[r] + EPS
    status = prob.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[status] != "Optimal":
        raise RuntimeError(f"CBC: {pulp.LpStatus[status]}")
    return np.array([v.value() > 0.5 for v in x])


def load() -> str:
    """The 1/5/15-minute load averages (the machine is shared)."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def model_size(model: SelectionModel, values: np.ndarray, budget: float) -> str:
    """Rows, columns and nonzeros as handed to HiGHS and after its presolve, and the LP bound.

    PuLP + CBC on the same instance (its log, 2026-12-02): 217 x 1,000, 4,221
    nonzeros read; 173 x 895, 3,178 nonzeros after CBC's preprocessing; the same
    LP bound; CBC's root cuts lift it to about 27,962, HiGHS's to about 27,953.
    """
    solver = Solver(model)
    highs, n = solver._highs, len(model.ids)
    highs.changeColsCost(n, solver._cols, -values)
    highs.changeRowBounds(0, -np.inf, solver.budget_row(budget))
    lp = solver._new_relaxation()
    lp.changeColsCost(n, solver._cols, -values)
    lp.changeRowBounds(0, -np.inf, solver.budget_row(budget))
    lp.run()
    bound = -lp.getInfo().objective_function_value
    highs.presolve()
    reduced = highs.getPresolvedLp()
    matrix = solver.matrix
    return (f"model: {matrix.shape[0]} rows x {matrix.shape[1]} columns, {matrix.nnz:,} "
            f"nonzeros; after HiGHS presolve {reduced.num_row_} x {reduced.num_col_}, "
            f"{len(reduced.a_matrix_.value_):,} nonzeros; LP relaxation bound {bound:,.1f}")


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"pandas {pd.__version__}, highspy {version('highspy')}, pulp {version('pulp')}")
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; load average at start {load()}")

    big = timed("build synthetic portfolio (1,000 candidates)", lambda: synthetic(1000))
    cand_cost = big.projects.loc[big.projects["stage"] != "active", "budget"].sum()
    budget = 0.3 * cand_cost
    print(f"  {len(big.demand):,} demand rows, {len(big.dependencies)} dependencies, "
          f"budget {budget:,.0f} of {cand_cost:,.0f} asked")
    table = score(big)
    model = build_model(big, table)
    values = table["score"].reindex(model.ids).to_numpy(dtype=float)
    print("  " + model_size(model, values, budget))
    ours_s, cbc_s, ours_cpu, cbc_cpu, loads = [], [], [], [], []
    for _ in range(repeats):  # interleaved: both see the same load
        loads.append(load().split()[0])
        seconds, used, sel = cpu_clock(lambda: select_portfolio(big, budget))
        ours_s.append(seconds)
        ours_cpu.append(used)
        seconds, used, cbc = cpu_clock(lambda: cbc_select(model, values, budget))
        cbc_s.append(seconds)
        cbc_cpu.append(used)
    ours, peer = float(np.median(ours_s)), float(np.median(cbc_s))
    cpu_ratio = float(np.median(ours_cpu)) / float(np.median(cbc_cpu))
    same = sorted(sel.selected) == sorted(np.array(model.ids)[cbc])
    print(f"{'optimal selection, 1,000 candidates, 20 teams x 24 months':<58s} {ours:8.2f} s "
          f"wall (median of {repeats}; {', '.join(f'{t:.2f}' for t in ours_s)})")
    print(f"{'  PuLP + CBC, same constraints, interleaved':<58s} {peer:8.2f} s "
          f"wall ({', '.join(f'{t:.2f}' for t in cbc_s)}); ours / CBC = {ours / peer:.2f}")
    print(f"  CPU s, median: ours {np.median(ours_cpu):.2f} "
          f"({', '.join(f'{t:.2f}' for t in ours_cpu)}), PuLP + CBC {np.median(cbc_cpu):.2f} "
          f"({', '.join(f'{t:.2f}' for t in cbc_cpu)}); ours / CBC = {cpu_ratio:.2f}; "
          f"1-minute load before each pair: {', '.join(loads)}")
    print(f"  optimum: {len(sel.selected)} projects, value {sel.value:,.1f}, cost {sel.cost:,.0f},"
          f" gap {sel.gap:g} ({'proven optimal' if sel.gap == 0 else 'NOT proven'}); "
          f"CBC value {values[cbc].sum():,.1f}, same selection: {same}")
    print(f"  cut-line: {len(sel.greedy_selected)} projects, value {sel.greedy_value:,.1f}, "
          f"cost {sel.greedy_cost:,.0f}")
    print(f"  value gained over the cut-line: {sel.gain:,.1f} "
          f"({100 * sel.gain / sel.greedy_value:.1f} %)")
    print("  reasons:", sel.table["reason"].str.split(":").str[0].value_counts().to_dict())

    budgets = np.linspace(0.05, 0.6, 20) * cand_cost
    load_before = load().split()[0]
    jobs = min(2, os.cpu_count() or 1)
    seconds, used, front = cpu_clock(lambda: efficient_frontier(big, budgets, n_jobs=jobs))
    load_between = load().split()[0]
    peer, peer_used, cbc_values = cpu_clock(lambda: [values[cbc_select(model, values, b)].sum()
                                                     for b in budgets])
    proven = int((front["gap"] == 0).sum())
    agree = np.allclose(front["value"], cbc_values, rtol=0, atol=1e-6)
    print(f"{f'20-point efficient frontier, 1,000 candidates, {jobs} processes':<58s} "
          f"{seconds:8.2f} s wall, "
          f"{used:.2f} CPU s; {proven} of 20 points proven optimal (HiGHS mip_rel_gap 0; "
          f"largest proven gap {front['gap'].max():g})")
    print(f"{'  twenty cold PuLP + CBC solves, same budgets, next':<58s} {peer:8.2f} s wall, "
          f"{peer_used:.2f} CPU s; ours / CBC = {seconds / peer:.2f} wall, "
          f"{used / peer_used:.2f} CPU; same values: {agree}; 1-minute load before each: "
          f"{load_before}, {load_between}")
    gain = (front["value"] - front["greedy_value"]).max()
    print(f"  largest gain over the cut-line along the frontier: {gain:,.1f}")

    small = synthetic(200, n_active=40, seed=1)
    small_budget = 0.3 * small.projects.loc[small.projects["stage"] != "active", "budget"].sum()
    seconds, conf = clock(lambda: decision_confidence(small, small_budget, draws=1000, seed=0,
                                                      n_jobs=jobs))
    print(f"{f'decision confidence, 1,000 draws, 200 candidates, {jobs} processes':<58s} "
          f"{seconds:8.2f} s")
    print("  labels:", conf["label"].value_counts().to_dict())
    plain_draws = 100  # the same draws, the first 100, each solved by plain HiGHS as before
    small_table = score(small)
    small_model = build_model(small, small_table)
    drawn = draw_scores(small, small_model, draws=1000, seed=0)[:plain_draws]
    solver = Solver(small_model)
    peer, _ = clock(lambda: [solver.solve(v, small_budget) for v in drawn])
    per_draw = peer / plain_draws
    print(f"{'  one plain HiGHS solve per draw, 1 process (first 100 draws)':<58s} "
          f"{1000 * per_draw:8.1f} ms a draw: {1000 * per_draw:.1f} s for 1,000 in one "
          f"process; ours / plain = {seconds / (1000 * per_draw):.2f}")
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()

"""Benchmark: capacity, knock-on and leveling on synthetic portfolios.

Targets (issue 5): capacity and knock-on for 10,000 projects on 50 teams x
36 months under 5 s; leveling 500 projects within 60 s (the solver's time
limit; the figures say whether it proved optimality and the gap left).

Run: ``.venv/bin/python bench/bench_capacity.py [--projects 10000] [--level-projects 500]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from pmo_nb.capacity.demand import capacity, over_allocations
from pmo_nb.capacity.dependencies import critical_chain, knock_on
from pmo_nb.capacity.leveling import level
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


def synthetic(n_projects: int, n_teams: int = 50, n_months: int = 36, seed: int = 0,
              load: float = 1.0) -> Portfolio:
    """Projects of 3-12 months asking 1-4 teams for 0.5-3 FTE, linked in a sparse DAG.

    Team capacities are set to ``load`` x the team's mean monthly demand
    (rounded), so some team-months are over and leveling has work to do.
    """
    rng = np.random.default_rng(seed)
    first = pd.Period("2026-01", "M")
    length = rng.integers(3, 13, n_projects)
    begin = rng.integers(0, n_months - length + 1)
    ids = np.array([f"P{i:05d}" for i in range(n_projects)])
    starts = pd.PeriodIndex([first + int(b) for b in begin]).to_timestamp()
    finishes = pd.PeriodIndex([first + int(b + n - 1) for b, n in zip(begin, length,
                                                                     strict=True)]
                              ).to_timestamp(how="end").normalize()
    stages = rng.choice(["approved", "active", "proposed"], n_projects, p=[0.5, 0.3, 0.2])
    projects = pd.DataFrame({
        "project_id": ids, "name": ids, "category": "IT", "stage": stages,
        "start_date": starts, "finish_date": finishes, "budget": 1.0,
        "mandatory": rng.random(n_projects) < 0.05,
    })
    teams_per = rng.integers(1, 5, n_projects)
    rows_p, rows_t, rows_m, rows_f = [], [], [], []
    for i in range(n_projects):
        for t in rng.choice(n_teams, teams_per[i], replace=False):
            fte = float(rng.integers(1, 7)) / 2
            months = np.arange(begin[i], begin[i] + length[i])
            rows_p.append(np.repeat(ids[i], len(months)))
            rows_t.append(np.repeat(f"T{t:02d}", len(months)))
            rows_m.append(months)
            rows_f.append(np.full(len(months), fte))
    demand = pd.DataFrame({
        "project_id": np.concatenate(rows_p), "team_id": np.concatenate(rows_t),
        "month": [str(first + int(m)) for m in np.concatenate(rows_m)],
        "fte": np.concatenate(rows_f),
    })
    mean_load = (demand.groupby("team_id")["fte"].sum() / n_months).reindex(
        [f"T{t:02d}" for t in range(n_teams)], fill_value=0.0)
    teams = pd.DataFrame({"team_id": mean_load.index, "name": mean_load.index,
                          "capacity_fte": np.ceil(load * mean_load.to_numpy())})
    # each project waits for up to two earlier-starting ones (a DAG by construction)
    order = np.argsort(begin, kind="stable")
    links = []
    for k in range(1, n_projects):
        for _ in range(rng.integers(0, 3)):
            links.append((ids[order[k]], ids[order[rng.integers(0, k)]],
                          float(rng.integers(0, 15))))
    deps = pd.DataFrame(links, columns=["project_id", "depends_on", "lag_days"])
    deps = deps.drop_duplicates(["project_id", "depends_on"])
    return Portfolio(
        projects=coerce_types("projects", projects), teams=coerce_types("teams", teams),
        demand=coerce_types("demand", demand), dependencies=coerce_types("dependencies", deps),
    )


def timed(label: str, fn):
    began = time.perf_counter()
    out = fn()
    print(f"{label:<46} {time.perf_counter() - began:7.2f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--level-projects", type=int, default=500)
    parser.add_argument("--time-limit", type=float, default=55.0)
    args = parser.parse_args()

    pf = timed("build synthetic portfolio", lambda: synthetic(args.projects))
    print(f"  {len(pf.projects)} projects, {len(pf.teams)} teams, {len(pf.demand)} demand rows, "
          f"{len(pf.dependencies)} links")
    total = time.perf_counter()
    cap = timed("capacity (active + approved)", lambda: capacity(pf))
    over = timed("over_allocations", lambda: over_allocations(cap, pf))
    rng = np.random.default_rng(1)
    slips = {p: float(rng.integers(5, 60))
             for p in rng.choice(pf.projects["project_id"], 200, replace=False)}
    ko = timed("knock_on (200 slipping projects)", lambda: knock_on(pf, slips=slips))
    cc = timed("critical_chain", lambda: critical_chain(pf, slips=slips))
    elapsed = time.perf_counter() - total
    print(f"  {len(cap)} team-months, {int((cap['over'] > 0).sum())} over "
          f"({len(over)} project rows); {len(ko)} projects move; chain of {len(cc)}")
    print(f"capacity + over-allocations + knock-on + chain: {elapsed:.2f} s (target < 5 s)")

    small = synthetic(args.level_projects, n_teams=20, seed=2, load=1.0)
    n_in = small.projects["stage"].isin(["active", "approved"]).sum()
    print(f"leveling instance: {n_in} active/approved of {len(small.projects)} projects, "
          f"20 teams x 36 months, {len(small.dependencies)} links")
    plan = timed("level (max 3 months, as_of 2025-12-01)",
                 lambda: level(small, 3, as_of="2025-12-01", time_limit=args.time_limit))
    a = plan.attrs
    print(f"  overload {a['overload_before']:.1f} -> {a['overload_after']:.1f} FTE-months, "
          f"{a['months_shifted']} months shifted over {(plan['shift_months'] > 0).sum()} "
          f"projects; optimal={a['optimal']} gap={a['mip_gap']:.4f} ({a['message']})")


if __name__ == "__main__":
    main()

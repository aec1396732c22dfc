"""Benchmark project plans: the schedule Monte Carlo and the critical path.

Targets (issue #13, this 2-core machine): 1,000 tasks with 2,000 links x
10,000 draws in under 1 s; the critical path of a 10,000-task plan in under
1 s. Printed beside, in the same run:

- a straightforward per-draw loop (one forward pass per draw over dicts, the
  same link rules): timed on a slice of the draws and scaled to all of them;
- the PyPI schedule-simulation package the issue names, mcprojsim: it cannot
  take this plan here. Version 0.15.2 needs Python >= 3.13 (these machines run
  3.11) and models only finish-to-start dependencies without lags (no SS, FF,
  SF, no leads), so it is reported, not run.

Run: ``.venv/bin/python bench/bench_plans.py [--tasks 1000] [--links 2000] [--draws 10000]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from pmo_nb.plans.schedule import build_plan, critical_path_of
from pmo_nb.plans.simulation import run, sample_durations

KINDS = np.array(["FS", "FS", "FS", "SS", "FF", "SF"])


def synthetic_plan(n_tasks: int, n_links: int, seed: int = 0):
    """A random acyclic plan: links go from earlier to later tasks, every link type, lags."""
    rng = np.random.default_rng(seed)
    likely = rng.integers(1, 20, n_tasks).astype(float)
    tasks = pd.DataFrame({
        "task_id": [f"T{i:05d}" for i in range(n_tasks)], "project_id": "P", "name": "task",
        "duration_likely": likely, "duration_low": np.floor(likely * 0.8),
        "duration_high": np.ceil(likely * 1.8), "percent_complete": 0.0,
        "actual_start": pd.NaT, "actual_finish": pd.NaT})
    succ = rng.integers(1, n_tasks, n_links * 2)
    pred = (succ * rng.random(n_links * 2)).astype(int)
    pairs = pd.DataFrame({"p": pred, "s": succ}).drop_duplicates().head(n_links)
    links = pd.DataFrame({
        "predecessor": tasks["task_id"].to_numpy()[pairs["p"]],
        "successor": tasks["task_id"].to_numpy()[pairs["s"]],
        "type": rng.choice(KINDS, len(pairs)), "lag": rng.integers(-2, 5, len(pairs)) * 1.0})
    return tasks, links


def per_draw_loop(plan, durations: np.ndarray) -> np.ndarray:
    """The obvious implementation: one forward pass per draw, over Python lists."""
    net = plan.network
    incoming = [[(int(net.pred[k]), int(net.kind[k]), float(net.lag[k])) for k in ks]
                for ks in net.incoming]
    finishes = []
    for d in durations.T:
        es, ef = [0.0] * net.size, [0.0] * net.size
        for t in range(net.size):
            start = 0.0
            for p, kind, lag in incoming[t]:
                bound = (ef[p] + lag if kind == 0 else es[p] + lag if kind == 1
                         else ef[p] + lag - d[t] if kind == 2 else es[p] + lag - d[t])
                start = max(start, bound)
            es[t], ef[t] = start, start + d[t]
        finishes.append(max(ef))
    return np.array(finishes)


def best(fn, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - began)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--links", type=int, default=2000)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--loop-draws", type=int, default=100)
    ap.add_argument("--big", type=int, default=10_000)
    a = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    tasks, links = synthetic_plan(a.tasks, a.links)
    plan = build_plan("P", tasks, links, "2026-01-05")
    run(plan, 200, 0, "2030-01-01")  # warm: PERT tables, imports
    seconds, sim = best(lambda: run(plan, a.draws, 1, "2030-01-01"))
    print(f"simulate {a.tasks} tasks / {len(links)} links x {a.draws:,} draws: {seconds:.3f} s "
          f"(target < 1 s); P80 {np.quantile(sim.finish, 0.8):.1f} working days")
    durations = sample_durations(plan, a.loop_draws, np.random.default_rng(2))
    loop_s, finish = best(lambda: per_draw_loop(plan, durations), repeat=1)
    ours_slice = run(plan, a.loop_draws, 2, "2030-01-01")
    assert np.allclose(finish, ours_slice.finish), "the loop and the vectorised pass disagree"
    scaled = loop_s * a.draws / a.loop_draws
    print(f"per-draw loop, same plan: {loop_s:.3f} s for {a.loop_draws} draws -> "
          f"{scaled:.1f} s for {a.draws:,} (forward pass only); ours / loop = "
          f"{seconds / scaled:.3f}")
    print("mcprojsim 0.15.2 (PyPI): not run: needs Python >= 3.13 and has only "
          "finish-to-start dependencies without lags, so it cannot take this plan")
    big_tasks, big_links = synthetic_plan(a.big, 2 * a.big, seed=3)
    cp_s, cp = best(lambda: critical_path_of(build_plan("P", big_tasks, big_links,
                                                        "2026-01-05")))
    print(f"critical path of {a.big:,} tasks / {len(big_links):,} links: {cp_s:.3f} s "
          f"(target < 1 s); {int(cp['critical'].sum())} critical tasks")


if __name__ == "__main__":
    main()

"""Benchmark the risk register simulation: 1,000 risks x 100,000 draws (target < 5 s).

Run: ``.venv/bin/python bench/bench_risks.py [--risks 1000] [--draws 100000]``.
Prints the machine, then wall-clock seconds of a cold run (first call in the
process, which also builds the PERT tables), warm runs without and with
correlation, the mitigated run, the summary and the drivers (which replay the
draws), and the peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import numpy as np
import pandas as pd

from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


def synthetic_register(n_risks: int, n_projects: int = 200, seed: int = 1) -> Portfolio:
    """A register like a large organisation's: 8 categories, 10% portfolio-level risks."""
    rng = np.random.default_rng(seed)
    pids = [f"P{k:04d}" for k in range(n_projects)]
    projects = coerce_types("projects", pd.DataFrame({
        "project_id": pids, "name": [f"Project {k}" for k in range(n_projects)],
        "category": "IT", "stage": "active", "start_date": "2026-01-01",
        "finish_date": "2027-12-31", "budget": 1e6}))
    low = rng.uniform(1e4, 1e5, n_risks).round()
    likely = (low * rng.uniform(1.2, 3.0, n_risks)).round()
    high = (likely * rng.uniform(1.5, 4.0, n_risks)).round()
    dlow = rng.integers(0, 20, n_risks)
    project = np.where(rng.random(n_risks) < 0.1, None, rng.choice(pids, n_risks))
    risks = coerce_types("risks", pd.DataFrame({
        "risk_id": [f"R{k:05d}" for k in range(n_risks)], "project_id": project,
        "title": "risk", "category": rng.choice([f"C{k}" for k in range(8)], n_risks),
        "probability": rng.uniform(0.02, 0.5, n_risks).round(3),
        "cost_low": low, "cost_likely": likely, "cost_high": high,
        "delay_low": dlow, "delay_likely": dlow + 10, "delay_high": dlow + 60,
        "status": "open", "mitigated_probability": rng.uniform(0.01, 0.2, n_risks).round(3)}))
    return Portfolio(projects=projects, risks=risks, source="synthetic")


def timed(label: str, fn):
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<48s} {wall:7.2f} s wall {cpu:7.2f} s cpu")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--risks", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=100_000)
    args = parser.parse_args()
    from pmo_nb.risks.register import simulate_risks

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}, "
          f"load average {os.getloadavg()[0]:.1f} (wall time suffers when > cores)")
    portfolio = synthetic_register(args.risks)
    n, d = args.risks, args.draws
    timed(f"cold: {n} risks x {d} draws, independent",
          lambda: simulate_risks(portfolio, draws=d, seed=0))
    sim = timed(f"warm: {n} risks x {d} draws, independent",
                lambda: simulate_risks(portfolio, draws=d, seed=0))
    corr = timed(f"warm: {n} risks x {d} draws, correlation 0.5",
                 lambda: simulate_risks(portfolio, draws=d, seed=0, correlation=0.5))
    timed("warm: mitigated, correlation 0.5",
          lambda: simulate_risks(portfolio, draws=d, seed=0, correlation=0.5, mitigated=True))
    summary = timed("summary() (per project quantiles)", sim.summary)
    timed("drivers(0.8) (replays the draws)", lambda: sim.drivers(0.8))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MiB")
    total = summary.loc["(total)"]
    print(f"total risk cost: expected {total.expected_cost:,.0f} "
          f"(exact {sim.register.expected_cost.sum():,.0f}), P80 {total.cost_p80:,.0f}, "
          f"P90 {total.cost_p90:,.0f}; with correlation 0.5 P90 "
          f"{corr.summary().loc['(total)', 'cost_p90']:,.0f}")


if __name__ == "__main__":
    main()

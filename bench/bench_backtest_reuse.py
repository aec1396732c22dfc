"""Benchmark the backtest's fits with the compiled model reused (on) or not (off).

The backtest (:func:`pmo_nb.forecast.calibration.backtest`) fits the model
once per cut-off epoch, with and without the governance covariates: about
twenty stage fits in one process. :mod:`pmo_nb.forecast.reuse` keeps one
compiled model per layout. Each run here is a fresh interpreter (as
``pmo report run risk_forecast`` is), the runs interleaved off / on / off / on
on the same demo, with CPU seconds (this process and its chains), wall
seconds, the load and the reuse counts; the scorecards of on and off must be
equal. Run: ``.venv/bin/python bench/bench_backtest_reuse.py [--quick] [--rounds N]``.

Seen on 2 shared cores (--quick, 2 rounds, 20 stage fits a run, 13 reused, 7
layouts): off 176.8 / 167.1 CPU s, on 156.8 / 139.3 (on/off 0.89, 0.83) at
load 2-4; before the trace was kept, 0.90 and 0.64 at load 3.6-5.3. Full size
(900 projects, 500 draws, 15 of 20 reused, 2 runs of 1 round, load 1.7-2.0): off
188.5 / 184.0 CPU s (126.0 / 121.9 s wall), on 157.1 / 157.6 (96.0 / 96.9 s wall),
on/off 0.83 / 0.86 CPU, 0.76 / 0.79 wall.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

AS_OF = "2026-06-30"


def run_once(n_projects: int, draws: int, enabled: bool) -> dict:
    """One backtest in this interpreter; timings, reuse counts and the scorecard."""
    import resource
    import warnings

    warnings.filterwarnings("ignore")
    from pmo_nb.demo.generator import demo_portfolio
    from pmo_nb.forecast import reuse
    from pmo_nb.forecast.calibration import backtest

    reuse.set_enabled(enabled)
    portfolio = demo_portfolio(n_projects=n_projects, seed=1, as_of=AS_OF)

    def cpu():
        return sum(resource.getrusage(w).ru_utime + resource.getrusage(w).ru_stime
                   for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))

    began, cpu0 = time.perf_counter(), cpu()
    card = backtest(portfolio, draws=draws)
    return {"seconds": time.perf_counter() - began, "cpu": cpu() - cpu0,
            "load": os.getloadavg()[0], "stats": dict(reuse.STATS),
            "card": card.reset_index().to_json(orient="split", double_precision=15)}


def main(quick: bool, rounds: int) -> None:
    n_projects, draws = (400, 200) if quick else (900, 500)
    runs = {"off": [], "on": []}
    for _ in range(rounds):
        for kind in ("off", "on"):
            out = subprocess.run([sys.executable, __file__, "--once", str(n_projects), str(draws),
                                  kind], capture_output=True, text=True, check=True)
            run = json.loads(out.stdout.strip().splitlines()[-1])
            runs[kind].append(run)
            print(f"  reuse {kind:3s}: {run['seconds']:6.1f} s wall, {run['cpu']:6.1f} CPU s, "
                  f"load {run['load']:.1f}, reuse {run['stats']}", flush=True)
    cards = {run["card"] for kind in runs for run in runs[kind]}
    print(f"Backtest of the {n_projects}-project demo, {draws} draws a chain, {rounds} rounds:")
    for kind in runs:
        cpu = [r["cpu"] for r in runs[kind]]
        wall = [r["seconds"] for r in runs[kind]]
        print(f"  reuse {kind:3s}: mean {sum(cpu) / len(cpu):.1f} CPU s, "
              f"{sum(wall) / len(wall):.1f} s wall")
    ratios = [on["cpu"] / off["cpu"] for on, off in zip(runs["on"], runs["off"], strict=True)]
    print(f"  on / off CPU per round: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"  scorecards identical in every run: {len(cards) == 1}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--once":
        print(json.dumps(run_once(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "on"),
                         default=float))
    else:
        rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 2
        main(quick="--quick" in sys.argv, rounds=rounds)

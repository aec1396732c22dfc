"""Benchmark the Bayesian forecast: fit time, convergence, backtest calibration.

Prints, on the demo data:

- the two-stage model's fit time on about 2,000 completed projects, cold (an
  empty PyTensor compile cache) and with the compiled model cached (targets:
  < 25 s and < 10 s on 2 cores, issue #17), then with the C modules cached but
  no compiled model kept on disk (:mod:`pmo_nb.forecast.kept_on_disk`), with
  R-hat and bulk ESS of the main parameters (targets: R-hat <= 1.01, bulk ESS >= 400);
- the backtest scorecard (targets: 80 % interval coverage 72-88 %, p50 cost
  error at least 30 % below BAC/CPI).

Each fit runs in a fresh interpreter so that "cold" really starts from an
empty cache. Beside them, in the same run, the same fits with PyTensor left
without a BLAS (``PYTENSOR_FLAGS=blas__ldflags=``, which
:func:`pmo_nb.forecast.blas.link_openblas` respects): the configuration before
PyTensor was linked to OpenBLAS, as a peer; and a cold fit with a user's own
``gcc__cxxflags``, which turns the precompiled header off
(:mod:`pmo_nb.forecast.precompiled_header`). When nutpie is installed
(``pip install nutpie``; it is not a dependency) the same fits are repeated
with ``nuts_sampler="nutpie"`` for comparison.
Run: ``.venv/bin/python bench/bench_forecast.py [--quick]``.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

AS_OF = "2026-06-30"
#: Demo size giving about 2,000 completed projects.
N_FIT = 3100
#: Demo size for the backtest (a few hundred closed projects).
N_BACKTEST = 900


def fit_once(n_projects: int, draws: int, sampler: str = "pymc") -> dict:
    """Fit on the demo in this interpreter; the timings and diagnostics as a dict."""
    warnings.filterwarnings("ignore")
    from pmo_nb.demo.generator import demo_portfolio
    from pmo_nb.forecast import progress as progress
    from pmo_nb.forecast.convergence import diagnostics
    from pmo_nb.forecast.forecasting import fit_reference_class

    portfolio = demo_portfolio(n_projects=n_projects, seed=0, as_of=AS_OF)
    began, cpu = time.perf_counter(), _cpu()
    model = fit_reference_class(portfolio, draws=draws, sampler_config={"nuts_sampler": sampler})
    seconds = time.perf_counter() - began
    cpu = _cpu() - cpu
    report = diagnostics(model)
    return {"seconds": seconds, "cpu": cpu, "load": os.getloadavg()[0],
            "completed": len(progress.outcomes(portfolio)),
            "snapshots": int(model.idata.attrs["n_snapshots"]),
            "table": report.table.reset_index().to_dict("records"),
            "warnings": report.warnings}


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the sampler's chains).

    On a shared machine wall time depends on the load; CPU time / 2 is what
    the fit would take on two idle cores (the two chains run in parallel).
    """
    import resource

    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def run_fit(cache: str, n_projects: int, draws: int, sampler: str = "pymc",
            flags: str = "") -> dict:
    """One fit in a fresh interpreter whose PyTensor (and Numba) caches live in ``cache``."""
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={cache}{flags}",
               NUMBA_CACHE_DIR=os.path.join(cache, "numba"))
    out = subprocess.run([sys.executable, __file__, "--fit", str(n_projects), str(draws), sampler],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_fits(sampler: str, n_fit: int, draws: int, peer: bool = False) -> dict:
    """Fit cold then cached with one sampler; print both; the cached run's figures.

    With ``peer``, the same two fits without a BLAS are interleaved with them, and a
    cold fit without the precompiled header follows the cold one. Last, a fit with the
    C modules cached but the compiled model no longer kept on disk.
    """
    runs = {}
    with (tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as bare,
          tempfile.TemporaryDirectory() as plain):
        for kind in ("cold", "cached"):
            runs["openblas", kind] = run_fit(cache, n_fit, draws, sampler)
            if peer:
                runs["no BLAS", kind] = run_fit(bare, n_fit, draws, sampler, ",blas__ldflags=")
            if peer and kind == "cold":  # a user's own gcc__cxxflags: no precompiled header
                runs["no PCH", kind] = run_fit(plain, n_fit, draws, sampler, ",gcc__cxxflags=-g")
        for kept in glob.glob(os.path.join(cache, "*", "pmo_nb_models")):
            shutil.rmtree(kept)  # then the C modules cached, no compiled model kept on disk
        modules = run_fit(cache, n_fit, draws, sampler)
    first = runs["openblas", "cold"]
    print(f"Two-stage forecast model on {first['completed']} completed projects "
          f"({first['snapshots']} progress snapshots), 2 chains x {draws} draws, "
          f"sampler {sampler}:")
    for (blas, kind), run in runs.items():
        target = 25 if kind == "cold" else 10
        print(f"  fit {kind:6s} ({blas:8s}): {run['seconds']:6.1f} s wall at load "
              f"{run['load']:.1f}, {run['cpu']:.1f} CPU s (~{run['cpu'] / 2:.1f} s on 2 idle "
              f"cores; target < {target} s)")
    cached = runs["openblas", "cached"]
    print(f"  fit cached, C modules only (no compiled model kept on disk): "
          f"{modules['seconds']:.1f} s wall, {modules['cpu']:.1f} CPU s; kept / modules only "
          f"{cached['seconds'] / modules['seconds']:.2f} wall, "
          f"{cached['cpu'] / modules['cpu']:.2f} CPU")
    if peer:
        for kind in ("cold", "cached"):
            ratio = runs["openblas", kind]["cpu"] / runs["no BLAS", kind]["cpu"]
            print(f"  {kind}: OpenBLAS / no BLAS = {ratio:.2f} in CPU time")
        ours, plain = runs["openblas", "cold"], runs["no PCH", "cold"]
        print(f"  cold: precompiled header / none = {ours['seconds'] / plain['seconds']:.2f} "
              f"wall, {ours['cpu'] / plain['cpu']:.2f} CPU")
    return runs["openblas", "cached"]


def main(quick: bool = False) -> None:
    import importlib.util

    import pandas as pd

    n_fit, draws = (800, 300) if quick else (N_FIT, 1000)
    warm = print_fits("pymc", n_fit, draws, peer=True)
    table = pd.DataFrame(warm["table"]).set_index("parameter")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"  worst R-hat {table['r_hat'].max():.3f} (target <= 1.01), "
          f"lowest bulk ESS {table['ess_bulk'].min():.0f} (target >= 400)")
    for line in warm["warnings"] or ["no convergence warnings"]:
        print("  " + line)
    if importlib.util.find_spec("nutpie") is None:
        print("\n(nutpie is not installed: `pip install nutpie` to compare it)")
    else:
        print()
        nutpie = print_fits("nutpie", n_fit, draws)
        table = pd.DataFrame(nutpie["table"])
        print(f"  worst R-hat {table['r_hat'].max():.3f}, lowest bulk ESS "
              f"{table['ess_bulk'].min():.0f}")

    warnings.filterwarnings("ignore")
    from pmo_nb.demo.generator import demo_portfolio
    from pmo_nb.forecast.calibration import backtest

    portfolio = demo_portfolio(n_projects=400 if quick else N_BACKTEST, seed=1, as_of=AS_OF)
    began = time.perf_counter()
    card = backtest(portfolio, draws=200 if quick else 500)
    seconds = time.perf_counter() - began
    print(f"\nBacktest ({card.attrs['snapshots']} snapshots, {card.attrs['epochs']} yearly "
          f"epochs, {seconds:.0f} s):")
    print(card.to_string(float_format=lambda v: f"{v:.3f}"))
    bayes = card.xs("bayes", level="method")
    print(f"  80% interval coverage, cost: {bayes['coverage_cost'].min():.0%}-"
          f"{bayes['coverage_cost'].max():.0%}, duration: {bayes['coverage_duration'].min():.0%}-"
          f"{bayes['coverage_duration'].max():.0%} (target 72-88%)")
    print(f"  p50 cost error vs BAC/CPI: {bayes['cost_error_vs_bac_cpi'].min():.2f}-"
          f"{bayes['cost_error_vs_bac_cpi'].max():.2f} x (target <= 0.70)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--fit":
        print(json.dumps(fit_once(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]),
                         default=float))
    else:
        main(quick="--quick" in sys.argv)

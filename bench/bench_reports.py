"""Benchmark: the whole report suite on the demo portfolio, one and two at a time.

Runs what ``pmo report run --all`` runs (every ``reports.yml`` entry, fan-outs
expanded, and every other notebook in ``notebooks/``) into a fresh folder,
first with ``--jobs 1`` then with ``--jobs 2`` (each on its own copy of the
freshly imported store, so both fit the forecast model), and prints the wall time of
each, the speed-up and each notebook's own duration. Prints figures, never
asserts (the machine may be shared, so timings are noisy).

Run: ``.venv/bin/python bench/bench_reports.py [--projects 600] [--as-of 2026-06-30]
[--timeout 900] [--jobs 1 2]``
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from pmo_nb.config import project_root
from pmo_nb.demo.generator import demo_portfolio
from pmo_nb.reports import run_suite, select_reports
from pmo_nb.reports.schedule import load_schedule
from pmo_nb.store.core import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", default="2026-06-30")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.db"
        clock = time.perf_counter()
        store = Store(fresh)
        store.import_portfolio(
            demo_portfolio(n_projects=args.projects, seed=args.seed, as_of=args.as_of),
            source="demo", file_checksums={})
        store.close()  # the last connection checkpoints the WAL into the file we copy
        print(f"demo store ({args.projects} projects): {time.perf_counter() - clock:.1f} s")
        specs = select_reports(mode="all", schedule=load_schedule(project_root() / "reports.yml"))
        names = [s.name + (" (per active project)" if s.per else "") for s in specs]
        print(f"reports: {', '.join(names)}")
        walls = {}
        for jobs in args.jobs:
            # each run starts from the freshly imported store: a run saves the fitted
            # forecast model, which would spare the next run its fit
            db = Path(tmp) / f"portfolio-jobs{jobs}.db"
            shutil.copyfile(fresh, db)
            out = Path(tmp) / f"reports-jobs{jobs}"
            clock = time.perf_counter()
            result = run_suite(specs, as_of=args.as_of, db=db, out=out, jobs=jobs,
                               timeout=args.timeout, progress=False)
            walls[jobs] = time.perf_counter() - clock
            ok = sum(o.status == "succeeded" for o in result.outcomes)
            print(f"\n--jobs {jobs}: {walls[jobs]:.1f} s wall for {len(result.outcomes)} "
                  f"notebook runs ({ok} succeeded)")
            for o in result.outcomes:
                why = f"  {o.reason}" if o.reason else ""
                print(f"  {o.output:<40} {o.status:<9} {o.duration_s:7.1f} s{why}")
        if 1 in walls and len(walls) > 1:
            for jobs, wall in walls.items():
                if jobs != 1:
                    print(f"\nspeed-up --jobs {jobs} vs --jobs 1: {walls[1] / wall:.2f}x")


if __name__ == "__main__":
    main()

"""Benchmark: the whole report suite on the demo portfolio, one and two at a time.

Runs what ``pmo report run --all`` runs (every ``reports.yml`` entry, fan-outs
expanded, and every other notebook in ``notebooks/``) into a fresh folder,
first with ``--jobs 1`` then with ``--jobs 2`` (each on its own copy of the
freshly imported store, so both fit the forecast model), and prints the wall time of
each, the speed-up and each notebook's own duration. Then the cost of one more
per-project status page (the fan-out over a few projects and over a dozen more, one
worker, wall clock; the difference over the extra pages) beside its floor: papermill
running an empty one-cell notebook in a fresh kernel, measured in the same run. Prints
figures, never asserts (the machine may be shared, so timings are noisy).

Run: ``.venv/bin/python bench/bench_reports.py [--projects 600] [--as-of 2026-06-30]
[--timeout 900] [--jobs 1 2] [--marginal 2 14]``
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
from pmo_nb.reports.schedule import ReportSpec, load_schedule
from pmo_nb.store.core import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", default="2026-06-30")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--marginal", type=int, nargs=2, default=[2, 14], metavar=("FEW", "MORE"),
                        help="status pages of the two fan-outs timed for the marginal page "
                             "(0 0: skip)")
    parser.add_argument("--keep", type=Path, help="copy the last suite run's reports here "
                        "(to compare with bench/compare_runs.py)")
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
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
        if args.keep:
            shutil.copytree(out, args.keep, dirs_exist_ok=True)
        if 1 in walls and len(walls) > 1:
            for jobs, wall in walls.items():
                if jobs != 1:
                    print(f"\nspeed-up --jobs {jobs} vs --jobs 1: {walls[1] / wall:.2f}x")
        few, more = args.marginal
        if more > few:
            db = Path(tmp) / f"portfolio-jobs{args.jobs[-1]}.db"  # has the stored forecast
            _marginal(db, Path(tmp), args.as_of, few, more, args.timeout)


def _fan_out_wall(db: Path, out: Path, as_of: str, projects: list[str], timeout) -> float:
    """Wall seconds of the project_status fan-out over ``projects``, one worker."""
    import pmo_nb.reports.planning as planning

    listed = planning.active_projects
    planning.active_projects = lambda db=None: projects  # the fan-out's list, cut short
    try:
        clock = time.perf_counter()
        scheduled = load_schedule(project_root() / "reports.yml")
        spec = next((s for s in scheduled if s.name == "project_status"),
                    ReportSpec("project_status", "project_status", per="active_project"))
        result = run_suite([spec], as_of=as_of, db=db, out=out, jobs=1, timeout=timeout,
                           progress=False)
        wall = time.perf_counter() - clock
    finally:
        planning.active_projects = listed
    bad = [o for o in result.outcomes if o.status != "succeeded"]
    if bad:
        raise SystemExit(f"status pages failed: {bad[:3]}")
    return wall


def _empty_notebook_floor(tmp: Path, repeats: int = 3) -> float:
    """Median seconds of papermill running a one-cell notebook (``x = 1``), fresh kernel."""
    import statistics

    import nbformat
    import papermill

    source = tmp / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")],
                                            metadata={"kernelspec": {"name": "python3",
                                                                     "language": "python",
                                                                     "display_name": "Python 3"}}),
                   source)
    times = []
    for i in range(repeats):
        clock = time.perf_counter()
        papermill.execute_notebook(str(source), str(tmp / f"empty-out-{i}.ipynb"),
                                   progress_bar=False, log_output=False)
        times.append(time.perf_counter() - clock)
    return statistics.median(times)


def _marginal(db: Path, tmp: Path, as_of: str, few: int, more: int, timeout) -> None:
    from pmo_nb.reports import active_projects

    projects = active_projects(db)[:more]
    more = len(projects)
    walls = [_fan_out_wall(db, tmp / f"marginal-{n}", as_of, projects[:n], timeout)
             for n in (few, more)]
    page = (walls[1] - walls[0]) / (more - few)
    floor = _empty_notebook_floor(tmp)
    print(f"\nproject_status fan-out, 1 worker: {few} pages {walls[0]:.1f} s, {more} pages "
          f"{walls[1]:.1f} s")
    print(f"one more status page (marginal): {page:.2f} s; papermill on an empty one-cell "
          f"notebook (the floor): {floor:.2f} s; ratio {page / floor:.2f}x; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

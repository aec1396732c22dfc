"""Benchmark: weekly status pages on a Dask cluster of 1 and 2 workers, beside a local run.

Runs the ``project_status`` fan-out (one page per active project, the real
notebook) on a PostgreSQL store three ways, each into a fresh folder: the local
runner with ``--jobs 1`` (the peer: what a user runs without a cluster), a
``LocalCluster`` of one worker process and one of two (``--cluster``). Prints
each wall time, the cluster's overhead against the local run as a ratio, the
speed-up of two workers over one, and the per-page cost that the README's
5,000-page figure is extrapolated from. Also times one rewrite of a run
folder's index holding 5,000 pages, which the coordinator repeats after every
page. Prints figures, never asserts (the machine may be shared).

Run: ``.venv/bin/python bench/bench_cluster.py [--projects 40] [--db URL]``
(without ``--db``, a throwaway PostgreSQL server is started as the tests do).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from pmo_nb.config import project_root
from pmo_nb.demo.generator import demo_portfolio
from pmo_nb.reports import run_suite, write_indexes
from pmo_nb.reports.schedule import ReportSpec, parse_cadence
from pmo_nb.store.core import Store

PAGES_PER_WEEK = 5_000
SPEC = ReportSpec("project_status", "project_status", parse_cadence("weekly"),
                  per="active_project")


def _store_url(given: str | None) -> str:
    """``given``, or a database on a throwaway server (tests/pg_cluster.py, reused here)."""
    if given:
        return given
    sys.path.insert(0, str(project_root() / "tests"))
    import pg_cluster  # lazy: the tests' throwaway server, only without --db

    cluster = pg_cluster.shared()
    if isinstance(cluster, str):
        raise SystemExit(f"no PostgreSQL: {cluster}; pass --db URL")
    return cluster.create_database("bench_cluster")


def _timed_run(label: str, db: str, out: Path, as_of: str, **how) -> float:
    clock = time.perf_counter()
    result = run_suite([SPEC], as_of=as_of, db=db, out=out, progress=False, **how)
    wall = time.perf_counter() - clock
    ok = sum(o.status == "succeeded" for o in result.outcomes)
    print(f"{label:<28} {wall:7.1f} s  {ok} of {len(result.outcomes)} pages ok")
    return wall


def _cluster_run(workers: int, db: str, out: Path, as_of: str) -> float:
    from distributed import LocalCluster  # lazy: bench-only import of the engine

    clock = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster:
        print(f"  (cluster of {workers} started in {time.perf_counter() - clock:.1f} s, "
              "not counted)")
        return _timed_run(f"cluster, {workers} worker(s)", db, out, as_of,
                          cluster=cluster.scheduler_address)


def _index_rewrite_s(folder: Path, pages: int) -> float:
    """Seconds for one index rewrite of a run folder holding ``pages`` status pages."""
    day = folder.name
    fan_out = json.loads((folder / "project_status.json").read_text())
    sample_path = next((folder / "project_status").glob("*.json"))
    sample = json.loads(sample_path.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / day
        (big / "project_status").mkdir(parents=True)
        instances = []
        for i in range(pages):
            pid = f"B{i:05d}"
            record = {**sample, "project_id": pid, "output": f"project_status/{pid}"}
            (big / "project_status" / f"{pid}.json").write_text(json.dumps(record))
            instances.append({"project_id": pid, "output": record["output"],
                              "status": "succeeded"})
        (big / "project_status.json").write_text(json.dumps({**fan_out,
                                                             "instances": instances}))
        clock = time.perf_counter()
        write_indexes(Path(tmp), day)
        return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", default="2026-06-30")
    parser.add_argument("--db", default=None, help="PostgreSQL URL (default: a throwaway one)")
    args = parser.parse_args()

    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load average {load[0]:.1f} {load[1]:.1f}")
    db = _store_url(args.db)
    store = Store(db)
    store.import_portfolio(demo_portfolio(n_projects=args.projects, seed=args.seed,
                                          as_of=args.as_of), source="demo", file_checksums={})
    pages = int((store.load().projects["stage"] == "active").sum())
    store.close()
    print(f"store: PostgreSQL, {args.projects} demo projects, {pages} active: "
          f"{pages} status pages a run")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        local = _timed_run("local runner, --jobs 1", db, root / "local", args.as_of, jobs=1)
        one = _cluster_run(1, db, root / "one", args.as_of)
        two = _cluster_run(2, db, root / "two", args.as_of)
        index_s = _index_rewrite_s(root / "two" / args.as_of, PAGES_PER_WEEK)
    per_page = one / pages
    print(f"\ncluster of 1 / local runner (engine overhead): {one / local:.2f}x")
    print(f"speed-up 2 workers over 1: {one / two:.2f}x on {os.cpu_count()} cores "
          f"(ideal 2.00x)")
    print(f"per page on one worker: {per_page:.2f} s (local runner {local / pages:.2f} s)")
    print(f"one index rewrite with {PAGES_PER_WEEK} pages: {index_s:.2f} s "
          f"(the coordinator rewrites it after every page)")
    print(f"\nextrapolation (not measured): {PAGES_PER_WEEK} weekly pages at "
          f"{per_page:.2f} s a page per worker, one core per worker")
    for workers in (1, 2, 8, 32, 100):
        run_s = PAGES_PER_WEEK * per_page / workers
        print(f"  {workers:>3} workers: notebooks {run_s / 60:7.1f} min")
    # the k-th page's rewrite lists k pages: on average half of the full one
    floor = PAGES_PER_WEEK * index_s / 2
    print(f"  whatever the workers: index rewrites on the coordinator ~{floor / 60:.1f} min "
          "(a floor: it takes in one finished page at a time)")


if __name__ == "__main__":
    main()

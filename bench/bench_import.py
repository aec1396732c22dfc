"""Benchmark: read, validate, import and load a large portfolio.

Target: 10,000 projects + 300,000 status updates read, validated and imported
in well under 20 s, and ``Store.load()`` of that store in under 3 s. Prints
figures (wall and CPU seconds per step), not asserts.

Runs on SQLite (a fresh temporary file) and PostgreSQL in the same run and
prints both: ``--db`` names an empty PostgreSQL database; without it a
throwaway cluster is started with ``tests/pg_cluster.py`` when the server
binaries are installed (otherwise PostgreSQL is skipped, saying why).

Run: ``.venv/bin/python bench/bench_import.py [--projects 10000]
[--min-updates 300000] [--db postgresql+psycopg://user@host/empty_db]``
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from pmo_nb.demo.generator import demo_portfolio
from pmo_nb.io.reading import read_workbook
from pmo_nb.io.validation import validate
from pmo_nb.io.writing import write_workbook
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types
from pmo_nb.store.core import Store


def top_up_status_updates(portfolio: Portfolio, minimum: int) -> Portfolio:
    """Add weekly snapshots before each project's first one until there are ``minimum``."""
    updates = portfolio.status_updates
    missing = minimum - len(updates)
    if missing <= 0:
        return portfolio
    projects = portfolio.projects["project_id"].to_numpy()
    per_project = -(-missing // len(projects))
    first = updates.groupby("project_id")["as_of"].min()
    anchor = first.reindex(projects).fillna(
        portfolio.projects.set_index("project_id")["start_date"]).to_numpy()
    weeks = np.arange(1, per_project + 1)
    extra = pd.DataFrame({
        "project_id": np.repeat(projects, per_project),
        "as_of": np.repeat(anchor, per_project) - np.tile(weeks * np.timedelta64(7, "D"),
                                                          len(projects)),
        "percent_complete": 0.0, "actual_cost": 0.0, "rag": "green",
    }).iloc[:missing]
    tables = portfolio.tables()
    tables["status_updates"] = coerce_types(
        "status_updates", pd.concat([updates, extra], ignore_index=True))
    return Portfolio(**tables, source=portfolio.source)


@contextmanager
def timed(figures: list, step: str, rows: int | None = None):
    """Record wall and CPU seconds of the block as one row of ``figures``."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    figures.append({"step": step, "wall_s": time.perf_counter() - wall,
                    "cpu_s": time.process_time() - cpu, "rows": rows})


def bench_store(db: str, validated: Portfolio, folder: Path, workbook) -> tuple[list, bool]:
    """Import into the empty store ``db``, re-import, load; figures and the round-trip check."""
    figures: list[dict] = []
    total = sum(len(f) for f in validated.tables().values())
    store = Store(db)
    with timed(figures, "import into empty store", total):
        store.import_portfolio(validated, source=str(folder),
                               file_checksums=workbook.file_checksums)
    with timed(figures, "re-import unchanged", total):
        again = store.import_portfolio(validated, source=str(folder),
                                       file_checksums=workbook.file_checksums)
    with timed(figures, "Store.load()", total):
        loaded = store.load()
    store.close()
    return figures, again.totals()["changed"] == 0 and loaded.checksum() == validated.checksum()


def postgres_url(given: str | None):
    """An empty PostgreSQL database: ``--db``, or a throwaway cluster (URL, cluster, why)."""
    if given:
        return given, None, ""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import pg_cluster

    cluster = pg_cluster.start()
    if isinstance(cluster, str):
        return None, None, cluster
    return cluster.create_database("bench"), cluster, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--min-updates", type=int, default=300_000)
    parser.add_argument("--db", default=None,
                        help="empty PostgreSQL database URL (default: a throwaway cluster)")
    args = parser.parse_args()

    figures: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        with timed(figures, "demo_portfolio"):
            portfolio = demo_portfolio(n_projects=args.projects, seed=0, as_of="2026-06-30")
            portfolio = top_up_status_updates(portfolio, args.min_updates)
        total = sum(len(f) for f in portfolio.tables().values())
        with timed(figures, "write_workbook (CSV folder)", total):
            folder = write_workbook(portfolio, Path(tmp) / "workbook")
        with timed(figures, "read_workbook + validate", total):
            workbook = read_workbook(folder)
            validated = validate(workbook)
        runs = {"SQLite": bench_store(str(Path(tmp) / "portfolio.db"), validated, folder,
                                      workbook)}
        pg_db, cluster, why = postgres_url(args.db)
        try:
            if pg_db:
                runs["PostgreSQL"] = bench_store(pg_db, validated, folder, workbook)
        finally:
            if cluster is not None:
                cluster.stop()

    print(f"pmo_nb import benchmark: {args.projects:,} projects, "
          f"{len(portfolio.status_updates):,} status updates, {total:,} rows in all")
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
          f"{platform.python_version()}, load average {load[0]:.2f}")
    print(pd.DataFrame(figures).set_index("step").to_string(
        float_format=lambda x: f"{x:,.2f}"))
    read = pd.DataFrame(figures).set_index("step").loc["read_workbook + validate", "wall_s"]
    for backend, (store_figures, same) in runs.items():
        table = pd.DataFrame(store_figures).set_index("step")
        print(f"\n{backend}:")
        print(table.to_string(float_format=lambda x: f"{x:,.2f}"))
        imported = read + table.loc["import into empty store", "wall_s"]
        loading = table.loc["Store.load()", "wall_s"]
        print(f"read + validate + import: {imported:.1f} s (target < 20 s); "
              f"load: {loading:.1f} s (target < 3 s)")
        print("loaded portfolio equals the validated workbook, re-import changed nothing: "
              + ("yes" if same else "NO"))
    if "PostgreSQL" not in runs:
        print(f"\nPostgreSQL: skipped ({why})")


if __name__ == "__main__":
    main()

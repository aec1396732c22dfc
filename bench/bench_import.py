"""Benchmark: ``pmo import`` of a large portfolio beside a plain pandas import.

Times what ``pmo import`` does (read the CSV folder, validate, import into an
empty store in one transaction) for 10,000 projects and 300,000 status
updates, beside the lower bound a user would otherwise reach for:
``pandas.read_csv`` + ``DataFrame.to_sql`` of the same files on a plain
``sqlite3`` connection in one transaction (no validation, no history), and the
same through SQLAlchemy (the ``to_sql`` most code uses). The three alternate,
each on a fresh database, ``--repeats`` times; the medians and their ratios
are printed (wall and CPU seconds: the machine is shared, so the ratio of
interleaved runs is the figure that travels), with the load average.

Then, on the last store: a re-import of the unchanged workbook (must change
nothing) and ``Store.load()`` (must equal the validated workbook).

PostgreSQL the same way, on a throwaway cluster (``tests/pg_cluster.py``, when
the server binaries are installed; otherwise skipped, saying why), against
``to_sql`` through SQLAlchemy with psycopg; every run gets a new database.

Run: ``python bench/bench_import.py [--projects 10000] [--min-updates 300000]
[--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

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


def timed(run) -> tuple[float, float, object]:
    """Wall and CPU seconds of ``run()``, and what it returned."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def pandas_import(folder: Path, connection) -> None:
    """The lower bound: every CSV read by pandas and written by ``to_sql``, one transaction."""
    for path in sorted(folder.glob("*.csv")):
        pd.read_csv(path).to_sql(path.stem, connection, index=False)


def plain_sqlite(folder: Path, db: Path) -> None:
    connection = sqlite3.connect(db)
    with connection:  # one transaction, committed at the end
        pandas_import(folder, connection)
    connection.close()


def through_sqlalchemy(folder: Path, url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        pandas_import(folder, connection)
    engine.dispose()


def pmo_import(folder: Path, db: str) -> Store:
    """What ``pmo import FOLDER`` does: read, validate, import in one transaction."""
    workbook = read_workbook(folder)
    store = Store(db)
    store.import_portfolio(validate(workbook), source=str(folder),
                           file_checksums=workbook.file_checksums)
    return store


def interleaved(runs: dict, repeats: int) -> tuple[dict, object]:
    """Each run ``repeats`` times, alternating; (run name -> [(wall, cpu)], last result)."""
    figures: dict[str, list] = {name: [] for name in runs}
    last = None
    for i in range(repeats):
        for name, run in runs.items():
            wall, cpu, out = timed(lambda run=run, i=i: run(i))
            figures[name].append((wall, cpu))
            if name == "pmo import":
                if last is not None:
                    last.close()
                last = out
    return figures, last


def report(title: str, figures: dict, peers: list[str]) -> None:
    """Medians of each run and the ratio of ours to each peer."""
    print(f"\n{title} (median of {len(figures['pmo import'])} interleaved runs):")
    med = {n: (statistics.median(w for w, _ in f), statistics.median(c for _, c in f))
           for n, f in figures.items()}
    for name, (wall, cpu) in med.items():
        runs = ", ".join(f"{w:.1f}" for w, _ in figures[name])
        print(f"  {name:34s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  (wall runs: {runs})")
    ours = med["pmo import"]
    for peer in peers:
        print(f"  pmo import / {peer}: {ours[0] / med[peer][0]:.2f}x wall, "
              f"{ours[1] / med[peer][1]:.2f}x cpu")


def after(store: Store, folder: Path, validated: Portfolio) -> None:
    """Re-import unchanged and load the last store; check both."""
    workbook = read_workbook(folder)
    wall, cpu, again = timed(lambda: store.import_portfolio(
        validated, source=str(folder), file_checksums=workbook.file_checksums))
    print(f"  re-import unchanged: wall {wall:.2f} s, cpu {cpu:.2f} s, "
          f"changed nothing: {'yes' if again.totals()['changed'] == 0 else 'NO'}")
    wall, cpu, loaded = timed(store.load)
    print(f"  Store.load(): wall {wall:.2f} s, cpu {cpu:.2f} s, equals the validated "
          f"workbook: {'yes' if loaded.checksum() == validated.checksum() else 'NO'}")
    store.close()


def postgres(tmp: Path, folder: Path, validated: Portfolio, repeats: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import pg_cluster  # lazy: only the PostgreSQL part needs the test helper

    cluster = pg_cluster.start()
    if isinstance(cluster, str):
        print(f"\nPostgreSQL: skipped ({cluster})")
        return
    try:
        runs = {
            "read_csv + to_sql, SQLAlchemy+psycopg": lambda i: through_sqlalchemy(
                folder, cluster.create_database(f"peer{i}")),
            "pmo import": lambda i: pmo_import(folder, cluster.create_database(f"pmo{i}")),
        }
        figures, store = interleaved(runs, repeats)
        report("PostgreSQL (throwaway local cluster)", figures, list(runs)[:1])
        after(store, folder, validated)
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--min-updates", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        tmp = Path(tmp)
        portfolio = demo_portfolio(n_projects=args.projects, seed=0, as_of="2026-06-30")
        portfolio = top_up_status_updates(portfolio, args.min_updates)
        folder = write_workbook(portfolio, tmp / "workbook")
        validated = validate(read_workbook(folder))
        total = sum(len(f) for f in validated.tables().values())
        print(f"pmo_nb import benchmark: {args.projects:,} projects, "
              f"{len(validated.status_updates):,} status updates, {total:,} rows in "
              f"{len(validated.tables())} tables")
        load = os.getloadavg()
        print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
              f"{platform.python_version()}, load average at start {load[0]:.2f} "
              f"{load[1]:.2f} {load[2]:.2f}")
        runs = {
            "read_csv + to_sql, plain sqlite3": lambda i: plain_sqlite(folder, tmp / f"p{i}.db"),
            "read_csv + to_sql, SQLAlchemy": lambda i: through_sqlalchemy(
                folder, f"sqlite:///{tmp / f'a{i}.db'}"),
            "pmo import": lambda i: pmo_import(folder, str(tmp / f"pmo{i}.db")),
        }
        figures, store = interleaved(runs, args.repeats)
        report("SQLite", figures, list(runs)[:2])
        after(store, folder, validated)
        postgres(tmp, folder, validated, args.repeats)
        load = os.getloadavg()
        print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()

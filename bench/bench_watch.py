"""Benchmark: ``pmo_nb.changes`` and ``pmo alerts run`` on the 10,000-project store.

Target: each under 3 s. The store is built as ``bench/bench_import.py`` builds
it (the seeded demo, 10,000 projects), imported twice: the second import
changes budgets, RAGs, risks, demand and decisions of some projects, and a
seeded synthetic forecast table is persisted after each (the figures time
the comparison, not the forecasting model). Printed beside two lower bounds
measured in the same run, as ratios:

- one plain ``Store.load()`` (what reading a single whole import costs; the
  old design read two);
- the raw SQL floor: the very SELECT statements the call ran (captured from
  the engine), replayed on the DBAPI connection and fetched, nothing decoded,
  nothing computed: what reading the rows it reads costs at the least.

Each step runs ``--repeat`` times (median shown; CPU beside wall, since the
machine is shared). Prints figures, not asserts.

Run: ``.venv/bin/python bench/bench_watch.py [--projects 10000] [--repeat 3] [--no-plan]
[--db URL]`` (``--db``: an empty store, e.g. a PostgreSQL database)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from pmo_nb.config import project_root
from pmo_nb.demo.generator import demo_portfolio
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types
from pmo_nb.store import core
from pmo_nb.store.core import Store
from pmo_nb.watch import changes, load_rules, run_alerts


def changed(portfolio: Portfolio, rng: np.random.Generator) -> Portfolio:
    """The portfolio a week later: some budgets, RAGs, risks, demand and decisions moved."""
    t = portfolio.tables()
    projects = t["projects"].copy()
    some = rng.random(len(projects)) < 0.05
    projects.loc[some, "budget"] = projects.loc[some, "budget"] * 1.1
    t["projects"] = coerce_types("projects", projects)
    updates = t["status_updates"]
    latest = updates.sort_values("as_of").groupby("project_id").tail(1)
    later = latest.sample(frac=0.3, random_state=1).copy()
    later["as_of"] = later["as_of"] + pd.Timedelta(days=7)
    later["rag"] = rng.choice(["green", "amber", "red"], len(later))
    t["status_updates"] = coerce_types("status_updates", pd.concat([updates, later]))
    risks = t["risks"].copy()
    bump = rng.random(len(risks)) < 0.05
    risks.loc[bump, "probability"] = (risks.loc[bump, "probability"] + 0.1).clip(upper=1.0)
    if "mitigated_probability" in risks:
        risks["mitigated_probability"] = risks["mitigated_probability"].clip(
            upper=risks["probability"])
    t["risks"] = coerce_types("risks", risks)
    demand = t["demand"].copy()
    demand["fte"] = demand["fte"] * np.where(rng.random(len(demand)) < 0.1, 1.5, 1.0)
    t["demand"] = coerce_types("demand", demand)
    return Portfolio(**t)


def forecast(portfolio: Portfolio, rng: np.random.Generator) -> pd.DataFrame:
    ids = portfolio.projects["project_id"].to_numpy()
    return pd.DataFrame({"project_id": ids, "p_over_budget": rng.random(len(ids)),
                         "p_late": rng.random(len(ids))})


def timed(label: str, figures: list, fn, repeat: int = 1):
    """Run ``fn`` ``repeat`` times; record the median wall and CPU seconds."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    figures.append({"step": label, "wall_s": statistics.median(walls),
                    "cpu_s": statistics.median(cpus)})
    return out


@contextmanager
def selects(store: Store):
    """Capture the SELECT statements (and parameters) the store's engine runs."""
    found: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and not executemany:
            found.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        yield found
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)


def replay(store: Store, statements: list[tuple[str, object]]) -> int:
    """Run ``statements`` on the raw DBAPI connection, fetching every row; rows fetched."""
    conn = store.engine.raw_connection()
    try:
        cursor, rows = conn.cursor(), 0
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            rows += len(cursor.fetchall())
        cursor.close()
        conn.rollback()
    finally:
        conn.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--db", help="an empty store URL (e.g. a PostgreSQL database); "
                        "default a temporary SQLite file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (median)")
    parser.add_argument("--no-plan", action="store_true",
                        help="skip the plan rule (one schedule simulation per plan)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rules = [r for r in load_rules(project_root() / "alerts.yml")
             if r.metric != "plan_p80_slip_days"]
    plan_rules = [r for r in load_rules(project_root() / "alerts.yml")
                  if r.metric == "plan_p80_slip_days"]
    figures: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="pmo-bench-watch-") as tmp:
        one = demo_portfolio(n_projects=args.projects, seed=0, as_of="2026-06-30")
        two = changed(one, rng)
        store = Store(args.db or str(Path(tmp) / "portfolio.db"))
        # the store stamps imports with its clock: set it, so the two imports are a week
        # apart, as in use (the tests do the same)
        core._utcnow = lambda: dt.datetime(2026, 6, 30, 9)
        store.import_portfolio(one, source="week 1", file_checksums={})
        store.save_result("forecast", "2026-06-30", forecast(one, rng))
        core._utcnow = lambda: dt.datetime(2026, 7, 7, 9)
        store.import_portfolio(two, source="week 2", file_checksums={})
        store.save_result("forecast", "2026-07-07", forecast(two, rng))
        n = args.repeat
        timed("bound: one plain Store.load()", figures, store.load, n)
        with selects(store) as changes_sql:
            found = changes(store, 1)
        rows_changes = timed("bound: changes' SELECTs, raw", figures,
                             lambda: replay(store, changes_sql), n)
        found = timed("changes(store, 1)", figures, lambda: changes(store, 1), n)
        with selects(store) as alerts_sql:
            run = run_alerts(store, rules, "2026-07-07")
        rows_alerts = timed("bound: alerts run's SELECTs, raw", figures,
                            lambda: replay(store, alerts_sql), n)
        # the first run raised the alerts; the timed ones hold them (the same reads,
        # the same evaluation, fewer rows written)
        timed(f"alerts run ({len(rules)} rules, no plan rule)", figures,
              lambda: run_alerts(store, rules, "2026-07-07"), n)
        plan = None if args.no_plan else timed(
            f"alerts run ({len(plan_rules)} plan rule: simulations)", figures,
            lambda: run_alerts(store, plan_rules, "2026-07-07"))
        store.close()

    frame = pd.DataFrame(figures).set_index("step")
    # CPU beside wall: on a shared machine the wall clock mostly measures the neighbours
    load_cpu = frame["cpu_s"].iloc[0]
    frame["cpu x load"] = frame["cpu_s"] / load_cpu
    floors = {"changes(store, 1)": "bound: changes' SELECTs, raw",
              f"alerts run ({len(rules)} rules, no plan rule)": "bound: alerts run's SELECTs, raw"}
    frame["cpu x raw SELECT"] = [frame.at[s, "cpu_s"] / frame.at[floors[s], "cpu_s"]
                                 if s in floors else np.nan for s in frame.index]
    print(f"pmo_nb watch benchmark: {args.projects:,} projects, two imports, "
          f"{sa.make_url(store.engine.url).get_backend_name()}; "
          f"{len(found):,} changes ({found['kind'].value_counts().to_dict()}), "
          f"{run.count('raised')} alerts raised"
          + ("" if plan is None else f", {plan.count('raised')} by the plan rule"))
    print(f"raw SELECTs: changes {len(changes_sql)} statements, {rows_changes:,} rows; "
          f"alerts run {len(alerts_sql)} statements, {rows_alerts:,} rows")
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
          f"{platform.python_version()}, load average {load[0]:.2f}; median of {args.repeat}")
    print(frame.to_string(float_format=lambda x: f"{x:,.2f}", na_rep=""))
    print("targets: changes < 3 s, alerts run < 3 s (changes reads the tables it compares at "
          "both imports; alerts run the tables its rules read, and writes the log)")


if __name__ == "__main__":
    main()

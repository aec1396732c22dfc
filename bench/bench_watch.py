"""Benchmark: ``pmo_nb.changes`` and ``pmo alerts run`` on the 10,000-project store.

Target: each under 3 s. The store is built as ``bench/bench_import.py`` builds
it (the seeded demo, 10,000 projects), imported twice: the second import
changes budgets, RAGs, risks, demand and decisions of some projects, and a
seeded synthetic forecast table is persisted after each (the figures time
the comparison, not the forecasting model). Printed beside the lower bound
measured in the same run: two plain ``Store.load()`` calls (what any
comparison of two imports must read), as a ratio. Prints figures, not
asserts.

Run: ``.venv/bin/python bench/bench_watch.py [--projects 10000] [--no-plan]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

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


def timed(label: str, figures: list, fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    figures.append({"step": label, "wall_s": time.perf_counter() - wall,
                    "cpu_s": time.process_time() - cpu})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
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
        store = Store(str(Path(tmp) / "portfolio.db"))
        # the store stamps imports with its clock: set it, so the two imports are a week
        # apart, as in use (the tests do the same)
        core._utcnow = lambda: dt.datetime(2026, 6, 30, 9)
        store.import_portfolio(one, source="week 1", file_checksums={})
        store.save_result("forecast", "2026-06-30", forecast(one, rng))
        core._utcnow = lambda: dt.datetime(2026, 7, 7, 9)
        store.import_portfolio(two, source="week 2", file_checksums={})
        store.save_result("forecast", "2026-07-07", forecast(two, rng))
        started = store.history().sort_values("import_id")["started_at"]
        timed("lower bound: two Store.load()", figures, lambda: [
            store.load(as_of=t.to_pydatetime()) for t in started])
        found = timed("changes(store, 1)", figures, lambda: changes(store, 1))
        run = timed(f"alerts run ({len(rules)} rules, no plan rule)", figures,
                    lambda: run_alerts(store, rules, "2026-07-07"))
        plan = None if args.no_plan else timed(
            f"alerts run ({len(plan_rules)} plan rule: simulations)", figures,
            lambda: run_alerts(store, plan_rules, "2026-07-07"))
        store.close()

    frame = pd.DataFrame(figures).set_index("step")
    # CPU beside wall: on a shared machine the wall clock mostly measures the neighbours
    frame["wall x bound"] = frame["wall_s"] / frame["wall_s"].iloc[0]
    frame["cpu x bound"] = frame["cpu_s"] / frame["cpu_s"].iloc[0]
    print(f"pmo_nb watch benchmark: {args.projects:,} projects, two imports; "
          f"{len(found):,} changes ({found['kind'].value_counts().to_dict()}), "
          f"{run.count('raised')} alerts raised"
          + ("" if plan is None else f", {plan.count('raised')} by the plan rule"))
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
          f"{platform.python_version()}, load average {load[0]:.2f}")
    print(frame.to_string(float_format=lambda x: f"{x:,.2f}"))
    print("targets: changes < 3 s, alerts run < 3 s (the lower bound reads both imports; "
          "alerts run reads one import and writes the log)")


if __name__ == "__main__":
    main()

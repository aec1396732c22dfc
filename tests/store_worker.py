"""Portfolios built for the store tests, and the loops their worker processes run.

Kept out of ``test_store.py`` so that processes started with ``spawn`` can
import the loops without importing pytest's test module.
"""

from __future__ import annotations

import traceback

import numpy as np
import pandas as pd

from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


def make_portfolio(n_projects: int = 20, updates: int = 4, version: str = "A",
                   seed: int = 0) -> Portfolio:
    """A consistent portfolio; version "B" has the same keys with other values.

    Entity and event tables keep their keys between A and B (only values
    differ) and each project's plan rows are replaced wholesale, so importing
    A then B leaves the store's current state equal to B exactly (and back).
    """
    rng = np.random.default_rng(seed)
    b = version == "B"
    pids = [f"P{i:05d}" for i in range(n_projects)]
    start = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n_projects), "D")
    budget = rng.integers(10, 500, n_projects).astype(float) * 1000
    if b:
        budget = budget * np.where(np.arange(n_projects) % 2 == 0, 1.1, 1.0)
    objectives = pd.DataFrame({"objective_id": ["O1", "O2", "O3"],
                               "name": ["Grow", "Save", "Comply"],
                               "weight": [0.5, 0.3, 0.2 if not b else 0.4]})
    projects = pd.DataFrame({
        "project_id": pids, "name": [f"Project {i}" for i in range(n_projects)],
        "category": rng.choice(["IT", "Product", "Compliance"], n_projects),
        "stage": rng.choice(["proposed", "active", "on_hold"], n_projects),
        "start_date": start, "finish_date": start + pd.Timedelta(days=400), "budget": budget,
        "mandatory": rng.random(n_projects) < 0.2,
        "confidence": np.where(rng.random(n_projects) < 0.5, np.nan, 0.8),
        "programme": [f"prog-{i % 7}" if i % 3 else None for i in range(n_projects)],
    })
    alignment = pd.DataFrame({
        "project_id": np.repeat(pids, 2),
        "objective_id": (["O2", "O3"] if b else ["O1", "O2"]) * n_projects,
        "score": rng.integers(0, 6, 2 * n_projects).astype(float),
    })
    as_of = np.tile(pd.date_range("2025-01-31", periods=updates, freq="ME"), n_projects)
    pct = np.tile(np.linspace(5, 60, updates), n_projects) + (3.0 if b else 0.0)
    status = pd.DataFrame({
        "project_id": np.repeat(pids, updates), "as_of": as_of, "percent_complete": pct,
        "actual_cost": np.repeat(budget, updates) * pct / 100,
        "rag": rng.choice(["green", "amber", "red"], n_projects * updates),
    })
    risks = pd.DataFrame({"risk_id": [f"R{i}" for i in range(n_projects)], "project_id": pids,
                          "title": "Supplier late", "probability": 0.3 if b else 0.2})
    benefits = pd.DataFrame({
        "benefit_id": [f"B{i}" for i in range(n_projects)], "project_id": pids,
        "objective_id": "O1", "name": "Revenue", "direction": "increase",
        "baseline": 0.0, "target": 100.0, "target_date": pd.Timestamp("2027-12-31")})
    measurements = pd.DataFrame({"benefit_id": benefits["benefit_id"],
                                 "date": pd.Timestamp("2026-03-31"),
                                 "value": 12.0 if b else 10.0})
    teams = pd.DataFrame({"team_id": ["T1", "T2"], "name": ["Dev", "Ops"],
                          "capacity_fte": [10.0, 5.0]})
    months = ["2026-02", "2026-03"] if b else ["2026-01", "2026-02"]
    demand = pd.DataFrame({"project_id": np.repeat(pids, 2), "team_id": "T1",
                           "month": months * n_projects, "fte": 1.5})
    deps = pd.DataFrame({"project_id": pids[1::2], "depends_on": pids[0::2][: len(pids[1::2])],
                         "lag_days": 10.0 if b else 0.0})
    frames = {"objectives": objectives, "projects": projects, "alignment": alignment,
              "status_updates": status, "risks": risks, "benefits": benefits,
              "benefit_measurements": measurements, "teams": teams, "demand": demand,
              "dependencies": deps}
    return Portfolio(**{n: coerce_types(n, f) for n, f in frames.items()}, source=version)


def write_loop(db: str, portfolios: list[Portfolio], rounds: int, barrier, done) -> list[str]:
    """Import the portfolios in turn ``rounds`` times; return the data checksums."""
    from pmo_nb.store.core import Store

    store = Store(db)
    barrier.wait()
    try:
        return [store.import_portfolio(portfolios[i % len(portfolios)], source=f"round {i}",
                                       file_checksums={}).data_checksum
                for i in range(rounds)]
    finally:
        done.set()


def read_loop(db: str, max_loads: int, min_loads: int, barrier, done) -> list[str]:
    """Load until the writer is done (between min and max times).

    Returns each load's checksum, or ``"error: ..."`` with the traceback.
    """
    from pmo_nb.store.core import Store

    store = Store(db)
    barrier.wait()
    seen = []
    for i in range(max_loads):
        try:
            seen.append(store.load().checksum())
        except Exception:  # reported to the test, which fails on it
            seen.append("error: " + traceback.format_exc())
        if i + 1 >= min_loads and done.is_set():
            break
    return seen


def run(queue, name: str, loop, *args) -> None:
    """Process entry point: put ``(name, loop(*args))`` on ``queue``."""
    try:
        queue.put((name, loop(*args)))
    except BaseException:
        queue.put((name, ["error: " + traceback.format_exc()]))
        raise


def import_once(db: str, portfolio: Portfolio, based_on: int, barrier, done) -> list[str]:
    """One import based on ``based_on``: ``["ok <import id>"]`` or ``["conflict: <message>"]``."""
    from pmo_nb.store.core import ImportConflict, Store

    store = Store(db)
    barrier.wait()
    try:
        summary = store.import_portfolio(portfolio, source=f"{portfolio.source}",
                                         file_checksums={}, based_on=based_on)
        return [f"ok {summary.import_id}"]
    except ImportConflict as exc:
        return [f"conflict: {exc}"]
    finally:
        done.set()

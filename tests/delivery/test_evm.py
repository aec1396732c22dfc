"""Earned value and earned schedule against published worked examples.

Expected numbers are worked out by hand in each test from the source's
figures (never by calling the code under test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_nb.delivery.evm import COLUMNS, earned_value
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types

START = pd.Timestamp("2025-01-01")


def _portfolio(projects: list[dict], updates: list[dict]) -> Portfolio:
    base = {"name": "p", "category": "IT", "stage": "active"}
    proj = pd.DataFrame([base | p for p in projects])
    return Portfolio(
        projects=coerce_types("projects", proj),
        status_updates=coerce_types("status_updates", pd.DataFrame(updates)),
    )


def _one(budget, finish, updates, start=START):
    """A single project P1 with the given status updates."""
    rows = [{"project_id": "P1", "percent_complete": 0.0} | u for u in updates]
    return _portfolio(
        [{"project_id": "P1", "start_date": start, "finish_date": finish, "budget": budget}],
        rows,
    )


def test_schwalbe_textbook_example():
    # Schwalbe, "Information Technology Project Management", earned value
    # exercise (as reproduced at mycoursehelp.com/QA/.../122105): a six-month
    # project with BAC = $200,000, three months in: PV = $120,000,
    # EV = $100,000, AC = $90,000.
    port = _one(200_000, START + pd.Timedelta(days=180), [{
        "as_of": START + pd.Timedelta(days=90), "percent_complete": 50.0,
        "actual_cost": 90_000, "planned_value": 120_000, "earned_value": 100_000,
        "rag": "amber",
    }])
    row = earned_value(port).loc["P1"]
    assert row["bac"] == 200_000
    assert row["cv"] == pytest.approx(100_000 - 90_000)         # 10,000
    assert row["sv"] == pytest.approx(100_000 - 120_000)        # -20,000
    assert row["cpi"] == pytest.approx(100 / 90)                # 1.111
    assert row["spi"] == pytest.approx(100 / 120)               # 0.833
    assert row["eac"] == pytest.approx(200_000 * 90 / 100)      # 180,000
    assert row["etc"] == pytest.approx(180_000 - 90_000)        # 90,000
    assert row["vac"] == pytest.approx(200_000 - 180_000)       # 20,000
    assert row["tcpi"] == pytest.approx(100_000 / 110_000)      # 0.909
    assert row["stage"] == "active" and row["rag"] == "amber"
    assert row["data_date"] == START + pd.Timedelta(days=90)


def test_eac_example_overrunning_project():
    # ceboardexamgenerator.com, "Project control and earned value": BAC =
    # 5,000,000, EV = 1,500,000, AC = 1,800,000; EAC assuming the current cost
    # efficiency continues = BAC / CPI = 5,000,000 / (1.5 / 1.8) = 6,000,000.
    port = _one(5_000_000, START + pd.Timedelta(days=365), [{
        "as_of": START + pd.Timedelta(days=100), "percent_complete": 30.0,
        "actual_cost": 1_800_000, "earned_value": 1_500_000,
    }])
    row = earned_value(port).loc["P1"]
    assert row["cpi"] == pytest.approx(1.5 / 1.8)
    assert row["eac"] == pytest.approx(6_000_000)
    assert row["etc"] == pytest.approx(6_000_000 - 1_800_000)
    assert row["vac"] == pytest.approx(-1_000_000)
    assert row["tcpi"] == pytest.approx(3_500_000 / 3_200_000)


def test_lipke_earned_schedule_interpolates_the_pv_history():
    # Lipke, "Earned Schedule Concept" (earnedschedule.com; scribd doc 47929652):
    # at the end of July (AT = 7 months) EV lies between the cumulative PV of
    # May and June, so ES = 5 + (EV - PV(May)) / (PV(June) - PV(May)).
    # Our plan: Jan..Nov, equal 30-day months, cumulative PV below, BAC 2,500.
    pv = [100, 250, 450, 700, 1000, 1300, 1600, 1900, 2150, 2350, 2500]
    ev_july = 1120.0
    updates = [
        {"as_of": START + pd.Timedelta(days=30 * (k + 1)), "actual_cost": 90.0 * (k + 1),
         "planned_value": pv[k], "earned_value": min(ev_july, 0.8 * pv[k]),
         "percent_complete": 10.0}
        for k in range(6)
    ] + [{"as_of": START + pd.Timedelta(days=210), "actual_cost": 1300.0,
          "planned_value": pv[6], "earned_value": ev_july, "percent_complete": 44.8}]
    port = _one(2500, START + pd.Timedelta(days=330), updates)
    row = earned_value(port).loc["P1"]
    es_months = 5 + (1120 - 1000) / (1300 - 1000)               # 5.4 months
    assert row["es"] == pytest.approx(es_months * 30)           # 162 days
    assert row["at"] == pytest.approx(7 * 30)                   # 210 days
    assert row["spi_t"] == pytest.approx(5.4 / 7)               # 0.771
    assert row["sv_t"] == pytest.approx((5.4 - 7) * 30)         # -48 days
    assert row["spi"] == pytest.approx(1120 / 1600)             # cost-based SPI 0.70


def test_earned_schedule_on_linear_baseline_and_derived_pv_ev():
    # Calculator.city "Earned schedule calculation example": 52-week plan,
    # BAC $5.3M, EV $2.7M after 30 weeks; on a linear baseline
    # ES = 2.7 / 5.3 x 52 = 26.49 weeks, SPI(t) = 26.49 / 30 = 0.883.
    # No planned_value / earned_value columns: both are derived.
    pct = 2.7 / 5.3 * 100
    port = _one(5_300_000, START + pd.Timedelta(weeks=52), [{
        "as_of": START + pd.Timedelta(weeks=30), "percent_complete": pct,
        "actual_cost": 2_900_000,
    }])
    row = earned_value(port).loc["P1"]
    assert row["ev"] == pytest.approx(2_700_000)
    assert row["pv"] == pytest.approx(5_300_000 * 30 / 52)
    assert row["es"] / 7 == pytest.approx(2.7 / 5.3 * 52)       # 26.49 weeks
    assert row["spi_t"] == pytest.approx(2.7 / 5.3 * 52 / 30)   # 0.883


def test_ahead_of_schedule_earned_schedule_uses_planned_finish():
    # 100-day plan, BAC 1,000, no reported PV; at day 50 EV = 600 (60 %):
    # on the linear baseline PV reached 600 at day 60, so ES = 60, SPI(t) = 1.2.
    port = _one(1000, START + pd.Timedelta(days=100), [
        {"as_of": START + pd.Timedelta(days=25), "percent_complete": 30.0, "actual_cost": 250},
        {"as_of": START + pd.Timedelta(days=50), "percent_complete": 60.0, "actual_cost": 500},
    ])
    row = earned_value(port).loc["P1"]
    assert row["pv"] == pytest.approx(500)
    assert row["es"] == pytest.approx(60)
    assert row["spi_t"] == pytest.approx(1.2)


def test_completed_late_project_spi_is_one_but_spi_t_is_not():
    # Lipke's motivation: a late project finishes with SPI = 1 but SPI(t) < 1.
    # 100-day plan finished on day 125: ES = 100 days, AT = 125, SPI(t) = 0.8.
    port = _one(1000, START + pd.Timedelta(days=100), [
        {"as_of": START + pd.Timedelta(days=50), "percent_complete": 40.0, "actual_cost": 450},
        {"as_of": START + pd.Timedelta(days=125), "percent_complete": 100.0,
         "actual_cost": 1100},
    ])
    row = earned_value(port).loc["P1"]
    assert row["spi"] == pytest.approx(1.0)
    assert row["es"] == pytest.approx(100)
    assert row["spi_t"] == pytest.approx(0.8)


def test_as_of_selects_the_data_date():
    d1, d2 = START + pd.Timedelta(days=30), START + pd.Timedelta(days=60)
    port = _one(1200, START + pd.Timedelta(days=120), [
        {"as_of": d1, "percent_complete": 20.0, "actual_cost": 200, "rag": "green"},
        {"as_of": d2, "percent_complete": 40.0, "actual_cost": 600, "rag": "red"},
    ])
    latest = earned_value(port)
    assert latest.loc["P1", "data_date"] == d2 and latest.loc["P1", "rag"] == "red"
    assert latest.loc["P1", "ev"] == pytest.approx(480)  # 40 % of 1,200
    between = earned_value(port, as_of=d2 - pd.Timedelta(days=1))
    assert between.loc["P1", "data_date"] == d1
    assert between.loc["P1", "ac"] == 200
    assert between.loc["P1", "pv"] == pytest.approx(1200 * 30 / 120)  # derived: 300
    assert earned_value(port, as_of=str(d1.date())).loc["P1", "data_date"] == d1
    before = earned_value(port, as_of=START)
    assert before.empty and list(before.columns) == list(COLUMNS)
    assert before.index.name == "project_id"


def test_only_projects_with_updates_are_listed_and_sorted():
    finish = START + pd.Timedelta(days=100)
    port = _portfolio(
        [{"project_id": p, "start_date": START, "finish_date": finish, "budget": 100.0}
         for p in ("P3", "P1", "P2")],
        [{"project_id": p, "as_of": START + pd.Timedelta(days=10), "percent_complete": 5.0,
          "actual_cost": 4.0} for p in ("P3", "P1")],
    )
    table = earned_value(port)
    assert list(table.index) == ["P1", "P3"]
    assert list(table.columns) == list(COLUMNS)


def test_zero_divisions_give_nan_not_inf():
    finish = START + pd.Timedelta(days=100)
    port = _portfolio(
        [
            # nothing spent, nothing earned, on its start date: AC = EV = PV = AT = 0
            {"project_id": "Z1", "start_date": START, "finish_date": finish, "budget": 1000.0},
            # spent exactly its budget: TCPI denominator BAC - AC = 0
            {"project_id": "Z2", "start_date": START, "finish_date": finish, "budget": 1000.0},
            # zero budget
            {"project_id": "Z3", "start_date": START, "finish_date": finish, "budget": 0.0},
        ],
        [
            {"project_id": "Z1", "as_of": START, "percent_complete": 0.0, "actual_cost": 0.0},
            {"project_id": "Z2", "as_of": START + pd.Timedelta(days=50),
             "percent_complete": 50.0, "actual_cost": 1000.0},
            {"project_id": "Z3", "as_of": START + pd.Timedelta(days=50),
             "percent_complete": 50.0, "actual_cost": 10.0},
        ],
    )
    table = earned_value(port)
    numeric = table.select_dtypes("number").to_numpy()
    assert not np.isinf(numeric).any()
    z1, z2, z3 = table.loc["Z1"], table.loc["Z2"], table.loc["Z3"]
    assert np.isnan(z1["cpi"]) and np.isnan(z1["spi"]) and np.isnan(z1["eac"])
    assert np.isnan(z1["spi_t"]) and z1["at"] == 0
    assert z1["tcpi"] == pytest.approx(1.0)  # (1000 - 0) / (1000 - 0)
    assert np.isnan(z2["tcpi"]) and z2["cpi"] == pytest.approx(0.5)
    assert z3["cpi"] == 0 and np.isnan(z3["eac"]) and np.isnan(z3["spi"])


def test_fast_on_300k_updates():
    rng = np.random.default_rng(1)
    n_proj, per = 10_000, 30
    pids = np.char.add("P", np.arange(n_proj).astype(str))
    starts = START + pd.to_timedelta(rng.integers(0, 1000, n_proj), unit="D")
    projects = pd.DataFrame({
        "project_id": pids, "name": "p", "category": "IT", "stage": "active",
        "start_date": starts, "finish_date": starts + pd.Timedelta(days=600),
        "budget": rng.uniform(1e5, 1e7, n_proj),
    })
    k = np.tile(np.arange(1, per + 1), n_proj)
    owner = np.repeat(np.arange(n_proj), per)
    updates = pd.DataFrame({
        "project_id": pids[owner],
        "as_of": starts[owner] + pd.to_timedelta(k * 14, unit="D"),
        "percent_complete": np.minimum(100, k * 3.0),
        "actual_cost": k * 1000.0,
        "planned_value": np.where(owner % 2 == 0, k * 900.0, np.nan),
    })
    port = Portfolio(
        projects=coerce_types("projects", projects),
        status_updates=coerce_types("status_updates", updates),
    )
    table = earned_value(port)  # its speed is measured by bench/, not asserted here
    assert len(table) == n_proj
    # every project's data date is its 30th update
    assert (table["at"] == per * 14).all()


def test_demo_completed_projects_close_at_their_true_outcome(demo_small):
    # At its final report a completed project has EV = BAC, so CPI = budget /
    # actual cost, ES = planned duration and AT = actual duration; SPI = 1 for
    # a late finish (PV = BAC) and planned / actual duration for an early one.
    # Against the original baseline: the demo's approved change requests move the
    # current one (EVM on both baselines: tests/governance/test_baseline.py).
    table = earned_value(demo_small, baseline="original")
    pr = demo_small.projects.set_index("project_id")
    done = pr[pr["stage"] == "completed"]
    rows = table.loc[done.index]
    assert np.allclose(rows["cpi"], done["budget"] / done["actual_cost"])
    planned = (done["finish_date"] - done["start_date"]).dt.days
    actual = (done["actual_finish_date"] - done["start_date"]).dt.days
    assert np.allclose(rows["spi"], np.maximum(1.0, planned / actual), rtol=1e-4)
    assert np.allclose(rows["es"], planned)
    assert np.allclose(rows["spi_t"], planned / actual)
    assert set(table.index) == set(demo_small.status_updates["project_id"])


def test_tcpi_is_undefined_once_actual_cost_reaches_the_budget():
    # BAC 1,000, EV 800, AC 1,100: (BAC - EV) / (BAC - AC) = 200 / -100 = -2 would
    # read as a target; no efficiency can bring the cost back within budget.
    port = _one(1_000, START + pd.Timedelta(days=100), [{
        "as_of": START + pd.Timedelta(days=60), "percent_complete": 80.0,
        "actual_cost": 1_100, "earned_value": 800,
    }])
    row = earned_value(port).loc["P1"]
    assert np.isnan(row["tcpi"]) and row["cpi"] == pytest.approx(800 / 1_100)

"""Capacity: demand vs capacity per team-month, scenarios and over-allocations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pmo_nb.capacity.demand import capacity, month_index, month_label, over_allocations
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


def make(**tables) -> Portfolio:
    """A Portfolio from lists of row dicts, typed as the store would type them."""
    return Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})


def project(pid, stage):
    return dict(project_id=pid, name=pid, category="IT", stage=stage,
                start_date="2026-01-01", finish_date="2026-06-30", budget=1.0)


@pytest.fixture
def pf() -> Portfolio:
    demand = [
        ("A", "T1", "2026-01", 1.5), ("A", "T1", "2026-02", 1.5), ("A", "T2", "2026-01", 0.5),
        ("B", "T1", "2026-02", 1.0), ("B", "T1", "2026-03", 1.0),
        ("C", "T1", "2026-03", 5.0),   # proposed: only counts in a scenario
        ("D", "T2", "2026-04", 3.0),   # cancelled: never counts, but sets the horizon
    ]
    return make(
        projects=[project("A", "active"), project("B", "approved"),
                  project("C", "proposed"), project("D", "cancelled")],
        teams=[dict(team_id="T1", name="Build", capacity_fte=2.0),
               dict(team_id="T2", name="Ops", capacity_fte=1.0),
               dict(team_id="T3", name="Idle", capacity_fte=0.0)],
        demand=[dict(project_id=p, team_id=t, month=m, fte=f) for p, t, m, f in demand],
    )


def test_month_round_trip():
    idx = month_index(pd.Series(["2025-12", "2026-01", "2026-11"]))
    assert list(np.diff(idx)) == [1, 10]
    assert month_label(idx) == ["2025-12", "2026-01", "2026-11"]


def test_every_team_month_with_demand_capacity_and_overload(pf):
    cap = capacity(pf)
    assert len(cap) == 3 * 4  # teams x months 2026-01..2026-04
    assert list(cap.columns) == ["team_id", "month", "demand", "capacity", "utilisation", "over"]
    t1 = cap[cap["team_id"] == "T1"].set_index("month")
    assert t1["demand"].to_dict() == {"2026-01": 1.5, "2026-02": 2.5, "2026-03": 1.0,
                                      "2026-04": 0.0}
    assert t1["utilisation"].to_dict() == {"2026-01": 0.75, "2026-02": 1.25, "2026-03": 0.5,
                                           "2026-04": 0.0}
    assert t1["over"].to_dict() == {"2026-01": 0.0, "2026-02": 0.5, "2026-03": 0.0,
                                    "2026-04": 0.0}
    assert cap["over"].sum() == pytest.approx(0.5)
    t3 = cap[cap["team_id"] == "T3"]
    assert t3["utilisation"].isna().all() and (t3["over"] == 0).all()


def test_scenarios_add_and_shift_projects(pf):
    with_c = capacity(pf, scenario=["C"])
    assert with_c["over"].sum() == pytest.approx(0.5 + 4.0)
    shifted = capacity(pf, scenario={"B": 1})  # B to Mar-Apr: T1 Feb 1.5, no overload
    assert shifted["over"].sum() == 0.0
    t1 = shifted[shifted["team_id"] == "T1"].set_index("month")["demand"]
    assert t1.to_dict() == {"2026-01": 1.5, "2026-02": 1.5, "2026-03": 1.0, "2026-04": 1.0}
    far = capacity(pf, scenario={"B": 3})  # moves past the horizon: it grows
    assert list(far["month"].unique()) == [f"2026-0{i}" for i in range(1, 7)]
    assert far["demand"].sum() == pytest.approx(capacity(pf)["demand"].sum())
    with pytest.raises(ValueError):
        capacity(pf, scenario=["nope"])
    only_active = capacity(pf, stages=("active",))
    assert only_active["demand"].sum() == pytest.approx(3.5)


def test_over_allocations_name_the_projects(pf):
    over = over_allocations(capacity(pf), pf)
    assert over[["team_id", "month", "project_id", "project_fte"]].values.tolist() == [
        ["T1", "2026-02", "A", 1.5], ["T1", "2026-02", "B", 1.0]]
    assert over["share"].tolist() == pytest.approx([0.6, 0.4])
    with_c = over_allocations(capacity(pf, scenario=["C"]), pf)
    # the worst team-month first (T1 March, 4 FTE over), biggest demand first within it
    assert with_c[["month", "project_id", "over"]].values.tolist() == [
        ["2026-03", "C", 4.0], ["2026-03", "B", 4.0],
        ["2026-02", "A", 0.5], ["2026-02", "B", 0.5]]
    none = over_allocations(capacity(pf, scenario={"B": 1}), pf)
    assert none.empty


def test_a_portfolio_without_demand_gives_an_empty_frame_of_the_same_types(pf):
    from dataclasses import replace

    # the executive dashboard compares months with "YYYY-MM" texts: a choice of
    # projects with no demand (say, only completed ones) must not break that
    empty = capacity(replace(pf, demand=pf.demand.iloc[0:0]))
    full = capacity(pf)
    assert empty.empty and list(empty.columns) == list(full.columns)
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()
    assert empty[empty["month"] >= "2026-01"].empty


def test_package_names_call_the_functions_after_the_subpackages_are_imported(pf):
    import inspect

    import pmo_nb
    import pmo_nb.capacity.leveling  # noqa: F401  (binds the capacity package on pmo_nb)

    # pmo_nb.capacity is the domain package now; called, it is still the function
    assert_frame_equal(pmo_nb.capacity(pf), capacity(pf))
    assert inspect.signature(pmo_nb.capacity) == inspect.signature(capacity)
    assert pmo_nb.over_allocations is over_allocations
    assert callable(pmo_nb.knock_on) and callable(pmo_nb.level)
    assert callable(pmo_nb.benefits_status) and callable(pmo_nb.critical_chain)

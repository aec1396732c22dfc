"""Leveling: the MILP's plan equals brute force; dependencies and fixed projects hold."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from pmo_nb.capacity.demand import capacity
from pmo_nb.capacity.leveling import level
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


def make(**tables) -> Portfolio:
    """A Portfolio from lists of row dicts, typed as the store would type them."""
    return Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})


def project(pid, stage, start, finish, mandatory=False):
    return dict(project_id=pid, name=pid, category="IT", stage=stage, start_date=start,
                finish_date=finish, budget=1.0, mandatory=mandatory)


@pytest.fixture
def hand() -> Portfolio:
    """B clashes with the under-way A on T1 in Jan-Feb; C follows B; D is mandatory."""
    demand = [("A", "T1", "2026-01", 2.0), ("A", "T1", "2026-02", 2.0),
              ("B", "T1", "2026-01", 1.0), ("B", "T1", "2026-02", 1.0),
              ("C", "T2", "2026-03", 1.0), ("D", "T1", "2026-03", 1.0)]
    return make(
        projects=[
            project("A", "active", "2026-01-01", "2026-02-28"),
            project("B", "approved", "2026-01-01", "2026-02-28"),
            project("C", "approved", "2026-03-01", "2026-03-31"),
            project("D", "approved", "2026-03-01", "2026-03-31", mandatory=True),
            project("E", "approved", "2026-01-01", "2026-12-31"),
            project("F", "proposed", "2026-01-01", "2026-12-31"),
        ],
        teams=[dict(team_id="T1", name="Build", capacity_fte=2.0),
               dict(team_id="T2", name="Ops", capacity_fte=1.0)],
        demand=[dict(project_id=p, team_id=t, month=m, fte=f) for p, t, m, f in demand],
        dependencies=[dict(project_id="C", depends_on="B", lag_days=0.0)],
    )


def test_hand_made_plan_moves_b_and_its_dependent(hand):
    out = level(hand, max_shift_months=3).set_index("project_id")
    assert list(out.index) == ["A", "B", "C", "D", "E"]  # F is only proposed
    assert out["shift_months"].to_dict() == {"A": 0, "B": 2, "C": 2, "D": 0, "E": 0}
    assert out.attrs["overload_before"] == pytest.approx(2.0)
    assert out.attrs["overload_after"] == 0.0
    assert out.attrs["months_shifted"] == 4 and out.attrs["optimal"]
    assert out.loc["A", "reason"].startswith("under way")
    assert out.loc["D", "reason"] == "mandatory: cannot move"
    assert "prerequisite B" in out.loc["C", "reason"]
    assert out.loc["E", "reason"] == "no shift needed" and out.loc["E", "movable"]
    assert out.loc["B", "new_start"] == pd.Timestamp("2026-03-01")
    assert out.loc["C", "new_start"] == pd.Timestamp("2026-05-01")


def test_limits_fixed_and_as_of(hand):
    one = level(hand, max_shift_months=1).set_index("project_id")
    # one month only: B to Feb-Mar leaves T1 Feb over by 1; C must follow B (Mar 28 > Mar 1)
    assert one["shift_months"].to_dict() == {"A": 0, "B": 1, "C": 1, "D": 0, "E": 0}
    assert one.attrs["overload_after"] == pytest.approx(1.0)
    pinned = level(hand, fixed=["B"])
    assert pinned.attrs["overload_after"] == pytest.approx(2.0)
    assert pinned.set_index("project_id").loc["B", "reason"] == "fixed by request"
    # A is active but, on 2025-12-01, not started yet, so it may move. A by 2 would clash
    # with D in March (3 FTE on 2); A by 3 clears everything in 3 months, fewer than the
    # 4 that moving B (and so C) takes.
    early = level(hand, as_of="2025-12-01").set_index("project_id")
    assert early["shift_months"].to_dict() == {"A": 3, "B": 0, "C": 0, "D": 0, "E": 0}
    assert early.attrs["overload_after"] == 0.0 and early.attrs["months_shifted"] == 3
    with pytest.raises(ValueError):
        level(hand, objective="peak")


def _random_instance(seed: int, unit: float = 0.5):
    """Five projects, two teams, eight months, a chain and a fork of links.

    FTEs are multiples of ``unit``: 0.5 lets the solver break ties in one
    weighted solve; 1/3 (off any decimal grid) makes it use two solves.
    """
    rng = np.random.default_rng(seed)
    stages = ["approved"] * 5
    stages[rng.integers(5)] = "active"
    mandatory = [False] * 5
    mandatory[rng.integers(5)] = True
    projects, demand = [], []
    for i in range(5):
        first = int(rng.integers(0, 4))
        length = int(rng.integers(1, 4))
        start = pd.Timestamp(2026, first + 1, 1)
        finish = pd.Timestamp(2026, first + length, 1) + pd.offsets.MonthEnd(0)
        projects.append(project(f"P{i}", stages[i], start, finish, mandatory[i]))
        for m in range(first, first + length):
            for team in ("T1", "T2"):
                if rng.random() < 0.7:
                    demand.append(dict(project_id=f"P{i}", team_id=team,
                                       month=f"2026-{m + 1:02d}",
                                       fte=float(rng.integers(1, 5)) * unit))
    links = [dict(project_id="P1", depends_on="P0", lag_days=float(rng.integers(-20, 20))),
             dict(project_id="P3", depends_on="P2", lag_days=0.0),
             dict(project_id="P4", depends_on="P2", lag_days=10.0)]
    return make(projects=projects, demand=demand, dependencies=links,
                teams=[dict(team_id="T1", name="a", capacity_fte=5 * unit),
                       dict(team_id="T2", name="b", capacity_fte=4 * unit)])


def _links_hold(pf: Portfolio, shift: dict) -> bool:
    """Each link's gap after shifting is >= min(0, its planned gap) (calendar months)."""
    p = pf.projects.set_index("project_id")
    for dep in pf.dependencies.itertuples():
        def gap(a, b, dep=dep):
            return ((p.loc[dep.project_id, "start_date"] + pd.DateOffset(months=b))
                    - (p.loc[dep.depends_on, "finish_date"] + pd.DateOffset(months=a))
                    - pd.Timedelta(days=dep.lag_days))
        if gap(shift[dep.depends_on], shift[dep.project_id]) < min(gap(0, 0), pd.Timedelta(0)):
            return False
    return True


def _brute_force(pf: Portfolio, max_shift: int):
    """Least overload, then fewest months, over every allowed combination of shifts."""
    p = pf.projects.set_index("project_id")
    movable = [i for i in p.index if not p.loc[i, "mandatory"] and p.loc[i, "stage"] != "active"]
    best = None
    for combo in itertools.product(range(max_shift + 1), repeat=len(movable)):
        shift = dict.fromkeys(p.index, 0) | dict(zip(movable, combo, strict=True))
        if not _links_hold(pf, shift):
            continue
        over = capacity(pf, scenario={k: v for k, v in shift.items() if v})["over"].sum()
        key = (round(over, 9), sum(combo))
        if best is None or key < best:
            best = key
    return best


@pytest.mark.parametrize(("seed", "unit"), [(s, 0.5) for s in range(8)]
                         + [(s, 1 / 3) for s in range(8, 12)])
def test_milp_equals_brute_force(seed, unit):
    pf = _random_instance(seed, unit)
    out = level(pf, max_shift_months=2)
    overload, months = _brute_force(pf, 2)
    assert out.attrs["overload_after"] == pytest.approx(overload, abs=1e-9)
    assert out.attrs["months_shifted"] == months
    assert out.attrs["optimal"]
    assert _links_hold(pf, dict(zip(out["project_id"], out["shift_months"], strict=True)))
    assert out.attrs["overload_after"] <= out.attrs["overload_before"] + 1e-9

"""Optimal selection: brute-force agreement, reasons, infeasibility and the frontier."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prioritisation_support import make_portfolio, project

from pmo_nb.prioritise.frontier import efficient_frontier, frontier_budgets
from pmo_nb.prioritise.scoring import score
from pmo_nb.prioritise.selection import InfeasibleSelection, Selection, select_portfolio

MONTHS = ("2026-01", "2026-02")
TEAMS = ("T1", "T2")


@st.composite
def instances(draw):
    """A random small portfolio: budget, mandatory, dependency and capacity constraints."""
    n = draw(st.integers(1, 12))
    ids = [f"P{i:02d}" for i in range(n)]
    projects = [project(pid, draw(st.integers(1, 20)), mandatory=draw(st.booleans())
                        and draw(st.integers(0, 4)) == 0) for pid in ids]
    projects += [project("ACT", 5, stage="active"), project("CAN", 5, stage="cancelled")]
    alignment = {p["project_id"]: {"g": draw(st.integers(0, 5)), "r": draw(st.integers(0, 5))}
                 for p in projects}
    deps = set()
    for i in range(n):
        for _ in range(draw(st.integers(0, 2))):
            pre = draw(st.sampled_from(ids[:i] + ["ACT", "CAN"]))
            deps.add((ids[i], pre))
    teams = {t: float(draw(st.integers(0, 6))) for t in TEAMS}
    demand = [(p, t, m, float(draw(st.integers(1, 3))))
              for p in ids + ["ACT"] for t in TEAMS for m in MONTHS
              if draw(st.integers(0, 2)) == 0]
    pf = make_portfolio(projects, objectives={"g": draw(st.integers(1, 3)), "r": 1},
                        alignment=alignment, teams=teams, demand=demand,
                        dependencies=sorted(deps))
    total = sum(p["budget"] for p in projects[:n])
    return pf, float(draw(st.integers(0, total)))


def brute_force(pf, budget):
    """Best value by enumerating every subset, with the rules written out independently."""
    table = score(pf).sort_index()
    ids = list(table.index)
    pos = {p: i for i, p in enumerate(ids)}
    n = len(ids)
    x = np.array(list(itertools.product([0, 1], repeat=n)), dtype=bool)
    ok = x @ table["budget"].to_numpy() <= budget + 1e-9
    mandatory = table["mandatory"].to_numpy(dtype=bool)
    ok &= (x[:, mandatory]).all(axis=1)
    required = set(np.flatnonzero(mandatory))
    deps = list(zip(pf.dependencies["project_id"], pf.dependencies["depends_on"], strict=True))
    changed = True
    while changed:  # prerequisites of required projects are required too
        changed = False
        for dep, pre in deps:
            if pos[dep] in required and pre in pos and pos[pre] not in required:
                required.add(pos[pre])
                changed = True
    for dep, pre in deps:
        if pre in pos:
            ok &= ~x[:, pos[dep]] | x[:, pos[pre]]
        elif pre == "CAN":
            ok &= ~x[:, pos[dep]]
    cap = dict(zip(pf.teams["team_id"], pf.teams["capacity_fte"], strict=True))
    for t in TEAMS:
        for m in MONTHS:
            rows = pf.demand[(pf.demand["team_id"] == t) & (pf.demand["month"] == m)]
            fte = dict(zip(rows["project_id"], rows["fte"], strict=True))
            committed = fte.get("ACT", 0.0) + sum(fte.get(ids[i], 0.0) for i in required)
            d = np.array([0.0 if i in required else fte.get(p, 0.0) for i, p in enumerate(ids)])
            ok &= x @ d <= max(cap[t] - committed, 0.0) + 1e-9
    values = x @ table["score"].to_numpy()
    if not ok.any():
        return None, ok, x, table
    return float(values[ok].max()), ok, x, table


def feasible(selected, ok, x, table):
    mask = np.isin(np.array(list(table.index)), selected)
    return bool(ok[(x == mask).all(axis=1)].any())


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_selection_equals_brute_force_and_beats_greedy(instance):
    pf, budget = instance
    best, ok, x, table = brute_force(pf, budget)
    if best is None:
        with pytest.raises(InfeasibleSelection):
            select_portfolio(pf, budget)
        return
    sel = select_portfolio(pf, budget)
    assert sel.value == pytest.approx(best, abs=1e-6)
    assert feasible(sel.selected, ok, x, table)
    assert feasible(sel.greedy_selected, ok, x, table)
    assert sel.greedy_value <= sel.value + 1e-9
    assert sel.cost <= budget + 1e-9
    assert set(sel.table.index[sel.table["selected"]]) == set(sel.selected)


@pytest.fixture
def small():
    """Costs 100/60/50/30/20; capacity 2 FTE with an active project using 1.5."""
    return make_portfolio(
        [project("A", 100), project("B", 60), project("C", 50), project("D", 30, mandatory=True),
         project("E", 10, stage="active"), project("F", 20), project("G", 45),
         project("X", 5, stage="cancelled")],
        objectives={"g": 1},
        alignment={p: {"g": s} for p, s in zip("ABCDEFGX", [5, 4, 3, 1, 2, 2, 3, 1], strict=True)},
        teams={"T": 2}, demand=[("E", "T", "2026-03", 1.5), ("B", "T", "2026-03", 1.0)],
        dependencies=[("C", "G"), ("F", "X")],
    )


def test_reasons_for_every_candidate(small):
    sel = select_portfolio(small, 200, forced_out=["G"])
    assert isinstance(sel, Selection)
    reasons = sel.table["reason"].to_dict()
    assert reasons == {"A": "optimal", "B": "capacity: team T in 2026-03",
                       "C": "dependency: needs G", "G": "forced out",
                       "F": "dependency: needs X", "D": "mandatory"}
    assert sel.selected == ["A", "D"]
    assert sel.value == pytest.approx(120.0) and sel.cost == 130.0
    assert sel.gap == 0.0


def test_budget_reason_forced_in_and_greedy_gap(small):
    # Scores: A 100, C 60, G 60, D 20 (B out on capacity, F blocked). Budget 150:
    # D (30) is mandatory, leaving 120. Cut-line: A (100) then nothing fits (C needs G).
    # Optimum: C + G (cost 95, value 120) beats A alone (cost 100, value 100).
    sel = select_portfolio(small, 150)
    assert sel.selected == ["C", "G", "D"]
    assert sel.value == pytest.approx(140.0) and sel.gain == pytest.approx(20.0)
    assert sel.greedy_selected == ["A", "D"] and sel.greedy_value == pytest.approx(120.0)
    assert sel.table.loc["A", "reason"] == "budget"
    forced = select_portfolio(small, 150, forced_in=["A"])
    assert forced.table.loc["A", "reason"] == "forced in"
    assert forced.selected == ["A", "D"]


def test_mandatory_over_budget_is_explained_with_the_money_needed(small):
    with pytest.raises(InfeasibleSelection, match="cost 30, 10 more than the budget of 20") as e:
        select_portfolio(small, 20)
    assert e.value.culprits == ["D"] and e.value.needed == 30.0
    with pytest.raises(InfeasibleSelection, match=r"C.*G.*cost 125"):
        select_portfolio(small, 100, forced_in=["C"])  # C pulls in its prerequisite G


def test_conflicting_requests_are_explained(small):
    with pytest.raises(InfeasibleSelection, match="A is both forced in and forced out"):
        select_portfolio(small, 500, forced_in=["A"], forced_out=["A"])
    with pytest.raises(InfeasibleSelection, match="D is both mandatory and forced out"):
        select_portfolio(small, 500, forced_out=["D"])
    with pytest.raises(InfeasibleSelection, match="G is forced out but C depend"):
        select_portfolio(small, 500, forced_in=["C"], forced_out=["G"])
    with pytest.raises(InfeasibleSelection, match="F is required but depends on X, which is "
                       "cancelled") as e:
        select_portfolio(small, 500, forced_in=["F"])
    assert e.value.culprits == ["F", "X"]
    with pytest.raises(ValueError, match="not candidates: E"):
        select_portfolio(small, 500, forced_in=["E"])


def test_capacity_can_be_ignored(small):
    sel = select_portfolio(small, 1000, capacity=False)
    assert sel.selected == ["A", "B", "C", "G", "D"]


def test_active_overload_only_forbids_adding_demand():
    # The active project alone needs 3 FTE of a 2 FTE team: the new project
    # using that team is held back, the one not using it is still funded.
    pf = make_portfolio(
        [project("ACT", 1, stage="active"), project("N1", 10), project("N2", 10)],
        objectives={"g": 1}, alignment={"N1": {"g": 5}, "N2": {"g": 4}},
        teams={"T": 2}, demand=[("ACT", "T", "2026-01", 3.0), ("N1", "T", "2026-01", 0.5)],
    )
    sel = select_portfolio(pf, 100)
    assert sel.selected == ["N2"]
    assert sel.table.loc["N1", "reason"] == "capacity: team T in 2026-01"


def test_frontier_is_monotone_and_matches_single_selections(small):
    budgets = [0, 30, 100, 150, 200, 400]
    front = efficient_frontier(small, budgets)
    assert front.columns.tolist()[:5] == ["budget", "value", "cost", "n_selected", "selected"]
    assert not front.loc[0, "feasible"] and np.isnan(front.loc[0, "value"])
    feasible_rows = front[front["feasible"]]
    assert feasible_rows["value"].is_monotonic_increasing
    assert (feasible_rows["greedy_value"] <= feasible_rows["value"] + 1e-9).all()
    for _, row in feasible_rows.iterrows():
        sel = select_portfolio(small, row["budget"])
        assert row["value"] == pytest.approx(sel.value)
        assert row["selected"] == sel.selected
        assert row["cost"] <= row["budget"]
    assert front.loc[3, "value"] == pytest.approx(140.0)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_frontier_points_equal_independent_cold_solves(instance):
    """Each warm-started, re-solved frontier point is what enumeration finds at its budget alone."""
    pf, budget = instance
    total = float(score(pf)["budget"].sum())
    budgets = [budget, 0.0, total, budget / 2, budget]  # unsorted, with a repeat
    try:
        front = efficient_frontier(pf, budgets)
    except InfeasibleSelection:
        assert brute_force(pf, total)[0] is None
        return
    assert front["budget"].tolist() == sorted(budgets)
    for _, row in front.iterrows():
        best, ok, x, table = brute_force(pf, row["budget"])
        if best is None:
            assert not row["feasible"]
            continue
        assert row["feasible"] and row["gap"] == 0.0
        assert row["value"] == pytest.approx(best, abs=1e-6)
        assert feasible(row["selected"], ok, x, table)


def test_frontier_in_worker_processes_is_the_same_table(small):
    budgets = [0, 30, 100, 150, 200, 250, 400]
    one = efficient_frontier(small, budgets)
    two = efficient_frontier(small, budgets, n_jobs=2)
    assert two.drop(columns="selected").equals(one.drop(columns="selected"))
    assert two["selected"].tolist() == one["selected"].tolist()


def test_frontier_budgets_span_mandatory_to_everything(small):
    budgets = frontier_budgets(small, 5)
    assert budgets[0] == 30.0 and budgets[-1] == 305.0 and len(budgets) == 5
    assert len(efficient_frontier(small, 5)) == 5

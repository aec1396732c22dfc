"""Prioritisation charts: they reject bad input and draw what they promise."""

from __future__ import annotations

import pandas as pd
import pytest
from prioritisation_support import make_portfolio, project

from pmo_nb.charts import prioritisation as pc
from pmo_nb.prioritise.confidence import decision_confidence
from pmo_nb.prioritise.frontier import efficient_frontier
from pmo_nb.prioritise.selection import select_portfolio


@pytest.fixture(scope="module")
def portfolio():
    return make_portfolio(
        [project("A", 40), project("B", 30), project("C", 30), project("D", 20)],
        objectives={"growth": 2, "cost": 1},
        alignment={"A": {"growth": 5, "cost": 0}, "B": {"growth": 4, "cost": 1},
                   "C": {"growth": 1, "cost": 4}, "D": {"growth": 0, "cost": 5}},
    )


def _rows(chart) -> list[dict]:
    spec = chart.to_dict()
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def test_ranking_highlights_the_selection(portfolio):
    sel = select_portfolio(portfolio, 70)
    rows = _rows(pc.ranking_chart(sel.table))
    status = {r["project_id"]: r["status"] for r in rows}
    assert status == {p: "funded" if p in sel.selected else "not funded" for p in "ABCD"}
    assert [r["project_id"] for r in _rows(pc.ranking_chart(sel.table, top=2))] == ["A", "B"]
    with pytest.raises(ValueError, match="missing column"):
        pc.ranking_chart(sel.table.drop(columns="score"))
    with pytest.raises(ValueError, match="top must be"):
        pc.ranking_chart(sel.table, top=0)


def test_frontier_marks_the_plan_and_the_cut_line(portfolio):
    front = efficient_frontier(portfolio, [30, 60, 90, 120])
    sel = select_portfolio(portfolio, 60)
    chart = pc.frontier_chart(front, sel)
    rows = _rows(chart)
    plan = [r for r in rows if r.get("what") == "current plan"]
    assert plan == [{"budget": 60.0, "value": sel.value, "what": "current plan"}]
    lines = {r["line"] for r in rows if "line" in r}
    assert lines == {"optimal selection", "greedy cut-line"}
    assert "current plan" not in str(pc.frontier_chart(front).to_dict())
    with pytest.raises(ValueError, match="budget and a value"):
        pc.frontier_chart(front, {"budget": 60})
    with pytest.raises(ValueError, match="no feasible budget"):
        pc.frontier_chart(front.assign(value=float("nan")))
    with pytest.raises(ValueError, match="DataFrame"):
        pc.frontier_chart(front.to_dict())


def test_confidence_chart_sorts_and_bands(portfolio):
    conf = decision_confidence(portfolio, 70, draws=30, seed=1)
    chart = pc.confidence_chart(conf)
    rows = [r for r in _rows(chart) if "p_selected" in r]
    ps = [r["p_selected"] for r in rows]
    assert ps == sorted(ps, reverse=True) and len(rows) == 4
    assert {r["label"] for r in rows} <= set(pc.CONFIDENCE_COLOURS)
    spec = str(chart.to_dict())
    assert "0.1" in spec and "0.9" in spec  # the coin-flip band and its edges
    with pytest.raises(ValueError, match="unknown label"):
        pc.confidence_chart(conf.assign(label="maybe"))


def test_weights_chart_flags_inconsistency():
    w = pd.Series({"growth": 0.6, "cost": 0.4})
    assert "inconsistent" in pc.weights_chart(w, 0.2).to_dict()["title"]
    assert "consistent" in pc.weights_chart(w, 0.05).to_dict()["title"]
    with pytest.raises(ValueError, match="non-empty"):
        pc.weights_chart(pd.Series(dtype=float))
    with pytest.raises(ValueError, match=">= 0"):
        pc.weights_chart(pd.Series({"a": -1.0}))

"""Named scenarios: saved to and loaded from a store, compared; the explorer's save path."""

from __future__ import annotations

import html

import pandas as pd
import pytest
from prioritisation_support import make_portfolio, project

from pmo_nb.prioritise.scenarios import (
    compare,
    from_selection,
    list_scenarios,
    load_scenario,
    save_scenario,
    writer_db,
)
from pmo_nb.prioritise.selection import select_portfolio
from pmo_nb.store.core import Store


@pytest.fixture
def portfolio():
    # growth favours A and B, cost favours C and D; budgets make the choice bite
    return make_portfolio(
        [project("A", 40), project("B", 30), project("C", 30), project("D", 20)],
        objectives={"growth": 1, "cost": 1},
        alignment={"A": {"growth": 5, "cost": 0}, "B": {"growth": 4, "cost": 1},
                   "C": {"growth": 1, "cost": 4}, "D": {"growth": 0, "cost": 5}},
    )


def test_compare_lists_differences_value_and_cost(portfolio):
    growth = from_selection("growth", select_portfolio(portfolio, 70,
                                                       weights={"growth": 1, "cost": 0}))
    thrift = from_selection("thrift", select_portfolio(portfolio, 50,
                                                       weights={"growth": 0, "cost": 1}))
    assert growth.selected == ["A", "B"] and growth.cost == 70
    assert sorted(thrift.selected) == ["C", "D"] and thrift.cost == 50

    result = compare(growth, thrift)
    assert result.only_first == ["A", "B"]
    assert sorted(result.only_second) == ["C", "D"]
    assert result.both == []
    s = result.summary
    assert s.at["cost", "growth"] == 70 and s.at["cost", "thrift"] == 50
    assert s.at["cost", "difference"] == -20
    assert s.at["value", "growth"] == pytest.approx(100 + 80)  # 5 and 4 of 5, growth only
    assert s.at["value", "thrift"] == pytest.approx(80 + 100)
    assert s.at["projects", "difference"] == 0
    assert s.at["unspent", "growth"] == 0 and s.at["unspent", "thrift"] == 0
    diff = result.differences
    assert list(diff.index) == ["A", "B", "C", "D"]  # by scenario, then budget descending
    assert list(diff["funded_in"]) == ["growth", "growth", "thrift", "thrift"]
    assert diff.at["A", "budget"] == 40 and diff.at["D", "name"] == "Project D"
    text = " ".join(result.sentences())
    assert "growth funds 2 project(s) that thrift does not" in text
    assert "20 less" in text


def test_compare_same_projects_has_no_differences(portfolio):
    a = from_selection("a", select_portfolio(portfolio, 120))
    b = from_selection("b", select_portfolio(portfolio, 140))
    result = compare(a, b)
    assert result.only_first == [] and result.only_second == []
    assert result.differences.empty
    assert result.summary.at["budget", "difference"] == 20
    assert result.summary.at["unspent", "difference"] == 20


def test_save_load_round_trip_and_versions(portfolio, tmp_path):
    store = Store(tmp_path / "scenarios.db")
    sel = select_portfolio(portfolio, 70, weights={"growth": 3, "cost": 1})
    first = from_selection("board option", sel, as_of="2026-06-30")
    assert save_scenario(store, first) == 1
    again = from_selection("board option", select_portfolio(portfolio, 50))
    assert save_scenario(store, again) == 2

    latest = load_scenario(store, "board option")
    assert latest.selected == again.selected and latest.budget == 50
    old = load_scenario(store, "board option", version=1)
    assert old.selected == sel.selected and old.value == pytest.approx(sel.value)
    assert old.weights == pytest.approx({"growth": 0.75, "cost": 0.25})
    assert old.attrs["as_of"] == "2026-06-30"
    assert old.attrs["greedy_value"] == pytest.approx(sel.greedy_value)
    assert list(old.table.index) == list(sel.table.index)
    assert old.table["selected"].tolist() == sel.table["selected"].tolist()

    listed = list_scenarios(store)
    assert listed["name"].tolist() == ["board option"]
    assert listed.loc[0, "version"] == 2 and listed.loc[0, "n_selected"] == len(again.selected)
    with pytest.raises(KeyError, match="no scenario named 'nope'"):
        load_scenario(store, "nope")


def test_blank_name_is_refused(portfolio):
    with pytest.raises(ValueError, match="needs a name"):
        from_selection("  ", select_portfolio(portfolio, 70))


def test_writer_store_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("PMO_SCENARIO_DB", raising=False)
    monkeypatch.delenv("PMO_INTAKE_DB", raising=False)
    assert writer_db("reader.db") == "reader.db"
    monkeypatch.setenv("PMO_INTAKE_DB", "intake.db")
    assert writer_db("reader.db") == "intake.db"
    monkeypatch.setenv("PMO_SCENARIO_DB", "scenarios.db")
    assert writer_db("reader.db") == "scenarios.db"


@pytest.fixture
def app(demo_db, monkeypatch, tmp_path):
    from pmo_nb.apps.scenario_explorer import explorer

    monkeypatch.delenv("PMO_INTAKE_DB", raising=False)
    monkeypatch.setenv("PMO_SCENARIO_DB", str(tmp_path / "writer.db"))
    return explorer(demo_db, "2026-06-30")


def test_explorer_sliders_reselect_and_scenarios_compare(app, demo_small):
    before = list(app.selection.selected)
    assert app.budget_slider.value == pytest.approx(0.5 * app.total, abs=app.budget_slider.step)
    assert app.save("half") .startswith("Saved scenario <b>half</b>")
    app.budget_slider.value = 1_000_000
    after = list(app.selection.selected)
    assert after != before and app.selection.cost <= 1_000_000
    assert f'pmo-selected-count">{len(after)}<' in app.selection_list.value
    spec = app.frontier_view.chart.to_dict()
    plan = [row for rows in spec["datasets"].values() for row in rows
            if row.get("what") == "current plan"]
    assert plan == [{"budget": 1e6, "value": app.selection.value, "what": "current plan"}]
    assert "half" in app.first.options
    html = app.compare_html("half", "(current sliders)")
    gone = sorted(set(before) - set(after))
    assert gone and all(p in html for p in gone)

    spec_before = app.frontier.copy()
    app.weight_sliders["OBJ-02"].value = 100  # weights move: the frontier is recomputed
    assert not app.frontier["value"].equals(spec_before["value"])


def test_explorer_says_when_saving_is_not_permitted(app, demo_db):
    app.writer = f"sqlite:///file:{demo_db}?mode=ro&uri=true"
    message = app.save("blocked")
    assert "Saving is not permitted here" in message
    # the store's own reason is passed on, escaped, and no traceback reaches the viewer
    assert "opened read-only" in message and "analysts' URL" in html.unescape(message)
    assert "analysts' URL" not in message  # escaped, as every store text is
    assert "Traceback" not in message
    assert app.save("") .endswith("needs a name.</span>")


def test_scenario_frame_keeps_types(portfolio, tmp_path):
    store = Store(tmp_path / "s.db")
    save_scenario(store, from_selection("x", select_portfolio(portfolio, 70)))
    table = load_scenario(store, "x").table
    assert table["selected"].dtype == bool
    assert pd.api.types.is_float_dtype(table["budget"])

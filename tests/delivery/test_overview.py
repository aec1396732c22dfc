"""The overview analyses on a hand-made portfolio whose numbers can be checked by eye."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_nb.delivery import overview as overview
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


@pytest.fixture
def tiny() -> Portfolio:
    """Six projects; P1-P4 live. Latest RAGs on 2026-06-30: P1 red, P2 green, P3 amber (an
    older red is superseded), P4 never reported; P5 completed with a red that does not count."""
    projects = pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "name": ["Alpha", "Beta", "Gamma", "Delta", "Eps", "Zeta"],
        "category": ["IT", "IT", "Product", "Product", "IT", "Compliance"],
        "stage": ["active", "active", "approved", "on_hold", "completed", "proposed"],
        "sponsor": ["Ann", "Bob", "Ann", "Ann", "Bob", None],
        "start_date": ["2026-01-01"] * 6,
        "finish_date": ["2026-12-31"] * 6,
        "budget": [100.0, 200.0, 300.0, 400.0, 500.0, 600.0],
        "actual_finish_date": [None, None, None, None, "2026-05-31", None],
        "actual_cost": [None, None, None, None, 550.0, None],
    })
    updates = pd.DataFrame({
        "project_id": ["P1", "P1", "P2", "P3", "P3", "P5", "P1"],
        "as_of": ["2026-05-31", "2026-06-30", "2026-06-30", "2026-05-31", "2026-06-30",
                  "2026-05-31", "2026-07-31"],
        "percent_complete": [40.0, 50.0, 50.0, 10.0, 20.0, 100.0, 60.0],
        "actual_cost": [40.0, 80.0, 90.0, 30.0, 60.0, 550.0, 90.0],
        "planned_value": [50.0, 50.0, 100.0, 30.0, 60.0, 500.0, 60.0],
        "rag": ["green", "red", "green", "red", "amber", "red", "green"],
    })
    return Portfolio(
        projects=coerce_types("projects", projects),
        status_updates=coerce_types("status_updates", updates),
        source="tiny",
    )


AS_OF = "2026-06-30"


def test_stage_counts_list_every_stage_in_order(tiny):
    counts = overview.stage_counts(tiny)
    assert counts["stage"].tolist() == [
        "proposed", "approved", "active", "on_hold", "completed", "cancelled"]
    assert counts["projects"].tolist() == [1, 1, 2, 1, 1, 0]
    assert counts["budget"].tolist() == [600.0, 300.0, 300.0, 400.0, 500.0, 0.0]


def test_budget_by_category_largest_first_with_shares(tiny):
    cats = overview.budget_by_category(tiny)
    assert cats["category"].tolist() == ["IT", "Product", "Compliance"]
    assert cats["budget"].tolist() == [800.0, 700.0, 600.0]
    assert cats["projects"].tolist() == [3, 2, 1]
    assert cats["share"].sum() == pytest.approx(1.0)
    live = overview.budget_by_category(tiny, stages=overview.LIVE_STAGES)
    assert dict(zip(live["category"], live["budget"], strict=True)) == {
        "Product": 700.0, "IT": 300.0}


def test_rag_counts_use_the_latest_update_on_or_before_as_of(tiny):
    rag = overview.rag_counts(tiny, AS_OF).set_index("rag")["projects"].to_dict()
    assert rag == {"green": 1, "amber": 1, "red": 1, "unreported": 1}
    # without a cut-off P1's July green replaces its June red
    later = overview.rag_counts(tiny).set_index("rag")["projects"].to_dict()
    assert later == {"green": 2, "amber": 1, "red": 0, "unreported": 1}
    # before any June update only May's reports count: P1 green, P3 red
    may = overview.rag_counts(tiny, "2026-06-01").set_index("rag")["projects"].to_dict()
    assert may == {"green": 1, "amber": 0, "red": 1, "unreported": 2}


def test_filter_keeps_matching_projects_and_their_rows(tiny):
    part = overview.filter(tiny, category="IT", sponsor=["Ann", "Bob"], stage=None)
    assert part.projects["project_id"].tolist() == ["P1", "P2", "P5"]
    assert set(part.status_updates["project_id"]) == {"P1", "P2", "P5"}
    assert len(part.status_updates) == 5
    assert overview.filter(tiny, stage=["active", "on_hold"]).projects["project_id"].tolist() \
        == ["P1", "P2", "P4"]
    assert overview.filter(tiny) is tiny  # no criterion: the same portfolio
    assert overview.filter(tiny, category="", sponsor=[]) is tiny
    assert len(overview.filter(tiny, category="Nope").projects) == 0
    assert len(tiny.projects) == 6  # the original is untouched


def test_filter_rejects_unknown_stage(tiny):
    with pytest.raises(ValueError, match="unknown stage"):
        overview.filter(tiny, stage="done")


def test_choices_offer_present_values(tiny):
    assert overview.choices(tiny) == {
        "category": ["Compliance", "IT", "Product"],
        "sponsor": ["Ann", "Bob"],
        "stage": ["proposed", "approved", "active", "on_hold", "completed"],
    }


def test_evm_table_worst_first_with_names(tiny):
    evm = overview.evm_table(tiny, AS_OF)
    assert set(evm["project_id"]) == {"P1", "P2", "P3", "P5"}
    assert {"name", "category", "stage", "cpi", "spi"} <= set(evm.columns)
    assert evm["cpi"].is_monotonic_increasing
    # P1 at June: EV = 50% x 100 = 50, AC = 80 -> CPI 0.625; PV 50 -> SPI 1.0
    p1 = evm.set_index("project_id").loc["P1"]
    assert p1["cpi"] == pytest.approx(0.625)
    assert p1["spi"] == pytest.approx(1.0)
    worst = overview.worst(evm, "cpi", 2)
    # live only: P5 (completed) is left out whatever its CPI
    assert worst["project_id"].tolist() == ["P1", "P3"]
    assert "es" not in worst.columns and "name" in worst.columns
    with pytest.raises(ValueError):
        overview.worst(evm, "nope")
    with pytest.raises(ValueError):
        overview.worst(evm, "cpi", 0)


def test_kpis(tiny):
    k = overview.kpis(tiny, AS_OF)
    assert k["projects"] == 6 and k["live"] == 4
    assert k["budget"] == 2100.0 and k["live_budget"] == 1000.0
    assert (k["red"], k["amber"], k["green"], k["unreported"]) == (1, 1, 1, 1)
    # live projects with EV: P1 0.625, P2 (EV 100 / AC 90) 1.11, P3 (EV 60 / AC 60) 1.0
    assert k["evm_projects"] == 3
    assert k["worst_cpi_project"] == "P1" and k["worst_cpi"] == pytest.approx(0.625)
    assert k["cpi_below_1"] == 1


def test_narrative_states_numbers_and_sources(tiny):
    sentences = overview.narrative(tiny, AS_OF)
    assert sentences[0] == (
        "The portfolio holds 6 projects, of which 4 are live (approved, active or on hold) "
        "and 2 active (projects table).")
    assert "IT has the largest budget: 800 of 2.1 k (38%) across 3 projects" in sentences[1]
    assert ("1 of 4 live projects (25%) reported red in their latest status update "
            "(status_updates).") in sentences
    assert any(s.startswith("1 of 4 live projects have no status update") for s in sentences)
    assert any("the worst is P1 at CPI 0.62" in s for s in sentences)
    assert all(s.endswith(").") for s in sentences)


def test_narrative_of_an_empty_portfolio():
    assert overview.narrative(Portfolio(), AS_OF) == [
        "The portfolio holds no projects (projects table is empty)."]


def test_money_is_short():
    assert overview.money(950) == "950"
    assert overview.money(12_300) == "12.3 k"
    assert overview.money(45_600_000) == "45.6 m"
    assert overview.money(2.5e9) == "2.5 bn"

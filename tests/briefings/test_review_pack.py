"""The quarterly review pack: alignment, selection changes, accuracy, decisions."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_nb import benefits_rollup, benefits_status
from pmo_nb.briefings import review_pack as rp
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types

AS_OF = "2026-06-30"


def _portfolio(**tables) -> Portfolio:
    return Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})


def _project(pid, stage, budget):
    return {"project_id": pid, "name": f"Project {pid}", "category": "IT", "stage": stage,
            "start_date": "2026-09-01", "finish_date": "2027-06-30", "budget": budget}


@pytest.fixture()
def pack():
    """X active (4 on O1, 1 on O2), Y active unaligned, A approved weak, B proposed strong."""
    return _portfolio(
        objectives=[{"objective_id": "O1", "name": "Grow", "weight": 3},
                    {"objective_id": "O2", "name": "Save", "weight": 1}],
        projects=[_project("X", "active", 100.0), _project("Y", "active", 50.0),
                  _project("A", "approved", 100.0), _project("B", "proposed", 100.0),
                  _project("Z", "completed", 999.0) | {"actual_finish_date": "2026-01-31",
                                                       "actual_cost": 999.0}],
        alignment=[{"project_id": "X", "objective_id": "O1", "score": 4},
                   {"project_id": "X", "objective_id": "O2", "score": 1},
                   {"project_id": "A", "objective_id": "O2", "score": 1},
                   {"project_id": "B", "objective_id": "O1", "score": 5}],
    )


def test_money_split_by_alignment_against_weights(pack):
    t = rp.alignment(pack, AS_OF)
    assert list(t.index) == ["O1", "O2", rp.UNALIGNED]
    # X: 80 to O1, 20 to O2; A (approved): 100 to O2; Y: 50 unaligned; Z completed: not counted
    assert t["spend"].to_dict() == pytest.approx({"O1": 80.0, "O2": 120.0, rp.UNALIGNED: 50.0})
    assert t["weight_share"].to_dict() == pytest.approx({"O1": 0.75, "O2": 0.25,
                                                         rp.UNALIGNED: 0.0})
    assert t.loc["O1", "spend_gap"] == pytest.approx(80 / 250 - 0.75)
    words = rp.alignment_sentences(t)
    assert words[0].startswith("Save (O2) receives 48% of the committed money against a weight "
                               "of 25%: 23 percentage points more than its weight")
    assert words[1].startswith("Grow (O1) receives 32% of the committed money against a weight "
                               "of 75%: 43 percentage points less")
    assert words[2] == ("50 (20%) of the committed money goes to projects aligned with no "
                        "objective (alignment table).")


def test_forecast_cost_replaces_budget_where_forecast(pack):
    fc = pd.DataFrame({"project_id": ["X"], "cost_p50": [200.0]})
    t = rp.alignment(pack, AS_OF, forecast=fc)
    assert t.loc["O1", "spend"] == pytest.approx(160.0)
    assert "median forecast cost for the 1 forecast projects" in t.attrs["spend_basis"]


def test_selection_changes_at_the_approved_money(pack):
    changes = rp.selection_changes(pack)
    assert changes.budget == 100.0 and changes.basis == "the total budget of the approved projects"
    assert changes.fund == ["B"] and changes.drop == ["A"]
    assert changes.table.loc["A", "reason"] == "budget"
    assert changes.sentences[1] == "It would fund 1 proposal(s) not yet approved: " \
        "B Project B (100) (prioritisation)."
    assert changes.sentences[2] == "It would drop 1 approved project(s): A Project A (budget) " \
        "(prioritisation)."
    bigger = rp.selection_changes(pack, budget=200.0)
    assert bigger.fund == ["B"] and bigger.drop == []


def test_accuracy_missing_or_present():
    assert rp.accuracy(None) == ["The forecast accuracy scorecard is not available: no backtest "
                                 "has been persisted in the store."]
    card = pd.DataFrame({"at": [0.5, 0.5], "method": ["bayes", "bac_cpi"], "n": [40, 40],
                         "coverage_cost": [0.8, float("nan")],
                         "cost_error_vs_bac_cpi": [0.6, 1.0]})
    assert rp.accuracy(card) == [
        "At 50% of planned duration (40 projects), the forecast's 80% cost interval held the "
        "outcome 80% of the time, within the 72%-88% target; its median cost error was 60% of "
        "BAC/CPI's (backtest)."]


def test_decisions_follow_from_the_sections(pack):
    status = benefits_status(pack, AS_OF)
    align = rp.alignment(pack, AS_OF, status=status)
    changes = rp.selection_changes(pack)
    rollup = benefits_rollup(status, pack, "objective")
    card = pd.DataFrame({"at": [0.5], "method": ["bayes"], "n": [40], "coverage_cost": [0.6]})
    d = rp.decisions(align, changes, rollup, card, forecast_available=False)
    assert list(d["decision"]) == [
        "Increase the money going to Grow (O1), or restate its weight.",
        "Reduce the money going to Save (O2), or restate its weight.",
        "Confirm why the unaligned projects are funded, or align them.",
        "Approve B (Project B).",
        "Reconsider the approval of A (Project A).",
        "Have the forecast model recalibrated before relying on its ranges.",
        "Run the forecast so that the next review can weigh overrun risk.",
    ]
    with_forecast = rp.decisions(align, changes, rollup, None, forecast_available=True)
    assert not with_forecast["source"].isin(["forecast", "forecast accuracy"]).any()


def test_demo_pack_runs(demo_small):
    status = benefits_status(demo_small, AS_OF)
    align = rp.alignment(demo_small, AS_OF, status=status)
    assert align["spend_share"].sum() == pytest.approx(1.0)
    assert align["weight_share"].sum() == pytest.approx(1.0)
    changes = rp.selection_changes(demo_small, time_limit=20)
    assert changes.message is None
    assert set(changes.table["change"]) <= {"fund", "drop", "keep", "leave out"}
    funded = changes.table["change"].isin(["fund", "keep"])
    assert changes.table.loc[funded, "budget"].sum() <= changes.budget + 1e-6


def test_alignment_chart(pack):
    from pmo_nb.charts import status as charts

    spec = charts.alignment_chart(rp.alignment(pack, AS_OF)).to_dict()
    assert spec["encoding"]["yOffset"]["field"] == "measure"
    with pytest.raises(ValueError, match="missing column"):
        charts.alignment_chart(pd.DataFrame({"objective": ["x"]}))

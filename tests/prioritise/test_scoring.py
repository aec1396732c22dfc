"""Scoring methods on a hand-made portfolio with hand-computed answers."""

from __future__ import annotations

import pytest
from prioritisation_support import make_portfolio, project

from pmo_nb.prioritise.scoring import objective_weights, score

WSJF = dict(business_value=8, time_criticality=5, risk_reduction=3, job_size=4)
RICE = dict(reach=1000, impact=2, confidence=0.5, effort=4)


@pytest.fixture
def portfolio():
    # Objectives weighted 3:1, so normalised weights 0.75 and 0.25.
    return make_portfolio(
        [
            project("A", 2_000_000, **WSJF, **RICE),
            project("B", 500_000, stage="approved", business_value=5, time_criticality=5,
                    risk_reduction=5, job_size=5, reach=200, impact=3, confidence=1.0, effort=2),
            project("C", 1_000_000, mandatory=True, business_value=1, time_criticality=1,
                    risk_reduction=1, job_size=1, reach=100, impact=1, confidence=0.8, effort=1),
            project("Z", 1_000_000, stage="active"),  # not a candidate
        ],
        objectives={"growth": 3, "risk": 1},
        alignment={"A": {"growth": 5, "risk": 5}, "B": {"growth": 4, "risk": 0},
                   "C": {"growth": 2, "risk": 4}, "Z": {"growth": 1, "risk": 1}},
    )


def test_weighted_scores_are_0_to_100_and_ranked(portfolio):
    out = score(portfolio)
    # A: 5 everywhere -> 100. B: (0.75*4 + 0.25*0)/5*100 = 60. C: (1.5 + 1)/5*100 = 50.
    assert out["score"].to_dict() == pytest.approx({"A": 100.0, "B": 60.0, "C": 50.0})
    assert list(out.index) == ["A", "B", "C"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert out.loc["B", "align_growth"] == 4.0 and out.loc["C", "align_risk"] == 4.0
    assert bool(out.loc["C", "mandatory"]) and out.loc["B", "stage"] == "approved"
    assert out.attrs["weights"] == pytest.approx({"growth": 0.75, "risk": 0.25})
    assert "Z" not in out.index


def test_weight_override_replaces_only_named_objectives(portfolio):
    out = score(portfolio, weights={"risk": 3})  # growth keeps 3 -> 0.5 / 0.5
    # B: (0.5*4 + 0.5*0)/5*100 = 40; C: (0.5*2 + 0.5*4)/5*100 = 60.
    assert out["score"].to_dict() == pytest.approx({"A": 100.0, "B": 40.0, "C": 60.0})
    assert list(out.index) == ["A", "C", "B"]
    assert objective_weights(portfolio, {"growth": 0, "risk": 2}).tolist() == [0.0, 1.0]


def test_wsjf(portfolio):
    out = score(portfolio, method="wsjf")
    # A: (8+5+3)/4 = 4; B: 15/5 = 3; C: 3/1 = 3 -> tie broken by project_id.
    assert out["score"].to_dict() == pytest.approx({"A": 4.0, "B": 3.0, "C": 3.0})
    assert out["rank"].to_dict() == {"A": 1, "B": 2, "C": 3}
    assert out.loc["A", "job_size"] == 4.0


def test_rice(portfolio):
    out = score(portfolio, method="rice")
    # A: 1000*2*0.5/4 = 250; B: 200*3*1/2 = 300; C: 100*1*0.8/1 = 80.
    assert out["score"].to_dict() == pytest.approx({"A": 250.0, "B": 300.0, "C": 80.0})
    assert list(out.index) == ["B", "A", "C"]


def test_value_for_money_is_points_per_million(portfolio):
    out = score(portfolio, method="value_for_money")
    # A: 100 / 2.0 = 50; B: 60 / 0.5 = 120; C: 50 / 1.0 = 50 (tie -> A first).
    assert out["score"].to_dict() == pytest.approx({"A": 50.0, "B": 120.0, "C": 50.0})
    assert list(out.index) == ["B", "A", "C"]
    assert out.loc["B", "weighted_score"] == pytest.approx(60.0)
    assert "1,000,000" in out.attrs["unit"]


def test_stages_choose_the_candidates(portfolio):
    assert list(score(portfolio, stages=("approved",)).index) == ["B"]


def test_missing_inputs_name_the_projects():
    pf = make_portfolio(
        [project("P1", 10, **WSJF), project("P2", 10, business_value=1),
         project("P3", 10)],
        objectives={"g": 1, "unused": 0},
        alignment={"P1": {"g": 3}, "P2": {"g": 2}},
    )
    with pytest.raises(ValueError, match=r"wsjf.*P2 \(time_criticality.*P3"):
        score(pf, method="wsjf")
    with pytest.raises(ValueError, match=r"rice.*P1 \(reach"):
        score(pf, method="rice")
    with pytest.raises(ValueError, match=r"1 project\(s\): P3 \(align_g\)"):
        score(pf)  # the zero-weighted objective needs no alignment


def test_bad_arguments():
    pf = make_portfolio([project("P1", 0)], objectives={"g": 1}, alignment={"P1": {"g": 1}})
    with pytest.raises(ValueError, match="unknown method"):
        score(pf, method="magic")
    with pytest.raises(ValueError, match="unknown objectives: nope"):
        score(pf, weights={"nope": 1})
    with pytest.raises(ValueError, match=">= 0"):
        score(pf, weights={"g": -1})
    with pytest.raises(ValueError, match="at least one"):
        score(pf, weights={"g": 0})
    with pytest.raises(ValueError, match="budget > 0.*P1"):
        score(pf, method="value_for_money")


def test_unstated_alignment_pairs_count_as_zero():
    pf = make_portfolio(
        [project("P1", 10), project("P2", 10)],
        objectives={"g": 3, "c": 1},
        alignment={"P1": {"g": 5}, "P2": {"c": 5}},  # each assessed on one objective only
    )
    table = score(pf)
    assert table.at["P1", "score"] == pytest.approx(100 * 0.75)
    assert table.at["P2", "score"] == pytest.approx(100 * 0.25)
    assert list(table.index) == ["P1", "P2"]

"""Decision confidence: reproducible with a seed, sensible at the extremes."""

from __future__ import annotations

import pandas as pd
import pytest
from prioritisation_support import make_portfolio, project

from pmo_nb.prioritise.confidence import confidence_label, decision_confidence


@pytest.fixture(scope="module")
def portfolio():
    """DOM is best everywhere and cheap; USE is aligned with nothing; the rest are close."""
    scores = {"DOM": (5, 5, 5), "USE": (0, 0, 0), "M1": (3, 3, 3), "M2": (3, 4, 2),
              "M3": (2, 4, 3), "M4": (4, 2, 3), "M5": (3, 2, 4)}
    return make_portfolio(
        [project(p, 10) for p in scores] + [project("REG", 10, mandatory=True)],
        objectives={"a": 3, "b": 2, "c": 1},
        alignment={p: dict(zip("abc", s, strict=True)) for p, s in scores.items()}
        | {"REG": {"a": 0, "b": 0, "c": 0}},
    )


def test_dominant_useless_and_mandatory_projects(portfolio):
    # Budget 40: REG (mandatory) plus three of the others.
    out = decision_confidence(portfolio, 40, draws=200, seed=3)
    assert out.loc["DOM", "p_selected"] == 1.0 and out.loc["DOM", "label"] == "safe bet"
    assert out.loc["REG", "p_selected"] == 1.0  # mandatory: always in
    assert out.loc["USE", "p_selected"] == 0.0 and out.loc["USE", "label"] == "never funded"
    assert out.loc["DOM", "p_rank_le_k"] == 1.0 and out.loc["DOM", "median_rank"] == 1.0
    middling = out.loc[["M1", "M2", "M3", "M4", "M5"], "p_selected"]
    assert middling.sum() == pytest.approx(2.0)  # two places among five close projects
    assert (middling > 0).all() and (middling < 1).all()
    assert out.attrs["k"] == 4  # size of the stated optimal selection
    assert out["selected"].sum() == 4
    assert list(out.columns) == ["score", "rank", "selected", "p_selected", "p_rank_le_k",
                                 "median_rank", "label"]


def test_same_seed_same_table_different_seed_differs(portfolio):
    first = decision_confidence(portfolio, 40, draws=100, seed=11)
    again = decision_confidence(portfolio, 40, draws=100, seed=11)
    pd.testing.assert_frame_equal(first, again)
    other = decision_confidence(portfolio, 40, draws=100, seed=12)
    assert not first["p_selected"].equals(other["p_selected"])


def test_no_noise_and_tight_weights_reproduce_the_stated_optimum(portfolio):
    out = decision_confidence(portfolio, 40, draws=20, concentration=1e7, score_noise=0.0)
    assert (out["p_selected"] == out["selected"].astype(float)).all()


def test_labels_and_bad_arguments(portfolio):
    assert [confidence_label(p) for p in (1.0, 0.9, 0.5, 0.1, 0.0)] == [
        "safe bet", "safe bet", "coin flip", "never funded", "never funded"]
    with pytest.raises(ValueError, match="method"):
        decision_confidence(portfolio, 40, method="wsjf")
    with pytest.raises(ValueError, match="concentration"):
        decision_confidence(portfolio, 40, concentration=0)


def test_worker_processes_give_the_same_table(portfolio):
    one = decision_confidence(portfolio, 40, draws=30, seed=5)
    two = decision_confidence(portfolio, 40, draws=30, seed=5, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)

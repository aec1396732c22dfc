"""AHP weights and consistency ratio on published and hand-checked matrices."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pmo_nb.prioritise.ahp import (
    RANDOM_INDEX,
    InconsistentJudgementsWarning,
    ahp_weights,
    is_consistent,
    pairwise_matrix,
)

# Criteria of the "choosing a leader" example (Wikipedia, "Analytic hierarchy
# process - leader example"): Experience, Education, Charisma, Age, published
# priorities .547, .127, .270, .056 and CR .044.
LEADER = [[1, 4, 3, 7], [1 / 4, 1, 1 / 3, 3], [1 / 3, 3, 1, 5], [1 / 7, 1 / 3, 1 / 5, 1]]
LEADER_LABELS = ["experience", "education", "charisma", "age"]
# Same source, the candidates Tom, Dick, Harry judged on experience: published
# priorities .217, .717, .066.
EXPERIENCE = [[1, 1 / 4, 4], [4, 1, 9], [1 / 4, 1 / 9, 1]]


def test_leader_example_weights_and_cr_match_the_published_values():
    weights, cr = ahp_weights(LEADER, labels=LEADER_LABELS)
    assert list(weights.index) == LEADER_LABELS
    assert weights.to_numpy() == pytest.approx([0.547, 0.127, 0.270, 0.056], abs=6e-4)
    assert weights.sum() == pytest.approx(1.0)
    assert cr == pytest.approx(0.044, abs=5e-4)
    assert is_consistent(cr)


def test_three_by_three_example_weights():
    weights, cr = ahp_weights(EXPERIENCE, labels=["Tom", "Dick", "Harry"])
    assert weights.round(3).tolist() == [0.217, 0.717, 0.066]
    assert 0 < cr < 0.10


def test_consistent_matrix_gives_exact_weights_and_zero_cr():
    true = np.array([0.5, 0.25, 0.15, 0.10])
    matrix = true[:, None] / true[None, :]
    weights, cr = ahp_weights(pd.DataFrame(matrix, index=list("abcd"), columns=list("abcd")))
    assert list(weights.index) == list("abcd")
    assert weights.to_numpy() == pytest.approx(true, abs=1e-12)
    assert cr == pytest.approx(0.0, abs=1e-12)


def test_two_items_are_always_consistent():
    weights, cr = ahp_weights([[1, 3], [1 / 3, 1]])
    assert weights.tolist() == pytest.approx([0.75, 0.25])
    assert cr == 0.0


def test_inconsistent_judgements_warn_and_are_flagged():
    # a > b (9), b > c (9) but c > a (9): circular judgements.
    matrix = pairwise_matrix({("a", "b"): 9, ("b", "c"): 9, ("c", "a"): 9}, ["a", "b", "c"])
    with pytest.warns(InconsistentJudgementsWarning, match="inconsistent"):
        weights, cr = ahp_weights(matrix)
    assert cr > 0.10
    assert not is_consistent(cr)
    assert weights.tolist() == pytest.approx([1 / 3] * 3)  # symmetry: equal weights


def test_consistent_matrix_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ahp_weights(LEADER)


def test_pairwise_matrix_fills_reciprocals_and_defaults_to_one():
    matrix = pairwise_matrix({("x", "y"): 3, ("z", "y"): 2}, ["x", "y", "z"])
    assert matrix.loc["y", "x"] == pytest.approx(1 / 3)
    assert matrix.loc["y", "z"] == pytest.approx(0.5)
    assert matrix.loc["x", "z"] == 1.0
    assert np.diag(matrix).tolist() == [1.0, 1.0, 1.0]


def test_random_index_table_is_saatys():
    assert RANDOM_INDEX[3] == 0.58 and RANDOM_INDEX[4] == 0.90 and RANDOM_INDEX[10] == 1.49
    assert sorted(RANDOM_INDEX) == list(range(1, 16))


@pytest.mark.parametrize(
    "matrix, message",
    [
        ([[1, 2, 3], [0.5, 1, 2]], "square"),
        ([[1, 0], [0, 1]], r"cell \(0, 1\) = 0"),
        ([[1, -2], [-0.5, 1]], r"cell \(0, 1\) = -2"),
        ([[1, np.nan], [1, 1]], "positive"),
        ([[2, 1], [1, 1]], r"cell \(0, 0\).*must be 1"),
        ([[1, 3], [3, 1]], r"cell \(1, 0\) = 3.*not the reciprocal"),
    ],
)
def test_bad_matrices_raise_naming_the_cell(matrix, message):
    with pytest.raises(ValueError, match=message):
        ahp_weights(matrix)


def test_labels_name_the_bad_cell_and_rounded_reciprocals_pass():
    with pytest.raises(ValueError, match=r"cell \('risk', 'growth'\)"):
        ahp_weights([[1, 3], [0.5, 1]], labels=["growth", "risk"])
    weights, _ = ahp_weights([[1, 3], [0.333, 1]])  # 1/3 typed as 0.333 is accepted
    assert weights.iloc[0] == pytest.approx(0.75, abs=1e-3)


def test_more_than_fifteen_items_is_an_error():
    with pytest.raises(ValueError, match="random index"):
        ahp_weights(np.ones((16, 16)))


def test_parse_weights_parameter():
    from pmo_nb.prioritise.ahp import parse_weights

    assert parse_weights("", ["a", "b"]) == (None, None)
    assert parse_weights('{"a": 3}', ["a", "b"]) == ({"a": 3.0}, None)
    weights, sheet = parse_weights(
        '{"ahp_matrix": [[1, 3], [0.333333, 1]], "labels": ["a", "b"]}', ["a", "b", "c"])
    assert weights == pytest.approx({"a": 0.75, "b": 0.25, "c": 0.0}, abs=1e-4)
    assert sheet["cr"] == 0.0 and sheet["consistent"]
    assert list(sheet["matrix"].index) == ["a", "b"]
    # inconsistent judgements come back flagged, not as a warning in the report
    text = '{"ahp_matrix": [[1, 9, 0.111111], [0.111111, 1, 9], [9, 0.111111, 1]]}'
    weights, sheet = parse_weights(text, ["a", "b", "c"])
    assert not sheet["consistent"] and sheet["cr"] > 0.1
    with pytest.raises(ValueError, match="give labels"):
        parse_weights('{"ahp_matrix": [[1, 3], [0.333333, 1]]}', ["a", "b", "c"])
    with pytest.raises(ValueError, match="must be JSON"):
        parse_weights("{a: 1}", ["a"])
    with pytest.raises(ValueError, match="JSON object"):
        parse_weights("[1, 2]", ["a"])
    with pytest.raises(ValueError, match="to a number"):
        parse_weights('{"a": "lots"}', ["a"])

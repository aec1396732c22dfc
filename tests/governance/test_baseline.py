"""Known answers for the current baseline, pending exposure and earned value on both baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from governance_support import AS_OF

from pmo_nb import earned_value
from pmo_nb.governance import baseline, change_summary, describe_baseline, describe_changes
from pmo_nb.portfolio import Portfolio


def test_rebaselined_budget_and_finish_count_changes_approved_by_the_date(changes_portfolio):
    base = baseline(changes_portfolio, AS_OF)
    p1 = base.loc["P1"]
    # C1 (+200, +30 days) and C2 (+50, decided on the date itself) count; C5 was decided later,
    # C3 and C8 rejected, C7 withdrawn, C6 raised after the date
    assert p1["budget_original"] == 1000.0
    assert p1["budget_current"] == 1250.0
    assert p1["finish_original"] == pd.Timestamp("2026-12-31")
    assert p1["finish_current"] == pd.Timestamp("2027-01-30")
    assert p1["approved_changes"] == 2
    assert (p1["drift_money"], p1["drift_days"]) == (250.0, 30.0)
    # still undecided on 2026-06-30: C4 (proposed), C5 (approved later), C8 (rejected later)
    assert p1["pending_changes"] == 3
    assert p1["pending_cost"] == 230.0
    assert p1["pending_days"] == 27.0


def test_a_later_date_takes_in_the_later_decisions(changes_portfolio):
    p1 = baseline(changes_portfolio, "2026-07-31").loc["P1"]
    assert p1["budget_current"] == 1330.0
    assert p1["finish_current"] == pd.Timestamp("2027-02-09")
    assert (p1["approved_changes"], p1["pending_changes"], p1["pending_cost"]) == (3, 2, 520.0)


def test_a_project_without_changes_keeps_its_approved_baseline(changes_portfolio):
    p2 = baseline(changes_portfolio, AS_OF).loc["P2"]
    assert p2["budget_current"] == p2["budget_original"] == 500.0
    assert p2["finish_current"] == p2["finish_original"]
    assert (p2["approved_changes"], p2["pending_changes"], p2["pending_cost"]) == (0, 0, 0.0)


def test_blank_as_of_is_the_data_date(changes_portfolio):
    pd.testing.assert_frame_equal(baseline(changes_portfolio, ""), baseline(changes_portfolio,
                                                                            AS_OF))


def test_change_summary_reads_each_status_as_it_was(changes_portfolio):
    summary = change_summary(changes_portfolio, AS_OF)
    assert list(summary.index) == ["proposed", "approved", "rejected", "withdrawn"]
    assert summary["changes"].tolist() == [3, 2, 1, 1]
    assert summary["cost_impact"].tolist() == [230.0, 250.0, 999.0, 70.0]
    assert summary["schedule_impact_days"].tolist() == [27.0, 30.0, 99.0, 7.0]


def test_the_words_give_the_numbers(changes_portfolio):
    base = baseline(changes_portfolio, AS_OF)
    words = describe_changes(change_summary(changes_portfolio, AS_OF), base)
    assert "Pending changes would add 230" in words[1] and "27 days" in words[1]
    assert "250" in describe_baseline(base)[0]
    assert describe_baseline(base)[1] == "Largest budget drift: P1 Project P1."  # P2 did not move
    assert describe_changes(change_summary(Portfolio(), AS_OF), baseline(Portfolio(), AS_OF)) \
        == ["No change requests recorded (change_requests)."]


def test_earned_value_on_the_current_and_the_original_baseline(changes_portfolio):
    current = earned_value(changes_portfolio, AS_OF)
    original = earned_value(changes_portfolio, AS_OF, baseline="original")
    assert current.loc["P1", "bac"] == 1250.0
    assert current.loc["P1", "ev"] == 625.0
    assert current.loc["P1", "pv"] == pytest.approx(1250.0 * 180 / 394)
    assert current.loc["P1", "cpi"] == pytest.approx(625.0 / 600.0)
    assert original.loc["P1", "bac"] == 1000.0
    assert original.loc["P1", "ev"] == 500.0
    assert original.loc["P1", "pv"] == pytest.approx(1000.0 * 180 / 364)
    # no approved change: both baselines give the same figures
    pd.testing.assert_series_equal(current.loc["P2"], original.loc["P2"])


def test_earned_value_without_changes_is_unchanged(changes_portfolio):
    plain = Portfolio(projects=changes_portfolio.projects,
                      status_updates=changes_portfolio.status_updates)
    pd.testing.assert_frame_equal(earned_value(plain, AS_OF),
                                  earned_value(plain, AS_OF, baseline="original"))
    assert np.isclose(earned_value(plain, AS_OF).loc["P1", "bac"], 1000.0)
    with pytest.raises(ValueError, match="baseline"):
        earned_value(plain, AS_OF, baseline="latest")

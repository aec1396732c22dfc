"""Known answers for scope at a date, growth, churn and the burn-up series."""

from __future__ import annotations

import pandas as pd
import pytest
from governance_support import AS_OF

from pmo_nb.governance import burnup, describe_scope, league_table, scope_change
from pmo_nb.portfolio import Portfolio


def test_growth_and_churn_at_the_reporting_date(scope_portfolio):
    p1 = scope_change(scope_portfolio, AS_OF).loc["P1"]
    # baseline R1 5 + R2 8 + R3 3 + R4 4 + R9 1 (removed only after the date) = 21;
    # now: less R3 (removed) and R6 (added, then removed), plus R5; R7 (later) and R8
    # (proposed) do not count
    assert p1["baseline_size"] == 21.0
    assert p1["current_size"] == 24.0
    assert (p1["added"], p1["removed"]) == (8.0, 3.0)
    assert p1["growth"] == pytest.approx(3 / 21)
    assert p1["churn"] == pytest.approx(11 / 21)


def test_a_later_date_counts_the_later_items(scope_portfolio):
    p1 = scope_change(scope_portfolio, "2026-09-30").loc["P1"]
    assert (p1["baseline_size"], p1["current_size"]) == (21.0, 33.0)
    assert (p1["added"], p1["removed"]) == (18.0, 4.0)
    assert p1["growth"] == pytest.approx(12 / 21)
    assert p1["churn"] == pytest.approx(22 / 21)


def test_stable_scope_and_the_league_table(scope_portfolio):
    scope = scope_change(scope_portfolio, AS_OF)
    assert scope.loc["P2", "growth"] == 0.0 and scope.loc["P2", "churn"] == 0.0
    assert list(league_table(scope).index) == ["P1", "P2"]
    assert scope_change(Portfolio(), AS_OF).empty
    assert describe_scope(scope_change(Portfolio(), AS_OF)) == ["No requirements recorded "
                                                                "(requirements)."]


def test_burnup_is_monthly_scope_against_done(scope_portfolio):
    series = burnup(scope_portfolio, AS_OF, ["P1"])
    assert series["date"].tolist() == list(pd.date_range("2026-01-31", AS_OF, freq="ME"))
    assert series["scope"].tolist() == [21.0, 27.0, 26.0, 26.0, 24.0, 24.0]
    assert series["baseline"].tolist() == [21.0] * 6
    assert series["done"].tolist() == [0.0, 0.0, 6.5, 6.5, 6.0, 12.0]


def test_the_words_call_out_growth_above_twenty_percent(scope_portfolio):
    words = describe_scope(scope_change(scope_portfolio, "2026-09-30"))
    assert "Scope grew by more than 20% in 1 project" in words[1]
    assert "+57%" in words[1]
    named = describe_scope(scope_change(scope_portfolio, "2026-09-30"),
                           names={"P1": "Project P1"})
    assert named[1].startswith("Scope grew by more than 20% in 1 project (P1 Project P1); the "
                               "most is P1 Project P1 at +57%, churn ")


def test_blank_as_of_is_the_data_date(scope_portfolio):
    pd.testing.assert_frame_equal(scope_change(scope_portfolio, None),
                                  scope_change(scope_portfolio, AS_OF))
    pd.testing.assert_frame_equal(burnup(scope_portfolio, ""), burnup(scope_portfolio, AS_OF))

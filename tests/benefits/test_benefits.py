"""Benefits realisation: direction-aware shares, status thresholds, forecast, roll-ups.

Hand-made cases with numbers worked out by hand. The plan runs from
2026-01-01 to 2027-01-01 (365 days); at as_of 2026-07-01 181 days have
passed, so the linear planned share is 181/365.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_nb.benefits import trend as benefit_forecast
from pmo_nb.benefits.status import benefits_rollup, benefits_status, planned_fraction
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types

AS_OF = "2026-07-01"
PLAN = 181 / 365


def make(**tables) -> Portfolio:
    """A Portfolio from lists of row dicts, typed as the store would type them."""
    return Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})


def project(pid, stage="completed", sponsor=None, finish="2025-12-31"):
    return dict(project_id=pid, name=pid, category="IT", stage=stage, sponsor=sponsor,
                start_date="2025-01-01", finish_date=finish, budget=100.0,
                actual_finish_date=finish if stage == "completed" else None,
                actual_cost=100.0 if stage == "completed" else None)


def benefit(bid, direction, baseline, target, pid="P1", start="2026-01-01",
            end="2027-01-01", objective=None, owner="Olga"):
    return dict(benefit_id=bid, project_id=pid, objective_id=objective, name=bid,
                direction=direction, baseline=baseline, target=target,
                realisation_start=start, target_date=end, owner=owner)


@pytest.fixture
def cases() -> Portfolio:
    benefits = [
        benefit("up_ahead", "increase", 100, 200),       # 150 -> 0.5
        benefit("up_behind", "increase", 100, 200),      # 140 -> 0.4
        benefit("down_ahead", "decrease", 50, 30),       # 38 -> 0.6
        benefit("down_behind", "decrease", 50, 30),      # 45 -> 0.25
        benefit("down_wrong_way", "decrease", 50, 30),   # 55 -> -0.25
        benefit("unmeasured", "increase", 0, 10),
        benefit("future", "increase", 0, 10, start="2026-09-01"),
        benefit("default_start", "increase", 0, 10, pid="P2", start=None),
    ]
    ms = [("up_ahead", 150), ("up_behind", 140), ("down_ahead", 38),
          ("down_behind", 45), ("down_wrong_way", 55)]
    measurements = [dict(benefit_id=b, date="2026-06-30", value=v) for b, v in ms]
    measurements.append(dict(benefit_id="unmeasured", date="2026-07-02", value=5))  # after as_of
    return make(
        projects=[project("P1"), project("P2", stage="active", finish="2026-03-01")],
        benefits=benefits,
        benefit_measurements=measurements,
    )


def test_direction_aware_realised_share_and_variance(cases):
    s = benefits_status(cases, as_of=AS_OF)
    assert s.loc["up_ahead", "realised_share"] == pytest.approx(0.5)
    assert s.loc["up_behind", "realised_share"] == pytest.approx(0.4)
    # decrease KPIs: a fall is progress, (value - baseline) / (target - baseline)
    assert s.loc["down_ahead", "realised_share"] == pytest.approx(0.6)
    assert s.loc["down_behind", "realised_share"] == pytest.approx(0.25)
    assert s.loc["down_wrong_way", "realised_share"] == pytest.approx(-0.25)
    # planned value at as_of and good-is-positive variance in KPI units
    assert s.loc["up_ahead", "planned_value"] == pytest.approx(100 + 100 * PLAN)
    assert s.loc["down_ahead", "planned_value"] == pytest.approx(50 - 20 * PLAN)
    assert s.loc["up_ahead", "variance"] == pytest.approx(150 - (100 + 100 * PLAN))  # +0.41
    assert s.loc["up_behind", "variance"] == pytest.approx(140 - (100 + 100 * PLAN))  # -9.59
    assert s.loc["down_ahead", "variance"] == pytest.approx((50 - 20 * PLAN) - 38)  # +2.08
    assert s.loc["down_behind", "variance"] == pytest.approx((50 - 20 * PLAN) - 45)  # -4.92
    assert s.loc["down_ahead", "variance"] > 0 > s.loc["down_behind", "variance"]
    assert s.loc["down_behind", "variance_share"] == pytest.approx(0.25 - PLAN)
    assert s.loc["up_ahead", "planned_share"] == pytest.approx(PLAN)


def test_status_thresholds_and_nothing_dropped(cases):
    s = benefits_status(cases, as_of=AS_OF)
    assert len(s) == 8 and list(s.index) == list(cases.benefits["benefit_id"])
    expected = {
        "up_ahead": "on_track",        # 0.5 >= 0.9 * 0.496
        "up_behind": "at_risk",        # 0.4 / 0.496 = 0.81
        "down_ahead": "on_track",
        "down_behind": "off_track",    # 0.25 / 0.496 = 0.50
        "down_wrong_way": "off_track",
        "unmeasured": "not_measured",  # its only measurement is after as_of
        "future": "not_started",
        "default_start": "not_measured",  # starts at P2's finish 2026-03-01
    }
    assert s["status"].to_dict() == expected
    assert s.loc["unmeasured", "n_measurements"] == 0
    assert np.isnan(s.loc["unmeasured", "measured_value"])
    assert s.loc["future", "planned_share"] == 0.0
    assert s.loc["default_start", "realisation_start"] == pd.Timestamp("2026-03-01")
    # thresholds are parameters: 0.81 of plan is on track at an 80% bar
    loose = benefits_status(cases, as_of=AS_OF, on_track=0.8, at_risk=0.4)
    assert loose.loc["up_behind", "status"] == "on_track"
    assert loose.loc["down_behind", "status"] == "at_risk"
    # without the trend forecasts: the same standing, the forecast columns blank
    bare = benefits_status(cases, as_of=AS_OF, forecasts=False)
    forecast_columns = ["forecast_value", "forecast_low", "forecast_high", "forecast_share",
                        "p_target_met"]
    pd.testing.assert_frame_equal(bare.drop(columns=forecast_columns),
                                  s.drop(columns=forecast_columns))
    assert bare[forecast_columns].isna().all().all()
    assert s["forecast_value"].notna().any()


def test_planned_profiles():
    start, end = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-01") + pd.Timedelta(days=400)
    at = [start - pd.Timedelta(days=5), start + pd.Timedelta(days=100),
          start + pd.Timedelta(days=200), end + pd.Timedelta(days=1)]
    lin = [planned_fraction(a, [start], [end])[0] for a in at]
    s = [planned_fraction(a, [start], [end], "s_curve")[0] for a in at]
    assert lin == pytest.approx([0.0, 0.25, 0.5, 1.0])
    assert s == pytest.approx([0.0, 0.15625, 0.5, 1.0])  # 3t^2 - 2t^3
    with pytest.raises(ValueError):
        planned_fraction(start, [start], [end], "exponential")


def test_late_first_measurement_flag():
    pf = make(
        projects=[project("P1"), project("P2", stage="active", finish="2025-12-31")],
        benefits=[
            benefit("late", "increase", 0, 10),            # first reading after 120 days
            benefit("prompt", "increase", 0, 10),          # after 59 days
            benefit("never", "increase", 0, 10),           # none at all
            benefit("window_open", "increase", 0, 10, start="2026-05-01"),
            benefit("not_completed", "increase", 0, 10, pid="P2"),
        ],
        benefit_measurements=[
            dict(benefit_id="late", date="2026-05-01", value=2.0),
            dict(benefit_id="prompt", date="2026-03-01", value=2.0),
        ],
    )
    s = benefits_status(pf, as_of=AS_OF)
    assert s["late_first_measurement"].to_dict() == {
        "late": True, "prompt": False, "never": True, "window_open": False,
        "not_completed": False,
    }


def _series(bid, direction, baseline, target, shares):
    """A benefit measured monthly at the given realised shares."""
    dates = pd.date_range("2026-01-01", periods=len(shares), freq="MS")
    vals = [baseline + z * (target - baseline) for z in shares]
    return ([benefit(bid, direction, baseline, target)],
            [dict(benefit_id=bid, date=d, value=v) for d, v in zip(dates, vals, strict=True)])


def test_forecast_on_plan_ahead_single_and_decrease():
    tau = np.array([0, 31, 59, 90, 120, 151]) / 365  # day offsets of the month starts
    rows, meas = [], []
    for bid, direction, base, target, shares in [
        ("on_plan", "increase", 100, 200, tau),
        ("ahead", "increase", 100, 200, 2 * tau),
        ("single", "increase", 100, 200, [tau[-1]]),
        ("down_on_plan", "decrease", 50, 30, tau),
    ]:
        b, m = _series(bid, direction, base, target, list(shares))
        if bid == "single":  # its one reading on 2026-06-01, on plan
            m = [dict(m[0], date="2026-06-01")]
        rows += b
        meas += m
    s = benefits_status(make(projects=[project("P1")], benefits=rows,
                             benefit_measurements=meas), as_of=AS_OF)
    on = s.loc["on_plan"]
    assert on["forecast_value"] == pytest.approx(200, abs=2.0)
    assert on["forecast_low"] < 200 < on["forecast_high"]
    assert 0.3 < on["p_target_met"] < 0.6
    ahead = s.loc["ahead"]
    assert ahead["forecast_value"] == pytest.approx(300, abs=5.0)
    assert ahead["p_target_met"] > 0.99
    single = s.loc["single"]
    assert single["forecast_value"] == pytest.approx(200, abs=10.0)
    # one reading: wide (prior noise, 3 degrees of freedom), far wider than six on a line
    width_single = single["forecast_high"] - single["forecast_low"]
    assert width_single > 50
    assert width_single > 2.5 * (on["forecast_high"] - on["forecast_low"])
    down = s.loc["down_on_plan"]  # the interval comes out ordered low < high in KPI units
    assert down["forecast_value"] == pytest.approx(30, abs=0.5)
    assert down["forecast_low"] < 30 < down["forecast_high"]
    assert down["forecast_share"] == pytest.approx(on["forecast_share"])
    assert down["p_target_met"] == pytest.approx(on["p_target_met"])


def test_forecast_mean_is_least_squares_under_a_flat_prior(monkeypatch):
    monkeypatch.setattr(benefit_forecast, "VA", 1e12)
    monkeypatch.setattr(benefit_forecast, "VB", 1e12)
    tau = np.array([0.1, 0.3, 0.4, 0.7])
    z = np.array([0.05, 0.2, 0.5, 0.6])
    mean, lo, hi, p = benefit_forecast.trend_forecast(tau, z)
    slope, intercept = np.polyfit(tau, z, 1)
    assert mean == pytest.approx(intercept + slope, rel=1e-6)
    assert lo < mean < hi and 0 < p < 1
    assert all(np.isnan(benefit_forecast.trend_forecast([], [])))


def test_rollup_by_objective_weights_and_arithmetic():
    pf = make(
        objectives=[dict(objective_id="O1", name="Grow", weight=3.0),
                    dict(objective_id="O2", name="Save", weight=1.0),
                    dict(objective_id="O3", name="Comply", weight=2.0)],
        projects=[project("P1", sponsor="Ann"), project("P2", sponsor="Bob")],
        benefits=[
            benefit("a", "increase", 0, 100, objective="O1"),
            benefit("b", "decrease", 100, 50, objective="O1"),
            benefit("c", "increase", 0, 100, objective="O2", pid="P2"),
            benefit("d", "increase", 0, 100, objective="O2", pid="P2"),
            benefit("e", "increase", 0, 100, pid="P2"),
        ],
        benefit_measurements=[
            dict(benefit_id="a", date="2026-12-01", value=50.0),   # 0.5
            dict(benefit_id="b", date="2026-12-01", value=40.0),   # 1.2, capped at 1
            dict(benefit_id="c", date="2026-12-01", value=25.0),   # 0.25; d unmeasured
            dict(benefit_id="e", date="2026-12-01", value=100.0),  # 1.0, no objective
        ],
    )
    s = benefits_status(pf, as_of="2027-02-01")  # past target: planned share 1
    r = benefits_rollup(s, pf, by="objective")
    assert list(r.index) == ["O1", "O2", "O3", "(unassigned)"]
    assert r.loc["O1", "realised"] == pytest.approx(1.5)
    assert r.loc["O1", "realised_share"] == pytest.approx(0.75)
    assert r.loc["O2", "realised_share"] == pytest.approx(0.125)  # unmeasured counts 0
    assert r.loc["O2", "not_measured"] == 1 and r.loc["O2", "measured"] == 1
    assert r.loc["O2", "off_track"] == 1
    assert r.loc["O3", "committed"] == 0 and r.loc["O3", "weight"] == 2.0
    assert r.loc["(unassigned)", "realised_share"] == pytest.approx(1.0)
    assert r["committed"].sum() == 5
    total = r.attrs["total"]
    assert total["realised_share"] == pytest.approx((3 * 0.75 + 1 * 0.125) / 4)
    assert total["planned_share"] == pytest.approx(1.0)
    assert total["committed"] == 4

    by_sponsor = benefits_rollup(s, pf, by="sponsor")
    assert by_sponsor["committed"].to_dict() == {"Ann": 2, "Bob": 3}
    assert by_sponsor.loc["Bob", "realised_share"] == pytest.approx((0.25 + 0 + 1) / 3)
    assert by_sponsor.attrs["total"]["realised_share"] == pytest.approx((0.5 + 1 + 0.25 + 1) / 5)
    by_project = benefits_rollup(s, pf, by="project")
    assert by_project.loc["P1", "realised"] == pytest.approx(1.5)
    with pytest.raises(ValueError):
        benefits_rollup(s, pf, by="team")


def test_no_measurements_anywhere_and_empty_portfolio():
    pf = make(projects=[project("P1")], benefits=[benefit("a", "increase", 0, 10)])
    s = benefits_status(pf, as_of=AS_OF)
    assert s.loc["a", "status"] == "not_measured" and s.loc["a", "late_first_measurement"]
    assert pd.isna(s.loc["a", "measured_date"]) and np.isnan(s.loc["a", "p_target_met"])
    empty = benefits_status(Portfolio(), as_of=AS_OF)
    assert empty.empty and "status" in empty
    assert benefits_rollup(empty, Portfolio()).empty

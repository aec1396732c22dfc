"""Forecast and risk charts, and the helpers the risk_forecast report uses (no sampling)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_nb.charts import forecast as fc
from pmo_nb.charts import risk as rc
from pmo_nb.charts import to_svg
from pmo_nb.forecast import calibration as calibration
from pmo_nb.forecast import forecasting as forecasting
from pmo_nb.risks.register import TOTAL, simulate_risks
from pmo_nb.store.core import Store

AS_OF = pd.Timestamp("2026-06-30")


@pytest.fixture
def table() -> pd.DataFrame:
    """A hand-made forecast table of three projects."""
    t = pd.DataFrame({
        "project_id": ["A", "B", "C"], "category": ["IT", "IT", "Facilities"],
        "budget": [100.0, 200.0, 50.0], "cost_to_date": [40.0, 10.0, 0.0],
        "cost_p10": [95.0, 180.0, 45.0], "cost_p50": [110.0, 230.0, 50.0],
        "cost_p90": [150.0, 320.0, 60.0],
        "finish_date": pd.to_datetime(["2026-12-31", "2027-06-30", "2026-09-30"]),
        "finish_p10": pd.to_datetime(["2026-12-01", "2027-07-01", "2026-09-01"]),
        "finish_p50": pd.to_datetime(["2027-02-01", "2027-09-01", "2026-09-30"]),
        "finish_p90": pd.to_datetime(["2027-06-01", "2028-01-01", "2026-11-30"]),
        "p_over_budget": [0.7, 0.9, 0.3], "p_late": [0.8, 0.95, 0.2],
        "p_on_budget_and_time": [0.15, 0.05, 0.6],
    })
    return t.set_index("project_id")


def test_most_at_risk_orders_by_joint_confidence(table):
    got = forecasting.most_at_risk(table, 2)
    assert list(got.index) == ["B", "A"]
    with pytest.raises(ValueError):
        forecasting.most_at_risk(table, 0)


def test_fan_data_cone_runs_from_cost_to_date_to_the_p10_p90_at_median_finish(table):
    data = fc.fan_data(table, AS_OF)
    a = data[data["project_id"] == "A"].sort_values("date")
    assert list(a["date"]) == [AS_OF, pd.Timestamp("2027-02-01")]
    assert list(a["low"]) == [40.0, 95.0] and list(a["high"]) == [40.0, 150.0]
    assert (a["budget"] == 100.0).all()


def test_fan_chart_renders_one_panel_per_project(table):
    chart = fc.fan_chart(forecasting.most_at_risk(table, 3), AS_OF, columns=2)
    spec = chart.to_dict()
    assert spec["columns"] == 2 and spec["facet"]["sort"][0].startswith("B")
    svg = to_svg(chart)
    assert svg.count("<svg") >= 1 and "Facilities" not in svg  # no category label, ids only
    with pytest.raises(ValueError, match="missing column"):
        fc.fan_chart(table.drop(columns=["cost_p90"]), AS_OF)
    with pytest.raises(ValueError):
        fc.fan_chart(table, AS_OF, columns=0)


def _drivers() -> pd.DataFrame:
    rows = []
    for target in ("cost", "duration"):
        rows.append({"kind": "category", "effect": "IT", "target": target, "median": 1.25,
                     "ci80_low": 1.05, "ci80_high": 1.6, "ci95_low": 0.98, "ci95_high": 1.8})
        rows.append({"kind": "covariate", "effect": "budget x2", "target": target,
                     "median": 1.02, "ci80_low": 0.97, "ci80_high": 1.08, "ci95_low": 0.95,
                     "ci95_high": 1.1})
    return pd.DataFrame(rows)


def test_drivers_chart_is_a_log_scale_forest_per_target():
    chart = fc.drivers_chart(_drivers())
    spec = chart.to_dict()
    assert len(spec["hconcat"]) == 2
    first = spec["hconcat"][0]["layer"]
    scales = [layer["encoding"]["x"].get("scale", {}) for layer in first]
    assert all(s.get("type") == "log" for s in scales)
    assert "category: IT" in to_svg(chart)
    bad = _drivers().assign(ci95_low=0.0)
    with pytest.raises(ValueError, match="positive"):
        fc.drivers_chart(bad)


def test_predictive_data_bins_shares_and_keeps_the_tails_in_the_end_bins():
    obs = {"cost": np.log([1.0, 1.0, 10.0, 0.01])}
    data = fc.predictive_data(obs, {"cost": np.zeros((3, 4))}, bins=10)
    o = data[data["source"] == "observed"]
    assert o["share"].sum() == pytest.approx(1.0)
    assert o["share"].iloc[-1] == 0.25 and o["share"].iloc[0] == 0.25  # 10x and 0.01x
    s = data[data["source"] == "simulated"]
    assert s["share"].max() == 1.0
    assert "<svg" in to_svg(fc.predictive_chart(data, title="check"))


def _card() -> pd.DataFrame:
    rows = []
    for at in (0.25, 0.75):
        for method, cov, err, brier in (("bayes", 0.8, 0.1, 0.15), ("bac_cpi", np.nan, 0.2, 0.3),
                                        ("uplift", 0.7, 0.15, 0.2)):
            rows.append({"at": at, "method": method, "n": 40, "coverage_cost": cov,
                         "coverage_duration": cov, "p50_error_cost": err,
                         "p50_error_duration": err, "brier_over_budget": brier,
                         "brier_late": brier, "cost_error_vs_bac_cpi": err / 0.2})
    return pd.DataFrame(rows).set_index(["at", "method"])


def test_scorecard_chart_shows_the_target_band_and_all_methods():
    chart = fc.scorecard_chart(_card())
    spec = chart.to_dict()
    assert len(spec["hconcat"]) == 3
    svg = to_svg(chart)
    assert "BAC/CPI (EVM)" in svg and "target 72%-88%" in svg.replace("\u2013", "-")
    with pytest.raises(ValueError):
        fc.scorecard_chart(_card().iloc[0:0])


def test_scorecard_chart_names_the_run_without_governance_covariates_only_when_made():
    label = fc.METHOD_LABELS["bayes_no_governance"]
    assert label not in to_svg(fc.scorecard_chart(_card()))
    extra = _card().reset_index()
    extra = pd.concat([extra, extra[extra["method"] == "bayes"].assign(
        method="bayes_no_governance", p50_error_cost=0.12)]).set_index(["at", "method"])
    svg = to_svg(fc.scorecard_chart(extra))
    assert label in svg and "Bayesian forecast" in svg


def test_s_curve_marks_the_quantiles_of_each_series():
    probs = np.linspace(0, 1, 11)
    curves = pd.concat([pd.DataFrame({"series": "pre", "probability": probs,
                                      "value": probs * 1000}),
                        pd.DataFrame({"series": "post", "probability": probs,
                                      "value": probs * 500})])
    chart = rc.s_curve_chart(curves, title="S")
    svg = to_svg(chart)
    assert "P80 800" in svg and "P90 450" in svg
    assert rc.short(12_345_678) == "12.3M" and rc.short(950) == "950"
    with pytest.raises(ValueError):
        rc.s_curve_chart(curves, title="S", marks=(1.0,))


def test_risk_charts_on_a_simulated_register(demo_small):
    pre = simulate_risks(demo_small, draws=2000, seed=1)
    post = simulate_risks(demo_small, draws=2000, seed=1, mitigated=True)
    tail = pre.drivers(0.8)
    svg = to_svg(rc.tail_drivers_chart(tail, top=5))
    assert tail["risk_id"].iloc[0] in svg and "P80 tail" in svg
    cmp = pre.compare(post)
    chart = rc.mitigation_chart(cmp, top=4)
    values = chart.to_dict()["datasets"]
    rows = next(iter(values.values()))
    assert len(rows) == 8 and TOTAL not in {r["label"] for r in rows}
    assert all(r["cost"] >= 0 for r in rows)
    with pytest.raises(ValueError):
        rc.tail_drivers_chart(tail, top=0)


class _FakeModel:
    """predict() returns fixed log cost ratios: draws x projects known exactly."""

    def predict(self, frame, seed=0):
        n = len(frame)
        y = np.tile(np.log([0.5, 1.0, 2.0]), (n, 1))
        return y, y


def test_portfolio_cost_curve_sums_projects_draw_by_draw(demo_small):
    curve = forecasting.portfolio_cost_curve(demo_small, _FakeModel(), AS_OF, points=3)
    live = forecasting.inflight_frame(demo_small, AS_OF)
    budget = live.loc[live["budget"] > 0, "budget"].sum()
    assert curve.attrs["budget"] == pytest.approx(budget)
    assert curve["value"].tolist() == pytest.approx([0.5 * budget, budget, 2 * budget])


def test_persisted_backtest_is_reused_when_the_data_match(demo_small, tmp_path, monkeypatch):
    calls = []

    def fake(portfolio, at, **kw):
        calls.append(at)
        card = _card()
        card.attrs = {"epochs": 2, "snapshots": 80, "epoch": "YS"}
        return card

    monkeypatch.setattr(calibration, "backtest", fake)
    store = Store(tmp_path / "p.db")
    first = calibration.persisted_backtest(demo_small, store, "2026-06-30", (0.25, 0.75))
    assert not first.attrs["reused"] and len(calls) == 1
    again = calibration.persisted_backtest(demo_small, store, "2026-07-31", (0.25, 0.75))
    assert again.attrs["reused"] and len(calls) == 1
    pd.testing.assert_frame_equal(again, first, check_like=True)
    assert set(store.list_results("backtest")["name"]) == {"2026-06-30", "2026-07-31"}
    other = calibration.persisted_backtest(demo_small, store, "2026-07-31", (0.5,))
    assert not other.attrs["reused"] and len(calls) == 2  # a different configuration
    calibration.persisted_backtest(demo_small, store, "2026-07-31", (0.5,), refit=True)
    assert len(calls) == 3

"""The risk register simulation against answers known exactly.

Monte Carlo tolerances are stated per test; every run is seeded, so a failure
reproduces. The expected numbers change only if the model itself changes.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal, norm

import pmo_nb
from pmo_nb.portfolio import Portfolio
from pmo_nb.risks import pert as pert
from pmo_nb.risks.adjusted import risk_adjusted
from pmo_nb.risks.register import (
    PORTFOLIO,
    TOTAL,
    RiskSimulation,
    mitigation_effect,
    simulate_risks,
)
from pmo_nb.schema import coerce_types


def make_portfolio(rows: list[dict], projects=("A", "B")) -> Portfolio:
    """A portfolio with the given risks (dicts of risk columns) and a few projects."""
    proj = coerce_types("projects", pd.DataFrame({
        "project_id": list(projects), "name": [f"Project {p}" for p in projects],
        "category": "IT", "stage": "active", "start_date": "2026-01-01",
        "finish_date": "2026-12-31", "budget": 1e6}))
    base = {"title": "a risk", "status": "open"}
    risks = coerce_types("risks", pd.DataFrame(
        [{"risk_id": f"R{k}", **base, **row} for k, row in enumerate(rows)]))
    return Portfolio(projects=proj, risks=risks, source="test")


def fixed(cost, delay=None):
    """A risk with constant impacts (low = likely = high)."""
    out = {"cost_low": cost, "cost_likely": cost, "cost_high": cost}
    if delay is not None:
        out.update(delay_low=delay, delay_likely=delay, delay_high=delay)
    return out


def exact_cdf(probs, losses, points):
    """P(sum of independent Bernoulli(p) * loss <= x) at ``points``, by enumeration."""
    dist: dict[float, float] = {}
    for hits in itertools.product((0, 1), repeat=len(probs)):
        mass = np.prod([p if h else 1 - p for p, h in zip(probs, hits, strict=True)])
        total = sum(loss for loss, h in zip(losses, hits, strict=True) if h)
        dist[total] = dist.get(total, 0.0) + mass
    support = np.array(sorted(dist))
    cdf = np.cumsum([dist[s] for s in support])
    return np.array([cdf[support <= x][-1] if (support <= x).any() else 0.0 for x in points])


# KS bound: with n draws, P(max |F_n - F| > 0.01) <= 2 exp(-2 n 0.01**2) = 4e-9 for n = 1e5.
CDF_TOLERANCE = 0.01


def test_fixed_impacts_follow_the_exact_bernoulli_sum():
    probs = [0.1, 0.35, 0.5, 0.8, 0.05, 0.6]
    losses = [100.0, 250.0, 40.0, 70.0, 1000.0, 40.0]
    projects = ["A", "A", "B", "B", None, None]
    rows = [{"project_id": pid, "probability": p, "category": "c", **fixed(loss, loss / 10)}
            for p, loss, pid in zip(probs, losses, projects, strict=True)]
    sim = simulate_risks(make_portfolio(rows), draws=100_000, seed=3)
    points = np.arange(0, sum(losses) + 1, 10.0)
    for measure, scale in (("cost", 1.0), ("delay", 0.1)):
        total = sim.samples(measure)
        empirical = (total[:, None] <= points[None, :] * scale + 1e-6).mean(axis=0)
        exact = exact_cdf(probs, [x * scale for x in losses], points * scale + 1e-6)
        assert np.abs(empirical - exact).max() < CDF_TOLERANCE
    # each project on its own, and the portfolio-level bucket
    for bucket, idx in (("A", [0, 1]), ("B", [2, 3]), (PORTFOLIO, [4, 5])):
        values = sim.samples("cost", bucket)
        empirical = (values[:, None] <= points[None, :]).mean(axis=0)
        exact = exact_cdf([probs[i] for i in idx], [losses[i] for i in idx], points)
        assert np.abs(empirical - exact).max() < CDF_TOLERANCE
    assert sim.buckets == ["A", "B", PORTFOLIO]


def test_mean_is_probability_times_pert_mean():
    rows = [
        {"project_id": "A", "probability": 0.3, "cost_low": 10, "cost_likely": 20,
         "cost_high": 90, "delay_low": 0, "delay_likely": 5, "delay_high": 30},
        {"project_id": "A", "probability": 0.7, "cost_low": 50, "cost_likely": 50,
         "cost_high": 60},                                  # mode at the low end
        {"project_id": "B", "probability": 0.05, "cost_low": 0, "cost_likely": 400,
         "cost_high": 400, "delay_low": 2, "delay_likely": 2, "delay_high": 2},
        {"project_id": "B", "probability": 0.9, "delay_low": 1, "delay_likely": 3,
         "delay_high": 4},                                  # no cost triple: no cost
        {"project_id": None, "probability": 0.5, **fixed(30.0)},
    ]
    sim = simulate_risks(make_portfolio(rows), draws=200_000, seed=11)
    reg = sim.register.set_index("risk_id")
    exact_cost = [0.3 * (10 + 80 + 90) / 6, 0.7 * (50 + 200 + 60) / 6,
                  0.05 * (0 + 1600 + 400) / 6, 0.0, 15.0]
    np.testing.assert_allclose(reg["expected_cost"], exact_cost)
    summary = sim.summary()
    for measure in ("cost", "delay"):
        for bucket in [*sim.buckets, TOTAL]:
            values = sim.samples(measure, bucket)
            exact = reg.loc[reg["bucket"] == bucket, f"expected_{measure}"].sum() \
                if bucket != TOTAL else reg[f"expected_{measure}"].sum()
            se = values.std() / np.sqrt(sim.draws)
            # 4.5 standard errors: 1 in 150,000 per comparison
            assert abs(values.mean() - exact) <= 4.5 * se + 1e-9, (measure, bucket)
            assert summary.loc[bucket, f"expected_{measure}"] == pytest.approx(values.mean())


def test_pert_tables_match_the_exact_quantiles():
    u = np.concatenate([np.linspace(0, 1, 20_001), [1e-7, 1e-5, 1 - 1e-5]]).astype(np.float32)
    for r in (0.0, 0.013, 0.25, 0.5, 0.77, 1.0):
        table = pert.quantile_tables([r])[0]
        got = pert.table_ppf(table, u, r)
        want = pert.pert_ppf(u.astype(float), 0.0, r, 1.0)
        assert np.abs(got - want).max() < 1e-4
    assert pert.pert_mean(1, 2, 9) == pytest.approx((1 + 8 + 9) / 6)


def test_pert_impacts_have_the_pert_distribution():
    rows = [{"project_id": "A", "probability": 1.0, "cost_low": 100, "cost_likely": 130,
             "cost_high": 400}]
    cost = simulate_risks(make_portfolio(rows), draws=100_000, seed=5).samples("cost", "A")
    points = pert.pert_ppf(np.linspace(0.05, 0.95, 19), 100, 130, 400)
    empirical = (cost[:, None] <= points[None, :]).mean(axis=0)
    assert np.abs(empirical - np.linspace(0.05, 0.95, 19)).max() < CDF_TOLERANCE
    assert cost.min() >= 100 and cost.max() <= 400


def test_seeded_results_reproduce_exactly():
    rows = [{"project_id": pid, "probability": 0.4, "category": "x", "cost_low": 1,
             "cost_likely": 2, "cost_high": 5} for pid in ("A", "B", None)]
    portfolio = make_portfolio(rows)
    for corr in (0.0, 0.6):
        a = simulate_risks(portfolio, draws=5_000, seed=9, correlation=corr)
        b = simulate_risks(portfolio, draws=5_000, seed=9, correlation=corr)
        assert np.array_equal(a.cost, b.cost) and np.array_equal(a.total_delay, b.total_delay)
        pd.testing.assert_frame_equal(a.summary(), b.summary())
    c = simulate_risks(portfolio, draws=5_000, seed=10)
    assert not np.array_equal(a.total_cost, c.total_cost)


def test_a_risk_keeps_its_draws_whatever_else_is_in_the_register():
    rows = [{"project_id": "A", "probability": 0.4, **fixed(10.0)},
            {"project_id": "B", "probability": 0.2, **fixed(7.0)}]
    one = simulate_risks(make_portfolio(rows), draws=5_000, seed=1)
    more = simulate_risks(make_portfolio(rows + [{"project_id": "B", "probability": 0.9,
                                                  **fixed(3.0)}]), draws=5_000, seed=1)
    assert np.array_equal(one.samples("cost", "A"), more.samples("cost", "A"))
    subset = simulate_risks(make_portfolio(rows), draws=5_000, seed=1, risks=["R0"])
    assert np.array_equal(subset.total_cost, one.samples("cost", "A"))
    assert subset.scope.startswith("selected")


def test_only_open_risks_are_simulated():
    rows = [{"project_id": "A", "probability": 1.0, "status": "open", **fixed(1.0)},
            {"project_id": "A", "probability": 1.0, "status": "closed", **fixed(10.0)},
            {"project_id": "A", "probability": 1.0, "status": "occurred", **fixed(100.0)},
            {"project_id": "B", "probability": 1.0, "status": None, **fixed(1000.0)}]
    sim = simulate_risks(make_portfolio(rows), draws=100, seed=0)
    assert list(sim.register["risk_id"]) == ["R0", "R3"]   # empty status means open
    assert np.all(sim.total_cost == 1001.0)


def test_mitigation_lowers_exposure_draw_by_draw():
    rows = [{"project_id": "A", "probability": 0.6, "mitigated_probability": 0.2,
             "cost_low": 10, "cost_likely": 30, "cost_high": 80, "delay_low": 1,
             "delay_likely": 4, "delay_high": 9},
            {"project_id": "B", "probability": 0.3, "category": "k", **fixed(50.0, 5.0)},
            {"project_id": None, "probability": 0.5, "mitigated_probability": 0.1,
             "category": "k", **fixed(20.0)}]
    portfolio = make_portfolio(rows)
    for corr in (0.0, 0.5):
        pre = simulate_risks(portfolio, draws=20_000, seed=2, correlation=corr)
        post = simulate_risks(portfolio, draws=20_000, seed=2, correlation=corr, mitigated=True)
        # common random numbers: no draw gets worse, the unmitigated risk is untouched
        assert np.all(post.total_cost <= pre.total_cost + 1e-9)
        assert np.all(post.total_delay <= pre.total_delay + 1e-9)
        assert np.array_equal(post.samples("cost", "B"), pre.samples("cost", "B"))
        table = pre.compare(post)
        assert table.loc[TOTAL, "expected_cost_saving"] > 0
        assert table.loc["A", "expected_cost_post"] == pytest.approx(
            0.2 * (10 + 120 + 80) / 6, rel=0.05)
        assert table.loc["B", "expected_cost_saving"] == 0
    effect = mitigation_effect(portfolio, draws=20_000, seed=2, correlation=0.5)
    pd.testing.assert_frame_equal(effect, table)
    with pytest.raises(ValueError, match="common random numbers"):
        pre.compare(simulate_risks(portfolio, draws=20_000, seed=3, mitigated=True))


def test_correlation_fattens_the_tail_but_keeps_the_mean():
    rows = [{"project_id": "A", "probability": 0.2, "category": "vendor", **fixed(100.0)}
            for _ in range(10)]
    rows += [{"project_id": "B", "probability": 0.3, "category": "other", **fixed(1.0)},
             {"project_id": "B", "probability": 0.3, "category": "vendor", **fixed(1.0)}]
    portfolio = make_portfolio(rows)
    flat = simulate_risks(portfolio, draws=100_000, seed=4, correlation=0.0)
    tied = simulate_risks(portfolio, draws=100_000, seed=4, correlation=0.6)
    exact_mean = 10 * 0.2 * 100 + 0.6
    for sim in (flat, tied):
        se = sim.total_cost.std() / np.sqrt(sim.draws)
        assert abs(sim.total_cost.mean() - exact_mean) <= 4.5 * se
    assert tied.summary().loc[TOTAL, "cost_p90"] >= flat.summary().loc[TOTAL, "cost_p90"] + 200
    # the copula keeps each risk's probability and gives the bivariate normal joint one
    a, b = (tied._model.occurrences(i)[0] for i in (0, 1))
    joint = np.intersect1d(a, b).size / tied.draws
    t = norm.ppf(0.2)
    exact_joint = multivariate_normal(cov=[[1, 0.6], [0.6, 1]]).cdf([t, t])
    assert abs(a.size / tied.draws - 0.2) < 4.5 * np.sqrt(0.2 * 0.8 / tied.draws)
    assert abs(joint - exact_joint) < 4.5 * np.sqrt(exact_joint / tied.draws)
    # different categories stay independent
    c, d = (tied._model.occurrences(i)[0] for i in (10, 11))
    assert abs(np.intersect1d(c, d).size / tied.draws - 0.09) < 4.5 * np.sqrt(0.09 / tied.draws)


def test_contingency_is_the_quantile_of_the_simulated_cost():
    rows = [{"project_id": pid, "probability": p, "cost_low": 5, "cost_likely": 10,
             "cost_high": 40} for pid, p in (("A", 0.5), ("A", 0.2), ("B", 0.7), (None, 0.1))]
    sim = simulate_risks(make_portfolio(rows), draws=20_000, seed=6)
    for confidence in (0.8, 0.95):
        table = sim.contingency(confidence)
        assert table.loc[TOTAL, "contingency"] == np.quantile(sim.total_cost, confidence)
        for bucket in sim.buckets:
            assert table.loc[bucket, "contingency"] == pytest.approx(
                np.quantile(sim.samples("cost", bucket), confidence))
        assert table.attrs["pooling_benefit"] > 0
    assert sim.summary().loc[TOTAL, "cost_p80"] == np.quantile(sim.total_cost, 0.8)
    with pytest.raises(ValueError):
        sim.contingency(1.0)


def test_drivers_add_up_to_the_tail_mean():
    rows = [{"project_id": "A", "probability": 0.1, **fixed(1000.0)},     # rare and large
            {"project_id": "A", "probability": 0.9, **fixed(50.0)},       # near certain, small
            {"project_id": "B", "probability": 0.5, "cost_low": 100, "cost_likely": 200,
             "cost_high": 600},
            {"project_id": None, "probability": 0.3, "category": "x", **fixed(0.0, 10.0)}]
    sim = simulate_risks(make_portfolio(rows), draws=20_000, seed=8, correlation=0.3)
    drivers = sim.drivers(0.8)
    total = sim.total_cost
    tail_mean = total[total >= np.quantile(total, 0.8)].mean()
    assert drivers["tail_contribution"].sum() == pytest.approx(tail_mean, rel=1e-9)
    assert drivers.attrs["tail_mean"] == pytest.approx(tail_mean)
    assert drivers["share"].sum() == pytest.approx(1.0)
    assert drivers["expected"].sum() == pytest.approx(total.mean(), rel=1e-9)
    assert drivers["risk_id"].iloc[0] == "R0"   # the rare big risk dominates the tail
    assert drivers["tail_contribution"].is_monotonic_decreasing
    one = sim.drivers(0.9, project="A", measure="cost")
    a = sim.samples("cost", "A")
    assert set(one["risk_id"]) == {"R0", "R1"}
    assert one["tail_contribution"].sum() == pytest.approx(a[a >= np.quantile(a, 0.9)].mean())
    late = sim.drivers(0.8, measure="delay")
    assert late["tail_contribution"].sum() == pytest.approx(late.attrs["tail_mean"])


def test_summary_layout_and_an_empty_register():
    rows = [{"project_id": "B", "probability": 0.5, **fixed(1.0)},
            {"project_id": None, "probability": 0.5, **fixed(2.0)},
            {"project_id": "A", "probability": 0.5, **fixed(3.0)}]
    summary = simulate_risks(make_portfolio(rows), draws=1_000).summary()
    assert list(summary.index) == ["A", "B", PORTFOLIO, TOTAL]
    assert summary.loc["A", "name"] == "Project A"
    assert list(summary["open_risks"]) == [1, 1, 1, 3]
    assert {"expected_cost", "cost_p50", "cost_p80", "cost_p90", "expected_delay",
            "delay_p90"} <= set(summary.columns)
    empty = simulate_risks(make_portfolio([{"project_id": "A", "probability": 1.0,
                                            "status": "closed", **fixed(1.0)}]), draws=100)
    assert list(empty.summary().index) == [TOTAL]
    assert empty.summary().loc[TOTAL, "cost_p90"] == 0
    assert empty.contingency().loc[TOTAL, "contingency"] == 0


def test_bad_arguments_are_refused():
    portfolio = make_portfolio([{"project_id": "A", "probability": 0.5, **fixed(1.0)}])
    for kwargs in ({"correlation": -0.1}, {"correlation": 1.5}, {"draws": 0},
                   {"risks": ["nope"]}):
        with pytest.raises(ValueError):
            simulate_risks(portfolio, **kwargs)
    with pytest.raises(ValueError):
        simulate_risks(portfolio, draws=10).drivers(0.8, measure="money")


def test_risk_adjusted_view_says_what_it_counts():
    rows = [{"project_id": "A", "probability": 1.0, **fixed(100.0)},
            {"project_id": None, "probability": 1.0, **fixed(50.0)}]
    sim = simulate_risks(make_portfolio(rows), draws=50_000, seed=1)
    forecast = pd.DataFrame({"cost_p10": [900.0, 1800.0], "cost_p50": [1000.0, 2000.0],
                             "cost_p90": [1300.0, 2500.0]},
                            index=pd.Index(["A", "B"], name="project_id"))
    view = risk_adjusted(forecast, sim)
    assert list(view.index) == ["A", "B", TOTAL]
    # forecast only: untouched; with a certain fixed risk, quantiles shift by its cost
    assert view.loc["A", "forecast_p50"] == 1000.0
    np.testing.assert_allclose(
        view.loc["A", ["forecast_plus_register_p10", "forecast_plus_register_p50",
                       "forecast_plus_register_p90"]].to_numpy(float),
        [1000.0, 1100.0, 1400.0], rtol=0.01)
    np.testing.assert_allclose(
        view.loc["B", ["forecast_plus_register_p10", "forecast_plus_register_p90"]]
        .to_numpy(float), [1800.0, 2500.0], rtol=0.01)
    assert view.loc["B", "register_expected"] == 0
    # total: forecasts move together (quantiles add) plus all risks incl. portfolio-level
    assert view.loc[TOTAL, "forecast_p90"] == 3800.0
    assert view.loc[TOTAL, "register_expected"] == pytest.approx(150.0)
    assert view.loc[TOTAL, "forecast_plus_register_p50"] == pytest.approx(3150.0, rel=0.01)
    assert "twice" in view.attrs["double_counting"]
    assert view.attrs["register_scope"].startswith("whole register")
    assert view.attrs["risks_outside_forecast"] == []
    with pytest.raises(ValueError):
        risk_adjusted(forecast.assign(cost_p10=5000.0), sim)


def test_public_names():
    assert pmo_nb.simulate_risks is simulate_risks
    assert pmo_nb.RiskSimulation is RiskSimulation
    assert pmo_nb.risk_adjusted is risk_adjusted

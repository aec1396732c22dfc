"""Bayesian forecasts: parameter recovery, forecast tables, persistence, drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pmo_nb.forecast import progress as progress
from pmo_nb.forecast.convergence import diagnostics
from pmo_nb.forecast.forecasting import describe_drivers, drivers, fit_reference_class, forecast
from pmo_nb.forecast.model import ForecastModel, _sample_truncated
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types

#: Few draws keep the file fast; enough for intervals at the 95 % level.
FAST = {"tune": 400, "chains": 2, "cores": 2}
AS_OF = pd.Timestamp("2026-06-30")

#: Generative truth of :func:`simulate_outcomes` (covariates standardised as the model does).
TRUTH = {
    "categories": ["Compliance", "IT", "Infrastructure", "Product"],
    "alpha": np.array([[0.00, 0.02], [0.25, 0.20], [0.12, 0.10], [0.05, 0.06]]),
    "log_scale": np.log([[0.10, 0.10], [0.30, 0.25], [0.20, 0.18], [0.15, 0.14]]),
    "beta": np.array([[0.06, 0.04], [0.05, -0.04]]),  # per SD of log budget, log planned days
    "rho": 0.5,
    "nu": 4.0,
}


def simulate_outcomes(n: int, seed: int, truth: dict = TRUTH) -> Portfolio:
    """Completed projects whose log ratios are drawn from ``truth`` (no status history)."""
    rng = np.random.default_rng(seed)
    cat = rng.integers(0, len(truth["categories"]), n)
    budget = np.round(np.exp(rng.normal(np.log(1e6), 1.0, n)), -2)
    planned = rng.integers(90, 720, n).astype(float)
    x = np.column_stack([np.log(budget), np.log(planned)])
    x = (x - x.mean(0)) / x.std(0, ddof=1)  # as Design standardises
    loc = truth["alpha"][cat] + x @ truth["beta"]
    rho, nu = truth["rho"], truth["nu"]
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], n)
    y = loc + np.exp(truth["log_scale"][cat]) * z / np.sqrt(rng.chisquare(nu, n) / nu)[:, None]
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    actual_days = planned * np.exp(y[:, 1])
    projects = pd.DataFrame({
        "project_id": [f"S{i:04d}" for i in range(n)], "name": "sim",
        "category": np.array(truth["categories"])[cat], "stage": "completed",
        "start_date": start, "finish_date": start + pd.to_timedelta(planned, unit="D"),
        "budget": budget, "actual_cost": budget * np.exp(y[:, 0]),
        # exact days keep the simulated duration ratio (rounding would blur small scales)
        "actual_finish_date": start + pd.to_timedelta(actual_days * 86400, unit="s"),
    })
    return Portfolio(projects=coerce_types("projects", projects), source="simulated")


def test_reference_class_recovers_known_parameters():
    portfolio = simulate_outcomes(500, seed=11)
    outcome = progress.outcomes(portfolio)
    outcome["log_duration_ratio"] = np.log(
        ((outcome["actual_finish_date"] - outcome["start_date"]) / pd.Timedelta(days=1))
        / outcome["planned_days"])
    empty = progress.training_snapshots(outcome, progress.readings(portfolio))
    model = ForecastModel(FAST | {"draws": 500}).fit(outcome, empty, seed=1)
    assert not model.has_inflight  # no status history: the reference class alone
    checks = {"alpha": TRUTH["alpha"], "log_scale": TRUTH["log_scale"],
              "beta": TRUTH["beta"], "rho": TRUTH["rho"], "nu": TRUTH["nu"]}
    inside95, total = 0, 0
    for name, true in checks.items():
        draws = model.draws(name)
        lo99, hi99 = np.quantile(draws, [0.005, 0.995], axis=0)
        lo95, hi95 = np.quantile(draws, [0.025, 0.975], axis=0)
        assert np.all((lo99 <= true) & (true <= hi99)), name
        inside95 += int(np.sum((lo95 <= true) & (true <= hi95)))
        total += np.size(true)
    # 22 parameters: about 21 expected inside their 95 % intervals
    assert inside95 >= 0.9 * total
    report = diagnostics(model)
    assert report.divergences["reference"] == 0
    assert (report.table["r_hat"] < 1.02).all()


@pytest.mark.slow
def test_default_demo_converges_with_the_notebook_settings():
    """The organisation-sized demo (387 completed projects) fits cleanly with the defaults.

    A half-normal spread prior with centred category scales gave 42
    divergences and a tau_scale ESS of 142 here.
    """
    from pmo_nb.demo.generator import demo_portfolio

    portfolio = demo_portfolio(n_projects=600, seed=0, as_of=AS_OF)
    model = fit_reference_class(portfolio, draws=1000, sampler_config={"tune": 500})
    assert model.idata.attrs["n_projects"] == 387 and model.has_inflight
    report = diagnostics(model)
    assert report.divergences == {"reference": 0, "inflight": 0}
    assert (report.table["r_hat"] <= 1.01).all(), report.table
    assert (report.table["ess_bulk"] >= 400).all(), report.table
    assert report.ok, report.warnings


def test_prior_predictive_is_wider_than_the_data():
    outcome = progress.outcomes(simulate_outcomes(120, seed=3))
    y_c, y_d = ForecastModel().prior_predictive(outcome, samples=200, seed=0)
    assert y_c.shape == y_d.shape == (120, 200)
    assert np.all(np.isfinite(y_c))
    observed = np.quantile(outcome["log_cost_ratio"], [0.1, 0.9])
    prior = np.quantile(y_c, [0.1, 0.9])
    assert prior[0] < observed[0] and prior[1] > observed[1]


def test_truncated_bivariate_t_matches_exact_marginals():
    rng = np.random.default_rng(0)
    n = 200_000
    loc = np.zeros((1, n, 2)) + [0.1, 0.2]
    scale = np.ones((1, n, 2)) * [0.3, 0.2]
    rho, nu = np.full((1, n), 0.5), np.full((1, n), 4.0)
    y_c, y_d = _sample_truncated(rng, loc, scale, rho, nu, np.array([[-np.inf]]),
                                 np.array([[-np.inf]]))
    for y, m, s in ((y_c, 0.1, 0.3), (y_d, 0.2, 0.2)):
        q = np.quantile(y, [0.1, 0.5, 0.9])
        np.testing.assert_allclose(q, m + s * stats.t.ppf([0.1, 0.5, 0.9], 4), atol=0.006)
    # Spearman correlation of a bivariate t with rho 0.5 and nu 4 is about 0.48
    assert 0.45 < stats.spearmanr(y_c[0], y_d[0]).statistic < 0.51
    y_c, y_d = _sample_truncated(rng, loc, scale, rho, nu, np.array([[0.2]]), np.array([[0.3]]))
    assert y_c.min() >= 0.2 and y_d.min() >= 0.3


@pytest.fixture(scope="module")
def demo():
    from pmo_nb.demo.generator import demo_portfolio

    return demo_portfolio(n_projects=300, seed=5, as_of=AS_OF)


@pytest.fixture(scope="module")
def stored(demo, tmp_path_factory):
    """A forecast saved in a fresh store: (store, table)."""
    from pmo_nb.store.core import Store

    store = Store(tmp_path_factory.mktemp("fc") / "portfolio.db")
    table = forecast(demo, AS_OF, draws=300, seed=2, store=store, sampler_config=FAST)
    return store, table


def test_forecast_table_shape_and_quantile_order(demo, stored):
    _, table = stored
    active = demo.projects.loc[demo.projects["stage"] == "active", "project_id"]
    assert sorted(table.index) == sorted(active)
    for stem in ("cost", "finish", "cost_ratio", "duration_ratio"):
        assert (table[f"{stem}_p10"] <= table[f"{stem}_p50"]).all()
        assert (table[f"{stem}_p50"] <= table[f"{stem}_p90"]).all()
    assert pd.api.types.is_datetime64_any_dtype(table["finish_p50"])
    on_budget, on_time = 1 - table["p_over_budget"], 1 - table["p_late"]
    assert (table["p_on_budget_and_time"] <= np.minimum(on_budget, on_time) + 1e-12).all()
    assert table[["p_over_budget", "p_late"]].stack().between(0, 1).all()
    assert not any("mean" in c or "expected" in c for c in table.columns)
    # a running project cannot finish before the reporting date nor cost less than spent
    live = demo.projects.set_index("project_id").loc[table.index]
    assert (table["finish_p10"] >= AS_OF - pd.Timedelta(days=1)).all()
    spent = progress.latest_readings(progress.readings(demo, AS_OF),
                                     pd.Series(AS_OF, index=table.index))["ac"]
    assert (table["cost_p10"] >= spent.reindex(table.index).fillna(0) - 1e-6).all()
    assert (table["cost_p50"] / live["budget"]).between(0.5, 5).all()
    assert set(table["basis"]) == {"reference class + progress"}


def test_forecast_is_reused_from_the_store_without_sampling(demo, stored, monkeypatch):
    store, first = stored
    assert first.attrs["model_reused"] is False

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampled again")

    monkeypatch.setattr(ForecastModel, "fit", no_sampling)
    again = forecast(demo, AS_OF, draws=300, seed=2, store=store, sampler_config=FAST)
    assert again.attrs["model_reused"] and again.attrs["table_reused"]
    assert again.attrs["fitted_at"] == first.attrs["fitted_at"]
    pd.testing.assert_frame_equal(again, first, check_freq=False, check_dtype=False)
    # a new reporting date reuses the model but computes a new table
    later = forecast(demo, AS_OF + pd.Timedelta(days=1), draws=300, seed=2, store=store,
                     sampler_config=FAST)
    assert later.attrs["model_reused"] and not later.attrs["table_reused"]
    # changed training data, or refit=True, do sample again
    changed = Portfolio(**{n: f for n, f in demo.tables().items()})
    changed.projects = demo.projects.iloc[1:]
    with pytest.raises(AssertionError, match="sampled again"):
        forecast(changed, AS_OF, draws=300, seed=2, store=store, sampler_config=FAST)
    with pytest.raises(AssertionError, match="sampled again"):
        forecast(demo, AS_OF, draws=300, seed=2, store=store, sampler_config=FAST, refit=True)


def test_a_new_model_version_refits_instead_of_serving_the_old_fit(demo, stored, monkeypatch):
    from pmo_nb.forecast import calibration, forecasting

    store, first = stored
    saved = store.load_result("forecast_model", "reference_class")[2]
    assert saved["model_version"] == forecasting.MODEL_VERSION
    assert saved["package_version"]
    key = calibration.backtest_key(demo, as_of=AS_OF)

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampled again")

    monkeypatch.setattr(ForecastModel, "fit", no_sampling)
    monkeypatch.setattr(forecasting, "MODEL_VERSION", "next")
    monkeypatch.setattr(calibration, "MODEL_VERSION", "next")
    with pytest.raises(AssertionError, match="sampled again"):
        forecast(demo, AS_OF, draws=300, seed=2, store=store, sampler_config=FAST)
    assert calibration.backtest_key(demo, as_of=AS_OF) != key
    monkeypatch.setattr(forecasting, "__version__", "99.0")
    monkeypatch.setattr(forecasting, "MODEL_VERSION", saved["model_version"])
    with pytest.raises(AssertionError, match="sampled again"):
        forecast(demo, AS_OF, draws=300, seed=2, store=store, sampler_config=FAST)


def test_saved_model_keeps_its_configuration(stored):
    store, _ = stored
    model = fit_reference_class_from(store)
    attrs = model.idata.attrs
    assert len(attrs["data_checksum"]) == 16
    assert '"tune": 400' in attrs["sampler_config"]
    assert model.design.categories and "log_budget" in model.design.covariates


def fit_reference_class_from(store) -> ForecastModel:
    _, payload, _ = store.load_result("forecast_model", "reference_class")
    return ForecastModel.from_bytes(payload)


def test_diagnostics_and_drivers(stored):
    store, _ = stored
    model = fit_reference_class_from(store)
    report = diagnostics(model)
    assert {"alpha", "beta", "nu", "inflight_coef"} <= set(report.table.index)
    assert list(report.table.columns) == ["stage", "r_hat", "ess_bulk", "ess_tail",
                                          "divergences"]
    assert report.ok == (not report.warnings)
    table = drivers(model=model)
    cats = sorted(model.design.categories)
    assert sorted(table.loc[table["kind"] == "category", "effect"].unique()) == cats
    assert (table["ci95_low"] <= table["ci80_low"]).all()
    assert ((table["ci80_low"] <= table["median"]) & (table["median"] <= table["ci80_high"])).all()
    assert len(describe_drivers(table)) == len(table)


def test_diagnostics_warn_when_chains_disagree():
    import arviz as az

    rng = np.random.default_rng(0)
    nu = rng.normal(0, 1, (2, 100)) + np.array([[0.0], [3.0]])
    idata = az.from_dict(posterior={"nu": nu},
                         sample_stats={"diverging": np.zeros((2, 100), dtype=bool) | (
                             np.arange(100) == 5)})
    report = diagnostics(idata)
    assert not report.ok
    assert report.divergences == {"reference": 2}
    assert any("nu: R-hat" in w for w in report.warnings)
    assert any("2 divergent" in w for w in report.warnings)


def test_describe_drivers_in_plain_words():
    table = pd.DataFrame([
        {"kind": "category", "effect": "IT", "target": "cost", "median": 1.25,
         "ci80_low": 1.05, "ci80_high": 1.60, "ci95_low": 1.0, "ci95_high": 1.8,
         "project_p10": 0.9, "project_p90": 2.0},
        {"kind": "covariate", "effect": "budget x2", "target": "duration", "median": 1.03,
         "ci80_low": 0.99, "ci80_high": 1.07, "ci95_low": 0.97, "ci95_high": 1.09},
    ])
    assert describe_drivers(table) == [
        "IT projects overrun their budget by a median 25% (80% credible interval +5% to +60%);"
        " one such project in ten lands beyond +100%.",
        "budget x2: multiplies the duration ratio by 1.03 (80% credible interval 0.99 to 1.07,"
        " 95% 0.97 to 1.09) (no clear effect).",
    ]
    # claimed only where the 95% interval excludes 1, not merely the 80% one
    table.loc[1, ["ci80_low", "ci95_low", "mean"]] = [1.01, 0.995, 1.031]
    assert describe_drivers(table)[1].endswith(
        "by 1.03 (posterior mean; 80% credible interval 1.01 to 1.07, 95% 0.99 to 1.09)"
        " (no clear effect).")
    table.loc[1, "ci95_low"] = 1.001
    assert describe_drivers(table)[1].endswith("95% 1.00 to 1.09).")


def test_training_snapshots_weigh_each_project_once(demo):
    outcome = progress.outcomes(demo)
    snaps = progress.training_snapshots(outcome, progress.readings(demo), max_per_project=4)
    weights = snaps.groupby("project_id")["weight"].sum()
    np.testing.assert_allclose(weights, 1.0)
    assert snaps.groupby("project_id").size().max() == 4
    # one reading each, stratified: together they still span the projects' lives
    one = progress.training_snapshots(outcome, progress.readings(demo), max_per_project=1)
    assert one["project_id"].is_unique and (one["weight"] == 1.0).all()
    assert one["fraction"].quantile(0.1) < 0.25 and one["fraction"].quantile(0.9) > 0.75
    finish = outcome["actual_finish_date"].reindex(snaps["project_id"]).to_numpy()
    assert (snaps["as_of"].to_numpy() < finish).all()  # the final 100 % report is not a reading
    at_half = progress.snapshots_at(outcome, progress.readings(demo), 0.5)
    ran = outcome.loc[at_half.index]
    assert (at_half["snapshot_date"] < ran["actual_finish_date"]).all()


def test_fit_needs_completed_projects():
    with pytest.raises(ValueError, match="at least 2 completed"):
        fit_reference_class(Portfolio(), draws=10)

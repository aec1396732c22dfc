"""The Laplace start of NUTS: exact on Gaussian posteriors, reproducible, with a fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from pymc.step_methods.hmc.quadpotential import QuadPotentialDiagAdapt, QuadPotentialFull

from pmo_nb.demo.generator import demo_portfolio
from pmo_nb.forecast.forecasting import fit_reference_class
from pmo_nb.forecast.laplace_start import laplace_start


def conjugate_normal(n: int = 40, seed: int = 3):
    """mu ~ N(0, 10^2), y_i ~ N(mu, 2^2): the posterior of mu is known exactly."""
    y = np.random.default_rng(seed).normal(1.5, 2.0, n)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 10.0)
        pm.Normal("y", mu, 2.0, observed=y)
    precision = 1 / 10.0**2 + n / 2.0**2
    return model, (y.sum() / 2.0**2) / precision, 1 / precision


def test_mode_and_covariance_are_exact_for_a_conjugate_normal():
    model, mean, var = conjugate_normal()
    start = laplace_start(model, chains=2, seed=0)
    assert start.mode[0] == pytest.approx(mean, abs=1e-5)
    assert start.cov[0, 0] == pytest.approx(var, rel=1e-4)
    assert isinstance(start.potential, QuadPotentialDiagAdapt)


def test_dense_covariance_matches_a_correlated_gaussian():
    cov = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, -0.3], [0.0, -0.3, 0.5]])
    with pm.Model() as model:
        pm.MvNormal("theta", mu=np.array([1.0, -2.0, 0.5]), cov=cov)
    start = laplace_start(model, chains=3, seed=1, dense=True)
    np.testing.assert_allclose(start.mode, [1.0, -2.0, 0.5], atol=1e-5)
    np.testing.assert_allclose(start.cov, cov, atol=1e-4)
    assert isinstance(start.potential, QuadPotentialFull)


def test_chains_start_apart_in_the_constrained_space_and_reproducibly():
    with pm.Model() as model:
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.Normal("y", 0.0, sigma, observed=np.random.default_rng(0).normal(0, 0.3, 50))
    first = laplace_start(model, chains=4, seed=7)
    again = laplace_start(model, chains=4, seed=7)
    starts = [init["sigma"] for init in first.initvals]
    assert all(s > 0 for s in starts)  # constrained values, not log sigma
    assert len(set(np.round(starts, 12))) == 4
    assert starts == [init["sigma"] for init in again.initvals]
    # the mode of log sigma is near log of the data's spread (0.3)
    assert np.exp(first.mode[0]) == pytest.approx(0.3, rel=0.25)


def test_no_start_when_the_posterior_has_a_flat_direction():
    with pm.Model() as model:
        pm.Flat("free")
        pm.Normal("pinned", 0.0, 1.0)
    assert laplace_start(model, chains=2, seed=0) is None


def test_a_seeded_fit_reproduces_exactly():
    portfolio = demo_portfolio(n_projects=150, seed=4, as_of="2026-06-30")
    config = {"tune": 150, "chains": 2, "cores": 2}
    first = fit_reference_class(portfolio, draws=100, seed=5, sampler_config=config)
    again = fit_reference_class(portfolio, draws=100, seed=5, sampler_config=config)
    for name in ("alpha", "nu", "inflight_coef", "inflight_nu"):
        np.testing.assert_array_equal(first.draws(name), again.draws(name))
    other = fit_reference_class(portfolio, draws=100, seed=6, sampler_config=config)
    assert not np.array_equal(first.draws("nu"), other.draws("nu"))


def test_pymc_default_start_remains_available():
    portfolio = demo_portfolio(n_projects=150, seed=4, as_of="2026-06-30")
    model = fit_reference_class(portfolio, draws=100, sampler_config={
        "tune": 150, "init": "jitter+adapt_diag"})
    assert '"init": "jitter+adapt_diag"' in model.idata.attrs["sampler_config"]
    assert pd.notna(model.draws("nu")).all()


def test_fit_falls_back_to_pymc_start_without_a_mode(monkeypatch):
    import pmo_nb.forecast.model as forecast_model

    calls = []

    def no_mode(model, **kwargs):
        calls.append(kwargs["dense"])
        return None

    monkeypatch.setattr(forecast_model, "laplace_start", no_mode)
    portfolio = demo_portfolio(n_projects=150, seed=4, as_of="2026-06-30")
    model = fit_reference_class(portfolio, draws=100, sampler_config={"tune": 150})
    assert calls == [False, True]  # reference class diagonal, in-flight stage dense
    assert model.has_inflight and pd.notna(model.draws("inflight_nu")).all()

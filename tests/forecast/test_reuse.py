"""A compiled model is reused across fits of one layout, with the same draws as a fresh fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_nb.forecast import progress as progress
from pmo_nb.forecast import reuse
from pmo_nb.forecast.design import Design
from pmo_nb.forecast.model import ForecastModel

AS_OF = pd.Timestamp("2026-06-30")
#: Few draws: the check is that two fits agree, not what they say.
TINY = {"draws": 60, "tune": 150, "chains": 2, "cores": 2}
#: Timing statistics of the sampler, which differ between any two runs.
TIMINGS = ("perf_counter_start", "perf_counter_diff", "process_time_diff")


@pytest.fixture(scope="module")
def demo():
    from pmo_nb.demo.generator import demo_portfolio

    portfolio = demo_portfolio(n_projects=300, seed=5, as_of=AS_OF)
    outcome = progress.outcomes(portfolio)
    return outcome, progress.readings(portfolio), progress.model_covariates(portfolio)


@pytest.fixture(autouse=True)
def fresh_cache():
    reuse.clear()
    before = reuse.set_enabled(True)
    disk = reuse.set_disk_enabled(False)  # what is kept in memory; the disk: test_kept_on_disk
    yield
    reuse.set_disk_enabled(disk)
    reuse.set_enabled(before)
    reuse.clear()


def test_recording_keeps_to_its_own_thread():
    import threading

    from pmo_nb.forecast.likelihood import data, recording

    with recording() as made:
        mine = data(1.0)
        other = threading.Thread(target=data, args=(2.0,))
        other.start()
        other.join()
    assert made == [mine]


def _other_data(outcome):
    """Other outcomes of the same layout: the projects reordered, their costs shifted."""
    other = outcome.sample(frac=1.0, random_state=1)
    return other.assign(log_cost_ratio=other["log_cost_ratio"] + 0.05)


def _reference(outcome, extras, model_config=None):
    """A ``reuse.compiled`` builder of the reference-class model of ``outcome``."""
    model = ForecastModel(model_config=model_config)
    model.design = Design.from_outcomes(outcome, list(extras))
    y = outcome[["log_cost_ratio", "log_duration_ratio"]].to_numpy("float64")
    return lambda: model._reference_model(y, model.design.category_index(outcome),
                                          model.design.matrix(outcome))


def test_same_layout_reuses_the_model_with_the_new_data(demo):
    outcome, _, extras = demo
    with reuse.compiled(_reference(outcome, extras)) as first:
        first.functions["marker"] = object()
    other = _other_data(outcome)
    with reuse.compiled(_reference(other, extras)) as second:
        assert second is first and reuse.STATS == {"hits": 1, "misses": 1}
        assert "marker" in second.functions  # what was compiled comes along
        rows = second.shared[0].get_value()
        assert rows.shape[1] == len(other)  # the data inputs hold the new data
        np.testing.assert_array_equal(rows[0], other["log_cost_ratio"].to_numpy())
        with reuse.compiled(_reference(other, extras)) as third:
            assert third is not second  # in use: not lent to a second fit
    with reuse.compiled(_reference(outcome, extras)) as again:
        assert again is first
        np.testing.assert_array_equal(again.shared[0].get_value()[0],
                                      outcome["log_cost_ratio"].to_numpy())


@pytest.mark.parametrize("change", ["covariates", "parametrisation", "disabled", "not kept"])
def test_another_layout_is_not_reused(demo, change):
    outcome, _, extras = demo
    with reuse.compiled(_reference(outcome, extras)) as first:
        pass
    build, keep = _reference(outcome, extras), True
    if change == "covariates":
        build = _reference(outcome, extras[:-1])
    elif change == "parametrisation":  # every category non-centred: other graphs, same names
        build = _reference(outcome, extras, {"centred_from": {"alpha": 10**6, "log_scale": 10**6}})
    elif change == "disabled":
        reuse.set_enabled(False)
    else:
        keep = False
    with reuse.compiled(build, keep=keep) as second:
        assert second is not first
    assert reuse.STATS["hits"] == 0


def test_a_constant_that_differs_prevents_reuse(demo, monkeypatch):
    """The graphs are compared, not only the names: a different prior is another model."""
    from pmo_nb.forecast import model as model_module
    from pmo_nb.forecast import priors

    outcome, _, extras = demo
    with reuse.compiled(_reference(outcome, extras)) as first:
        pass
    original = priors.spread_prior
    monkeypatch.setattr(model_module, "spread_prior",
                        lambda name, mode: original(name, mode * 1.5))
    with reuse.compiled(_reference(outcome, extras)) as second:
        assert second is not first
    assert reuse.STATS["hits"] == 0


def _fit(outcome, reading, extras, seed):
    snaps = progress.training_snapshots(outcome, reading[reading["project_id"].isin(
        outcome.index)], 1)
    return ForecastModel(TINY).fit(outcome, snaps, extras=extras, seed=seed)


def _assert_same_draws(a, b):
    assert list(a.idata.posterior.data_vars) == list(b.idata.posterior.data_vars)
    for name in a.idata.posterior.data_vars:
        np.testing.assert_array_equal(a.idata.posterior[name].values,
                                      b.idata.posterior[name].values, err_msg=name)
    for name in a.idata.sample_stats.data_vars:
        if not name.endswith(TIMINGS):
            np.testing.assert_array_equal(a.idata.sample_stats[name].values,
                                          b.idata.sample_stats[name].values, err_msg=name)


def test_a_reused_fit_draws_exactly_what_a_fresh_fit_draws(demo, monkeypatch):
    import pymc as pm

    outcome, reading, extras = demo
    compiles, graphs = [], []
    original, own_logp = pm.Model.logp_dlogp_function, pm.Model.logp
    monkeypatch.setattr(pm.Model, "logp_dlogp_function",
                        lambda self, *a, **k: compiles.append(1) or original(self, *a, **k))
    monkeypatch.setattr(pm.Model, "logp",
                        lambda self, *a, **k: graphs.append(1) or own_logp(self, *a, **k))
    fresh = _fit(outcome, reading, extras, seed=3)  # both stages compiled
    assert len(compiles) == 2 and reuse.STATS == {"hits": 0, "misses": 2}
    built = len(graphs)
    other = _fit(_other_data(outcome), reading, extras, seed=4)  # other data, same layouts
    reused = _fit(outcome, reading, extras, seed=3)
    assert reuse.STATS == {"hits": 4, "misses": 2}
    assert len(compiles) == 2  # nothing compiled again
    assert len(graphs) == built  # nor pm.sample's log-density graph built again
    _assert_same_draws(fresh, reused)
    assert not np.array_equal(other.draws("beta")[:5], fresh.draws("beta")[:5])
    reuse.set_enabled(False)  # and a fit that reuses nothing agrees with both
    _assert_same_draws(fresh, _fit(outcome, reading, extras, seed=3))
    assert len(compiles) == 4
    monkeypatch.setattr(reuse, "empty_trace", lambda *args: None)  # PyMC's own traces
    _assert_same_draws(fresh, _fit(outcome, reading, extras, seed=3))


def test_pymc_start_after_no_mode_takes_the_compiled_density_and_draws_the_same(monkeypatch):
    """A small portfolio's reference class has no mode: PyMC's start compiles nothing again."""
    import contextlib

    import pymc as pm

    from pmo_nb.demo.generator import demo_portfolio

    portfolio = demo_portfolio(n_projects=60, seed=7, as_of=AS_OF)
    outcome = progress.outcomes(portfolio)
    reading, extras = progress.readings(portfolio), progress.model_covariates(portfolio)
    reuse.set_enabled(False)  # each fit compiles afresh: only the hand-over is measured
    compiles = []
    original = pm.Model.logp_dlogp_function
    monkeypatch.setattr(pm.Model, "logp_dlogp_function",
                        lambda self, *a, **k: compiles.append(1) or original(self, *a, **k))
    handed = _fit(outcome, reading, extras, seed=3)
    assert len(compiles) == 2  # one per stage
    monkeypatch.setattr(reuse, "density_for_pymc_start",
                        lambda model, functions: contextlib.nullcontext())
    compiles.clear()
    own = _fit(outcome, reading, extras, seed=3)
    assert len(compiles) == 3  # the reference class fell back and PyMC compiled it again
    _assert_same_draws(handed, own)


def test_kept_logp_hands_back_pymc_own_graph_for_any_other_call():
    import pymc as pm

    with pm.Model() as model:
        pm.Normal("a", 0.0, 1.0)
        pm.Normal("b", 0.0, 2.0, shape=3)
    entry = reuse.Compiled(model, [])
    with reuse.kept_logp(entry):
        assert model.logp() is model.logp()  # built once
        parts = model.logp(sum=False)
        assert isinstance(parts, list) and len(parts) == 2  # PyMC's own, per variable
    assert "logp" not in model.__dict__  # PyMC's method again afterwards
    point = {"a": 0.5, "b": [0.0, 1.0, -1.0]}
    np.testing.assert_allclose(model.compile_fn(entry.functions["logp"])(point),
                               model.compile_logp()(point))  # the model's density

"""The Bayesian forecast model: a reference class plus an in-flight stage.

Stage 1, the reference class, is fitted to completed projects::

    y_i = (log cost ratio, log duration ratio)_i ~ bivariate Student-t(nu, loc_i, scale_c, rho)
    loc_i   = alpha[c_i] + x_i @ beta          (x: standardised log budget, log planned
                                               days, mandatory, numeric extras, and
                                               scope growth / approved changes where
                                               the data has them)
    alpha[c] ~ Normal(mu_alpha, sigma_alpha)         (categories partially pooled)
    log scale[c] ~ Normal(log_scale_mu, tau_scale)   (IT may have fatter tails)
    sigma_alpha, tau_scale ~ Gamma(2, .)             (zero-avoiding, weakly informative)

The Student-t keeps heavy tails heavy; the correlation ``rho`` matters for
the joint chance of being on budget *and* on time. How each category effect
is parametrised is chosen by how much data it has (``model_config
["centred_from"]``): a category's mean is well pinned by a few dozen
projects (centred), its spread needs a few hundred (non-centred below that).
A half-normal spread prior with everything centred made a funnel on the
600-project demo (42 divergences, ``tau_scale`` ESS 142); all non-centred
made the 2,000-project fit 6x slower (an inverse funnel).

Stage 2, the in-flight stage, learns from completed projects' own status
histories how a reading at elapsed fraction ``f`` of the planned duration
(``r_cost`` = log AC/EV, ``r_schedule`` = log PV/EV) relates to the final
outcome, as a correction to the reference class::

    y ~ bivariate t(nu2, loc_ref + a + d f + e log f + r @ (b + c f),
                    scale_ref * exp(l0 + l1 (f - 0.5) + l2 (log f - log 0.5)), rho2)

fitted on one reading per completed project, at stratified points of its
life (:func:`progress.training_snapshots`). The log-f spread term lets the
interval narrow faster late on than a straight line in f allows; without it
late (75 %) intervals covered 91-92 % in the backtest instead of 80 %.
Early on the signals carry little and the reference class dominates; late,
the signals (with learned, not assumed, weights) do. The stage uses the
stage-1 posterior mean as a fixed offset (two-stage plug-in), so the final
outcome is not counted twice.

Both stages are sampled with PyMC's NUTS (imported lazily, only when
fitting), started from a Laplace approximation of each posterior
(:mod:`pmo_nb.forecast.laplace_start`), which more than halves the fit time, and kept
in one InferenceData whose attrs say how it was made. The likelihoods are
written for a cheap gradient (:mod:`pmo_nb.forecast.likelihood`) with the data
as inputs, not constants, so new data compiles nothing; PyTensor links to the
system's OpenBLAS, BLAS runs on one thread per chain (:mod:`pmo_nb.forecast.blas`)
and the C modules compile against a precompiled header
(:mod:`pmo_nb.forecast.precompiled_header`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import warnings

import numpy as np
import pandas as pd

from pmo_nb.forecast import blas, reuse
from pmo_nb.forecast.design import Design, data_checksum
from pmo_nb.forecast.laplace_start import laplace_start
from pmo_nb.forecast.likelihood import data, inflight_loglik, reference_loglik
from pmo_nb.forecast.precompiled_header import use_precompiled_header
from pmo_nb.forecast.priors import pooled, spread_prior
from pmo_nb.forecast.progress import SIGNALS

#: The model's version: part of every cache key of a fit or a backtest and saved
#: in the InferenceData's attrs, so a stored fit made by another version of the
#: model is never served: it is refitted. Bump it whenever the model's maths,
#: priors or data preparation change (pymc-marketing's model ``id`` does the same).
MODEL_VERSION = "2026.12-2"

TARGETS = ("cost", "duration")
#: Defaults merged with the user's settings (``default | user``). ``init`` is
#: ``"laplace"`` (:mod:`pmo_nb.forecast.laplace_start`) or any ``pm.sample`` init.
DEFAULT_SAMPLER_CONFIG = {"draws": 1000, "tune": 500, "chains": 2, "cores": 2,
                          "target_accept": 0.9, "progressbar": False, "nuts_sampler": "pymc",
                          "init": "laplace"}
DEFAULT_MODEL_CONFIG = {"max_snapshots_per_project": 1, "fraction_clip": [0.02, 1.5],
                        "scale_log_fraction": True,
                        "centred_from": {"alpha": 20, "log_scale": 200}}
#: Parameters whose convergence is reported, per stage.
MAIN_PARAMETERS = {
    "reference": ["mu_alpha", "sigma_alpha", "alpha", "beta", "log_scale_mu", "tau_scale",
                  "log_scale", "rho", "nu"],
    "inflight": ["inflight_coef", "inflight_scale", "inflight_scale_fraction",
                 "inflight_scale_log_fraction", "inflight_rho", "inflight_nu"],
}
#: log f is centred here (log 0.5) in the optional log-f spread term.
_MID_LOG_F = float(np.log(0.5))
#: Terms of the in-flight correction (``f``: elapsed share of the planned duration).
INFLIGHT_TERMS = ("intercept", "f", "log_f", *SIGNALS, *(f"{s}_x_f" for s in SIGNALS))


class ForecastModel:
    """Fit, keep and reload the two-stage forecast model.

    Parameters
    ----------
    sampler_config, model_config : dict, optional
        Merged over :data:`DEFAULT_SAMPLER_CONFIG` / :data:`DEFAULT_MODEL_CONFIG`.
    """

    def __init__(self, sampler_config: dict | None = None, model_config: dict | None = None):
        self.sampler_config = DEFAULT_SAMPLER_CONFIG | (sampler_config or {})
        self.model_config = DEFAULT_MODEL_CONFIG | (model_config or {})
        self.idata = None
        self.design: Design | None = None

    # -- fitting -----------------------------------------------------------
    def fit(self, outcome: pd.DataFrame, snapshots: pd.DataFrame, *, extras=(), seed: int = 0,
            checksum: str | None = None) -> ForecastModel:
        """Sample both stages; ``snapshots`` come from :func:`progress.training_snapshots`."""
        if len(outcome) < 2:
            raise ValueError("the reference class needs at least 2 completed projects")
        import arviz as az  # lazy: ArviZ loads only when a fit is summarised
        import xarray as xr  # lazy: xarray loads only with a fitted model

        blas.link_openblas()
        self.design = Design.from_outcomes(outcome, list(extras))
        y = outcome[["log_cost_ratio", "log_duration_ratio"]].to_numpy("float64")
        cat = self.design.category_index(outcome)
        x = self.design.matrix(outcome)
        stage1 = self._sample(lambda: self._reference_model(y, cat, x), seed, dense=False)
        post = az.extract(stage1, combined=True)
        loc = post["alpha"].values[cat].mean(-1) + x @ post["beta"].values.mean(-1)
        log_scale = post["log_scale"].values.mean(-1)[cat]
        idata = stage1
        snaps = snapshots[snapshots["project_id"].isin(outcome.index)]
        if len(snaps) >= 10:
            rows = outcome.index.get_indexer(snaps["project_id"])
            stage2 = self._sample(lambda: self._inflight_model(
                y[rows], loc[rows], np.exp(log_scale[rows]), snaps), seed + 1, dense=True)
            idata.posterior = xr.merge([stage1.posterior, stage2.posterior])
            stats2 = stage2.sample_stats.rename({v: f"inflight_{v}"
                                                 for v in stage2.sample_stats.data_vars})
            idata.sample_stats = xr.merge([stage1.sample_stats, stats2], compat="override")
        idata.attrs.update({
            "model": "pmo_nb two-stage reference class + in-flight forecast",
            "sampler_config": json.dumps(self.sampler_config, sort_keys=True),
            "model_config": json.dumps(self.model_config, sort_keys=True),
            "design": json.dumps(self.design.__dict__),
            "data_checksum": checksum or data_checksum(outcome, snapshots),
            "n_projects": int(len(outcome)), "n_snapshots": int(len(snaps)),
            "fitted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        })
        self.idata = idata
        return self

    def _sample(self, build, seed: int, *, dense: bool):
        """Sample the model ``build()`` makes; ``init="laplace"`` starts NUTS from the mode.

        The reference class is hierarchical, so its metric stays diagonal and
        adapted (``dense=False``); the in-flight stage is a regression with
        strongly correlated coefficients and gets the dense Laplace metric
        (:mod:`pmo_nb.forecast.laplace_start`). Any other ``init`` is PyMC's own.
        BLAS runs on one thread per process (:func:`pmo_nb.forecast.blas.one_thread`),
        set again before sampling for a BLAS the compiled model loaded. With the
        Laplace start, a model of a layout already fitted in this process is
        reused with the new data (:mod:`pmo_nb.forecast.reuse`): nothing is
        compiled again, and the draws are the same.
        """
        import pymc as pm  # lazy: PyMC loads only when a model is fitted

        use_precompiled_header()
        cfg = dict(self.sampler_config)
        init = cfg.pop("init", "laplace")
        pymc_nuts = cfg.get("nuts_sampler", "pymc") == "pymc"  # others have their own start
        with reuse.compiled(build, keep=pymc_nuts and init == "laplace") as entry, \
                entry.model as model:
            if pymc_nuts and init == "laplace":
                with blas.one_thread():
                    start = laplace_start(model, chains=cfg["chains"], seed=seed, dense=dense,
                                          cached=entry.cached)
                if start is not None:
                    step = pm.NUTS(potential=start.potential,
                                   target_accept=cfg.pop("target_accept"),
                                   logp_dlogp_func=start.logp_dlogp_func,
                                   initial_point=start.initial_point)
                    trace = reuse.empty_trace(entry, start.initial_point)
                    with blas.one_thread(), reuse.kept_logp(entry):
                        return pm.sample(step=step, initvals=start.initvals, random_seed=seed,
                                         trace=trace, compute_convergence_checks=False, **cfg)
                init = "jitter+adapt_diag"  # no usable mode: PyMC's default start
            if pymc_nuts:
                cfg["init"] = init
            with blas.one_thread(), reuse.density_for_pymc_start(model, entry.functions):
                return pm.sample(random_seed=seed, compute_convergence_checks=False, **cfg)

    def _reference_model(self, y, cat, x):
        import pymc as pm  # lazy: PyMC loads only when a model is fitted

        coords = {"category": self.design.categories, "target": list(TARGETS),
                  "covariate": self.design.covariates}
        onehot = np.eye(len(self.design.categories))[cat]  # a product is faster than indexing
        counts = onehot.sum(axis=0)
        # the priors' parameters are constants: no run-time checks of them in the density
        with pm.Model(coords=coords, check_bounds=False) as model:
            mu_alpha = pm.Normal("mu_alpha", 0.0, 0.5, dims="target")
            sigma_alpha = spread_prior("sigma_alpha", 0.1)
            centred_from = self.model_config["centred_from"]
            alpha = pooled("alpha", mu_alpha, sigma_alpha, counts, centred_from["alpha"])
            beta = pm.Normal("beta", 0.0, 0.3, dims=("covariate", "target"))
            log_scale_mu = pm.Normal("log_scale_mu", np.log(0.25), 1.0, dims="target")
            tau_scale = spread_prior("tau_scale", 0.2)
            log_scale = pooled("log_scale", log_scale_mu, tau_scale, counts,
                                centred_from["log_scale"])
            rho = pm.Deterministic("rho", 2.0 * pm.Beta("rho_raw", 2.0, 2.0) - 1.0)
            nu = pm.Gamma("nu", alpha=2.0, beta=0.1)
            pm.Potential("outcome", reference_loglik(y, onehot, x, alpha, beta, log_scale, rho, nu))
        return model

    def _inflight_model(self, y, loc_ref, scale_ref, snaps):
        import pymc as pm  # lazy: PyMC loads only when a model is fitted
        import pytensor.tensor as pt  # lazy: PyTensor loads only when a model is fitted

        f = self._fraction(snaps)
        terms = _inflight_terms(f, snaps[list(SIGNALS)].to_numpy("float64"))
        # QR reparametrisation: the terms are strongly correlated (r and r*f)
        n = len(terms)
        q, r = np.linalg.qr(terms)
        q, r = q * np.sqrt(n), r / np.sqrt(n)
        w = snaps["weight"].to_numpy("float64")
        coords = {"target": list(TARGETS), "term": list(INFLIGHT_TERMS)}
        spread_terms = [np.ones_like(f), f - 0.5]  # log spread = terms @ (l0, l1[, l2])
        with pm.Model(coords=coords, check_bounds=False) as model:
            theta = pm.Normal("inflight_theta", 0.0, 1.0, dims=("term", "target"))
            pm.Deterministic("inflight_coef", pt.dot(data(np.linalg.inv(r)), theta),
                             dims=("term", "target"))
            spread = [pm.Normal("inflight_scale", 0.0, 0.5, dims="target"),
                      pm.Normal("inflight_scale_fraction", 0.0, 1.0, dims="target")]
            if self.model_config.get("scale_log_fraction"):
                # the spread may fall faster late on than a straight line in f allows
                spread.append(pm.Normal("inflight_scale_log_fraction", 0.0, 0.5, dims="target"))
                spread_terms.append(np.log(f) - _MID_LOG_F)
            rho = pm.Deterministic("inflight_rho", 2.0 * pm.Beta("inflight_rho_raw", 2, 2) - 1)
            nu = pm.Gamma("inflight_nu", alpha=2.0, beta=0.1)
            pm.Potential("snapshots", inflight_loglik(
                y, loc_ref, scale_ref, q, theta, np.column_stack(spread_terms), spread,
                rho, nu, w))
        return model

    def _fraction(self, frame: pd.DataFrame) -> np.ndarray:
        lo, hi = self.model_config["fraction_clip"]
        return np.clip(frame["fraction"].to_numpy("float64"), lo, hi)

    # -- persistence -------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The InferenceData as NetCDF bytes (configuration in its attrs)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.nc")
            self.idata.to_netcdf(path)
            with open(path, "rb") as fh:
                return fh.read()

    @classmethod
    def from_bytes(cls, payload: bytes) -> ForecastModel:
        """Rebuild a fitted model from :meth:`to_bytes` output."""
        import arviz as az  # lazy: ArviZ loads only when a fit is summarised

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.nc")
            with open(path, "wb") as fh:
                fh.write(payload)
            idata = az.from_netcdf(path)
            idata.load()
        return cls.from_idata(idata)

    @classmethod
    def from_idata(cls, idata) -> ForecastModel:
        """Wrap an InferenceData written by :meth:`fit`."""
        attrs = idata.attrs
        model = cls(json.loads(attrs["sampler_config"]), json.loads(attrs["model_config"]))
        model.design = Design(**json.loads(attrs["design"]))
        model.idata = idata
        return model

    @property
    def has_inflight(self) -> bool:
        return self.idata is not None and "inflight_nu" in self.idata.posterior

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of one variable, samples first (chains x draws flattened)."""
        values = self.idata.posterior[name].values
        return values.reshape((-1,) + values.shape[2:])

    def prior_predictive(self, outcome: pd.DataFrame, samples: int = 500,
                         seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Reference-class draws of the log ratios under the priors alone (prior check).

        Returns (log cost ratio, log duration ratio) arrays, rows x samples,
        for the rows of ``outcome``; compare with the observed ratios.
        """
        import arviz as az  # lazy: ArviZ loads only when a fit is summarised
        import pymc as pm  # lazy: PyMC loads only when a model is fitted

        blas.link_openblas()
        y = np.zeros((len(outcome), 2))
        design = self.design or Design.from_outcomes(outcome, [])
        prior_model = ForecastModel(self.sampler_config, self.model_config)
        prior_model.design = design
        with prior_model._reference_model(y, design.category_index(outcome),
                                          design.matrix(outcome)), warnings.catch_warnings():
            # the Potential is the likelihood: ignoring it is what a prior check means
            warnings.filterwarnings("ignore", message="The effect of Potentials")
            prior = pm.sample_prior_predictive(draws=samples, random_seed=seed)
        prior_model.idata = az.InferenceData(posterior=prior.prior)
        return prior_model.predict(outcome, seed=seed)

    # -- prediction --------------------------------------------------------
    def predict(self, frame: pd.DataFrame, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Predictive draws of (log cost ratio, log duration ratio) for each row.

        ``frame`` has ``category, budget, planned_days`` (and any extras), and
        optionally ``fraction, r_cost, r_schedule`` (the latest reading; NaN
        = none) and ``elapsed`` / ``ac`` / ``budget``: a project still running
        at ``elapsed`` of its planned duration cannot finish before it, nor
        cost less than its cost to date. Returns two arrays (rows x samples).
        """
        rng = np.random.default_rng(seed)
        s = self.draws("nu").shape[0]
        n = len(frame)
        cat = self.design.category_index(frame)
        x = self.design.matrix(frame)
        alpha, log_scale = self.draws("alpha"), self.draws("log_scale")  # s, C, 2
        new = rng.standard_normal((s, 2))  # an unseen category: a new draw from the pool
        alpha_new = self.draws("mu_alpha") + self.draws("sigma_alpha") * new
        scale_new = self.draws("log_scale_mu") + self.draws("tau_scale") * rng.standard_normal(
            (s, 2))
        alpha_c = np.where(cat[:, None, None] >= 0, alpha[:, cat].transpose(1, 0, 2),
                           alpha_new[None])  # n, s, 2
        log_s = np.where(cat[:, None, None] >= 0, log_scale[:, cat].transpose(1, 0, 2),
                         scale_new[None])
        loc = alpha_c + np.einsum("np,spk->nsk", x, self.draws("beta"))
        scale = np.exp(log_s)
        rho = np.broadcast_to(self.draws("rho"), (n, s)).copy()
        nu = np.broadcast_to(self.draws("nu"), (n, s)).copy()
        has = np.zeros(n, dtype=bool)
        if self.has_inflight and "r_cost" in frame:
            has = frame[list(SIGNALS)].notna().all(axis=1).to_numpy() & frame[
                "fraction"].notna().to_numpy()
        if has.any():
            f = self._fraction(frame)[has]
            terms = _inflight_terms(f, frame[list(SIGNALS)].to_numpy("float64")[has])
            loc[has] += np.einsum("nt,stk->nsk", terms, self.draws("inflight_coef"))
            spread = (self.draws("inflight_scale")
                      + (f[:, None, None] - 0.5) * self.draws("inflight_scale_fraction"))
            if "inflight_scale_log_fraction" in self.idata.posterior:
                spread = spread + ((np.log(f) - _MID_LOG_F)[:, None, None]
                                   * self.draws("inflight_scale_log_fraction"))
            scale[has] *= np.exp(spread)
            rho[has] = self.draws("inflight_rho")
            nu[has] = self.draws("inflight_nu")
        low_d = np.full(n, -np.inf)
        low_c = np.full(n, -np.inf)
        if "elapsed" in frame:
            el = frame["elapsed"].to_numpy("float64")
            low_d = np.where(el > 0, np.log(np.maximum(el, 1e-9)), -np.inf)
        if "ac" in frame:
            ratio = frame["ac"].to_numpy("float64") / frame["budget"].to_numpy("float64")
            low_c = np.where(ratio > 0, np.log(np.maximum(ratio, 1e-9)), -np.inf)
        return _sample_truncated(rng, loc, scale, rho, nu, low_c[:, None], low_d[:, None])


def _inflight_terms(f: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Regressors of the in-flight stage, in :data:`INFLIGHT_TERMS` order."""
    return np.column_stack([np.ones_like(f), f, np.log(f), r, r * f[:, None]])


def _truncated_t(rng, df, loc, scale, low):
    """Student-t draws conditioned on being above ``low`` (inverse CDF)."""
    from scipy import stats  # lazy: SciPy loads only when this function runs

    floor = stats.t.cdf((low - loc) / scale, df)
    u = floor + rng.random(loc.shape) * (1.0 - floor)
    u = np.clip(u, 1e-12, 1.0 - 1e-12)
    return np.maximum(loc + scale * stats.t.ppf(u, df), low)


def _sample_truncated(rng, loc, scale, rho, nu, low_c, low_d):
    """Bivariate t draws: duration first (truncated), then cost given duration.

    The conditional of a bivariate t given one coordinate is a t with
    ``nu + 1`` degrees of freedom; the cost floor is applied to it (an
    approximation when both floors bind at once).
    """
    y_d = _truncated_t(rng, nu, loc[..., 1], scale[..., 1], low_d)
    z = (y_d - loc[..., 1]) / scale[..., 1]
    cond_loc = loc[..., 0] + rho * scale[..., 0] * z
    cond_scale = scale[..., 0] * np.sqrt((1 - rho**2) * (nu + z**2) / (nu + 1))
    y_c = _truncated_t(rng, nu + 1, cond_loc, cond_scale, low_c)
    return y_c, y_d

"""Forecast cost and finish of live projects, and say what drives overruns.

:func:`forecast` gives every active project quantiles of its final cost and
finish date and the chances of overrunning, from the two-stage model of
:mod:`pmo_nb.forecast.model` (the organisation's completed projects, plus
the project's own progress readings). Heavy-tailed ratios have no useful
mean, so only quantiles and probabilities are reported.

With a :class:`~pmo_nb.store.core.Store`, the fitted model (NetCDF InferenceData
with its configuration and data checksum) and each forecast table are saved
and reused while the training data and the configuration are unchanged:
opening a dashboard never samples. Results are kept as kind
``"forecast_model"`` (name ``"reference_class"``) and kind ``"forecast"``
(name = the as-of date, ``YYYY-MM-DD``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from pmo_nb import __version__
from pmo_nb.dates import data_date, reporting_date
from pmo_nb.forecast import progress as progress
from pmo_nb.forecast.convergence import diagnostics
from pmo_nb.forecast.governance_covariates import with_governance
from pmo_nb.forecast.model import (
    DEFAULT_MODEL_CONFIG,
    DEFAULT_SAMPLER_CONFIG,
    MODEL_VERSION,
    ForecastModel,
)
from pmo_nb.forecast.model import data_checksum as _checksum
from pmo_nb.forecast.stored import FORECAST_KIND, MODEL_KIND, MODEL_NAME, restore_forecast
from pmo_nb.portfolio import Portfolio

#: ``TABLE_KIND`` is the forecast tables' kind (:data:`pmo_nb.forecast.stored.FORECAST_KIND`).
TABLE_KIND = FORECAST_KIND
_QUANTILES = (0.1, 0.5, 0.9)
#: Scope growth effects are given per this much growth (a fraction: 10 percentage points).
SCOPE_STEP = 0.10


def default_as_of(portfolio: Portfolio) -> pd.Timestamp:
    """The data date (:func:`pmo_nb.dates.data_date`): what a blank ``as_of`` means."""
    return data_date(portfolio)


def fit_reference_class(portfolio: Portfolio, as_of=None, *, draws: int = 1000, seed: int = 0,
                        refit: bool = False, store=None, sampler_config: dict | None = None,
                        model_config: dict | None = None) -> ForecastModel:
    """Fit (or reload) the forecast model on the projects completed by ``as_of``.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date-like, optional
        Train on projects finished on or before it (default: all).
    draws : int
        Posterior draws per chain (``sampler_config`` may set the rest).
    seed : int
    refit : bool
        Sample even when the store holds a fit of the same data and config.
    store : pmo_nb.store.core.Store, optional
        Where the fitted InferenceData is kept and looked up.

    Returns
    -------
    ForecastModel
        ``.reused`` says whether it came from the store.
    """
    sampler = DEFAULT_SAMPLER_CONFIG | (sampler_config or {}) | {"draws": int(draws)}
    model_cfg = DEFAULT_MODEL_CONFIG | (model_config or {})
    outcome = progress.outcomes(portfolio, as_of)
    snaps = progress.training_snapshots(outcome, progress.readings(portfolio, as_of),
                                        model_cfg["max_snapshots_per_project"])
    key = {"data_checksum": _checksum(outcome, snaps), "seed": int(seed),
           "model_version": MODEL_VERSION, "package_version": __version__,
           "sampler_config": json.dumps(sampler, sort_keys=True),
           "model_config": json.dumps(model_cfg, sort_keys=True)}
    if store is not None and not refit:
        found = store.load_result(MODEL_KIND, MODEL_NAME)
        if found is not None and found[1] is not None and _matches(found[2], key):
            model = ForecastModel.from_bytes(found[1])
            model.reused = True
            return model
    model = ForecastModel(sampler, model_cfg).fit(
        outcome, snaps, extras=progress.model_covariates(portfolio), seed=seed,
        checksum=key["data_checksum"])

    model.idata.attrs["seed"] = int(seed)
    model.idata.attrs["model_version"] = MODEL_VERSION
    model.idata.attrs["package_version"] = __version__
    model.idata.attrs["convergence_warnings"] = json.dumps(diagnostics(model).warnings)
    model.reused = False
    if store is not None:
        store.save_result(MODEL_KIND, MODEL_NAME, payload=model.to_bytes(),
                          attrs=key | {"fitted_at": model.idata.attrs["fitted_at"]})
    return model


def _matches(attrs: dict, key: dict) -> bool:
    return all(attrs.get(k) == v for k, v in key.items())


def forecast(portfolio: Portfolio, as_of=None, *, draws: int = 1000, seed: int = 0,
             refit: bool = False, store=None, sampler_config: dict | None = None,
             model: ForecastModel | None = None) -> pd.DataFrame:
    """Final cost and finish forecasts of the active projects.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date-like, optional
        The reporting date (default: :func:`default_as_of`). Only readings up
        to it are used, and the model is trained on projects finished by then.
    draws : int
        Posterior draws per chain; the forecast uses one predictive draw per
        posterior draw.
    seed : int
    refit : bool
        Resample the model even if the store holds a matching fit.
    store : pmo_nb.store.core.Store, optional
        Reuse / save the fitted model and this table.
    model : ForecastModel, optional
        An already fitted model (then nothing is fitted or looked up).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``project_id``: ``category, budget, finish_date, elapsed,
        percent_complete, basis``, ``cost_p10/p50/p90``, ``finish_p10/p50/p90``
        (Timestamps), ``p_over_budget, p_late, p_on_budget_and_time`` (the
        joint confidence level), ``cost_ratio_p*``, ``duration_ratio_p*`` and
        ``cost_to_date`` (actual cost of the latest reading, 0 without one).
        ``.attrs`` say how it was made (``data_checksum``, ``fitted_at``,
        ``model_reused``, ``table_reused``, ``warnings``).
    """
    as_of = reporting_date(portfolio, as_of)
    if model is None:
        model = fit_reference_class(portfolio, as_of, draws=draws, seed=seed, refit=refit,
                                    store=store, sampler_config=sampler_config)
    attrs = {"as_of": as_of.strftime("%Y-%m-%d"), "portfolio_checksum": portfolio.checksum(),
             "data_checksum": model.idata.attrs["data_checksum"],
             "fitted_at": model.idata.attrs["fitted_at"], "seed": int(seed)}
    name = attrs["as_of"]
    if store is not None and not refit and getattr(model, "reused", False):
        found = store.load_result(TABLE_KIND, name)
        if found is not None and found[0] is not None and _matches(found[2], attrs):
            table = restore_forecast(found[0])
            table.attrs = dict(found[2]) | {"model_reused": True, "table_reused": True}
            return table
    table = _predict(portfolio, model, as_of, seed)
    warnings = json.loads(model.idata.attrs.get("convergence_warnings", "[]"))
    attrs = attrs | {"warnings": warnings}
    if store is not None:
        store.save_result(TABLE_KIND, name, frame=table.reset_index(), attrs=attrs)
    table.attrs = attrs | {"model_reused": bool(getattr(model, "reused", False)),
                           "table_reused": False}
    return table


def inflight_frame(portfolio: Portfolio, as_of) -> pd.DataFrame:
    """The active projects: attributes, latest reading and governance covariates at ``as_of``."""
    as_of = pd.Timestamp(as_of)
    projects = portfolio.projects
    live = projects[projects["stage"] == progress.IN_FLIGHT].set_index("project_id")
    live = live.assign(planned_days=progress.planned_days(live))
    live["elapsed"] = ((as_of - live["start_date"]) / pd.Timedelta(days=1)) / live["planned_days"]
    latest = progress.latest_readings(progress.readings(portfolio, as_of),
                                      pd.Series(as_of, index=live.index))
    live = live.drop(columns=["actual_cost"]).join(
        latest[["fraction", "percent_complete", "ac", *progress.SIGNALS]])
    live["ac"] = live["ac"].fillna(0.0)
    return with_governance(live, portfolio, as_of)


def _predict(portfolio: Portfolio, model: ForecastModel, as_of, seed: int) -> pd.DataFrame:
    live = inflight_frame(portfolio, as_of)
    live = live[live["budget"] > 0]
    y_c, y_d = model.predict(live, seed=seed)
    out = pd.DataFrame(index=live.index)
    out["category"] = live["category"]
    out["budget"] = live["budget"]
    out["finish_date"] = live["finish_date"]
    out["elapsed"] = live["elapsed"]
    out["percent_complete"] = live["percent_complete"]
    out["cost_to_date"] = live["ac"]
    out["basis"] = np.where(live["r_cost"].notna() & model.has_inflight,
                            "reference class + progress", "reference class")
    qc = np.quantile(y_c, _QUANTILES, axis=1)
    qd = np.quantile(y_d, _QUANTILES, axis=1)
    start = live["start_date"].to_numpy("datetime64[ns]")
    days = live["planned_days"].to_numpy("float64")
    for q, c, d in zip(_QUANTILES, qc, qd, strict=True):
        tag = f"p{round(q * 100)}"
        out[f"cost_{tag}"] = live["budget"].to_numpy() * np.exp(c)
        out[f"finish_{tag}"] = start + pd.to_timedelta(np.round(days * np.exp(d)), unit="D")
    over, late = y_c > 0, y_d > 0
    out["p_over_budget"] = over.mean(axis=1)
    out["p_late"] = late.mean(axis=1)
    out["p_on_budget_and_time"] = (~over & ~late).mean(axis=1)
    for q, c in zip(_QUANTILES, qc, strict=True):
        out[f"cost_ratio_p{round(q * 100)}"] = np.exp(c)
    for q, d in zip(_QUANTILES, qd, strict=True):
        out[f"duration_ratio_p{round(q * 100)}"] = np.exp(d)
    out.index.name = "project_id"
    return out


def most_at_risk(table: pd.DataFrame, n: int = 9) -> pd.DataFrame:
    """The ``n`` projects least likely to finish on budget and on time.

    Sorted by ``p_on_budget_and_time`` (lowest first), then by the chance of
    overrunning the budget; ties keep the table's order.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return table.sort_values(["p_on_budget_and_time", "p_over_budget"],
                             ascending=[True, False], kind="stable").head(n)


def portfolio_cost_curve(portfolio: Portfolio, model: ForecastModel, as_of, *, seed: int = 0,
                         points: int = 101) -> pd.DataFrame:
    """The S-curve of the active portfolio's total cost at completion.

    Each predictive draw of :meth:`ForecastModel.predict` shares one posterior
    draw across projects, so summing the projects' costs draw by draw keeps
    what they have in common (the organisation's overrun tendency) rather
    than treating them as independent. Returns ``probability, value`` with
    ``attrs["budget"]`` (the total budget of the projects summed).
    """
    live = inflight_frame(portfolio, pd.Timestamp(as_of))
    live = live[live["budget"] > 0]
    probs = np.linspace(0.0, 1.0, points)
    if live.empty:
        out = pd.DataFrame({"probability": probs, "value": 0.0})
    else:
        y_c, _ = model.predict(live, seed=seed)
        total = (live["budget"].to_numpy("float64")[:, None] * np.exp(y_c)).sum(axis=0)
        out = pd.DataFrame({"probability": probs, "value": np.quantile(total, probs)})
    out.attrs["budget"] = float(live["budget"].sum())
    return out


def predictive_checks(portfolio: Portfolio, model: ForecastModel, as_of=None, *,
                      samples: int = 200, seed: int = 0) -> dict:
    """Observed log ratios of the training projects and their prior / posterior predictions.

    Returns ``{"observed": {...}, "prior": {...}, "posterior": {...}}``, each
    mapping "cost" and "duration" to arrays of log ratios (predictions:
    projects x draws, ``samples`` draws). The prior check shows whether the
    priors allow the data; the posterior check whether the fitted reference
    class reproduces it.
    """
    outcome = progress.outcomes(portfolio, as_of)
    observed = {"cost": outcome["log_cost_ratio"].to_numpy(),
                "duration": outcome["log_duration_ratio"].to_numpy()}
    prior = model.prior_predictive(outcome, samples=samples, seed=seed)
    post = model.predict(outcome, seed=seed)
    keep = np.random.default_rng(seed).permutation(post[0].shape[1])[:samples]
    return {"observed": observed,
            "prior": {"cost": prior[0], "duration": prior[1]},
            "posterior": {"cost": post[0][:, keep], "duration": post[1][:, keep]}}


def drivers(portfolio: Portfolio | None = None, as_of=None, *, model: ForecastModel | None = None,
            draws: int = 1000, seed: int = 0, refit: bool = False, store=None) -> pd.DataFrame:
    """Which characteristics predict overruns, in ratio terms with credible intervals.

    Rows: each category's median ratio for a project of typical size and
    planned duration (``project_p10/p90``: the spread of individual projects
    like it), then the effect of each covariate as a multiplier on the ratio
    (per doubling of budget or planned duration, ``mandatory`` yes vs no,
    scope growth per 10 percentage points, per approved change, other
    numeric attributes per standard deviation). Columns ``kind, effect,
    target, mean, median, ci80_low, ci80_high, ci95_low, ci95_high`` and
    ``clear`` (the 95 % interval excludes 1: :func:`clear_effect`).
    """
    if model is None:
        if portfolio is None:
            raise ValueError("drivers needs a portfolio or a fitted model")
        model = fit_reference_class(portfolio, as_of, draws=draws, seed=seed, refit=refit,
                                    store=store)
    design = model.design
    alpha, beta = model.draws("alpha"), model.draws("beta")
    scale, nu = np.exp(model.draws("log_scale")), model.draws("nu")
    rng = np.random.default_rng(seed)
    t = rng.standard_t(nu[:, None], size=(len(nu), 2))
    rows = []
    for k, target in enumerate(("cost", "duration")):
        for i, cat in enumerate(design.categories):
            project = np.exp(alpha[:, i, k] + scale[:, i, k] * t[:, k])
            rows.append(_row("category", cat, target, np.exp(alpha[:, i, k]))
                        | {"project_p10": np.quantile(project, 0.1),
                           "project_p90": np.quantile(project, 0.9)})
        for j, (name, spread) in enumerate(zip(design.covariates, design.spread, strict=True)):
            if name in ("log_budget", "log_planned_days"):
                label = "budget x2" if name == "log_budget" else "planned duration x2"
                effect = np.exp(beta[:, j, k] * np.log(2.0) / spread)
            elif name == "mandatory":
                label, effect = "mandatory (yes vs no)", np.exp(beta[:, j, k])
            elif name == "scope_growth":  # growth is a fraction: 0.10 = 10 points
                label = "scope growth +10 points"
                effect = np.exp(beta[:, j, k] * SCOPE_STEP / spread)
            elif name == "approved_changes":
                label, effect = "each approved change", np.exp(beta[:, j, k] / spread)
            else:
                label, effect = f"{name} +1 SD ({spread:.3g})", np.exp(beta[:, j, k])
            rows.append(_row("covariate", label, target, effect))
    return pd.DataFrame(rows)


def _row(kind: str, effect: str, target: str, values: np.ndarray) -> dict:
    q = np.quantile(values, [0.5, 0.1, 0.9, 0.025, 0.975])
    return {"kind": kind, "effect": effect, "target": target, "mean": float(np.mean(values)),
            "median": q[0], "ci80_low": q[1], "ci80_high": q[2], "ci95_low": q[3],
            "ci95_high": q[4], "clear": clear_effect(q[3], q[4])}


def clear_effect(ci95_low: float, ci95_high: float) -> bool:
    """Whether a multiplier is a driver: its 95 % credible interval excludes 1 (no effect).

    The one rule: :func:`describe_drivers` claims an effect only where this
    holds and says "no clear effect" everywhere else. The 95 % interval, not
    the 80 % one: a covariate that does nothing has its 80 % interval miss 1
    one time in five, so with three covariates and two targets an 80 % rule
    would claim 1.2 false drivers per fit on average; the 95 % rule 0.3.
    """
    return bool(ci95_low > 1 or ci95_high < 1)


def _pct(ratio: float) -> str:
    return f"{abs(ratio - 1) * 100:.0f}%"


def describe_drivers(table: pd.DataFrame) -> list[str]:
    """The drivers table in plain words, one sentence per row.

    e.g. "IT projects overrun their budget by a median 25% (80% credible
    interval 5% to 60%)." or "scope growth +10 points: multiplies the cost
    ratio by 1.08 (posterior mean; 80% credible interval 1.07 to 1.09, 95%
    1.06 to 1.10)." A covariate whose 95% interval includes 1 is never
    claimed: its sentence ends "(no clear effect)" (:func:`clear_effect`).
    """
    words = {"cost": ("overrun their budget by", "come in under budget by", "the cost ratio"),
             "duration": ("take longer than planned by", "finish early by",
                          "the duration ratio")}
    lines = []
    for row in table.itertuples(index=False):
        more, less, ratio = words[row.target]
        lo, hi = (f"{v - 1:+.0%}" for v in (row.ci80_low, row.ci80_high))
        if row.kind == "category":
            verb = more if row.median >= 1 else less
            text = (f"{row.effect} projects {verb} a median {_pct(row.median)} "
                    f"(80% credible interval {lo} to {hi})")
            if hasattr(row, "project_p90") and not pd.isna(row.project_p90):
                text += (f"; one such project in ten lands beyond {row.project_p90 - 1:+.0%}")
            lines.append(text + ".")
        else:
            clear = "" if clear_effect(row.ci95_low, row.ci95_high) else " (no clear effect)"
            mean = getattr(row, "mean", None)  # tables saved before it had a mean: the median
            by, what = ((row.median, "") if mean is None or pd.isna(mean)
                        else (mean, "posterior mean; "))
            lines.append(f"{row.effect}: multiplies {ratio} by {by:.2f} ({what}80% credible "
                         f"interval {row.ci80_low:.2f} to {row.ci80_high:.2f}, 95% "
                         f"{row.ci95_low:.2f} to {row.ci95_high:.2f}){clear}.")
    return lines

"""Proof of calibration: re-forecast closed projects from their own past.

Every completed project is looked at as it stood at 25 %, 50 % and 75 % of its
planned duration (its latest status update by then) and forecast by a model
fitted only on projects that had *finished before then*, so nothing from the
future leaks in. The forecasts are scored against what really happened, next
to the two methods PMOs use today: EAC = BAC / CPI (and planned duration /
SPI for time) and the category's median uplift.

Refitting for every snapshot date would mean hundreds of fits. Snapshot dates
are grouped into cut-off epochs instead (yearly by default, ``epoch="YS"``):
one fit per epoch, trained on projects finished before the epoch starts, and
used for every snapshot inside it. A forecast may thus ignore up to a year of
the most recent closures, which makes the backtest slightly pessimistic,
never optimistic.

Where the portfolio keeps requirements or change requests, scope growth and
the number of approved changes are covariates of the model
(:mod:`pmo_nb.forecast.governance_covariates`): a training project is then
measured at its epoch's cut-off and a re-forecast project at its snapshot
date, never later. Each epoch is also fitted without them, and the scorecard
gains the method ``bayes_no_governance``, so :func:`governance_effect` can
say whether they helped.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from pmo_nb import __version__
from pmo_nb.forecast import progress as progress
from pmo_nb.forecast.governance_covariates import governance_columns, with_governance
from pmo_nb.forecast.model import (
    DEFAULT_MODEL_CONFIG,
    DEFAULT_SAMPLER_CONFIG,
    MODEL_VERSION,
    ForecastModel,
)
from pmo_nb.forecast.model import data_checksum as _checksum
from pmo_nb.forecast.stored import BACKTEST_KIND
from pmo_nb.portfolio import Portfolio

METHODS = ("bayes", "bac_cpi", "uplift")
#: The Bayesian forecast refitted without the governance covariates (for comparison only).
WITHOUT_GOVERNANCE = "bayes_no_governance"
#: Relative changes of the errors below this count as no material difference.
MATERIAL = 0.01
#: Kind under which :func:`persisted_backtest` keeps scorecards (name: the as-of date).
_Q = (0.1, 0.5, 0.9)
_SCORE_COLUMNS = ["at", "method", "n", "coverage_cost", "coverage_duration", "p50_error_cost",
                  "p50_error_duration", "brier_over_budget", "brier_late"]


#: Where an 80% interval's coverage should land in the backtest (a calibrated
#: interval holds about 80% of outcomes; the band allows for sampling noise).
COVERAGE_BAND = (0.72, 0.88)

def coverage(actual, low, high) -> float:
    """Share of ``actual`` values inside ``[low, high]`` (NaN when no interval)."""
    actual, low, high = (np.asarray(v, dtype="float64") for v in (actual, low, high))
    if not len(actual) or np.isnan(low).all():
        return float("nan")
    return float(np.mean((actual >= low) & (actual <= high)))


def brier(prob, outcome) -> float:
    """Brier score: mean squared difference between a probability and the 0/1 outcome."""
    prob = np.asarray(prob, dtype="float64")
    return float(np.mean((prob - np.asarray(outcome, dtype="float64")) ** 2)) if len(prob) \
        else float("nan")


def median_abs_log_error(predicted_log, actual_log) -> float:
    """Median absolute error of log ratios (0.1 = about 10 % off)."""
    err = np.abs(np.asarray(predicted_log, dtype="float64") - np.asarray(actual_log, "float64"))
    return float(np.median(err)) if len(err) else float("nan")


def _epochs(dates: pd.Series, epoch: str) -> pd.Series:
    """The cut-off (epoch start) each date falls in."""
    first = pd.Timestamp(dates.min()).to_period("Y").start_time
    cuts = pd.date_range(first, dates.max(), freq=epoch)
    if not len(cuts) or cuts[0] > first:
        cuts = cuts.insert(0, first)
    pos = np.searchsorted(cuts.to_numpy(), dates.to_numpy(), side="right") - 1
    return pd.Series(cuts[pos], index=dates.index)


def backtest_predictions(portfolio: Portfolio, at=(0.25, 0.5, 0.75), *, draws: int = 500,
                         seed: int = 0, epoch: str = "YS", min_train: int = 30,
                         sampler_config: dict | None = None, as_of=None,
                         model_config: dict | None = None) -> pd.DataFrame:
    """Every snapshot's forecast by every method, next to the true outcome.

    Parameters
    ----------
    portfolio : Portfolio
    at : sequence of float
        Shares of the planned duration at which projects are re-forecast.
    draws : int
        Posterior draws per chain of each epoch's fit.
    epoch : str
        Pandas frequency of the cut-off epochs (one fit each).
    min_train : int
        Snapshots of an epoch with fewer completed projects before it are
        skipped (there is no reference class yet).
    as_of : date-like, optional
        Only projects finished, and readings taken, by then (default: all).

    Returns
    -------
    pandas.DataFrame
        One row per project, ``at`` and method: ``project_id, at, epoch,
        method, actual_cost, actual_duration`` (log ratios), ``cost_p10,
        cost_p50, cost_p90, duration_p10, duration_p50, duration_p90`` (log
        ratios; NaN where a method gives no interval), ``p_over_budget,
        p_late``.
    """
    outcome = progress.outcomes(portfolio, as_of)
    reading = progress.readings(portfolio, as_of)
    extras = progress.model_covariates(portfolio)
    governance = governance_columns(portfolio)
    snaps = pd.concat([progress.snapshots_at(outcome, reading, f).assign(at=float(f))
                       for f in at])
    if snaps.empty:
        return _empty()
    snaps["epoch"] = _epochs(snaps["snapshot_date"], epoch)
    sampler = DEFAULT_SAMPLER_CONFIG | (sampler_config or {}) | {"draws": int(draws)}
    model_cfg = DEFAULT_MODEL_CONFIG | (model_config or {})
    frames = []
    for k, (cut, group) in enumerate(snaps.groupby("epoch")):
        train = outcome[outcome["actual_finish_date"] < cut]
        if len(train) < min_train:
            continue
        train = with_governance(train, portfolio, cut, governance)
        train_snaps = progress.training_snapshots(
            train, reading[reading["as_of"] < cut],
            model_cfg["max_snapshots_per_project"])
        model = ForecastModel(sampler, model_cfg).fit(train, train_snaps, extras=extras,
                                                      seed=seed + k)
        rows = group.join(outcome.drop(columns=["actual_cost"]))
        rows = with_governance(rows, portfolio, rows["snapshot_date"], governance)
        frames.append(_score_rows(rows, model, train, seed + k))
        if governance:  # the same epoch without them: did they help?
            plain = ForecastModel(sampler, model_cfg).fit(
                train, train_snaps, extras=[e for e in extras if e not in governance],
                seed=seed + k)
            frames.append(_bayes_rows(_base_rows(rows), rows, plain, seed + k).assign(
                method=WITHOUT_GOVERNANCE))
    return pd.concat(frames, ignore_index=True) if frames else _empty()


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["project_id", "at", "epoch", "method", "actual_cost",
                                 "actual_duration", "cost_p10", "cost_p50", "cost_p90",
                                 "duration_p10", "duration_p50", "duration_p90",
                                 "p_over_budget", "p_late"])


def _base_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """What every method's rows share: the snapshot and the true outcome."""
    return pd.DataFrame({"project_id": rows.index, "at": rows["at"].to_numpy(),
                         "epoch": rows["epoch"].to_numpy(),
                         "actual_cost": rows["log_cost_ratio"].to_numpy(),
                         "actual_duration": rows["log_duration_ratio"].to_numpy()})


def _bayes_rows(base: pd.DataFrame, rows: pd.DataFrame, model: ForecastModel,
                seed: int) -> pd.DataFrame:
    """The fitted model's quantiles and probabilities for the snapshots ``rows``."""
    y_c, y_d = model.predict(rows, seed=seed)
    bayes = base.assign(method="bayes", p_over_budget=(y_c > 0).mean(1), p_late=(y_d > 0).mean(1))
    for name, draws in (("cost", y_c), ("duration", y_d)):
        for q, values in zip(_Q, np.quantile(draws, _Q, axis=1), strict=True):
            bayes[f"{name}_p{round(q * 100)}"] = values
    return bayes


def _score_rows(rows: pd.DataFrame, model: ForecastModel, train: pd.DataFrame,
                seed: int) -> pd.DataFrame:
    """The three methods' forecasts for one epoch's snapshots."""
    base = _base_rows(rows)
    bayes = _bayes_rows(base, rows, model, seed)

    r_cost = rows["r_cost"].fillna(0.0).to_numpy()
    r_sched = rows["r_schedule"].fillna(0.0).to_numpy()
    evm = base.assign(method="bac_cpi", cost_p50=r_cost, duration_p50=r_sched,
                      p_over_budget=(r_cost > 0).astype(float),
                      p_late=(r_sched > 0).astype(float))

    uplift = base.assign(method="uplift")
    by_cat = train.groupby("category")
    for name, col in (("cost", "log_cost_ratio"), ("duration", "log_duration_ratio")):
        for q in _Q:
            overall = train[col].quantile(q)
            per = by_cat[col].quantile(q).where(by_cat.size() >= 5)
            uplift[f"{name}_p{round(q * 100)}"] = rows["category"].map(per).fillna(
                overall).to_numpy()
        share = (train[col] > 0).groupby(train["category"]).mean().where(by_cat.size() >= 5)
        event = "p_over_budget" if name == "cost" else "p_late"
        uplift[event] = rows["category"].map(share).fillna((train[col] > 0).mean()).to_numpy()
    return pd.concat([bayes, evm, uplift], ignore_index=True)


def score(predictions: pd.DataFrame) -> pd.DataFrame:
    """The scorecard: one row per ``at`` and method.

    Columns ``n, coverage_cost, coverage_duration`` (share of outcomes inside
    p10-p90), ``p50_error_cost, p50_error_duration`` (median absolute log
    error), ``brier_over_budget, brier_late`` and ``cost_error_vs_bac_cpi``
    (p50 cost error relative to BAC/CPI's at the same point: 0.7 = 30 % lower).
    """
    rows = []
    for (at, method), g in predictions.groupby(["at", "method"], sort=True):
        rows.append({
            "at": at, "method": method, "n": len(g),
            "coverage_cost": coverage(g["actual_cost"], g["cost_p10"], g["cost_p90"]),
            "coverage_duration": coverage(g["actual_duration"], g["duration_p10"],
                                          g["duration_p90"]),
            "p50_error_cost": median_abs_log_error(g["cost_p50"], g["actual_cost"]),
            "p50_error_duration": median_abs_log_error(g["duration_p50"], g["actual_duration"]),
            "brier_over_budget": brier(g["p_over_budget"], g["actual_cost"] > 0),
            "brier_late": brier(g["p_late"], g["actual_duration"] > 0),
        })
    card = pd.DataFrame(rows, columns=_SCORE_COLUMNS)
    if card.empty:
        return card.assign(cost_error_vs_bac_cpi=pd.Series(dtype="float64")).set_index(
            ["at", "method"])
    ref = card[card["method"] == "bac_cpi"].set_index("at")["p50_error_cost"]
    card["cost_error_vs_bac_cpi"] = card["p50_error_cost"] / card["at"].map(ref)
    order = {m: i for i, m in enumerate((*METHODS, WITHOUT_GOVERNANCE))}
    card = card.sort_values(["at", "method"], key=lambda s: s.map(order) if s.name == "method"
                            else s)
    return card.set_index(["at", "method"])


def backtest(portfolio: Portfolio, at=(0.25, 0.5, 0.75), *, draws: int = 500, seed: int = 0,
             epoch: str = "YS", min_train: int = 30,
             sampler_config: dict | None = None, as_of=None,
             model_config: dict | None = None) -> pd.DataFrame:
    """Re-forecast every completed project from its past and score the forecasts.

    See :func:`backtest_predictions` for the parameters and :func:`score` for
    the scorecard's columns. Targets: 80 % interval coverage within 72-88 %,
    and p50 cost error at least 30 % below BAC/CPI's.
    """
    preds = backtest_predictions(portfolio, at, draws=draws, seed=seed, epoch=epoch,
                                 min_train=min_train, sampler_config=sampler_config, as_of=as_of,
                                 model_config=model_config)
    card = score(preds)
    card.attrs = {"epochs": int(preds["epoch"].nunique()) if len(preds) else 0,
                  "snapshots": int((preds["method"] == "bayes").sum()) if len(preds) else 0,
                  "epoch": epoch, "governance_covariates": governance_columns(portfolio)}
    effect = governance_effect(card)
    if effect is not None:
        card.attrs["governance_verdict"] = effect.attrs["verdict"]
    return card


def governance_effect(card: pd.DataFrame) -> pd.DataFrame | None:
    """Did scope growth and approved changes help the forecast? ``None`` when not compared.

    Compares the scorecard's ``bayes`` rows (with the governance covariates)
    with its ``bayes_no_governance`` rows (the same epochs fitted without
    them), snapshot point by point. Returns one row per ``at`` and an
    ``"all"`` row (means over the points) with ``<measure>_with``,
    ``<measure>_without`` for the 80 % coverage of cost and the median p50
    error and Brier score of cost and duration, and ``attrs["verdict"]`` from
    the relative change of each of those four (``attrs["changes"]``; a move
    smaller than :data:`MATERIAL` counts as none): ``"helped"`` when some fell
    and none rose, ``"hurt"`` when some rose and none fell, ``"mixed"`` when
    some fell and others rose, else ``"no material difference"``.
    """
    if card is None or card.empty:
        return None
    c = card.reset_index() if "method" not in card.columns else card
    if WITHOUT_GOVERNANCE not in set(c["method"]):
        return None
    measures = ["coverage_cost", "coverage_duration", "p50_error_cost", "p50_error_duration",
                "brier_over_budget", "brier_late"]
    with_ = c[c["method"] == "bayes"].set_index("at")[measures]
    without = c[c["method"] == WITHOUT_GOVERNANCE].set_index("at")[measures]
    both = with_.merge(without, left_index=True, right_index=True,
                       suffixes=("_with", "_without"))
    both.loc["all"] = both.mean()
    total = both.loc["all"]

    changes = {}
    for name in ("p50_error_cost", "p50_error_duration", "brier_over_budget", "brier_late"):
        w, wo = total[f"{name}_with"], total[f"{name}_without"]
        changes[name] = float((w - wo) / wo) if wo else 0.0
    better = [v <= -MATERIAL for v in changes.values()]
    worse = [v >= MATERIAL for v in changes.values()]
    if any(better) and any(worse):
        verdict = "mixed"
    elif any(better):
        verdict = "helped"
    elif any(worse):
        verdict = "hurt"
    else:
        verdict = "no material difference"
    both.attrs = {"verdict": verdict, "changes": changes}
    return both


def backtest_key(portfolio: Portfolio, at=(0.25, 0.5, 0.75), *, draws: int = 500, seed: int = 0,
                 epoch: str = "YS", min_train: int = 30, sampler_config: dict | None = None,
                 as_of=None) -> dict:
    """What a backtest depends on: the data checksum and the configuration (JSON-able)."""
    outcome = progress.outcomes(portfolio, as_of)
    reading = progress.readings(portfolio, as_of)
    reading = reading[reading["project_id"].isin(outcome.index)]
    config = {"at": [float(a) for a in at], "draws": int(draws), "seed": int(seed),
              "epoch": epoch, "min_train": int(min_train),
              "sampler": DEFAULT_SAMPLER_CONFIG | (sampler_config or {}),
              "model": DEFAULT_MODEL_CONFIG}
    # the governance covariates are measured at every cut-off and snapshot date: the
    # whole history of requirements and decisions counts, not only its state at as_of
    history = [getattr(portfolio, t) for t in ("requirements", "change_requests")
               if governance_columns(portfolio)]
    return {"data_checksum": _checksum(outcome, reading, *history),
            "config": json.dumps(config, sort_keys=True),
            "model_version": MODEL_VERSION, "package_version": __version__}


def persisted_backtest(portfolio: Portfolio, store, name: str, at=(0.25, 0.5, 0.75), *,
                       draws: int = 500, seed: int = 0, refit: bool = False, epoch: str = "YS",
                       min_train: int = 30, sampler_config: dict | None = None,
                       as_of=None) -> pd.DataFrame:
    """:func:`backtest`, reusing a stored scorecard of the same data and configuration.

    Looks through the scorecards kept under kind :data:`BACKTEST_KIND` for one
    whose data checksum and configuration match (whatever its name); runs the
    backtest only when none does or ``refit``. The result is saved as
    ``name`` (typically the as-of date) unless it is already stored there, so a
    report that never samples (the quarterly review) can show it.
    ``attrs["reused"]`` says whether it came from the store.
    """
    key = backtest_key(portfolio, at, draws=draws, seed=seed, epoch=epoch, min_train=min_train,
                       sampler_config=sampler_config, as_of=as_of)
    if not refit:
        found = store.list_results(BACKTEST_KIND)
        for row in found.itertuples(index=False) if len(found) else ():
            attrs = row.attrs or {}
            if all(attrs.get(k) == v for k, v in key.items()):
                frame = store.load_result(BACKTEST_KIND, row.name)[0]
                if frame is None:
                    continue
                card = (frame.set_index(["at", "method"])
                        if {"at", "method"} <= set(frame.columns) else frame)
                card.attrs = dict(attrs) | {"reused": True, "stored_as": row.name}
                if row.name != name:
                    store.save_result(BACKTEST_KIND, name, frame=frame, attrs=attrs)
                return card
    card = backtest(portfolio, at, draws=draws, seed=seed, epoch=epoch, min_train=min_train,
                    sampler_config=sampler_config, as_of=as_of)
    attrs = key | dict(card.attrs)
    store.save_result(BACKTEST_KIND, name, frame=card.reset_index(), attrs=attrs)
    card.attrs = attrs | {"reused": False, "stored_as": name}
    return card

"""The forecast's fit and its calibration scorecard in plain words, with their numbers."""

from __future__ import annotations

import pandas as pd

from pmo_nb.forecast.calibration import COVERAGE_BAND, governance_effect, persisted_backtest
from pmo_nb.forecast.model import ForecastModel
from pmo_nb.forecast.stored import stored_backtest

#: The target for the median p50 cost error relative to BAC/CPI's.
MAX_COST_ERROR = 0.70


def describe_fit(model: ForecastModel, forecast_count: int, seconds: float, day: str) -> str:
    """Where the forecast of ``day`` came from: the reference class, reuse or a new fit."""
    attrs = model.idata.attrs
    how = ("reused from the store (same data and settings; nothing was sampled)"
           if getattr(model, "reused", False)
           else f"fitted now in {seconds:.0f} s and saved to the store")
    return (
        f"**Reporting date:** {day} &nbsp; **Active projects forecast:** {forecast_count} "
        f"&nbsp; **Reference class:** {attrs['n_projects']} completed projects, "
        f"{attrs['n_snapshots']} progress snapshots  \n"
        f"**Model:** {how}; fitted at {attrs['fitted_at']}, data checksum "
        f"`{attrs['data_checksum']}`. Results are kept in the store as kind `forecast_model` "
        f"(`reference_class`) and `forecast` (`{day}`).")


def report_scorecard(portfolio, store, day: str, *, run: bool, at=(0.25, 0.5, 0.75),
                     draws: int = 500, seed: int = 0, as_of=None, sampler_config=None,
                     epoch: str = "YS") -> tuple[pd.DataFrame | None, str]:
    """The backtest scorecard a report shows, and a sentence saying where it came from.

    ``run``: run (or reuse a stored run of the same data and settings) and save
    it as ``day``; otherwise show the latest stored on or before ``day``.
    ``epoch``: the cut-off epochs' frequency (one fit each, see
    :func:`pmo_nb.forecast.calibration.backtest_predictions`).
    """
    if run:
        card = persisted_backtest(portfolio, store, day, at, draws=draws, seed=seed,
                                  as_of=as_of, sampler_config=sampler_config, epoch=epoch)
        source = ("reused from the store (same data and settings)" if card.attrs.get("reused")
                  else "run now")
        return card, f"Backtest {source}; saved as kind `backtest`, name `{day}`."
    stored = stored_backtest(store, day)
    if stored.available and "method" in stored.table:
        return (stored.table.set_index(["at", "method"]),
                f"Backtest not run (`backtest=False`); showing the one stored as "
                f"`{stored.name}`.")
    return None, ""


def describe_scorecard(card: pd.DataFrame | None) -> list[str]:
    """One line per snapshot point of the Bayesian method, against the targets."""
    if card is None or card.empty:
        return ["No backtest scorecard: too few completed projects had finished before the "
                "snapshot dates to fit a reference class on, or the backtest was not run."]
    lo, hi = COVERAGE_BAND
    lines = []
    for at, row in card.xs("bayes", level="method").iterrows():
        ok = "within" if lo <= row["coverage_cost"] <= hi else "OUTSIDE"
        lines.append(
            f"- At {at:.0%} of planned duration ({int(row['n'])} projects): the 80% cost "
            f"interval held {row['coverage_cost']:.0%} of outcomes ({ok} the {lo:.0%}-{hi:.0%} "
            f"target), duration {row['coverage_duration']:.0%}; median p50 cost error "
            f"{row['cost_error_vs_bac_cpi']:.0%} of BAC/CPI's (target <= "
            f"{MAX_COST_ERROR:.0%}); Brier over budget {row['brier_over_budget']:.3f}.")
    return lines + describe_governance_effect(card)


#: How :func:`describe_governance_effect` words each verdict of :func:`governance_effect`.
_VERDICT_WORDS = {"helped": "helped", "hurt": "made the forecast worse",
                  "mixed": "gave a mixed result",
                  "no material difference": "made no material difference"}


def describe_governance_effect(card: pd.DataFrame | None) -> list[str]:
    """Whether scope growth and approved changes helped the forecast, with the figures.

    Empty when the backtest did not compare (the portfolio keeps neither
    requirements nor change requests); otherwise one line with the verdict
    and the means over the snapshot points, with and without them.
    """
    effect = governance_effect(card)
    if effect is None:
        return []
    a = effect.loc["all"]
    return [
        f"- Scope growth and approved changes as covariates "
        f"{_VERDICT_WORDS[effect.attrs['verdict']]} in the backtest (each epoch refitted "
        f"without them; means over the snapshot points, with vs without): median p50 cost "
        f"error {a['p50_error_cost_with']:.3f} vs {a['p50_error_cost_without']:.3f}, duration "
        f"{a['p50_error_duration_with']:.3f} vs {a['p50_error_duration_without']:.3f}; Brier "
        f"over budget {a['brier_over_budget_with']:.3f} vs {a['brier_over_budget_without']:.3f}, "
        f"late {a['brier_late_with']:.3f} vs {a['brier_late_without']:.3f}; 80% cost interval "
        f"coverage {a['coverage_cost_with']:.0%} vs {a['coverage_cost_without']:.0%}."]

"""The scales the ranked insights share: strategic weight, chance of overrun, importance.

:mod:`pmo_nb.briefings.insights` (and its governance rows, and the digests)
rank every finding on one money scale::

    importance = money at stake x probability x (1 + strategic weight)

These are the pieces of that formula; the module docstring of
:mod:`pmo_nb.briefings.insights` says what each kind puts at stake.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.briefings.insights_text import split_headline
from pmo_nb.portfolio import Portfolio
from pmo_nb.prioritise.scoring import objective_weights

_Z90 = 1.2815515655446004


def strategic_weights(portfolio: Portfolio) -> pd.Series:
    """Each project's alignment with the weighted objectives, in [0, 1] (0 when unaligned)."""
    ids = portfolio.projects["project_id"].astype("str")
    if portfolio.objectives.empty or portfolio.alignment.empty:
        return pd.Series(0.0, index=ids)
    w = objective_weights(portfolio)
    a = portfolio.alignment
    part = a["score"].astype(float) / 5.0 * a["objective_id"].map(w).fillna(0.0).to_numpy()
    out = part.groupby(a["project_id"].astype("str")).sum()
    return out.reindex(ids).fillna(0.0).clip(0.0, 1.0)


def p_ratio_above(threshold: float, p10, p50, p90) -> np.ndarray:
    """P(ratio > threshold) from a ratio's P10/P50/P90 (two-piece lognormal through them)."""
    from scipy.special import ndtr  # lazy: SciPy loads only when this function runs

    lo, mid, hi = (np.log(np.asarray(v, dtype="float64")) for v in (p10, p50, p90))
    t = np.log(threshold)
    scale = np.where(t >= mid, hi - mid, mid - lo) / _Z90
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, (t - mid) / np.where(scale > 0, scale, 1.0),
                     np.where(t >= mid, np.inf, -np.inf))
    return 1.0 - ndtr(z)


def row(kind, headline, recommendation, evidence, money_, prob, weight, projects,
        claim: str | None = None) -> dict:
    """One row of the insights table, its importance = money x probability x (1 + weight).

    ``claim``: the headline's leading claim, where it quotes store text (a name
    may hold a colon); else the headline's part before its first separator.
    """
    claim = claim if claim is not None else split_headline(headline)[0].rstrip(".")
    return {"kind": kind, "headline": headline, "claim": claim,
            "recommendation": recommendation,
            "evidence": evidence, "money_at_stake": float(money_), "probability": float(prob),
            "strategic_weight": float(weight), "projects": list(projects),
            "importance": float(money_) * float(prob) * (1.0 + float(weight))}


def mean_weight(weights: pd.Series, ids, amounts) -> float:
    """The strategic weight of several projects: their mean weighted by ``amounts`` (money)."""
    amounts = np.asarray(amounts, dtype="float64")
    w = weights.reindex(list(ids)).fillna(0.0).to_numpy()
    return float(np.average(w, weights=amounts)) if amounts.sum() > 0 else float(w.mean())

"""Decision confidence: how stable is the selection when the judgements move a little?

Objective weights and alignment scores are judgements. :func:`decision_confidence`
redraws them many times around the stated values (Dirichlet weights,
normally perturbed scores), re-optimises each time with the same constraints,
and reports for every candidate how often it is funded and how often it ranks
in the top k: safe bets, coin flips and never-funded projects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from pmo_nb.portfolio import Portfolio
from pmo_nb.prioritise.highs_solver import Solver
from pmo_nb.prioritise.reduced_cost import ReducedCostSolver
from pmo_nb.prioritise.scoring import (
    MAX_ALIGNMENT,
    VFM_UNIT,
    alignment_matrix,
    objective_weights,
    rank_scores,
    score,
)
from pmo_nb.prioritise.selection_model import SelectionModel, build_model, check_feasible

#: Thresholds on P(selected) for the labels.
SAFE_BET, NEVER_FUNDED = 0.9, 0.1


def _count_selected(job) -> np.ndarray:
    """How often each candidate is in the optimum over rows of objective values.

    Every draw is solved exactly, by reduced-cost fixing against the optima
    already found (:class:`~pmo_nb.prioritise.reduced_cost.ReducedCostSolver`;
    ``known`` seeds it with the stated optimum).
    """
    model, values, budget, known = job
    solver = ReducedCostSolver(model, budget, known=[known])
    counts = np.zeros(len(model.ids))
    for row in values:
        counts += solver.solve(row)[0]
    return counts


def draw_scores(portfolio: Portfolio, model: SelectionModel, *, draws: int,
                concentration: float = 50.0, score_noise: float = 0.5,
                seed: int = 0, method: str = "weighted",
                weights: Mapping[str, float] | None = None) -> np.ndarray:
    """The perturbed scores, one row per draw, columns in ``model.ids`` order.

    Weights ~ Dirichlet(concentration x stated weights) for all draws first, then
    per draw Normal(0, score_noise) on every stated alignment score, clipped to
    0..5, re-scored by ``method`` (see :func:`decision_confidence`).
    """
    ids = model.ids
    w = objective_weights(portfolio, weights)
    w = w[w > 0]
    align = alignment_matrix(portfolio, ids, list(w.index)).to_numpy()
    stated = ~np.isnan(align)  # unstated pairs stay 0: no noise on what nobody judged
    align = np.nan_to_num(align)
    per_money = (VFM_UNIT / model.cost) if method == "value_for_money" else np.ones(len(ids))
    rng = np.random.default_rng(seed)
    drawn_weights = rng.dirichlet(concentration * w.to_numpy(), size=draws)
    values = np.empty((draws, len(ids)))
    for d in range(draws):
        noise = rng.normal(0.0, score_noise, size=align.shape) * stated
        noisy = np.clip(align + noise, 0.0, MAX_ALIGNMENT)
        values[d] = 100.0 * (noisy @ drawn_weights[d]) / MAX_ALIGNMENT * per_money
    return values


def confidence_label(p: float) -> str:
    """``safe bet`` (p >= 0.9), ``never funded`` (p <= 0.1), else ``coin flip``."""
    if p >= SAFE_BET:
        return "safe bet"
    if p <= NEVER_FUNDED:
        return "never funded"
    return "coin flip"


def decision_confidence(portfolio: Portfolio, budget: float, *, draws: int = 1000,
                        concentration: float = 50.0, score_noise: float = 0.5,
                        k: int | None = None, seed: int = 0, method: str = "weighted",
                        weights: Mapping[str, float] | None = None, capacity: bool = True,
                        forced_in: Iterable[str] = (),
                        forced_out: Iterable[str] = (), n_jobs: int = 1) -> pd.DataFrame:
    """P(selected) and P(rank <= k) per candidate under plausible judgement noise.

    Each draw: objective weights ~ Dirichlet(concentration x stated normalised
    weights) (objectives weighted 0 stay 0; larger concentration = tighter
    around the stated weights), every stated alignment score + Normal(0, score_noise)
    clipped to 0..5; then re-score, re-rank and re-optimise exactly (same
    budget, capacity, dependency and forced rules as
    :func:`pmo_nb.select_portfolio`). The constraint matrix is built once;
    only the objective changes per draw. All randomness comes from
    ``numpy.random.default_rng(seed)``, so a seed reproduces the table exactly.

    Parameters
    ----------
    portfolio : Portfolio
    budget : float
    draws : int
        Number of re-optimisations.
    concentration : float
        Dirichlet concentration (> 0).
    score_noise : float
        Standard deviation of the alignment-score noise (>= 0), in score points.
    k : int, optional
        Rank cut for ``p_rank_le_k``; default the size of the stated optimal selection.
    seed : int
    method : {"weighted", "value_for_money"}
        The methods built on weights and alignment.
    weights, capacity, forced_in, forced_out
        As for :func:`pmo_nb.select_portfolio`.
    n_jobs : int
        Worker processes for the re-optimisations (the draws are made first,
        in this process, so the result does not depend on ``n_jobs``).

    Returns
    -------
    pandas.DataFrame
        Indexed by project_id in stated-rank order: ``score``, ``rank``,
        ``selected`` (stated optimum), ``p_selected``, ``p_rank_le_k``,
        ``median_rank`` and ``label`` (``safe bet``/``coin flip``/``never
        funded``). ``attrs`` records the settings.
    """
    if method not in ("weighted", "value_for_money"):
        raise ValueError("decision_confidence perturbs weights and alignment scores, so method "
                         f"must be 'weighted' or 'value_for_money', not {method!r}")
    if draws < 1 or concentration <= 0 or score_noise < 0:
        raise ValueError("need draws >= 1, concentration > 0 and score_noise >= 0")
    table = score(portfolio, method=method, weights=weights)
    model = build_model(portfolio, table, capacity=capacity,
                        forced_in=forced_in, forced_out=forced_out)
    budget = float(budget)
    check_feasible(model, budget)
    ids = model.ids
    base_values = table["score"].reindex(ids).to_numpy(dtype=float)
    base, _ = Solver(model).solve(base_values, budget)
    k = int(base.sum()) if k is None else int(k)

    values = draw_scores(portfolio, model, draws=draws, concentration=concentration,
                         score_noise=score_noise, seed=seed, method=method, weights=weights)
    ranks = np.vstack([rank_scores(row, ids) for row in values])
    top_k = (ranks <= k).sum(axis=0)
    if n_jobs > 1 and draws > 1:
        chunks = np.array_split(values, min(n_jobs, draws))
        with ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            picked = sum(pool.map(_count_selected,
                                  [(model, c, budget, base) for c in chunks]))
    else:
        picked = _count_selected((model, values, budget, base))

    out = pd.DataFrame({
        "score": base_values, "rank": table["rank"].reindex(ids).to_numpy(), "selected": base,
        "p_selected": picked / draws, "p_rank_le_k": top_k / draws,
        "median_rank": np.median(ranks, axis=0),
    }, index=pd.Index(ids, name="project_id"))
    out["label"] = [confidence_label(p) for p in out["p_selected"]]
    out = out.sort_values("rank", kind="stable")
    out.attrs = {"budget": budget, "draws": draws, "concentration": concentration,
                 "score_noise": score_noise, "k": k, "seed": seed, "method": method}
    return out

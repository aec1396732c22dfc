"""Rank the candidate projects: weighted scoring, WSJF, RICE and value for money.

Pure functions on a Portfolio. Every method returns the same shape (one row
per candidate, ``score`` and ``rank``, plus the inputs used) so selection, the
notebook and the app can switch method with one argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from pmo_nb.portfolio import Portfolio

#: Stages of the projects competing for money (the default candidates).
CANDIDATE_STAGES = ("proposed", "approved")
METHODS = ("weighted", "wsjf", "rice", "value_for_money")
#: Value for money is weighted score points per this much budget.
VFM_UNIT = 1_000_000.0
WSJF_INPUTS = ("business_value", "time_criticality", "risk_reduction", "job_size")
RICE_INPUTS = ("reach", "impact", "confidence", "effort")
#: The top of the alignment scale (spec: 0 none .. 5 decisive).
MAX_ALIGNMENT = 5.0


def candidates(portfolio: Portfolio, stages: Iterable[str] = CANDIDATE_STAGES) -> pd.DataFrame:
    """The projects in ``stages``, indexed by project_id and sorted by it."""
    projects = portfolio.projects
    out = projects[projects["stage"].isin(list(stages))].set_index("project_id")
    return out.sort_index(kind="stable")


def objective_weights(portfolio: Portfolio,
                      weights: Mapping[str, float] | None = None) -> pd.Series:
    """The objective weights normalised to sum to 1, with overrides applied.

    Parameters
    ----------
    weights : mapping objective_id -> weight, optional
        Replaces the stated weight of each objective it names (e.g. from
        :func:`pmo_nb.ahp_weights` or a slider); objectives it does not name
        keep their stated weight. Weights are relative.

    Raises
    ------
    ValueError
        An unknown objective, a negative weight, or no positive weight.
    """
    stated = portfolio.objectives.set_index("objective_id")["weight"].astype(float)
    if weights is not None:
        override = pd.Series(dict(weights), dtype=float)
        unknown = sorted(set(override.index) - set(stated.index))
        if unknown:
            raise ValueError(f"weights name unknown objectives: {', '.join(map(str, unknown))}")
        stated = stated.copy()
        stated.loc[override.index] = override.to_numpy()
    if stated.isna().any() or (stated < 0).any():
        bad = ", ".join(stated.index[stated.isna() | (stated < 0)])
        raise ValueError(f"objective weights must be >= 0: {bad}")
    if not (stated > 0).any():
        raise ValueError("at least one objective weight must be > 0")
    return (stated / stated.sum()).rename("weight")


def alignment_matrix(portfolio: Portfolio, project_ids: list[str],
                     objective_ids: list[str]) -> pd.DataFrame:
    """Alignment scores as a project x objective frame (NaN where a pair is not stated)."""
    table = portfolio.alignment.pivot_table(
        index="project_id", columns="objective_id", values="score", aggfunc="first"
    )
    return table.reindex(index=project_ids, columns=objective_ids).astype(float)


def _missing(frame: pd.DataFrame, columns: Iterable[str], method: str) -> None:
    """Raise ValueError naming the projects that lack an input of ``method``."""
    columns = list(columns)
    gaps = frame[columns].isna()
    if gaps.any().any():
        lines = [
            f"{pid} ({', '.join(c for c in columns if row[c])})"
            for pid, row in gaps[gaps.any(axis=1)].iterrows()
        ]
        raise ValueError(f"{method} scoring lacks inputs for {len(lines)} project(s): "
                         + "; ".join(lines))


def rank_scores(scores: np.ndarray, project_ids: list[str]) -> np.ndarray:
    """Ranks 1..n, highest score first, ties broken by project_id ascending."""
    order = np.lexsort((np.asarray(project_ids, dtype=object).argsort().argsort(), -scores))
    ranks = np.empty(len(scores), dtype=int)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def _weighted(portfolio: Portfolio, cands: pd.DataFrame, weights) -> pd.DataFrame:
    w = objective_weights(portfolio, weights)
    used = [o for o in w.index if w[o] > 0]
    align = alignment_matrix(portfolio, list(cands.index), list(w.index))
    frame = align.add_prefix("align_")
    # A candidate assessed on some objectives contributes nothing to the others
    # (registers record the pairs that matter); one never assessed is an error.
    assessed = set(portfolio.alignment["project_id"])
    _missing(frame.loc[[p for p in frame.index if p not in assessed]],
             [f"align_{o}" for o in used], "weighted (alignment)")
    values = align[used].fillna(0.0).to_numpy() @ w[used].to_numpy()
    frame["score"] = 100.0 * values / MAX_ALIGNMENT
    frame.attrs["weights"] = w.to_dict()
    return frame


def score(portfolio: Portfolio, method: str = "weighted",
          weights: Mapping[str, float] | None = None,
          stages: Iterable[str] = CANDIDATE_STAGES) -> pd.DataFrame:
    """Score and rank the candidate projects.

    Parameters
    ----------
    portfolio : Portfolio
    method : {"weighted", "wsjf", "rice", "value_for_money"}
        - ``weighted``: sum over objectives of normalised weight x alignment
          score, scaled to 0-100 (100 = a 5 on every objective). A pair
          absent from the alignment table counts as 0 (no contribution); a
          candidate with no alignment row at all is an error.
        - ``wsjf``: (business_value + time_criticality + risk_reduction) / job_size.
        - ``rice``: reach x impact x confidence / effort.
        - ``value_for_money``: the weighted score per 1,000,000 of budget
          (money units, :data:`VFM_UNIT`).
    weights : mapping objective_id -> weight, optional
        Overrides stated objective weights (weighted and value_for_money).
    stages : iterable of str
        Which projects are candidates (default proposed and approved).

    Returns
    -------
    pandas.DataFrame
        Indexed by project_id, sorted by rank: ``score``, ``rank`` (1 = best;
        ties broken by project_id), ``name``, ``stage``, ``budget``,
        ``mandatory`` and the method's inputs (``align_<objective>`` columns
        for weighted scores). ``attrs`` holds ``method``, ``weights`` and ``unit``.

    Raises
    ------
    ValueError
        Unknown method, or candidates missing an input; the message names them.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    cands = candidates(portfolio, stages)
    unit = "points (0-100)"
    if method in ("weighted", "value_for_money"):
        frame = _weighted(portfolio, cands, weights)
        if method == "value_for_money":
            zero = list(cands.index[~(cands["budget"] > 0)])
            if zero:
                raise ValueError("value_for_money needs a budget > 0; not so for: "
                                 + ", ".join(zero))
            frame["weighted_score"] = frame["score"]
            frame["score"] = frame["weighted_score"] / (cands["budget"] / VFM_UNIT)
            unit = "weighted points per 1,000,000 of budget"
    elif method == "wsjf":
        frame = cands[list(WSJF_INPUTS)].astype(float).copy()
        _missing(frame, WSJF_INPUTS, "wsjf")
        frame["score"] = (frame["business_value"] + frame["time_criticality"]
                          + frame["risk_reduction"]) / frame["job_size"]
        unit = "cost of delay per unit of job size"
    else:
        frame = cands[list(RICE_INPUTS)].astype(float).copy()
        _missing(frame, RICE_INPUTS, "rice")
        frame["score"] = (frame["reach"] * frame["impact"] * frame["confidence"]
                          / frame["effort"])
        unit = "reach x impact x confidence per unit of effort"
    frame["rank"] = rank_scores(frame["score"].to_numpy(dtype=float), list(frame.index))
    info = cands[["name", "stage", "budget", "mandatory"]].copy()
    info["mandatory"] = info["mandatory"].fillna(False).astype(bool)
    inputs = [c for c in frame.columns if c not in ("score", "rank")]
    out = pd.concat([frame[["score", "rank"]], info, frame[inputs]], axis=1)
    out.index.name = "project_id"
    out = out.sort_values("rank", kind="stable")
    out.attrs = {"method": method, "weights": frame.attrs.get("weights"), "unit": unit}
    return out

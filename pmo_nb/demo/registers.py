"""Alignment, risks, benefits, resources and dependencies of the demo portfolio.

Helpers of :mod:`pmo_nb.demo.generator`. Each function takes the generator and ``p``,
a dict of per-project arrays (``project_id``, ``cat`` index into
:data:`~pmo_nb.demo.catalogue.CATEGORIES`, ``stage``, ``start``, ``finish``
and ``actual_finish`` day numbers (-1 = none), ``budget``,
``planned_months``, ``sponsor``, ``manager``), and returns plain DataFrames
that :func:`pmo_nb.demo.generator.demo_portfolio` types with ``schema.coerce_types``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.demo.catalogue import (
    AFFINITY,
    KPIS,
    OBJECTIVES,
    PORTFOLIO_RISKS,
    RISKS,
    SPONSORS,
    STRETCHED_TEAMS,
    TEAM_AFFINITY,
    TEAMS,
)
from pmo_nb.demo.history import days_to_dates, expand, month_end_grid, month_number

WITH_REGISTERS = ("proposed", "approved", "active", "on_hold")
_OBJ_IDS = np.array([o[0] for o in OBJECTIVES])


def ids(prefix: str, n: int, width: int = 5) -> np.ndarray:
    """``prefix`` + a zero-padded counter from 1, e.g. R00001."""
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def alignment(rng: np.random.Generator, p: dict) -> pd.DataFrame:
    """Sparse 0-5 scores per project and objective, following the category's affinity.

    Every project scores at least its category's main objective; a few
    pairs are recorded explicitly as 0 (reviewed, no contribution).
    """
    aff = AFFINITY[p["cat"]]
    n, k = aff.shape
    scored = rng.random((n, k)) < 0.08 + 0.7 * aff
    scored[np.arange(n), np.argmax(aff + rng.random((n, k)) * 0.3, axis=1)] = True
    raw = 0.5 + 4.5 * aff * rng.uniform(0.6, 1.1, (n, k)) + rng.normal(0, 0.6, (n, k))
    score = np.where(scored, np.clip(np.round(raw), 1, 5), 0.0)
    keep = scored | (rng.random((n, k)) < 0.04)
    rows, cols = np.nonzero(keep)
    return pd.DataFrame({
        "project_id": p["project_id"][rows],
        "objective_id": _OBJ_IDS[cols],
        "score": score[rows, cols],
    })


def _three_point(rng, likely: np.ndarray, none_rate: float, step: float):
    """Low <= likely <= high around ``likely`` (rounded to ``step``); some rows empty."""
    likely = np.maximum(np.round(likely / step) * step, step)
    low = np.round(likely * rng.uniform(0.3, 0.8, len(likely)) / step) * step
    high = np.round(likely * rng.uniform(1.3, 3.0, len(likely)) / step) * step
    empty = rng.random(len(likely)) < none_rate
    return tuple(np.where(empty, np.nan, v) for v in (low, likely, high))


def risks(rng: np.random.Generator, p: dict) -> pd.DataFrame:
    """About three risks per live project plus a few portfolio-level ones."""
    live = np.flatnonzero(np.isin(p["stage"], WITH_REGISTERS))
    owner, _ = expand(rng.poisson(3.0, len(live)))
    proj = live[owner]
    n_port = max(2, round(0.01 * len(p["project_id"])))
    n_proj = len(proj)
    total = n_proj + n_port

    tpl = rng.integers(0, len(RISKS), n_proj)
    ptpl = np.arange(n_port) % len(PORTFOLIO_RISKS)
    title = np.concatenate([np.array([r[0] for r in RISKS])[tpl],
                            np.array([r[0] for r in PORTFOLIO_RISKS])[ptpl]])
    category = np.concatenate([np.array([r[1] for r in RISKS])[tpl],
                               np.array([r[1] for r in PORTFOLIO_RISKS])[ptpl]])
    mitigation = np.concatenate([np.array([r[2] for r in RISKS])[tpl],
                                 np.array([r[2] for r in PORTFOLIO_RISKS])[ptpl]])
    project_id = np.concatenate([p["project_id"][proj], np.full(n_port, None, dtype=object)])

    exposure = np.concatenate([p["budget"][proj], np.full(n_port, 5.0 * np.median(p["budget"]))])
    cost = _three_point(rng, exposure * rng.lognormal(np.log(0.06), 0.6, total), 0.1, 1000.0)
    delay = _three_point(rng, rng.lognormal(np.log(30), 0.6, total), 0.15, 1.0)
    probability = np.clip(np.round(rng.beta(2.0, 4.0, total), 2), 0.02, 0.95)
    mitigated = np.round(probability * rng.uniform(0.3, 0.85, total), 2)
    mitigated = np.where(rng.random(total) < 0.85, mitigated, np.nan)
    status = rng.choice(["open", "closed", "occurred"], total, p=[0.8, 0.12, 0.08])
    by_manager = rng.random(total) < 0.7
    owner_name = np.where(
        by_manager[:n_proj], p["manager"][proj], p["sponsor"][proj]
    )
    owner_name = np.concatenate([owner_name, np.array(SPONSORS)[np.arange(n_port) % 8]])
    return pd.DataFrame({
        "risk_id": ids("R", total),
        "project_id": project_id,
        "title": title,
        "category": category,
        "probability": probability,
        "cost_low": cost[0], "cost_likely": cost[1], "cost_high": cost[2],
        "delay_low": delay[0], "delay_likely": delay[1], "delay_high": delay[2],
        "status": status,
        "owner": owner_name,
        "mitigation": mitigation,
        "mitigated_probability": mitigated,
    })


def benefits(rng: np.random.Generator, p: dict, as_of_day: int):
    """Benefits of live and recently completed projects, and their measurements.

    Returns ``(benefits, benefit_measurements)``. Measurements are monthly
    from realisation start for completed projects; achievement varies (some
    ahead of the target's path, most behind, a tenth never measured).
    """
    completed = p["stage"] == "completed"
    recent = completed & (p["actual_finish"] >= as_of_day - 730)
    eligible = np.flatnonzero(np.isin(p["stage"], WITH_REGISTERS) | recent)
    owner, _ = expand(1 + (rng.random(len(eligible)) < 0.15))
    proj = eligible[owner]
    n = len(proj)

    weights = AFFINITY[p["cat"][proj]] ** 2
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    obj = np.minimum((rng.random((n, 1)) > cum).sum(axis=1), len(OBJECTIVES) - 1)
    variant = rng.integers(0, 2, n)
    table = [KPIS[o][v] for o in _OBJ_IDS for v in range(2)]
    kpi = obj * 2 + variant

    def col(i):
        return np.array([t[i] for t in table])[kpi]

    name, unit, direction = col(0), col(1), col(2)
    lo, hi = col(3).astype(float), col(4).astype(float)
    g_lo, g_hi = col(5).astype(float), col(6).astype(float)
    decimals = col(7).astype(int)
    scale = 10.0 ** decimals
    baseline = np.round(rng.uniform(lo, hi) * scale) / scale
    sign = np.where(direction == "increase", 1.0, -1.0)
    target = np.round(baseline * (1 + sign * rng.uniform(g_lo, g_hi)) * scale) / scale
    target = np.where(target == baseline, baseline + sign / scale, target)

    finished = completed[proj]
    anchor = np.where(finished, p["actual_finish"][proj], p["finish"][proj])
    realisation = anchor + rng.integers(0, 31, n)
    target_day = realisation + rng.integers(183, 366, n)
    frame = pd.DataFrame({
        "benefit_id": ids("B", n),
        "project_id": p["project_id"][proj],
        "objective_id": _OBJ_IDS[obj],
        "name": name,
        "unit": unit,
        "direction": direction,
        "baseline": baseline,
        "target": target,
        "realisation_start": days_to_dates(realisation),
        "target_date": days_to_dates(target_day),
        "owner": p["sponsor"][proj],
    })

    measured = np.flatnonzero(finished & (realisation <= as_of_day) & (rng.random(n) >= 0.1))
    last = np.minimum(as_of_day, target_day[measured] + 180)
    own, day = month_end_grid(realisation[measured], last)
    b = measured[own]
    progress = np.clip((day - realisation[b]) / (target_day[b] - realisation[b]), 0.0, 1.0)
    achieve = rng.lognormal(np.log(0.85), 0.35, n)[b]
    gap = target[b] - baseline[b]
    value = baseline[b] + gap * achieve * progress + rng.normal(0, 0.05, len(b)) * np.abs(gap)
    value = np.maximum(np.round(value * scale[b]) / scale[b], 0.0)
    measurements = pd.DataFrame({
        "benefit_id": frame["benefit_id"].to_numpy()[b],
        "date": days_to_dates(day),
        "value": value,
    })
    return frame, measurements


def teams_and_demand(rng: np.random.Generator, p: dict, as_of_day: int):
    """Teams and the monthly FTE each active, approved or proposed project asks of them.

    Capacity is set from the demand: :data:`STRETCHED_TEAMS` get the 85th
    percentile of their monthly demand over the next 18 months (so they are
    over-allocated in a few months); the others 15 % headroom over their peak.
    Returns ``(teams, demand)``.
    """
    idx = np.flatnonzero(np.isin(p["stage"], ("active", "approved", "proposed")))
    weights = TEAM_AFFINITY[p["cat"][idx]]
    n, k = weights.shape
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=(n, k))
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    chosen = rank < (1 + rng.binomial(2, 0.5, n))[:, None]
    share = np.where(chosen, weights * rng.uniform(0.5, 1.5, (n, k)), 0.0)
    share /= share.sum(axis=1, keepdims=True)
    rows, cols = np.nonzero(chosen)

    m0 = month_number(p["start"][idx])[rows]
    m1 = month_number(p["finish"][idx])[rows]
    own, step = expand(m1 - m0 + 1)
    pair_proj, pair_team = rows[own], cols[own]
    months = m0[own] + step
    total_fte = p["budget"][idx] / p["planned_months"][idx] / 15_000.0 * 0.55
    fte = total_fte[pair_proj] * share[pair_proj, pair_team] * rng.uniform(0.85, 1.15, len(own))
    team_ids = np.array([t[0] for t in TEAMS])
    demand = pd.DataFrame({
        "project_id": p["project_id"][idx][pair_proj],
        "team_id": team_ids[pair_team],
        "month": np.datetime_as_string(months.astype("datetime64[M]"), unit="M"),
        "fte": np.maximum(np.round(fte, 1), 0.1),
    })

    load = demand.assign(m=months).groupby(["team_id", "m"])["fte"].sum()
    now = int(month_number(np.array([as_of_day]))[0])
    planned_teams = set(load.index.get_level_values("team_id"))
    capacity = []
    for team_id in team_ids:
        if team_id not in planned_teams:
            capacity.append(5.0)
            continue
        series = load.xs(team_id, level="team_id")
        if team_id in STRETCHED_TEAMS:
            window = series[(series.index >= now) & (series.index < now + 18)]
            window = window if len(window) else series
            capacity.append(max(1.0, np.round(2 * np.quantile(window, 0.85)) / 2))
        else:
            capacity.append(float(np.ceil(1.15 * series.max())))
    teams = pd.DataFrame({
        "team_id": team_ids,
        "name": [t[1] for t in TEAMS],
        "capacity_fte": capacity,
    })
    return teams, demand


def dependencies(rng: np.random.Generator, p: dict) -> pd.DataFrame:
    """A DAG among live projects: each edge points to a project that starts earlier.

    About a tenth of live projects depend on one (sometimes two) of the
    fifteen live projects that started just before them; strictly earlier
    starts make a cycle impossible.
    """
    live = np.flatnonzero(np.isin(p["stage"], WITH_REGISTERS))
    live = live[np.argsort(p["start"][live], kind="stable")]
    starts = p["start"][live]
    earlier = np.searchsorted(starts, starts, side="left")
    pick = np.flatnonzero((rng.random(len(live)) < 0.1) & (earlier > 0))
    pick = np.concatenate([pick, pick[rng.random(len(pick)) < 0.3]])
    back = np.minimum(earlier[pick] - 1, rng.integers(0, 15, len(pick)))
    target = earlier[pick] - 1 - back
    frame = pd.DataFrame({
        "project_id": p["project_id"][live[pick]],
        "depends_on": p["project_id"][live[target]],
        "lag_days": rng.integers(0, 31, len(pick)).astype(float),
    })
    return frame.drop_duplicates(["project_id", "depends_on"], ignore_index=True)

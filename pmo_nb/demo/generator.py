"""A realistic, seeded demo portfolio that passes every rule of the format.

:func:`demo_portfolio` builds every table for ``n_projects`` projects
around a reporting date: about a third live (proposed, approved, active, on
hold), the rest completed plus a few cancelled. Completed projects' outcomes
come from a stated generative truth (:data:`OUTCOME_TRUTH`), so a model of
cost and schedule overruns fitted to the demo can be checked against it.

Status reports follow a governance tier: projects with a budget of at least
:data:`WEEKLY_FROM` report weekly, from :data:`FORTNIGHTLY_FROM` fortnightly,
smaller ones at each month end. Monthly reporting alone cannot give the
intended volume (3-36 month projects average about 13 monthly reports each
over the whole portfolio); with the tiers the demo averages about 30 status
updates per project at any size (about 300,000 for 10,000 projects).

Everything is vectorised (see :mod:`pmo_nb.demo.history`); helpers live in
``demo_catalogue`` (vocabulary), ``demo_history`` (status updates),
``demo_registers`` (alignment, risks, benefits, resources, dependencies),
``demo_plans`` (tasks, links, holidays) and ``demo_governance``
(requirements, change requests, decisions, people). The plan and governance
tables draw from a second generator seeded from ``seed``, so the tables
that came before them keep their numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.demo.catalogue import (
    CATEGORIES,
    CATEGORY_SHARE,
    MANAGERS,
    MANDATORY_RATE,
    NAME_PARTS,
    OBJECTIVES,
    REGIONS,
    SPONSORS,
)
from pmo_nb.demo.governance import decisions, people, scope_and_changes
from pmo_nb.demo.history import (
    FORTNIGHTLY,
    MONTHLY,
    WEEKLY,
    day_numbers,
    days_to_dates,
    status_updates,
)
from pmo_nb.demo.plans import holidays, plans, risk_tasks
from pmo_nb.demo.registers import alignment, benefits, dependencies, ids, risks, teams_and_demand
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types

#: Generative truth of completed projects' outcomes per category: the median
#: actual/planned ratio of cost and of duration (for a project of
#: :data:`REFERENCE_BUDGET`) and the scale of each log ratio's Student-t.
#: Cost medians sit near 1, so about half of the projects end over budget, as
#: published base rates have it (Flyvbjerg and Budzier, "Why your IT project may
#: be riskier than you think", HBR 2011: most IT projects land near budget, with
#: a fat tail of large overruns); the Student-t in log cost makes that tail
#: (in the ratio, an overrun of k scales is further from 1 than an underspend).
OUTCOME_TRUTH = {
    "IT": {"cost_median": 1.08, "cost_scale": 0.20,
           "duration_median": 1.25, "duration_scale": 0.15},
    "Infrastructure": {"cost_median": 1.04, "cost_scale": 0.16,
                       "duration_median": 1.18, "duration_scale": 0.13},
    "Product": {"cost_median": 1.00, "cost_scale": 0.12,
                "duration_median": 1.15, "duration_scale": 0.12},
    "Compliance": {"cost_median": 0.94, "cost_scale": 0.07,
                   "duration_median": 1.06, "duration_scale": 0.07},
    "Marketing": {"cost_median": 0.97, "cost_scale": 0.10,
                  "duration_median": 1.08, "duration_scale": 0.10},
}
#: Degrees of freedom of the bivariate Student-t (heavy tails).
OUTCOME_NU = 4.0
#: Correlation of the log cost ratio and the log duration ratio.
OUTCOME_RHO = 0.5
#: Change of each log ratio per unit of log(budget / REFERENCE_BUDGET).
SIZE_EFFECT = {"cost": 0.06, "duration": 0.04}
REFERENCE_BUDGET = 1_000_000.0
#: Log ratios are clipped to this range (ratios 0.6 to 4).
LOG_RATIO_BOUNDS = (float(np.log(0.6)), float(np.log(4.0)))

#: Budget from which a project reports weekly / fortnightly (else monthly).
WEEKLY_FROM = 3_000_000.0
FORTNIGHTLY_FROM = 600_000.0

#: Share of projects per stage (completed takes the rest).
STAGE_SHARE = {"proposed": 0.07, "approved": 0.05, "active": 0.18, "on_hold": 0.03,
               "cancelled": 0.025}
_FIB = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0])


def _stages(rng: np.random.Generator, n: int) -> np.ndarray:
    """Stage per project: fixed shares, every stage present from 10 projects."""
    counts = np.floor(np.array(list(STAGE_SHARE.values())) * n + 0.5).astype(int)
    if n >= 10:
        counts = np.maximum(counts, 1)
    while counts.sum() > n:
        counts[np.argmax(counts)] -= 1
    names = list(STAGE_SHARE) + ["completed"]
    return rng.permutation(np.repeat(names, list(counts) + [n - counts.sum()]))


def _outcomes(rng: np.random.Generator, cat: np.ndarray, size: np.ndarray):
    """Log cost and log duration ratios: correlated Student-t around category medians."""
    truth = [OUTCOME_TRUTH[c] for c in CATEGORIES]
    loc_c = np.log([t["cost_median"] for t in truth])[cat]
    loc_d = np.log([t["duration_median"] for t in truth])[cat]
    scale_c = np.array([t["cost_scale"] for t in truth])[cat]
    scale_d = np.array([t["duration_scale"] for t in truth])[cat]
    z = rng.standard_normal((len(cat), 2))
    z[:, 1] = OUTCOME_RHO * z[:, 0] + np.sqrt(1 - OUTCOME_RHO**2) * z[:, 1]
    t = z / np.sqrt(rng.chisquare(OUTCOME_NU, len(cat)) / OUTCOME_NU)[:, None]
    log_cost = loc_c + SIZE_EFFECT["cost"] * size + scale_c * t[:, 0]
    log_dur = loc_d + SIZE_EFFECT["duration"] * size + scale_d * t[:, 1]
    return np.clip(log_cost, *LOG_RATIO_BOUNDS), np.clip(log_dur, *LOG_RATIO_BOUNDS)


def _names(rng: np.random.Generator, cat: np.ndarray) -> np.ndarray:
    """Project names from category vocabularies, some with a region."""
    names = np.empty(len(cat), dtype=object)
    for i, category in enumerate(CATEGORIES):
        idx = np.flatnonzero(cat == i)
        subjects, actions = (np.array(x) for x in NAME_PARTS[category])
        names[idx] = np.char.add(
            np.char.add(subjects[rng.integers(0, len(subjects), len(idx))], " "),
            actions[rng.integers(0, len(actions), len(idx))],
        )
    region = np.array(REGIONS)[rng.integers(0, len(REGIONS), len(cat))]
    with_region = rng.random(len(cat)) < 0.4
    names[with_region] = [f"{a} ({b})" for a, b in zip(names[with_region],
                                                       region[with_region], strict=True)]
    return names


def _timeline(rng, stage, actual_days, as_of_day):
    """Start day and the day of the last status report (-1: none) per project."""
    n = len(stage)
    start = np.zeros(n, dtype="int64")
    history_end = np.full(n, -1, dtype="int64")
    done = rng.uniform(0.05, 0.95, n)
    pause = rng.integers(45, 201, n)
    stopped = rng.integers(30, 1501, n)
    rules = {
        "completed": (as_of_day - rng.integers(0, 5 * 365, n) - actual_days, None),
        # at least 45 days in, so every active project has reported at least once
        "active": (as_of_day - np.maximum(45, np.round(done * actual_days)), as_of_day),
        "on_hold": (as_of_day - pause - np.round(np.clip(done, 0.2, 0.8) * actual_days),
                    as_of_day - pause),
        "cancelled": (as_of_day - stopped - np.round(np.clip(done, 0.1, 0.6) * actual_days),
                      as_of_day - stopped),
        "approved": (as_of_day + rng.integers(7, 181, n), None),
        "proposed": (as_of_day + rng.integers(30, 366, n), None),
    }
    for name, (first, last) in rules.items():
        mask = stage == name
        start[mask] = np.asarray(first, dtype="int64")[mask]
        if last is not None:
            history_end[mask] = np.broadcast_to(np.asarray(last, dtype="int64"), n)[mask]
    completed = stage == "completed"
    history_end[completed] = (start + actual_days)[completed]
    return start, history_end


def _projects(rng: np.random.Generator, n: int, as_of_day: int):
    """Per-project arrays (incl. the hidden truth) and the projects frame."""
    stage = _stages(rng, n)
    cat = rng.choice(len(CATEGORIES), n, p=CATEGORY_SHARE)
    log_budget = np.clip(rng.normal(np.log(900_000), 1.05, n), np.log(5e4), np.log(2e7))
    budget = np.clip(np.round(np.exp(log_budget), -3), 5e4, 2e7)
    size = np.log(budget / REFERENCE_BUDGET)
    months = np.clip(np.exp(np.log(13.0) + 0.22 * size + rng.normal(0, 0.35, n)), 3, 36)
    planned_days = np.round(months * 30.44).astype("int64")
    log_cost, log_dur = _outcomes(rng, cat, size)
    actual_days = np.maximum(1, np.round(planned_days * np.exp(log_dur))).astype("int64")
    true_cost = np.round(budget * np.exp(log_cost))
    start, history_end = _timeline(rng, stage, actual_days, as_of_day)

    order = np.argsort(start, kind="stable")
    p = {
        "stage": stage, "cat": cat, "budget": budget, "planned_months": months,
        "planned_days": planned_days, "actual_days": actual_days, "true_cost": true_cost,
        "start": start, "history_end": history_end,
        "sponsor": np.array(SPONSORS)[np.where(
            rng.random(n) < 0.8, (2 * cat + rng.integers(0, 3, n)) % 8, rng.integers(0, 8, n))],
        "manager": np.array(MANAGERS)[rng.integers(0, len(MANAGERS), n)],
        "name": _names(rng, cat),
        "mandatory": rng.random(n) < MANDATORY_RATE[cat],
        "optimism": rng.uniform(0.7, 0.9, n),
        "cadence": np.where(budget >= WEEKLY_FROM, WEEKLY,
                            np.where(budget >= FORTNIGHTLY_FROM, FORTNIGHTLY, MONTHLY)),
        "log_budget": log_budget,
    }
    p = {k: v[order] for k, v in p.items()}
    width = max(4, len(str(n)))
    p["project_id"] = ids("P", n, width)
    p["finish"] = p["start"] + p["planned_days"]
    p["completed"] = p["stage"] == "completed"
    p["actual_finish"] = np.where(p["completed"], p["start"] + p["actual_days"], -1)

    frame = pd.DataFrame({
        "project_id": p["project_id"],
        "name": p["name"],
        "category": np.array(CATEGORIES)[p["cat"]],
        "stage": p["stage"],
        "sponsor": p["sponsor"],
        "manager": p["manager"],
        "start_date": days_to_dates(p["start"]),
        "finish_date": days_to_dates(p["finish"]),
        "budget": p["budget"],
        "mandatory": p["mandatory"],
        "actual_finish_date": pd.Series(days_to_dates(p["actual_finish"])).where(p["completed"]),
        "actual_cost": np.where(p["completed"], p["true_cost"], np.nan),
    })
    return p, frame.join(_priorities(rng, p))


def _priorities(rng: np.random.Generator, p: dict) -> pd.DataFrame:
    """WSJF and RICE inputs for live projects (the candidates for the next cycle)."""
    n = len(p["stage"])
    live = np.isin(p["stage"], ("proposed", "approved", "active", "on_hold"))
    scored = live & (rng.random(n) >= 0.05)
    span = (p["log_budget"] - np.log(5e4)) / (np.log(2e7) - np.log(5e4))
    job = np.clip(np.round(span * 6 + rng.normal(0, 0.7, n)), 0, 6).astype(int)
    values = {
        "business_value": _FIB[rng.integers(0, 7, n)],
        "time_criticality": _FIB[rng.integers(0, 7, n)],
        "risk_reduction": _FIB[rng.integers(0, 7, n)],
        "job_size": _FIB[job],
        "reach": np.round(rng.lognormal(np.log(5000), 1.2, n)),
        "impact": rng.choice([0.25, 0.5, 1.0, 2.0, 3.0], n),
        "confidence": rng.choice([0.5, 0.8, 1.0], n),
        "effort": np.maximum(np.round(p["budget"] / 15_000.0, 1), 0.5),
    }
    return pd.DataFrame({k: np.where(scored, v, np.nan) for k, v in values.items()})


def _plans_and_governance(rng: np.random.Generator, p: dict, as_of_day: int,
                          tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Holidays, plans, scope, changes, decisions and people; risks gain their tasks."""
    years = pd.DatetimeIndex(days_to_dates(np.concatenate([p["start"], p["finish"],
                                                           [as_of_day]]))).year
    calendar = holidays(int(years.min()) - 1, int(years.max()) + 1)
    tasks, links = plans(rng, p, as_of_day, calendar["date"].to_numpy())
    tables["risks"]["task_id"] = risk_tasks(rng, tables["risks"], tasks)
    requirements, changes = scope_and_changes(rng, p, as_of_day, tables["benefits"])
    out = {"tasks": tasks, "task_links": links, "holidays": calendar,
           "requirements": requirements, "change_requests": changes,
           "decisions": decisions(rng, p, as_of_day)}
    out["people"] = people(rng, {**tables, **out})
    return out


def demo_portfolio(n_projects: int = 600, seed: int = 0, as_of=None) -> Portfolio:
    """A seeded, valid demo portfolio of ``n_projects`` projects.

    Parameters
    ----------
    n_projects : int
        Number of projects, live and closed (at least 1).
    seed : int
        Seed of the NumPy generator; the same ``(n_projects, seed, as_of)``
        always gives the same portfolio.
    as_of : date-like, optional
        The reporting date the portfolio is built around (no status update
        or measurement after it); default today.

    Returns
    -------
    Portfolio
        Every table, typed with :func:`pmo_nb.schema.coerce_types`.
    """
    if n_projects < 1:
        raise ValueError(f"n_projects must be at least 1, got {n_projects}")
    as_of = pd.Timestamp.today() if as_of is None else pd.Timestamp(as_of)
    as_of = as_of.normalize()
    as_of_day = int(day_numbers([as_of.to_datetime64()])[0])
    rng = np.random.default_rng(seed)

    p, projects = _projects(rng, n_projects, as_of_day)
    objectives = pd.DataFrame(OBJECTIVES, columns=["objective_id", "name", "weight",
                                                   "description"])
    benefit_frame, measurements = benefits(rng, p, as_of_day)
    teams, demand = teams_and_demand(rng, p, as_of_day)
    tables = {
        "objectives": objectives,
        "projects": projects,
        "alignment": alignment(rng, p),
        "status_updates": status_updates(rng, p, as_of_day),
        "risks": risks(rng, p),
        "benefits": benefit_frame,
        "benefit_measurements": measurements,
        "teams": teams,
        "demand": demand,
        "dependencies": dependencies(rng, p),
    }
    tables.update(_plans_and_governance(np.random.default_rng([seed, 1]), p, as_of_day, tables))
    return Portfolio(
        **{name: coerce_types(name, frame) for name, frame in tables.items()},
        source=f"demo(n_projects={n_projects}, seed={seed}, as_of={as_of.date()})",
    )

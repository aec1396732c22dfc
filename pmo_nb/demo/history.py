"""Status update histories for the demo portfolio (helpers of :mod:`pmo_nb.demo.generator`).

Everything here works on whole NumPy arrays, one element per project, and
expands them to one element per report without Python loops, so a 10,000
project demo (about 300,000 updates) builds in a second or two.

Dates are integer day numbers (days since 1970-01-01) until the frame is
built; :func:`days_to_dates` turns them back into datetimes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Reporting cadence by governance tier (days; 0 = every month end).
WEEKLY, FORTNIGHTLY, MONTHLY = 7, 14, 0

#: RAG thresholds on min(CPI, SPI) (after the reporter's noise).
GREEN_FROM, AMBER_FROM = 0.9, 0.75

_COMMENTARY = {
    "green": (
        "On track against plan.",
        "Milestone delivered as planned.",
        "Steady progress; no escalations.",
        "Testing progressing well.",
        "Spend in line with forecast.",
    ),
    "amber": (
        "Some slippage on the critical path; recovery plan in place.",
        "Supplier delivery late; mitigating.",
        "Resourcing gap in the delivery team.",
        "Scope change under review by the board.",
        "Costs trending above forecast.",
    ),
    "red": (
        "Significant delay; re-plan requested.",
        "Forecast overspend; change request raised.",
        "Critical dependency blocked; escalated to sponsor.",
        "Key milestone missed; recovery options being assessed.",
        "Budget exhausted ahead of plan; escalated.",
    ),
}


def day_numbers(dates) -> np.ndarray:
    """Datetime-like values -> int64 day numbers."""
    return np.asarray(dates, dtype="datetime64[D]").astype("int64")


def days_to_dates(days: np.ndarray) -> np.ndarray:
    """Int64 day numbers -> ``datetime64[ns]`` (NaT where the input is negative-huge)."""
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each owner i repeated ``counts[i]`` times, its index and a 0-based counter."""
    counts = np.asarray(counts, dtype="int64")
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    k = np.arange(int(counts.sum())) - np.repeat(first, counts)
    return owner, k


def _month_end(months: np.ndarray) -> np.ndarray:
    """Month numbers (months since 1970-01) -> day number of the month's last day."""
    nxt = (np.asarray(months, dtype="int64") + 1).astype("datetime64[M]")
    return nxt.astype("datetime64[D]").astype("int64") - 1


def month_number(days: np.ndarray) -> np.ndarray:
    """Day numbers -> month numbers (months since 1970-01)."""
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype(
        "int64"
    )


def month_end_grid(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every month end d with ``first <= d <= last``, per interval.

    Returns the owning interval's index and the day number of each month end.
    """
    m0 = month_number(first)
    m1 = month_number(last)
    m1 = np.where(_month_end(m1) > last, m1 - 1, m1)
    owner, k = expand(np.maximum(m1 - m0 + 1, 0))
    return owner, _month_end(m0[owner] + k)


def report_grid(start, end, cadence) -> tuple[np.ndarray, np.ndarray]:
    """Report dates in ``(start, end]`` per project at its cadence.

    Weekly and fortnightly reports fall every ``cadence`` days after the
    start; monthly reports on month ends at least a week after the start.
    """
    start = np.asarray(start, dtype="int64")
    end = np.asarray(end, dtype="int64")
    cadence = np.asarray(cadence, dtype="int64")
    monthly = cadence == MONTHLY
    step = np.where(monthly, 1, cadence)
    n_step = np.where(monthly | (end <= start), 0, (end - start) // step)
    own_s, k_s = expand(n_step)
    days_s = start[own_s] + step[own_s] * (k_s + 1)
    idx_m = np.flatnonzero(monthly)
    own_m, days_m = month_end_grid(start[idx_m] + 7, end[idx_m])
    owner = np.concatenate([own_s, idx_m[own_m]])
    days = np.concatenate([days_s, days_m])
    order = np.lexsort((days, owner))
    return owner[order], days[order]


def s_curve(tau: np.ndarray) -> np.ndarray:
    """Cumulative share of work and spend at time share ``tau``.

    A gentle S: half straight line, half smoothstep (slow start, fast middle,
    slow finish), monotone from 0 at ``tau = 0`` to 1 at ``tau = 1``.
    """
    tau = np.clip(tau, 0.0, 1.0)
    return 0.5 * tau + 0.5 * tau * tau * (3.0 - 2.0 * tau)


def status_updates(rng: np.random.Generator, p: dict, as_of_day: int) -> pd.DataFrame:
    """The status update history of every project that has started.

    Parameters
    ----------
    rng : numpy.random.Generator
    p : dict of arrays, one element per project
        ``project_id``, ``start`` (day), ``planned_days``, ``actual_days``
        (the true duration, known or not), ``budget``, ``true_cost`` (cost at
        completion), ``history_end`` (day of the last report; -1 = none),
        ``completed`` (bool: add a final 100 % report at the actual finish),
        ``cadence`` and ``optimism`` (exponent < 1 for reported progress).
    as_of_day : int
        No report is dated after it.

    Notes
    -----
    True progress and cumulative spend follow an S-curve over the *actual*
    duration; percent complete is reported optimistically as
    ``100 * progress ** optimism`` (capped at 99 until the final report);
    planned value is the linear baseline over the *planned* duration, earned
    value = percent complete x budget. RAG is derived from min(CPI, SPI) with
    noise, as project managers' judgement is.
    """
    start = p["start"]
    completed = p["completed"]
    actual_finish = start + p["actual_days"]
    grid_end = np.where(completed, actual_finish - 1, p["history_end"])
    grid_end = np.minimum(grid_end, as_of_day)
    owner, days = report_grid(start, grid_end, p["cadence"])
    final = np.flatnonzero(completed)
    owner = np.concatenate([owner, final])
    days = np.concatenate([days, actual_finish[final]])
    is_final = np.arange(len(owner)) >= len(owner) - len(final)
    order = np.lexsort((days, owner))
    owner, days, is_final = owner[order], days[order], is_final[order]

    elapsed = (days - start[owner]).astype("float64")
    progress = s_curve(elapsed / p["actual_days"][owner])
    budget = p["budget"][owner]
    reported = np.round(100.0 * progress ** p["optimism"][owner], 1)
    pct = np.where(is_final, 100.0, np.minimum(reported, 99.0))
    cost = np.where(is_final, p["true_cost"][owner], np.round(progress * p["true_cost"][owner]))
    planned = np.round(budget * np.clip(elapsed / p["planned_days"][owner], 0.0, 1.0))
    earned = np.round(pct / 100.0 * budget)

    with np.errstate(divide="ignore", invalid="ignore"):
        health = np.fmin(earned / cost, earned / planned)
    health = np.nan_to_num(health, nan=1.0, posinf=1.0) * np.exp(rng.normal(0, 0.05, len(owner)))
    rag = np.where(health >= GREEN_FROM, "green", np.where(health >= AMBER_FROM, "amber", "red"))
    commentary = np.empty(len(owner), dtype=object)
    pick = rng.integers(0, 5, len(owner))
    for colour, lines in _COMMENTARY.items():
        mask = rag == colour
        commentary[mask] = np.asarray(lines, dtype=object)[pick[mask]]
    commentary[rng.random(len(owner)) < 0.15] = None
    commentary[is_final] = "Project closed; handed over to operations."

    return pd.DataFrame({
        "project_id": p["project_id"][owner],
        "as_of": days_to_dates(days),
        "percent_complete": pct,
        "actual_cost": cost,
        "planned_value": planned,
        "earned_value": earned,
        "rag": rag,
        "commentary": commentary,
    })

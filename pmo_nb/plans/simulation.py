"""Schedule risk: a Monte Carlo of the plan's finish, vectorised over draws.

Each draw gives every task a duration (beta-PERT from its three-point
estimate, via the same tabulated quantiles as the risk register; fixed when
it has none), adds the delays of the risks on tasks that occur in that draw,
and runs the critical-path passes of :mod:`pmo_nb.plans.network` on all
draws at once, so every link type and lag acts exactly as in the
deterministic schedule. From the draws: the finish quantiles, each task's
criticality (share of draws in which it is critical) and cruciality (rank
correlation of its duration with the finish), and the tasks that drive the
P80 (most often critical in the draws that finish at or after it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_nb.plans.schedule import CRITICAL_TOLERANCE, Plan, schedule_pass
from pmo_nb.risks.pert import mode_fraction, quantile_tables, table_ppf

#: Quantiles the summary reports.
QUANTILES = (0.1, 0.5, 0.8, 0.9)


def sample_durations(plan: Plan, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Durations (tasks x draws): beta-PERT where low and high are given, else fixed."""
    t = plan.tasks
    likely = t["duration_likely"].astype("float64").to_numpy()
    low = t["duration_low"].astype("float64").to_numpy()
    high = t["duration_high"].astype("float64").to_numpy()
    out = np.repeat(likely[:, None], draws, axis=1)
    spread = np.flatnonzero(np.isfinite(low) & np.isfinite(high) & (high > low))
    if spread.size:
        r = mode_fraction(low[spread], likely[spread], high[spread])
        tables = quantile_tables(r)
        u = rng.random((spread.size, draws), dtype=np.float32)
        for j, i in enumerate(spread):
            q = table_ppf(tables[j], u[j], float(r[j]))
            out[i] = low[i] + (high[i] - low[i]) * q.astype("float64")
    return out


def risk_delays(plan: Plan, risks: pd.DataFrame, draws: int,
                rng: np.random.Generator) -> tuple[np.ndarray, pd.DataFrame]:
    """Delays (tasks x draws) of the open risks on this plan's tasks, and those risks.

    A risk occurs in a draw with its probability; its delay is beta-PERT on
    ``delay_low / likely / high`` (working days), added to its task's duration.
    Done tasks take no delay (their dates are facts).
    """
    out = np.zeros((len(plan.tasks), draws))
    if risks is None or risks.empty or "task_id" not in risks:
        return out, risks.iloc[0:0] if risks is not None else pd.DataFrame()
    pos = {tid: i for i, tid in enumerate(plan.tasks.index)}
    status = risks["status"].fillna("open") if "status" in risks else "open"
    mine = risks[risks["task_id"].astype("string").isin(list(pos)) & (status == "open")]
    mine = mine[~mine["task_id"].map(pos).isin(list(plan.pinned))]
    for row in mine.itertuples(index=False):
        likely = row.delay_likely if pd.notna(row.delay_likely) else 0.0
        low = row.delay_low if pd.notna(row.delay_low) else likely
        high = row.delay_high if pd.notna(row.delay_high) else likely
        occurs = rng.random(draws) < float(row.probability)
        if high > low:
            r = float(mode_fraction(low, likely, high))
            q = table_ppf(quantile_tables([r])[0], rng.random(draws, dtype=np.float32), r)
            size = low + (high - low) * q.astype("float64")
        else:
            size = np.full(draws, float(likely))
        out[pos[str(row.task_id)]] += occurs * size
    return out, mine


@dataclass
class ScheduleSimulation:
    """The draws of a schedule simulation and what they say.

    Attributes
    ----------
    plan : Plan
    finish : numpy.ndarray
        The plan's finish offset (working days from day 0) in each draw.
    durations : numpy.ndarray
        Tasks x draws durations as scheduled (done tasks: their actual).
    critical : numpy.ndarray
        Tasks x draws: whether the task was critical in that draw.
    planned_finish : pandas.Timestamp
        The project's finish_date, the target of ``p_on_time``.
    raw_finish : numpy.ndarray or None
        The finish without the calibration (same random numbers), when calibrated.
    calibration : object or None
        What the calibration learnt (:class:`pmo_nb.plans.calibration.Calibration`).
    risks : pandas.DataFrame
        The risks on tasks that were simulated.
    """

    plan: Plan
    finish: np.ndarray
    durations: np.ndarray
    critical: np.ndarray
    planned_finish: pd.Timestamp
    raw_finish: np.ndarray | None = None
    calibration: object | None = None
    risks: pd.DataFrame = field(default_factory=pd.DataFrame)

    def _dates(self, offsets) -> pd.DatetimeIndex:
        return self.plan.calendar.finish_date(np.asarray(offsets, dtype="float64"),
                                              np.ones(len(np.atleast_1d(offsets))))

    def summary(self) -> pd.DataFrame:
        """One row (the project): days mean and quantiles, the same as dates, P(on time)."""
        q = np.quantile(self.finish, QUANTILES)
        target = self.plan.calendar.offset([self.planned_finish])[0] + 1.0
        row = {"days_mean": float(self.finish.mean()),
               **{f"days_p{round(p * 100)}": float(v) for p, v in zip(QUANTILES, q,
                                                                      strict=True)},
               **{f"finish_p{round(p * 100)}": d for p, d in zip(QUANTILES, self._dates(q),
                                                                 strict=True)},
               "planned_finish": self.planned_finish,
               "p_on_time": float((self.finish <= target + 1e-9).mean())}
        if self.raw_finish is not None:
            raw = float(np.quantile(self.raw_finish, 0.8))
            row |= {"days_p80_raw": raw, "finish_p80_raw": self._dates([raw])[0]}
        out = pd.DataFrame([row], index=pd.Index([self.plan.project_id], name="project_id"))
        return out

    def criticality(self) -> pd.DataFrame:
        """Per task: criticality, cruciality and how much it drives the P80, in that order."""
        ranks = _ranks(self.finish[None, :])[0]
        cruc = np.array([_spearman(_ranks(d[None, :])[0], ranks) for d in self.durations])
        tail = self.finish >= np.quantile(self.finish, 0.8) - 1e-9
        out = pd.DataFrame({
            "name": self.plan.tasks["name"].to_numpy(),
            "criticality": self.critical.mean(axis=1),
            "cruciality": cruc,
            "p80_criticality": self.critical[:, tail].mean(axis=1),
        }, index=self.plan.tasks.index)
        out = out.sort_values(["p80_criticality", "cruciality"], ascending=False, kind="stable")
        out["p80_driver_rank"] = np.arange(1, len(out) + 1)
        out.index.name = "task_id"
        return out

    def drivers(self, n: int = 3) -> list[str]:
        """The ``n`` tasks that most drive the P80 finish (critical in its tail), in order."""
        table = self.criticality()
        return list(table[table["p80_criticality"] > 0].index[:n])


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks along the last axis (ties broken by order; enough for a rank correlation)."""
    order = np.argsort(values, axis=-1, kind="stable")
    ranks = np.empty_like(order, dtype="float64")
    np.put_along_axis(ranks, order, np.arange(values.shape[-1], dtype="float64")[None, :], -1)
    return ranks


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def run(plan: Plan, draws: int, seed, planned_finish, risks=None, calibration=None
        ) -> ScheduleSimulation:
    """Simulate ``plan``: durations, risk delays, the passes; calibrated when given one."""
    rng = np.random.default_rng(seed)
    base = sample_durations(plan, draws, rng)
    delays, simulated = risk_delays(plan, risks, draws, rng)
    factor = None if calibration is None else calibration.factors(plan, draws, rng)
    raw = None
    if factor is not None:
        raw = schedule_pass(plan, base + delays)[1].max(axis=0)
        todo = np.ones(len(plan.tasks), dtype=bool)
        todo[list(plan.pinned)] = False
        base = np.where(todo[:, None], base * factor, base)
    es, ef, ls, lf, dur = schedule_pass(plan, base + delays)
    done = np.zeros(len(plan.tasks), dtype=bool)
    done[list(plan.pinned)] = True
    critical = ((ls - es) <= CRITICAL_TOLERANCE) & ~done[:, None]
    return ScheduleSimulation(plan, ef.max(axis=0), dur, critical, pd.Timestamp(planned_finish),
                              raw, calibration, simulated)

"""Learning from history: how this organisation's completed tasks ran against their estimates.

For every completed task (percent complete 100, actual start and finish on
or before the reporting date, a most-likely duration above 0) the ratio
``actual working days / duration_likely`` is taken on the log scale. Ratios
are partially pooled by project category (a normal-normal model fitted by
the method of moments: a category with many tasks keeps its own mean, one
with few is pulled to the organisation's), so a category's correction
carries honest uncertainty: the standard error of its mean.

Applied to a plan, each draw scales the remaining tasks' sampled durations by
``exp(mu + se z)``, one ``z`` per draw shared by the plan's tasks: the
estimates of one team are biased together, and the fewer tasks the history
holds, the wider that shared factor. The spread of single tasks stays the
team's own three-point estimate. Why our own: a two-level normal model in
closed form is a dozen lines; PyMC would add seconds per plan for the same
answer at these sample sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_nb.dates import is_blank
from pmo_nb.plans.calendar import WorkCalendar
from pmo_nb.portfolio import Portfolio

#: ``calibrate=None`` turns the calibration on from this many completed tasks.
MIN_TASKS = 20
#: Floor of the between-category variance (log scale), so pooling never collapses.
MIN_TAU2 = 1e-4


@dataclass
class Calibration:
    """What history says about the estimates, overall and per category.

    Attributes
    ----------
    n_tasks : int
        Completed tasks learnt from.
    mu, spread : float
        Mean and standard deviation of log(actual / likely) over all of them.
    tau2 : float
        Variance of the category means (log scale).
    by_category : pandas.DataFrame
        Indexed by category: ``n``, ``raw_ratio``, ``ratio`` (pooled),
        ``mu``, ``se``.
    """

    n_tasks: int
    mu: float
    spread: float
    tau2: float
    by_category: pd.DataFrame
    category_of: dict

    @property
    def ratio(self) -> float:
        """The typical ratio of actual to likely duration (geometric mean)."""
        return float(np.exp(self.mu))

    def for_category(self, category) -> tuple[float, float]:
        """``(mu, se)`` of a category; a category never seen gets the organisation's, wider."""
        if category in self.by_category.index:
            row = self.by_category.loc[category]
            return float(row["mu"]), float(row["se"])
        se = np.sqrt(self.tau2 + self.spread ** 2 / max(self.n_tasks, 1))
        return self.mu, float(se)

    def factors(self, plan, draws: int, rng: np.random.Generator) -> np.ndarray:
        """One duration factor per draw for ``plan``'s project (see the module notes)."""
        mu, se = self.for_category(self.category_of.get(plan.project_id))
        return np.exp(mu + se * rng.standard_normal(draws))

    def describe(self) -> str:
        """What was learnt, in one sentence with its numbers."""
        return (f"Learnt from {self.n_tasks} completed tasks: they took {self.ratio:.2f}x their "
                f"most likely duration (typical ratio; spread of single tasks x/"
                f"{np.exp(self.spread):.2f}); {len(self.by_category)} categories pooled.")


def completed_tasks(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """Completed tasks with their ``actual_days`` (both ends counted) and ``log_ratio``."""
    t = portfolio.tasks
    cut = None if is_blank(as_of) else pd.Timestamp(as_of).normalize()
    done = (t["percent_complete"].fillna(0) >= 100) & t["actual_start"].notna() \
        & t["actual_finish"].notna() & (t["duration_likely"] > 0)
    if cut is not None:
        done &= t["actual_finish"] <= cut
    t = t[done]
    holidays = portfolio.holidays["date"] if len(portfolio.holidays) else ()
    days = pd.Series(np.nan, index=t.index)
    for _, part in t.groupby("project_id"):
        cal = WorkCalendar(part["actual_start"].min(), holidays)
        days[part.index] = cal.worked_days(part["actual_start"], part["actual_finish"])
    category = portfolio.projects.set_index("project_id")["category"]
    return t.assign(actual_days=days, category=t["project_id"].map(category),
                    log_ratio=np.log(days / t["duration_likely"]))


def learn(portfolio: Portfolio, as_of=None) -> Calibration | None:
    """The :class:`Calibration` from the completed tasks on or before ``as_of`` (None if none)."""
    rows = completed_tasks(portfolio, as_of)
    rows = rows[np.isfinite(rows["log_ratio"])]
    if rows.empty:
        return None
    y = rows["log_ratio"]
    mu = float(y.mean())
    groups = y.groupby(rows["category"].fillna("(none)"))
    n, means = groups.size(), groups.mean()
    within = float(np.sqrt(((y - rows["category"].fillna("(none)").map(means)) ** 2).sum()
                           / max(len(y) - len(n), 1))) if len(y) > len(n) else float(y.std() or 0)
    s2 = max(within, 1e-6) ** 2
    tau2 = max(float(means.var(ddof=1)) - float((s2 / n).mean()), MIN_TAU2) if len(n) > 1 \
        else MIN_TAU2
    precision = n / s2 + 1.0 / tau2
    pooled = (means * n / s2 + mu / tau2) / precision
    table = pd.DataFrame({"n": n, "raw_ratio": np.exp(means), "ratio": np.exp(pooled),
                          "mu": pooled, "se": np.sqrt(1.0 / precision)})
    table.index.name = "category"
    category = portfolio.projects.set_index("project_id")["category"].fillna("(none)")
    return Calibration(len(y), mu, float(np.sqrt(s2)), tau2, table, category.to_dict())

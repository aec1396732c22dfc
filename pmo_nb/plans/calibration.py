"""Learning from history: how this organisation's completed tasks ran against their estimates.

For every completed task (percent complete 100, actual start and finish on
or before the reporting date, a most-likely duration above 0) the ratio
``actual working days / duration_likely`` is taken on the log scale. Ratios
are partially pooled by project category (a normal-normal model fitted by
the method of moments: a category with many tasks keeps its own mean, one
with few is pulled to the organisation's), so a category's correction
carries honest uncertainty: the standard error of its mean. What task size
(:data:`SIZE_BUCKETS`) adds beyond the category is pooled the same way,
towards no effect, so a size with few tasks corrects little.

Applied to a plan, each draw scales the remaining tasks' sampled durations by
``exp(mu + size + se z)``, one ``z`` per draw shared by the plan's tasks: the
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
from pmo_nb.memo import per_portfolio
from pmo_nb.plans.calendar import WorkCalendar
from pmo_nb.portfolio import Portfolio

#: ``calibrate=None`` turns the calibration on from this many completed tasks.
MIN_TASKS = 20
#: Floor of the between-category variance (log scale), so pooling never collapses.
MIN_TAU2 = 1e-4
#: Task sizes (most likely working days) the calibration tells apart: upper bounds.
SIZE_BUCKETS = {"short (up to 5 days)": 5.0, "medium (up to 20 days)": 20.0,
                "long (over 20 days)": np.inf}


def size_bucket(likely) -> np.ndarray:
    """The :data:`SIZE_BUCKETS` name of each most-likely duration."""
    likely = np.asarray(likely, dtype="float64")
    names = list(SIZE_BUCKETS)
    bounds = np.array(list(SIZE_BUCKETS.values()))
    return np.array(names, dtype=object)[np.searchsorted(bounds, likely, side="left")]


def _pool(values: pd.Series, groups: pd.Series, prior: float) -> tuple[pd.DataFrame, float, float]:
    """Normal-normal partial pooling of ``values`` by ``groups`` towards ``prior``.

    Returns the per-group table (``n``, ``raw``, ``mu``, ``se``), the within-group
    standard deviation and the between-group variance (method of moments).
    """
    grouped = values.groupby(groups)
    n, means = grouped.size(), grouped.mean()
    resid = values - groups.map(means)
    within = float(np.sqrt((resid ** 2).sum() / max(len(values) - len(n), 1))) \
        if len(values) > len(n) else float(values.std() or 0)
    s2 = max(within, 1e-6) ** 2
    tau2 = max(float(means.var(ddof=1)) - float((s2 / n).mean()), MIN_TAU2) if len(n) > 1 \
        else MIN_TAU2
    precision = n / s2 + 1.0 / tau2
    pooled = (means * n / s2 + prior / tau2) / precision
    return (pd.DataFrame({"n": n, "raw": means, "mu": pooled, "se": np.sqrt(1.0 / precision)}),
            float(np.sqrt(s2)), tau2)


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
    by_size : pandas.DataFrame
        Indexed by task size (:data:`SIZE_BUCKETS`): ``n``, ``ratio`` (the
        pooled extra factor of that size beyond its category's), ``mu``, ``se``.
    """

    n_tasks: int
    mu: float
    spread: float
    tau2: float
    by_category: pd.DataFrame
    category_of: dict
    by_size: pd.DataFrame = None

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

    def for_size(self, likely) -> tuple[np.ndarray, np.ndarray]:
        """``(mu, se)`` of the size effect of tasks with these most likely durations."""
        buckets = size_bucket(likely)
        table = self.by_size if self.by_size is not None else pd.DataFrame(
            columns=["mu", "se"])
        mu = pd.Series(buckets).map(table["mu"]).fillna(0.0).to_numpy(dtype="float64")
        se = pd.Series(buckets).map(table["se"]).fillna(0.0).to_numpy(dtype="float64")
        return mu, se

    def factors(self, plan, draws: int, rng: np.random.Generator) -> np.ndarray:
        """Duration factors (tasks x draws) for ``plan``: its category's, times its sizes'.

        One standard normal per draw is shared by every task of the plan (the
        estimates of one team are biased together); each task's spread of that
        bias is its category's and size's standard errors combined.
        """
        mu, se = self.for_category(self.category_of.get(plan.project_id))
        size_mu, size_se = self.for_size(plan.tasks["duration_likely"])
        z = rng.standard_normal(draws)
        scale = np.sqrt(se ** 2 + size_se ** 2)
        return np.exp((mu + size_mu)[:, None] + scale[:, None] * z[None, :])

    def describe(self) -> str:
        """What was learnt, in one sentence with its numbers."""
        sizes = "" if self.by_size is None or self.by_size.empty else "; by size: " + ", ".join(
            f"{name} x{row['ratio']:.2f}" for name, row in self.by_size.iterrows())
        return (f"Learnt from {self.n_tasks} completed tasks: they took {self.ratio:.2f}x their "
                f"most likely duration (typical ratio; spread of single tasks x/"
                f"{np.exp(self.spread):.2f}); {len(self.by_category)} categories pooled"
                f"{sizes}.")


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


@per_portfolio
def learn(portfolio: Portfolio, as_of=None) -> Calibration | None:
    """The :class:`Calibration` from the completed tasks on or before ``as_of`` (None if none)."""
    rows = completed_tasks(portfolio, as_of)
    rows = rows[np.isfinite(rows["log_ratio"])]
    if rows.empty:
        return None
    y = rows["log_ratio"]
    mu = float(y.mean())
    cats = rows["category"].fillna("(none)")
    pooled, spread, tau2 = _pool(y, cats, mu)
    table = pd.DataFrame({"n": pooled["n"], "raw_ratio": np.exp(pooled["raw"]),
                          "ratio": np.exp(pooled["mu"]), "mu": pooled["mu"], "se": pooled["se"]})
    table.index.name = "category"
    # what task size adds beyond the category, pooled towards no effect
    resid = y - cats.map(table["mu"])
    sizes, _, _ = _pool(resid, pd.Series(size_bucket(rows["duration_likely"]), index=y.index), 0.0)
    by_size = pd.DataFrame({"n": sizes["n"], "ratio": np.exp(sizes["mu"]), "mu": sizes["mu"],
                            "se": sizes["se"]})
    by_size.index.name = "size"
    category = portfolio.projects.set_index("project_id")["category"].fillna("(none)")
    return Calibration(len(y), mu, spread, tau2, table, category.to_dict(), by_size)

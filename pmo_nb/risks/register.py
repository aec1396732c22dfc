"""The quantified risk register: Monte Carlo of whether each risk happens and what it costs.

Many tools multiply probability by impact and add the products. That gives the
right mean but nothing else: the chance of needing more than a given amount,
the contingency to hold, and which risks drive the bad outcomes all depend on
sampling *whether* each risk occurs. :func:`simulate_risks` does that; the
model (a one-factor Gaussian copula per category, beta-PERT impacts, common
random numbers keyed by risk_id) is described in :mod:`pmo_nb.risks.model`.

Only risks with status ``open`` (empty means open, the format's default) are
simulated: ``occurred`` risks are now issues whose cost belongs in actuals and
the forecast, and ``closed`` risks can no longer happen. A risk with no
project is portfolio-level and is reported in the :data:`PORTFOLIO` bucket.
Within a project delays add up (the risks are taken to hit the critical path
one after the other, which is the prudent reading without a schedule network);
the :data:`TOTAL` row's delay is the sum over projects, in project-days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_nb.risks.model import IMPACTS as _IMPACTS
from pmo_nb.risks.model import PORTFOLIO, TOTAL, Model, open_risks

__all__ = ["PORTFOLIO", "TOTAL", "RiskSimulation", "mitigation_effect", "simulate_risks"]

_QUANTILES = (0.5, 0.8, 0.9)


def simulate_risks(portfolio, draws: int = 100_000, seed: int = 0, mitigated: bool = False,
                   correlation: float = 0.0, risks=None) -> RiskSimulation:
    """Simulate the open risks of the register, per project and in total.

    Parameters
    ----------
    portfolio : Portfolio
        Supplies the risks table and the project names.
    draws : int
        Monte Carlo draws (simulated futures).
    seed : int
        Seed of the random streams; the same seed reproduces the result exactly
        and gives common random numbers across ``mitigated`` and ``correlation``.
    mitigated : bool
        Use ``mitigated_probability`` where given (else ``probability``).
    correlation : float
        Latent correlation, in [0, 1], between risks of the same category
        (see :mod:`pmo_nb.risks.model`); 0 means independent risks.
    risks : DataFrame or iterable of risk_id, optional
        A risks table to simulate instead of ``portfolio.risks`` (a what-if
        register), or the ids of the risks to keep (for example only the risks
        that the reference-class forecast does not already contain).

    Returns
    -------
    RiskSimulation
    """
    if int(draws) < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if not 0.0 <= float(correlation) <= 1.0:
        raise ValueError(f"correlation must lie in [0, 1], got {correlation}")
    register = open_risks(portfolio, risks, mitigated)
    if risks is None:
        scope = f"whole register: {len(register)} open risks"
    elif isinstance(risks, pd.DataFrame):
        scope = f"a supplied risks table: {len(register)} open risks"
    else:
        scope = f"selected risks: {len(register)} open"
    names = dict(zip(portfolio.projects["project_id"], portfolio.projects["name"], strict=False))
    order = {pid: k for k, pid in enumerate(portfolio.projects["project_id"])}
    buckets = sorted(register["bucket"].unique(),
                     key=lambda b: (b == PORTFOLIO, order.get(b, len(order)), b))
    model = Model(register, buckets, int(draws), int(seed), float(correlation))
    cost = np.zeros((len(buckets), model.draws), dtype=np.float32)
    delay = np.zeros_like(cost)
    total_cost = np.zeros(model.draws)
    total_delay = np.zeros(model.draws)
    for b, acc_cost, acc_delay in model.map(model.bucket_totals):
        cost[b], delay[b] = acc_cost, acc_delay
        total_cost += acc_cost
        total_delay += acc_delay
    return RiskSimulation(register=register.drop(columns=["_cat", "_key"]), buckets=buckets,
                          cost=cost, delay=delay, total_cost=total_cost, total_delay=total_delay,
                          draws=model.draws, seed=model.seed, mitigated=bool(mitigated),
                          correlation=model.rho, scope=scope, names=names, _model=model)


def mitigation_effect(portfolio, draws: int = 100_000, seed: int = 0, correlation: float = 0.0,
                      risks=None) -> pd.DataFrame:
    """Pre- versus post-mitigation, simulated with common random numbers.

    Runs :func:`simulate_risks` twice with the same seed and returns
    ``before.compare(after)``.
    """
    kw = dict(draws=draws, seed=seed, correlation=correlation, risks=risks)
    before = simulate_risks(portfolio, mitigated=False, **kw)
    return before.compare(simulate_risks(portfolio, mitigated=True, **kw))


@dataclass
class RiskSimulation:
    """The result of :func:`simulate_risks`: samples per project and in total.

    Attributes
    ----------
    register : DataFrame
        The simulated (open) risks: bucket, probability used ``p``, PERT
        triples, ``mean_cost_if_occurs`` and the exact ``expected_cost``
        (``p`` times the PERT mean), likewise for delay.
    buckets : list of str
        Project ids with open risks, then :data:`PORTFOLIO` when any.
    cost, delay : ndarray, shape (len(buckets), draws), float32
        Simulated risk cost (money) and delay (days) of each bucket.
    total_cost, total_delay : ndarray, shape (draws,), float64
        Their sums: the portfolio's risk cost and project-days of delay.
    scope : str
        Which risks were simulated (whole register, a selection, a table).
    """

    register: pd.DataFrame
    buckets: list
    cost: np.ndarray
    delay: np.ndarray
    total_cost: np.ndarray
    total_delay: np.ndarray
    draws: int
    seed: int
    mitigated: bool
    correlation: float
    scope: str = ""
    names: dict = field(default_factory=dict, repr=False)
    _model: Model | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (f"RiskSimulation({len(self.register)} open risks, {len(self.buckets)} buckets, "
                f"draws={self.draws}, seed={self.seed}, mitigated={self.mitigated}, "
                f"correlation={self.correlation})")

    def samples(self, measure: str = "cost", bucket: str = TOTAL) -> np.ndarray:
        """The simulated draws of ``measure`` ("cost" or "delay") for one bucket or the total."""
        if measure not in _IMPACTS:
            raise ValueError(f"measure must be 'cost' or 'delay', got {measure!r}")
        if bucket == TOTAL:
            return self.total_cost if measure == "cost" else self.total_delay
        if bucket not in self.buckets:
            raise KeyError(f"no open risks for {bucket!r}")
        rows = self.cost if measure == "cost" else self.delay
        return rows[self.buckets.index(bucket)]

    def _stats(self, measure: str, probs: tuple) -> pd.DataFrame:
        key = (measure, probs)
        if key not in self._cache:
            rows = self.cost if measure == "cost" else self.delay
            total = self.samples(measure)
            mean = np.append(rows.mean(axis=1, dtype=np.float64), total.mean())
            quant = np.quantile(rows, probs, axis=1).T if len(rows) else np.empty((0, len(probs)))
            quant = np.vstack([quant, np.quantile(total, probs)])
            frame = pd.DataFrame(quant, columns=list(probs), index=[*self.buckets, TOTAL])
            frame.insert(0, "mean", mean)
            self._cache[key] = frame
        return self._cache[key]

    def summary(self) -> pd.DataFrame:
        """Expected exposure and P50/P80/P90 of cost and delay, per bucket and in total.

        Indexed by project_id, then :data:`PORTFOLIO` (portfolio-level risks)
        and :data:`TOTAL`. ``expected_*`` is the simulated mean (within Monte
        Carlo error of ``register.expected_*.sum()``); the total's delay is in
        project-days.
        """
        index = [*self.buckets, TOTAL]
        counts = self.register.groupby("bucket").size()
        out = pd.DataFrame(index=pd.Index(index, name="project_id"))
        out["name"] = [self.names.get(b, "portfolio-level risks" if b == PORTFOLIO
                                      else "all open risks" if b == TOTAL else "")
                       for b in index]
        out["open_risks"] = [int(counts.get(b, 0)) for b in self.buckets] + [len(self.register)]
        for measure in _IMPACTS:
            stats = self._stats(measure, _QUANTILES)
            out[f"expected_{measure}"] = stats["mean"].to_numpy()
            for q in _QUANTILES:
                out[f"{measure}_p{round(q * 100)}"] = stats[q].to_numpy()
        return out

    def contingency(self, confidence: float = 0.8) -> pd.DataFrame:
        """The risk contingency to hold so the register's cost is covered with ``confidence``.

        ``contingency`` is the ``confidence`` quantile of the simulated cost per
        bucket and in total; ``above_expected`` is the part beyond the mean.
        Project contingencies add up to more than the total's (risks of
        different projects rarely all occur together): ``attrs`` carries
        ``sum_of_parts`` and ``pooling_benefit`` to show how much a central
        reserve saves.
        """
        if not 0.0 < confidence < 1.0:
            raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
        stats = self._stats("cost", (float(confidence),))
        out = pd.DataFrame({"expected_cost": stats["mean"],
                            "contingency": stats[float(confidence)]})
        out.index.name = "project_id"
        out["above_expected"] = out["contingency"] - out["expected_cost"]
        parts = float(out["contingency"].drop(TOTAL).sum())
        out.attrs.update(confidence=float(confidence), sum_of_parts=parts,
                         pooling_benefit=parts - float(out.loc[TOTAL, "contingency"]))
        return out

    def s_curve(self, measure: str = "cost", bucket: str = TOTAL,
                points: int = 101) -> pd.DataFrame:
        """The cumulative distribution as ``points`` quantiles: columns probability, value."""
        probs = np.linspace(0.0, 1.0, points)
        return pd.DataFrame({"probability": probs,
                             "value": np.quantile(self.samples(measure, bucket), probs)})

    def drivers(self, confidence: float = 0.8, *, measure: str = "cost",
                project: str | None = None) -> pd.DataFrame:
        """Risks ranked by their contribution to the tail beyond the ``confidence`` quantile.

        The tail is the set of draws where the total (of the portfolio, or of
        ``project``) is at or above its ``confidence`` quantile. A risk's
        ``tail_contribution`` is its mean cost (or delay) over those draws;
        the contributions add up exactly to the tail mean (``attrs
        ["tail_mean"]``, the conditional value at risk), so ``share`` says
        which part of a bad outcome each risk makes. Unlike a tornado chart
        (one risk moved at a time) this counts how risks combine in the bad
        draws. ``expected`` is the risk's mean over all draws; ``p_in_tail``
        how often it occurs in the tail. The draws are regenerated from the
        seeded streams, so this costs about one simulation per call.
        """
        if not 0.0 < confidence < 1.0:
            raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
        bucket = TOTAL if project is None else project
        total = self.samples(measure, bucket)
        cut = np.quantile(total, confidence)
        tail = total >= cut
        n_tail = int(tail.sum())
        reg = self.register
        rows = self._model.rows
        buckets = self.buckets if project is None else [project]
        sums = np.zeros(len(reg))
        hits = np.zeros(len(reg))
        means = np.zeros(len(reg))
        index = 1 if measure == "cost" else 2

        def one(b):
            res = []
            for i in rows[b]:
                if self._model.active[i]:
                    drawn = self._model.occurrences(i)
                    occ, value = drawn[0], drawn[index].astype(np.float64)
                    in_tail = tail[occ]
                    res.append((i, value[in_tail].sum(), in_tail.sum(), value.sum()))
            return res

        for res in self._model.map(one, buckets):
            for i, s, h, m in res:
                sums[i], hits[i], means[i] = s, h, m
        keep = reg["bucket"].isin(buckets).to_numpy()
        out = reg.loc[keep, ["risk_id", "bucket", "title", "category", "p"]].copy()
        out["tail_contribution"] = sums[keep] / n_tail
        out["share"] = out["tail_contribution"] / (total[tail].mean() or np.nan)
        out["expected"] = means[keep] / self.draws
        out["p_in_tail"] = hits[keep] / n_tail
        out = out.sort_values(["tail_contribution", "expected"], ascending=False)
        out = out.reset_index(drop=True)
        out.attrs.update(confidence=float(confidence), measure=measure, bucket=bucket,
                         threshold=float(cut), tail_draws=n_tail,
                         tail_mean=float(total[tail].mean()))
        return out

    def compare(self, other: RiskSimulation) -> pd.DataFrame:
        """``self`` (before) against ``other`` (after): summary columns with _pre, _post, _saving.

        Both must use the same draws and seed so that they share random
        numbers; ``_saving`` is pre minus post (for quantiles: the change of
        the quantile, which is what the contingency changes by).
        """
        if (self.draws, self.seed) != (other.draws, other.seed):
            raise ValueError("compare needs the same draws and seed (common random numbers): "
                             f"{(self.draws, self.seed)} vs {(other.draws, other.seed)}")
        pre, post = self.summary(), other.summary()
        index = [b for b in pre.index if b != TOTAL]
        index += [b for b in post.index if b not in index and b != TOTAL] + [TOTAL]
        pre, post = pre.reindex(index), post.reindex(index)
        out = pd.DataFrame(index=pd.Index(index, name="project_id"))
        out["name"] = pre["name"].fillna(post["name"])
        numeric = [c for c in pre.columns if c.startswith(_IMPACTS + ("expected_",))]
        for col in numeric:
            a, b = pre[col].fillna(0.0), post[col].fillna(0.0)
            out[f"{col}_pre"], out[f"{col}_post"], out[f"{col}_saving"] = a, b, a - b
        return out

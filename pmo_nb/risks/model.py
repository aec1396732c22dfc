"""The sampling engine of the risk register (see :mod:`pmo_nb.risks.register` for the API).

The model, per open risk ``i`` and draw ``d``
---------------------------------------------
- A latent normal ``Z[i, d] = sqrt(rho) F[c, d] + sqrt(1 - rho) E[i, d]``, with
  ``E`` independent per risk and ``F`` one shared factor per category ``c``
  and draw (a one-factor Gaussian copula: any two risks of the same category
  have latent correlation ``rho``; risks of different categories, and risks
  without a category, are independent).
- The risk occurs when ``Z < Phi^-1(p)``, so it occurs with probability exactly
  ``p`` (``probability``, or ``mitigated_probability`` when mitigating).
- If it occurs its *severity* is ``v = 1 - Phi(Z) / p``, uniform on (0, 1)
  given occurrence, and its cost and delay are the beta-PERT quantiles at
  ``v`` of (low, likely, high). So ``rho`` couples both occurrence and
  severity: in a bad draw for a category its risks are likelier *and* worse.
  Cost and delay of one event share ``v`` (a severe event is severe in money
  and in time). ``low == high`` gives a constant; a missing triple gives 0.
- ``E`` comes from a random stream keyed by ``(seed, risk_id)`` and ``F`` from
  one keyed by ``(seed, category)``. A risk therefore sees the same random
  numbers whatever else is in the register, with or without mitigation and
  whatever ``rho`` (common random numbers): a mitigated risk occurs in a
  subset of the draws where it occurred before, with a smaller or equal
  impact, so the difference between two runs is the mitigation, not noise.

Memory: one risk's draws are made, added to its project's running total
(float64, one row per project) and dropped; nothing of size risks x draws is
ever held. Projects are spread over a few threads (numpy releases the GIL).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from pmo_nb.risks import pert as pert
from pmo_nb.schema import coerce_types

#: The bucket of risks that belong to no project.
PORTFOLIO = "(portfolio)"
#: The row of all risks together.
TOTAL = "(total)"

IMPACTS = ("cost", "delay")


def _blank(series: pd.Series) -> pd.Series:
    """True where a text cell is empty (missing or blank)."""
    return series.isna() | (series.astype("str").str.strip() == "")


def open_risks(portfolio, risks, mitigated: bool) -> pd.DataFrame:
    """The open risks with the probability to use, PERT parameters and bucket."""
    table = portfolio.risks
    if isinstance(risks, pd.DataFrame):
        table = coerce_types("risks", risks)
    elif risks is not None:
        keep = {str(r) for r in risks}
        missing = keep - set(table["risk_id"].astype("str"))
        if missing:
            raise ValueError(f"unknown risk_id: {sorted(missing)}")
        table = table[table["risk_id"].astype("str").isin(keep)]
    if table["risk_id"].duplicated().any():
        dup = sorted(table.loc[table["risk_id"].duplicated(), "risk_id"].astype("str"))
        raise ValueError(f"duplicate risk_id: {dup}")
    status = table["status"].where(~_blank(table["status"]), "open").astype("str").str.strip()
    out = table.loc[status.str.lower() == "open"].reset_index(drop=True)
    p = out["probability"].astype(float)
    if p.isna().any() or not p.between(0, 1).all():
        raise ValueError("every open risk needs a probability between 0 and 1")
    if mitigated:
        mp = out["mitigated_probability"].astype(float)
        p = mp.where(mp.notna(), p)
    frame = pd.DataFrame({
        "risk_id": out["risk_id"].astype("str"),
        "bucket": out["project_id"].where(~_blank(out["project_id"]), PORTFOLIO).astype("str"),
        "title": out["title"],
        "category": out["category"],
        "p": p.to_numpy(float),
    })
    for impact in IMPACTS:
        lo, ml, hi = (out[f"{impact}_{k}"].astype(float) for k in ("low", "likely", "high"))
        given = lo.notna() & ml.notna() & hi.notna()
        frame[f"{impact}_low"] = lo.where(given, 0.0).to_numpy(float)
        frame[f"{impact}_likely"] = ml.where(given, 0.0).to_numpy(float)
        frame[f"{impact}_high"] = hi.where(given, 0.0).to_numpy(float)
        mean = pert.pert_mean(frame[f"{impact}_low"], frame[f"{impact}_likely"],
                              frame[f"{impact}_high"])
        frame[f"mean_{impact}_if_occurs"] = mean
        frame[f"expected_{impact}"] = frame["p"] * mean
    cat = out["category"].astype("str").str.strip()
    # risks without a category are each their own group: independent of all others
    frame["_cat"] = np.where(_blank(out["category"]), "\0" + frame["risk_id"], cat)
    frame["_key"] = [_words(r) for r in frame["risk_id"]]
    return frame


def _words(text: str) -> tuple[int, ...]:
    """A stable key for a random stream: four 32-bit words of SHA-256."""
    digest = hashlib.sha256(text.encode()).digest()
    return tuple(int.from_bytes(digest[k:k + 4], "little") for k in range(0, 16, 4))


def stream(seed: int, kind: int, text: str) -> np.random.Generator:
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(kind, *_words(text)))
    return np.random.Generator(np.random.PCG64(ss))


class Model:
    """The sampled register: regenerates any risk's draws on demand (they are seeded)."""

    def __init__(self, register: pd.DataFrame, buckets: list, draws: int, seed: int, rho: float):
        from scipy.special import ndtri  # lazy: SciPy loads only when this function runs

        self.draws, self.seed, self.rho = draws, seed, rho
        self.ids = register["risk_id"].tolist()
        self.p = register["p"].to_numpy(float)
        self.threshold = ndtri(self.p)
        self.rows = {b: np.flatnonzero(register["bucket"].to_numpy() == b) for b in buckets}
        self.bucket_index = {b: k for k, b in enumerate(buckets)}
        self.low, self.span, self.r, self.tables = {}, {}, {}, {}
        for impact in IMPACTS:
            lo, ml, hi = (register[f"{impact}_{k}"].to_numpy(float)
                          for k in ("low", "likely", "high"))
            self.low[impact], self.span[impact] = lo, hi - lo
            self.r[impact] = pert.mode_fraction(lo, ml, hi)
            self.tables[impact] = pert.quantile_tables(self.r[impact]) if len(lo) else None
        self.active = (self.p > 0) & ((self.low["cost"] > 0) | (self.span["cost"] > 0)
                                      | (self.low["delay"] > 0) | (self.span["delay"] > 0))
        self.cat = register["_cat"].tolist()
        self.factors = {}
        if rho > 0:
            for c in sorted(set(register.loc[self.active, "_cat"])):
                if not c.startswith("\0"):
                    self.factors[c] = stream(seed, 1, c).standard_normal(draws)
        # sqrt(rho) F / sqrt(1 - rho), shared by the category's risks
        self.scaled = {c: f * np.sqrt(rho / (1.0 - rho))
                       for c, f in self.factors.items()} if rho < 1 else {}

    def occurrences(self, i: int):
        """Draw indices where risk ``i`` occurs, with its cost and delay there.

        Sampled as ``U = Phi(E)`` (uniforms are several times cheaper than
        normals): without a shared factor the risk occurs when ``U < p`` and
        its severity is ``1 - U / p``; with one, when ``U`` is below the
        conditional probability ``Phi((Phi^-1(p) - sqrt(rho) F) / sqrt(1 - rho))``,
        and the severity comes from the rebuilt latent ``Z``. As ``rho -> 0``
        the second form tends to the first, draw by draw.
        """
        from scipy.special import ndtr, ndtri  # lazy: SciPy loads only when this function runs

        u = stream(self.seed, 0, self.ids[i]).random(self.draws, dtype=np.float32)
        p = float(self.p[i])
        if self.cat[i] in self.factors:
            a, b = np.sqrt(self.rho), np.sqrt(1.0 - self.rho)
            factor = self.factors[self.cat[i]]
            if b > 0:  # the conditional probability given the factor: Phi((t - a F) / b)
                conditional = ndtr(self.threshold[i] / b - self.scaled[self.cat[i]])
            else:  # rho = 1: the factor alone decides
                conditional = (factor < self.threshold[i]).astype(np.float64)
            occ = np.flatnonzero(u < conditional)
            z = a * factor[occ]
            if b > 0:
                z += b * ndtri(u[occ].astype(np.float64))
            severity = (1.0 - ndtr(z) / p).astype(np.float32)
        else:
            occ = np.flatnonzero(u < p)
            severity = 1.0 - u[occ] / np.float32(p)
        severity = np.clip(severity, 0.0, 1.0, out=severity)
        where = pert.locate(severity)
        out = []
        for impact in IMPACTS:
            span = self.span[impact][i]
            if span > 0:
                q = pert.table_ppf(self.tables[impact][i], severity, self.r[impact][i], where)
                out.append(np.float32(self.low[impact][i]) + np.float32(span) * q)
            else:
                out.append(np.full(occ.size, self.low[impact][i], dtype=np.float32))
        return occ, out[0], out[1]

    def bucket_totals(self, bucket):
        """Cost and delay per draw summed over one bucket's risks (float64)."""
        acc_cost, acc_delay = np.zeros(self.draws), np.zeros(self.draws)
        for i in self.rows[bucket]:
            if self.active[i]:
                occ, cost, delay = self.occurrences(i)
                acc_cost[occ] += cost
                acc_delay[occ] += delay
        return self.bucket_index[bucket], acc_cost, acc_delay

    def map(self, fn, buckets=None):
        """``fn(bucket)`` for every bucket on a few threads (numpy releases the GIL).

        Each call owns its bucket's rows, so results do not depend on scheduling.
        """
        buckets = list(self.rows) if buckets is None else list(buckets)
        workers = max(1, min(4, os.cpu_count() or 1, len(buckets)))
        if workers == 1:
            return map(fn, buckets)
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(fn, buckets))

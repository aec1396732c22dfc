"""The risk-adjusted cost view: the reference-class forecast with the risk register.

What is and is not counted twice
--------------------------------
The reference-class forecast (``cost_p10/p50/p90`` from the forecasting
module) is learnt from what completed projects actually cost. Their actuals
already contain the risks that happened to them, so the forecast already
holds the *typical* realisation of risks, known and unknown, in this
organisation's history. Adding the whole register on top counts those typical
risks a second time and overstates cost. Hence two views:

- ``forecast_*`` -- the forecast only. The default answer.
- ``forecast_plus_register_*`` -- the forecast plus the simulated cost of the
  risks in the :class:`~pmo_nb.risks.register.RiskSimulation` passed in. It is meant
  for risks the reference class does *not* contain (specific, unusual events
  such as a regulator's decision or a one-off vendor failure): simulate only
  those, ``simulate_risks(portfolio, risks=[...ids])``. Given a simulation of
  the whole register it double counts, and ``attrs["register_scope"]`` says so.

Never counted in either view: ``occurred`` risks (their cost is in actuals and
so in the forecast) and ``closed`` risks. Delay is not combined here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.risks.model import PORTFOLIO, TOTAL, stream

_Z90 = 1.2815515655446004  # standard normal 90% quantile

DOUBLE_COUNTING = (
    "forecast_* is the reference-class forecast alone: learnt from completed projects' "
    "actual costs, it already contains the typical realisation of risks (known and unknown) "
    "in that history. forecast_plus_register_* adds the simulated cost of the register risks "
    "that were simulated; use it only with risks the reference class does not contain, or it "
    "counts those typical risks twice. Occurred and closed risks are in neither. "
    "The total row treats the projects' forecast errors as moving together (its forecast "
    "quantiles are sums of the projects' quantiles), which is cautious."
)


def risk_adjusted(forecast_table: pd.DataFrame, sim) -> pd.DataFrame:
    """Combine a cost forecast with a risk simulation, per project and in total.

    Parameters
    ----------
    forecast_table : DataFrame
        Indexed by project_id (or with a ``project_id`` column), with
        ``cost_p10``, ``cost_p50``, ``cost_p90``: forecast cost at completion.
    sim : RiskSimulation
        From :func:`pmo_nb.simulate_risks`, ideally over only the risks the
        reference class does not already contain (see the module docstring).

    Returns
    -------
    DataFrame
        One row per forecast project and a :data:`~pmo_nb.risks.register.TOTAL` row:
        ``forecast_p10/p50/p90`` (the forecast only), ``register_expected``
        and ``register_p80`` (the simulated risk cost), and
        ``forecast_plus_register_p10/p50/p90``. To add the two, each project's
        forecast is sampled from a two-piece lognormal through its three
        quantiles (a two-piece normal when p10 <= 0), independent of its
        risks; the total row adds the portfolio-level risks and takes the
        forecasts as moving together. ``attrs`` holds ``double_counting`` (the
        statement above), ``register_scope``, ``excluded`` (forecast rows
        without all three quantiles, left out of the total) and
        ``risks_outside_forecast`` (projects with open risks but no forecast,
        e.g. not yet active: their risk cost is in no row).
    """
    table = forecast_table
    if "project_id" in table.columns:
        table = table.set_index("project_id")
    cols = ["cost_p10", "cost_p50", "cost_p90"]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"forecast_table lacks {missing}")
    q = table[cols].astype(float)
    bad = q.notna().all(axis=1) & ~((q["cost_p10"] <= q["cost_p50"])
                                    & (q["cost_p50"] <= q["cost_p90"]))
    if bad.any():
        raise ValueError(f"cost_p10 <= cost_p50 <= cost_p90 fails for {list(q.index[bad])}")
    complete = q.notna().all(axis=1)
    rng = stream(sim.seed, 2, "risk_adjusted")
    probs = [0.1, 0.5, 0.9]
    rows, forecast_total = [], np.zeros(sim.draws)
    register_total = np.zeros(sim.draws)
    common = rng.random(sim.draws)  # one uniform for all projects: the total row's forecasts
    for pid, (p10, p50, p90) in q.iterrows():
        register = _register(sim, str(pid))
        row = {"forecast_p10": p10, "forecast_p50": p50, "forecast_p90": p90,
               "register_expected": register.mean(), "register_p80": np.quantile(register, 0.8)}
        if complete[pid]:
            own = _two_piece(p10, p50, p90, rng.random(sim.draws)) + register
            row.update(zip(_adjusted(), np.quantile(own, probs), strict=True))
            forecast_total += _two_piece(p10, p50, p90, common)
            register_total += register
        else:
            row.update(dict.fromkeys(_adjusted(), np.nan))
        rows.append(row)
    register_total += _register(sim, PORTFOLIO)
    fq = q[complete].sum()
    rows.append({"forecast_p10": fq["cost_p10"], "forecast_p50": fq["cost_p50"],
                 "forecast_p90": fq["cost_p90"], "register_expected": register_total.mean(),
                 "register_p80": np.quantile(register_total, 0.8),
                 **dict(zip(_adjusted(), np.quantile(forecast_total + register_total, probs),
                            strict=True))})
    out = pd.DataFrame(rows, index=pd.Index([*map(str, q.index), TOTAL], name="project_id"))
    scope = getattr(sim, "scope", "")
    outside = [b for b in sim.buckets if b != PORTFOLIO and b not in set(map(str, q.index))]
    out.attrs.update(double_counting=DOUBLE_COUNTING, register_scope=scope,
                     excluded=[str(p) for p in q.index[~complete]],
                     risks_outside_forecast=outside)
    return out


def _adjusted() -> list[str]:
    return ["forecast_plus_register_p10", "forecast_plus_register_p50",
            "forecast_plus_register_p90"]


def _register(sim, bucket: str) -> np.ndarray:
    """The bucket's simulated risk cost, or zeros when it has no open risks."""
    if bucket in sim.buckets:
        return sim.samples("cost", bucket).astype(np.float64)
    return np.zeros(sim.draws)


def _two_piece(p10: float, p50: float, p90: float, u: np.ndarray) -> np.ndarray:
    """Quantiles at ``u`` of a two-piece (log)normal with the given p10, p50 and p90."""
    from scipy.special import ndtri  # lazy: SciPy loads only when this function runs

    z = ndtri(u)
    if p10 > 0:
        lo, mid, hi = np.log(p10), np.log(p50), np.log(p90)
        return np.exp(mid + z * np.where(z < 0, mid - lo, hi - mid) / _Z90)
    return p50 + z * np.where(z < 0, p50 - p10, p90 - p50) / _Z90

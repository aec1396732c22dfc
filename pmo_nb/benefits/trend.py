"""Forecast of a benefit's KPI at its target date from the measurements so far.

Model (in "share" units, so every KPI has the same scale): ``z = (value -
baseline) / (target - baseline)`` against ``tau = (date - realisation_start)
/ (target_date - realisation_start)``, so the plan runs from (0, 0) to
(1, 1) and the target is met when ``z >= 1`` whichever the KPI's direction.

``z = a + b * tau + noise``, noise ~ N(0, sigma^2), with the conjugate
Normal-Inverse-Gamma prior

- ``sigma^2 ~ InvGamma(A0, B0)``: a typical measurement noise of about
  ``NOISE`` (5%) of the committed improvement, worth two pseudo-observations,
  so the data soon dominate;
- ``(a, b) | sigma^2 ~ N((0, 0), sigma^2 * diag(VA, VB))``: the intercept is
  near the baseline at realisation start (that is what a baseline is), the
  slope is centred on *no change* and very wide, so the forecast is not
  pulled towards the plan (which would flatter every benefit) and is driven
  by the measurements' own trend.

The predictive of a new measurement at ``tau = 1`` is Student-t with
``2 * An`` degrees of freedom. With one measurement the slope rests on that
point and the prior's intercept alone, ``An`` is 1.5 (3 degrees of freedom)
and the scale carries the prior's noise: the interval is wide and heavy-
tailed, which is the honest answer to "where is this going?" from a single
reading (about +-30% of the committed improvement for one reading half-way,
against +-10% for six readings exactly on a line). With none there is no
forecast (NaN), not a guess.
"""

from __future__ import annotations

import numpy as np

#: Prior guess of measurement noise, as a share of the committed improvement.
NOISE = 0.05
#: Inverse-gamma prior on sigma^2: shape and scale (mean-free, weakly informative).
A0 = 1.0
B0 = A0 * NOISE**2
#: Prior variances of intercept and slope, in units of sigma^2.
VA = 4.0
VB = 400.0


def trend_forecast(tau: np.ndarray, z: np.ndarray, at: float = 1.0,
                   level: float = 0.8) -> tuple[float, float, float, float]:
    """Posterior predictive of ``z`` at ``tau = at`` under the linear trend model.

    Parameters
    ----------
    tau, z : array-like
        Measurement times and values in the share units of the module docstring.
    at : float
        Where to predict (1 = the target date).
    level : float
        Central interval probability (0.8 = 10th to 90th percentile).

    Returns
    -------
    (mean, low, high, p_at_least_one)
        Predictive mean, interval bounds and P(z >= 1). All NaN without data.
    """
    tau = np.asarray(tau, dtype="float64")
    z = np.asarray(z, dtype="float64")
    if len(z) == 0:
        return (np.nan,) * 4
    X = np.column_stack([np.ones_like(tau), tau])
    prec0 = np.diag([1.0 / VA, 1.0 / VB])
    prec_n = prec0 + X.T @ X
    cov_n = np.linalg.inv(prec_n)
    mean_n = cov_n @ (X.T @ z)  # prior mean is zero
    a_n = A0 + len(z) / 2.0
    b_n = B0 + 0.5 * (z @ z - mean_n @ prec_n @ mean_n)
    b_n = max(b_n, B0)  # guards tiny negative rounding on exact fits
    x_new = np.array([1.0, at])
    loc = float(x_new @ mean_n)
    scale = float(np.sqrt(b_n / a_n * (1.0 + x_new @ cov_n @ x_new)))
    df = 2.0 * a_n
    tail = (1.0 - level) / 2.0
    # Student t quantiles and tail through scipy.special, imported on first use: as
    # stats.t.ppf / stats.t.sf to the last digit, without scipy.stats' 0.75 s import
    # (most of the executive dashboard's imports).
    from scipy.special import stdtr, stdtrit  # lazy: SciPy loads only when this runs

    lo, hi = loc + scale * stdtrit(df, np.array([tail, 1.0 - tail]))
    return loc, float(lo), float(hi), float(stdtr(df, (loc - 1.0) / scale))


def trend_band(tau: np.ndarray, z: np.ndarray, at: np.ndarray,
               level: float = 0.8) -> np.ndarray:
    """:func:`trend_forecast` at each of ``at``: rows of (mean, low, high)."""
    return np.array([trend_forecast(tau, z, at=float(t), level=level)[:3] for t in at])

"""The beta-PERT distribution of a three-point estimate, fast enough to sample.

A risk's impact is estimated as (low, likely, high). Beta-PERT with
``lambda = 4`` turns that into a Beta distribution on ``[low, high]`` with
shape parameters ``alpha = 1 + 4 r`` and ``beta = 1 + 4 (1 - r)``, where
``r = (likely - low) / (high - low)`` is where the mode sits. Its mean is
``(low + 4 likely + high) / 6``.

The risk simulation needs tens of millions of impacts, and wants each one as a
*quantile* of a uniform (so cost and delay of one event, and the same event
before and after mitigation, can share their random number). Inverting the
Beta CDF per sample is far too slow, so we tabulate the standard PERT quantile
function once, on a grid of mode positions ``r`` and a Chebyshev grid of
probabilities (dense at both ends, where the quantile function is steep), and
interpolate linearly in both. Interpolating in ``r`` mixes two quantile
functions, which keeps the mean exact (it is linear in ``r``); the largest
error of a quantile is below 1e-4 of ``high - low`` (see tests/test_risks.py).
"""

from __future__ import annotations

import functools

import numpy as np

#: The PERT weight of the most likely value.
LAMBDA = 4.0
#: Points of the probability grid (Chebyshev nodes on [0, 1]).
N_PROB = 513
#: Points of the mode-position grid on [0, 1].
N_MODE = 101


def pert_mean(low, likely, high):
    """Mean of beta-PERT: ``(low + 4 likely + high) / 6`` (elementwise)."""
    return (np.asarray(low) + LAMBDA * np.asarray(likely) + np.asarray(high)) / (LAMBDA + 2)


def mode_fraction(low, likely, high) -> np.ndarray:
    """Where the mode sits in ``[low, high]`` as a fraction (0.5 when ``low == high``)."""
    low, likely, high = (np.asarray(x, dtype=float) for x in (low, likely, high))
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(span > 0, (likely - low) / np.where(span > 0, span, 1.0), 0.5)
    return np.clip(r, 0.0, 1.0)


def pert_ppf(u, low, likely, high):
    """Exact beta-PERT quantile (scipy's inverse incomplete beta); the reference."""
    from scipy.special import betaincinv  # lazy: SciPy loads only when this function runs

    r = mode_fraction(low, likely, high)
    q = betaincinv(1 + LAMBDA * r, 1 + LAMBDA * (1 - r), np.asarray(u, dtype=float))
    return np.asarray(low) + (np.asarray(high) - np.asarray(low)) * q


@functools.lru_cache(maxsize=1)
def _prob_grid() -> np.ndarray:
    s = np.linspace(0.0, 1.0, N_PROB)
    return (1.0 - np.cos(np.pi * s)) / 2.0


@functools.lru_cache(maxsize=1)
def _mode_tables() -> np.ndarray:
    """Standard PERT quantiles, shape (N_MODE, N_PROB); computed once per process."""
    from scipy.special import betaincinv  # lazy: SciPy loads only when this function runs

    r = np.linspace(0.0, 1.0, N_MODE)[:, None]
    q = betaincinv(1 + LAMBDA * r, 1 + LAMBDA * (1 - r), _prob_grid()[None, :])
    q[:, 0], q[:, -1] = 0.0, 1.0
    return np.maximum.accumulate(q, axis=1)  # guard monotonicity against rounding


def quantile_tables(r) -> np.ndarray:
    """Quantile tables of standard PERT (on [0, 1]) for mode fractions ``r``.

    Returns float32 of shape ``(len(r), N_PROB)``, for :func:`table_ppf`.
    """
    grid = _mode_tables()
    x = np.clip(np.asarray(r, dtype=float), 0.0, 1.0) * (N_MODE - 1)
    j = np.minimum(x.astype(np.int64), N_MODE - 2)
    w = (x - j)[:, None]
    return ((1.0 - w) * grid[j] + w * grid[j + 1]).astype(np.float32)


def locate(u: np.ndarray):
    """Where probabilities ``u`` fall on the grid: (cell, fraction, head mask, tail mask).

    Computed once and shared by every table read at the same ``u`` (a risk's
    cost and delay share their severity).
    """
    u = np.asarray(u, dtype=np.float32)
    s = np.arccos(np.clip(1.0 - 2.0 * u, -1.0, 1.0)) * np.float32((N_PROB - 1) / np.pi)
    i = np.minimum(s.astype(np.int32), N_PROB - 2)
    frac = s - i.astype(np.float32)
    head = np.flatnonzero(i < _EDGE_CELLS)
    tail = np.flatnonzero(i >= N_PROB - 1 - _EDGE_CELLS)
    return u, i, frac, head, tail


def table_ppf(table: np.ndarray, u, r: float, where=None) -> np.ndarray:
    """Standard PERT quantiles at probabilities ``u`` (float32).

    ``table`` is the row of :func:`quantile_tables` for mode fraction ``r``;
    ``where`` is :func:`locate` of ``u`` when already known. Inside the grid
    the quantile is interpolated linearly. Near the ends the Beta quantile
    follows a power law (``Q(u) ~ u**(1/alpha)`` near 0, ``1 - Q(u) ~
    (1-u)**(1/beta)`` near 1) that a straight line misses, so the outer
    :data:`_EDGE_CELLS` cells at each end interpolate in log-log space (exact
    for a pure power law; the first cell uses the Beta's own exponent).
    """
    u, i, frac, head, tail = locate(u) if where is None else where
    lo = table[i]
    q = lo + frac * (table[i + 1] - lo)
    if head.size:
        q[head] = _power_interp(table, _prob_grid(), u[head], i[head], 1.0 + LAMBDA * r)
    if tail.size:
        k = N_PROB - 2 - i[tail]  # mirror: cell k counted from the top
        q[tail] = 1.0 - _power_interp(1.0 - table[::-1], _prob_grid(), 1.0 - u[tail], k,
                                      1.0 + LAMBDA * (1.0 - r))
    return q


#: Cells at each end of the probability grid interpolated as a power law.
_EDGE_CELLS = 24


def _power_interp(table, grid, u, i, shape):
    """Log-log interpolation of an increasing quantile table starting at Q(0) = 0."""
    u = u.astype(np.float64)
    lo_u, hi_u = grid[i], grid[i + 1]
    lo_q, hi_q = table[i].astype(np.float64), table[i + 1].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(i == 0, 1.0 / shape, np.log(hi_q / lo_q) / np.log(hi_u / lo_u))
        anchor_u = np.where(i == 0, hi_u, lo_u)
        anchor_q = np.where(i == 0, hi_q, lo_q)
        q = anchor_q * (np.maximum(u, 0.0) / anchor_u) ** gamma
    q = np.where(np.isfinite(q), q, 0.0)
    return np.clip(q, 0.0, hi_q).astype(np.float32)

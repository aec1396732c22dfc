"""The forecast model's likelihoods, written for a cheap gradient.

Both stages score (log cost ratio, log duration ratio) pairs with a
bivariate Student-t. Summed over the rows with weights ``w_i``, its log
density is::

    W c(rho, nu) - sum_i w_i (log scale_i1 + log scale_i2)
                 - (nu + 2) / 2 * sum_i w_i log(1 + q_i / nu)

with ``W = sum_i w_i``, ``c = log G((nu + 2) / 2) - log G(nu / 2) - log(nu pi)
- log(1 - rho^2) / 2`` and ``q_i = (z1^2 - 2 rho z1 z2 + z2^2) / (1 - rho^2)``
for the standardised residuals ``z = (y - loc) / scale``. That is exactly the
per-row log density summed (the tests check it against SciPy's), computed
the way its gradient is cheapest:

- ``c`` is computed once and multiplied by ``W``, not broadcast to every row;
- the log scales are linear in a few parameters with per-row constants, so
  their weighted sum over the rows is a sufficient statistic of the data
  (the category counts for the reference class, the weighted totals of the
  spread terms for the in-flight stage), not a per-row log;
- the data are laid out targets x rows (2 x n, C order): the two targets'
  residuals are contiguous rows, and each linear predictor is one matrix
  product.

On 2,000 projects (one process, interleaved, PyTensor linked to OpenBLAS)
the reference class's density and gradient went from 137 to 92 us an
evaluation and the in-flight stage's from 150 to 116 us; without a BLAS,
and in the per-row form, they took 186 and 163 us. The in-flight stage's
log spread is one matrix product of its terms: as a sum of one broadcast
product per term (three with ``scale_log_fraction``) its gradient was a
product and a sum over the rows per term, 222 us an evaluation against 111
(3,100-project demo, 2026-12-03; 344 -> 250 us a leapfrog step in the chains).
The reference class's inverse scales are the exponentials of its C x 2 log
scales picked by the one-hot product, not the exponentials of the n x 2
picked log scales (the same values, since each row has one category): 105 ->
83 us an evaluation, 171 -> 132 us a leapfrog step in the chains (same day).

Every array or number computed from the data enters the graph as a shared
variable (:func:`row_data` for the per-row arrays, whose row count is left
unknown; :func:`data` for the rest), never as a constant: PyTensor keys each
compiled C module on its constants' values and static shapes, so constants
made every new data set (a week's new completions, each backtest epoch)
recompile the modules they touched (8 of ~55, ~7 s on 2 cores), while shared
inputs compile once per model layout.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

#: Per thread, the lists that :func:`recording` collects the data inputs made meanwhile
#: into (a model built in another thread meanwhile is not recorded).
_LOCAL = threading.local()


def _recorders() -> list[list]:
    return _LOCAL.__dict__.setdefault("recorders", [])


@contextlib.contextmanager
def recording():
    """Collect, in creation order, every data input made by :func:`data` and :func:`row_data`.

    :mod:`pmo_nb.forecast.reuse` swaps a new fit's data into a compiled model of
    the same layout through them.
    """
    made: list = []
    _recorders().append(made)
    try:
        yield made
    finally:
        _recorders().remove(made)


def _shared(value, shape):
    import pytensor  # lazy: PyTensor loads only when a model is fitted

    variable = pytensor.shared(value, shape=shape)
    for made in _recorders():
        made.append(variable)
    return variable


def data(value):
    """``value`` (a number or array computed from the data) as a graph input, not a constant."""
    value = np.array(value, dtype="float64", order="C")  # 0-d stays 0-d
    return _shared(value, value.shape)


def row_data(*blocks: np.ndarray) -> list:
    """Per-row data blocks (each k x n) as slices of one graph input of n unknown.

    One input, not one per block: every slice then has the same symbolic
    number of rows, so PyTensor needs no run-time checks that they agree.
    """
    stacked = np.ascontiguousarray(np.vstack(blocks), dtype="float64")
    shared = _shared(stacked, (len(stacked), None))
    ends = np.cumsum([0] + [len(block) for block in blocks])
    return [shared[int(a):int(b)] for a, b in zip(ends[:-1], ends[1:], strict=True)]


def bivariate_t_sum(resid_t, inv_scale_t, sum_log_scale, rho, nu, weight, total_weight):
    """Weighted sum of bivariate Student-t log densities (a PyTensor scalar).

    Parameters
    ----------
    resid_t, inv_scale_t : tensor, 2 x n
        ``y - loc`` and ``1 / scale``, targets as rows.
    sum_log_scale : tensor scalar
        ``sum_i w_i (log scale_i1 + log scale_i2)``, from sufficient statistics.
    rho, nu : tensor scalars
        Correlation and degrees of freedom.
    weight : tensor (n,) or None
        Row weights; None: every row weighs 1.
    total_weight : float
        Their sum (the number of rows when unweighted).
    """
    import pytensor.tensor as pt  # lazy: PyTensor loads only when a model is fitted

    z = resid_t * inv_scale_t
    one_m = 1.0 - rho**2
    tail = pt.log1p((z[0] ** 2 - 2.0 * rho * z[0] * z[1] + z[1] ** 2) / (one_m * nu))
    tail = tail.sum() if weight is None else pt.dot(weight, tail)
    const = (pt.gammaln((nu + 2.0) / 2.0) - pt.gammaln(nu / 2.0) - pt.log(nu * np.pi)
             - 0.5 * pt.log(one_m))
    return data(total_weight) * const - sum_log_scale - (nu + 2.0) / 2.0 * tail


def reference_loglik(y: np.ndarray, onehot: np.ndarray, x: np.ndarray, alpha, beta, log_scale,
                     rho, nu):
    """The reference class: ``loc = alpha[c] + x beta``, ``scale = exp(log_scale[c])``.

    ``y`` (n x 2) and ``x`` (n x p) are the data, ``onehot`` (n x C) the
    categories; ``alpha``, ``log_scale`` (C x 2) and ``beta`` (p x 2) tensors.
    """
    import pytensor.tensor as pt  # lazy: PyTensor loads only when a model is fitted

    y_t, onehot_t, x_t = row_data(y.T, onehot.T, x.T)
    resid_t = y_t - pt.dot(alpha.T, onehot_t) - pt.dot(beta.T, x_t)
    # each row has one category: exp of the C x 2 scales, then the product picks them
    inv_scale_t = pt.dot(pt.exp(-log_scale).T, onehot_t)
    sum_log_scale = pt.sum(data(onehot.sum(axis=0)[:, None]) * log_scale)
    return bivariate_t_sum(resid_t, inv_scale_t, sum_log_scale, rho, nu, None, len(y))


def inflight_loglik(y: np.ndarray, loc_ref: np.ndarray, scale_ref: np.ndarray, q: np.ndarray,
                    theta, spread_terms: np.ndarray, spread: list, rho, nu, weight: np.ndarray):
    """The in-flight stage: a correction of the reference class's location and scale.

    ``loc = loc_ref + q theta`` and ``log scale = log scale_ref + sum_j
    spread_terms[:, j] spread[j]``: ``y``, ``loc_ref``, ``scale_ref`` (n x 2),
    ``q`` (n x t) and ``spread_terms`` (n x k) are data, ``theta`` (t x 2) and
    each of the k ``spread`` (2,) tensors.
    """
    import pytensor.tensor as pt  # lazy: PyTensor loads only when a model is fitted

    unweighted = bool(np.all(weight == 1.0))
    blocks = [(y - loc_ref).T, q.T, spread_terms.T, 1.0 / scale_ref.T]
    resid0_t, q_t, terms_t, inv_scale_ref_t, *w = row_data(
        *blocks, *([] if unweighted else [weight[None, :]]))
    resid_t = resid0_t - pt.dot(theta.T, q_t)
    # one product: its gradient is one matrix product too, not a broadcast and a sum per term
    log_spread_t = pt.dot(pt.stack(spread, axis=1), terms_t)
    inv_scale_t = pt.exp(-log_spread_t) * inv_scale_ref_t
    totals = weight @ spread_terms  # the sufficient statistics of the spread
    sum_log_scale = (data(weight @ np.log(scale_ref).sum(axis=1))
                     + sum(data(t) * s.sum() for s, t in zip(spread, totals, strict=True)))
    return bivariate_t_sum(resid_t, inv_scale_t, sum_log_scale, rho, nu,
                           None if unweighted else w[0][0], float(weight.sum()))

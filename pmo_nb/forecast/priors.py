"""The forecast model's priors on category effects and their spread.

How a partially pooled effect is parametrised decides whether NUTS meets a
funnel; see :mod:`pmo_nb.forecast.model` for the measurements behind the
choices.
"""

from __future__ import annotations

import numpy as np


def spread_prior(name: str, mode: float):
    """A between-category spread ``~ Gamma(2, 1 / mode)`` per target.

    With a handful of categories the data say little about the spread, and a
    prior with mass piled at zero (half-normal) lets the sampler fall into the
    funnel where every category collapses onto the mean: divergences and a
    low effective sample size. Gamma(2, .) is zero-avoiding (its density
    vanishes at 0) yet weakly informative (mode ``mode``, mean ``2 mode``,
    95 % between ``0.24 mode`` and ``5.6 mode``), as recommended for group
    scales with few groups (Chung et al. 2013).
    """
    import pymc as pm  # lazy: PyMC loads only when a model is fitted

    return pm.Gamma(name, alpha=2.0, beta=1.0 / mode, dims="target")


def pooled(name, mu, sigma, counts, centred_from: int):
    """Category effects ``~ Normal(mu, sigma)``, partially pooled.

    Categories with at least ``centred_from`` projects are parametrised
    centred (their data pin them down; non-centred would make an inverse
    funnel), the others non-centred (no funnel when ``sigma`` is small).
    """
    import pymc as pm  # lazy: PyMC loads only when a model is fitted
    import pytensor.tensor as pt  # lazy: PyTensor loads only when a model is fitted

    big = np.flatnonzero(counts >= centred_from)
    small = np.flatnonzero(counts < centred_from)
    parts = []
    if len(big):
        parts.append(pm.Normal(f"{name}_centred", mu, sigma, shape=(len(big), 2)))
    if len(small):
        z = pm.Normal(f"{name}_offset", 0.0, 1.0, shape=(len(small), 2))
        parts.append(mu + sigma * z)
    if len(parts) == 1:  # all centred or all not: already in category order
        return pm.Deterministic(name, parts[0], dims=("category", "target"))
    order = np.argsort(np.concatenate([big, small]))
    return pm.Deterministic(name, pt.concatenate(parts, axis=0)[order],
                            dims=("category", "target"))

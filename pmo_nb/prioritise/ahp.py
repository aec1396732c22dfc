"""Objective weights from pairwise comparisons (Saaty's analytic hierarchy process).

A board rarely agrees on "40 % growth, 25 % risk ...", but it can say "growth
matters three times as much as risk". :func:`ahp_weights` turns such a
reciprocal judgement matrix into weights (the principal eigenvector) and says
how consistent the judgements were (Saaty's consistency ratio, CR). A CR above
0.10 means the judgements contradict each other enough to be revisited.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: Saaty's random consistency index: the mean CI of random reciprocal matrices
#: of size n on the 1/9..9 scale (Saaty, *The Analytic Hierarchy Process*, 1980;
#: extended to n = 15 in Saaty & Vargas, *Models, Methods, Concepts & Applications
#: of the AHP*, 2012). Matrices of size 1 and 2 are always consistent.
RANDOM_INDEX: dict[int, float] = {
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
    9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
}
#: Saaty's threshold: judgements with CR above it should be revisited.
CR_THRESHOLD = 0.10
#: How far a_ij * a_ji may stray from 1 (judgements typed as 0.33 for 1/3).
RECIPROCAL_TOLERANCE = 0.01


class InconsistentJudgementsWarning(UserWarning):
    """Warned when a pairwise-comparison matrix has CR above :data:`CR_THRESHOLD`."""


def is_consistent(cr: float, threshold: float = CR_THRESHOLD) -> bool:
    """True when a consistency ratio is acceptable (``cr <= threshold``, Saaty's 0.10)."""
    return bool(cr <= threshold)


def pairwise_matrix(judgements: Mapping[tuple[str, str], float],
                    labels: Sequence[str]) -> pd.DataFrame:
    """Build the full reciprocal matrix from one judgement per pair.

    Parameters
    ----------
    judgements : mapping of (a, b) -> float
        How many times more important ``a`` is than ``b`` (Saaty's 1-9 scale,
        or its reciprocal). Pairs not given count as equal (1).
    labels : sequence of str
        The items compared, in the order wanted.

    Returns
    -------
    pandas.DataFrame
        Square matrix with ``labels`` as index and columns, ones on the diagonal.
    """
    labels = list(labels)
    pos = {label: i for i, label in enumerate(labels)}
    matrix = np.ones((len(labels), len(labels)))
    for (a, b), value in judgements.items():
        if a not in pos or b not in pos:
            raise ValueError(f"judgement ({a!r}, {b!r}) names an item not in labels")
        if a == b:
            raise ValueError(f"judgement ({a!r}, {b!r}) compares an item with itself")
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"judgement ({a!r}, {b!r}) = {value!r} must be a positive number")
        matrix[pos[a], pos[b]] = value
        matrix[pos[b], pos[a]] = 1.0 / value
    return pd.DataFrame(matrix, index=labels, columns=labels)


def _check(matrix: np.ndarray, labels: list) -> None:
    """Raise ValueError naming the first cell that breaks the AHP rules."""
    n = matrix.shape[0]
    for i in range(n):
        for j in range(n):
            value = matrix[i, j]
            if not np.isfinite(value) or value <= 0:
                raise ValueError(
                    f"cell ({labels[i]!r}, {labels[j]!r}) = {value:g}: "
                    "pairwise comparisons must be positive numbers"
                )
    for i in range(n):
        if abs(matrix[i, i] - 1.0) > RECIPROCAL_TOLERANCE:
            raise ValueError(
                f"cell ({labels[i]!r}, {labels[i]!r}) = {matrix[i, i]:g}: "
                "an item compared with itself must be 1"
            )
        for j in range(i + 1, n):
            if abs(matrix[i, j] * matrix[j, i] - 1.0) > RECIPROCAL_TOLERANCE:
                raise ValueError(
                    f"cell ({labels[j]!r}, {labels[i]!r}) = {matrix[j, i]:g} is not the "
                    f"reciprocal of cell ({labels[i]!r}, {labels[j]!r}) = {matrix[i, j]:g} "
                    f"(expected {1.0 / matrix[i, j]:.4g})"
                )


def ahp_weights(matrix, labels: Sequence[str] | None = None) -> tuple[pd.Series, float]:
    """Weights and consistency ratio from a reciprocal pairwise-comparison matrix.

    Parameters
    ----------
    matrix : array-like or pandas.DataFrame
        Square matrix; ``matrix[i][j]`` says how many times more important item
        i is than item j (Saaty's 1-9 scale), so ``matrix[j][i] = 1 / matrix[i][j]``.
    labels : sequence of str, optional
        Item names; default the DataFrame's index, else ``0..n-1``.

    Returns
    -------
    weights : pandas.Series
        Principal right eigenvector normalised to sum to 1, named ``weight``.
    cr : float
        Saaty's consistency ratio ``((lambda_max - n) / (n - 1)) / RI(n)``;
        0 for n <= 2. Above 0.10 an :class:`InconsistentJudgementsWarning` is
        issued; test it with :func:`is_consistent`.

    Raises
    ------
    ValueError
        Non-square, empty, larger than 15 (no standard random index), a cell
        that is not a positive number, a diagonal cell other than 1, or a pair
        that is not reciprocal (within :data:`RECIPROCAL_TOLERANCE`); the
        message names the cell.
    """
    if labels is None and isinstance(matrix, pd.DataFrame):
        labels = list(matrix.index)
    values = np.asarray(matrix, dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] == 0:
        raise ValueError(f"a pairwise-comparison matrix must be square, got shape {values.shape}")
    n = values.shape[0]
    labels = list(range(n)) if labels is None else list(labels)
    if len(labels) != n:
        raise ValueError(f"{len(labels)} labels for a {n}x{n} matrix")
    if n not in RANDOM_INDEX:
        raise ValueError(f"no standard random index for n = {n} (the table covers 1 to 15)")
    _check(values, labels)

    eigenvalues, eigenvectors = np.linalg.eig(values)
    top = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[top].real)
    vector = np.abs(eigenvectors[:, top].real)  # Perron vector: one sign, real
    weights = pd.Series(vector / vector.sum(), index=labels, name="weight")

    cr = 0.0 if n <= 2 else max((lambda_max - n) / (n - 1), 0.0) / RANDOM_INDEX[n]
    if not is_consistent(cr):
        warnings.warn(
            f"pairwise judgements are inconsistent: consistency ratio {cr:.3f} > "
            f"{CR_THRESHOLD:.2f}; revisit the comparisons before using these weights",
            InconsistentJudgementsWarning,
            stacklevel=2,
        )
    return weights, float(cr)


def parse_weights(text: str, objective_ids: Sequence[str]) -> tuple[dict | None, dict | None]:
    """Objective weights from a report parameter (JSON text).

    Parameters
    ----------
    text : str
        ``""`` for the stated weights; a JSON object ``{"OBJ-01": 3, ...}``
        of relative weights; or ``{"ahp_matrix": [[1, 3], [0.3333, 1]],
        "labels": ["OBJ-01", "OBJ-02"]}`` for weights from pairwise
        comparisons (``labels`` default: ``objective_ids`` in order;
        objectives not among the labels then weigh 0).
    objective_ids : sequence of str
        The portfolio's objectives.

    Returns
    -------
    weights : dict or None
        objective_id -> weight, or None for the stated weights.
    worksheet : dict or None
        For AHP: ``matrix`` (DataFrame), ``weights`` (Series), ``cr`` and
        ``consistent``; None otherwise.

    Raises
    ------
    ValueError
        Text that is not JSON, not an object, or numbers that are not weights;
        AHP matrices are checked by :func:`ahp_weights`.
    """

    text = (text or "").strip()
    if not text:
        return None, None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"weights must be JSON (objective_id -> weight): {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("weights must be a JSON object: objective_id -> weight, "
                         "or {\"ahp_matrix\": [[...]], \"labels\": [...]}")
    if "ahp_matrix" in data:
        labels = list(data.get("labels") or objective_ids)
        size = len(data["ahp_matrix"]) if isinstance(data["ahp_matrix"], list) else None
        if not data.get("labels") and size != len(labels):
            raise ValueError(f"the ahp_matrix compares {size} objectives but the portfolio has "
                             f"{len(labels)}: give labels (the objective_ids, in matrix order)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InconsistentJudgementsWarning)
            weights, cr = ahp_weights(data["ahp_matrix"], labels)
        matrix = pd.DataFrame(np.asarray(data["ahp_matrix"], dtype=float),
                              index=labels, columns=labels)
        worksheet = {"matrix": matrix, "weights": weights, "cr": cr,
                     "consistent": is_consistent(cr)}
        # objectives left out of the comparisons get no weight (not their stated one,
        # which is on another scale)
        out = {str(o): 0.0 for o in objective_ids}
        out.update({str(k): float(v) for k, v in weights.items()})
        return out, worksheet
    try:
        return {str(k): float(v) for k, v in data.items()}, None
    except (TypeError, ValueError):
        raise ValueError("weights must map each objective_id to a number") from None

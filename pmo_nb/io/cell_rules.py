"""Cell rules beyond "parses as its kind": finite numbers, ids without invisible characters.

Each rule maps a column's parsed values and text to a per-cell "ok" Series
(empty cells pass), which :mod:`pmo_nb.io.validation` checks in its text pass.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from pmo_nb.schema import Column

FINITE_RULE = "must be a finite number"
VISIBLE_RULE = ("must not contain control or format characters "
                "(Unicode categories Cc and Cf, e.g. a zero-width space)")


def finite_or_empty(values: pd.Series) -> pd.Series:
    """Per cell: the number is finite, or the cell did not parse (another rule's problem)."""
    return ~np.isinf(values.to_numpy(dtype="float64"))


def _visible(text: str) -> bool:
    # printable text has no Cc or Cf character (both are "Other"): one C call decides
    # for nearly every id; the others (a no-break space, say) are looked at per character
    return text.isprintable() or not any(unicodedata.category(ch) in ("Cc", "Cf")
                                         for ch in text)


def _all_printable(texts: np.ndarray) -> bool:
    """Whether every text is printable (per character, so their concatenation tells)."""
    try:
        return "".join(texts).isprintable()
    except TypeError:  # not all str: look at each
        return False


def visible_or_empty(text: pd.Series) -> pd.Series:
    """Per cell: no control (Cc) or format (Cf) character, or the cell is empty."""
    codes, uniques = pd.factorize(text.to_numpy(dtype=object), use_na_sentinel=True)
    if _all_printable(uniques):  # the usual column: one C call over all its texts
        ok = np.ones(len(uniques) + 1, dtype=bool)
    else:
        ok = np.array([_visible(u) for u in uniques] + [True], dtype=bool)
    return pd.Series(ok[codes], index=text.index)


def cell_rules(column: Column, values: pd.Series | None,
               text: pd.Series | None) -> list[tuple[str, pd.Series]]:
    """The extra (rule text, per-cell ok) pairs for ``column``; none when it is absent."""
    if values is None or text is None:
        return []
    if column.kind == "number":
        return [(FINITE_RULE, pd.Series(finite_or_empty(values), index=values.index))]
    if column.kind == "id":
        return [(VISIBLE_RULE, visible_or_empty(text))]
    return []

"""Parse the text cells of a workbook into typed values, locale-tolerant.

Spreadsheets exported in different locales write ``1 234,5`` or ``1,234.5``,
``2026-03-01`` or an Excel serial, ``yes``/``true``/``1``. Each parser takes a
column of cell texts and returns typed values with NA where a cell does not
parse, so :mod:`pmo_nb.io.validation` can report that cell and the rule it broke.
Columns repeat their values, so each parser works once per distinct text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_SPACES = r"[\s\u00a0\u202f']"  # thousands separators some locales use
_PLAIN = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def _on_distinct(parse, cells: pd.Series) -> pd.Series:
    """``parse(cells)`` computed once per distinct text, then spread back.

    Columns repeat their values (ids, dates, RAG, stages), so parsing the
    distinct texts (:func:`pandas.factorize`, a hash per cell) and taking the
    results by code is exact and much cheaper than parsing every cell.
    Missing cells stay missing (the parser's own NA for its dtype).
    """
    codes, uniques = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=True)
    if len(uniques) == 0:
        return parse(cells)
    parsed = parse(pd.Series(uniques, dtype=cells.dtype))
    spread = parsed.take(np.maximum(codes, 0)).set_axis(cells.index).rename(cells.name)
    missing = codes < 0
    if not missing.any():
        return spread
    # what the parser gives an empty cell of this dtype (None, NaN, NaT or NA)
    empty = parse(pd.Series([None], dtype=cells.dtype)).iloc[0]
    return spread.where(~missing, empty)


def _simple_decimals(values: np.ndarray, dot: bool) -> np.ndarray:
    """Which texts are plain decimals ``-?\\d+(\\.\\d*)?`` (``-?\\d+`` without ``dot``).

    Vectorised over the characters' code points; such a text is a number under
    every rule of :func:`parse_numbers` and reads as itself, so only the
    others go through the regular expressions. Texts over 32 characters are
    left to those (they would make the code-point matrix large).
    """
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    result = np.zeros(len(values), dtype=bool)
    short = np.flatnonzero((lengths > 0) & (lengths <= 32))
    if len(short) == 0:
        return result
    text = values[short].astype("U")
    n, w = len(short), text.dtype.itemsize // 4
    cp = text.view(np.uint32).reshape(n, w)
    inside = np.arange(w) < lengths[short, None]  # a trailing NUL is dropped by "U": reject
    digit = (cp >= 48) & (cp <= 57)
    allowed = digit | ((np.arange(w) == 0) & (cp == 45))
    if dot:
        allowed |= cp == 46
    ok = np.where(inside, allowed, cp == 0).all(axis=1)
    minus = (cp[:, 0] == 45).astype(np.int64)
    ok &= digit[np.arange(n), np.minimum(minus, w - 1)] & (lengths[short] > minus)
    if dot:
        ok &= ((cp == 46) & inside).sum(axis=1) <= 1
    result[short] = ok
    return result


def parse_numbers(cells: pd.Series, decimal_comma: bool = False) -> pd.Series:
    """Text -> float; NaN where the text is not a number.

    Accepts ``1234.5``, ``1,234.5`` and ``1e6``; with ``decimal_comma`` (a
    ``;``-separated file) also ``1234,5``, ``1.234,5`` and ``1 234,5``, and
    ``1.234`` reads as one thousand two hundred and thirty-four.
    """
    return _on_distinct(lambda s: _parse_number_texts(s, decimal_comma), cells)


def _parse_number_texts(cells: pd.Series, decimal_comma: bool) -> pd.Series:
    values = cells.to_numpy(dtype=object)
    present = pd.notna(values)
    fast = np.zeros(len(values), dtype=bool)
    fast[present] = _simple_decimals(values[present], dot=not decimal_comma)
    normal = np.where(fast, values, np.nan).astype(object)
    if not fast.all():
        normal[~fast] = _normalise_numbers(cells[~fast], decimal_comma).to_numpy(dtype=object)
    numbers = pd.to_numeric(pd.Series(normal, index=cells.index, dtype=object), errors="coerce")
    return numbers.astype("float64").rename(cells.name)


def _normalise_numbers(cells: pd.Series, decimal_comma: bool) -> pd.Series:
    """The text of each number in plain ``1234.5`` form; NaN where it is not a number."""
    text = cells.astype("str").str.replace(_SPACES, "", regex=True)
    plain = text.str.fullmatch(_PLAIN).fillna(False)
    if decimal_comma:
        grouped = text.str.fullmatch(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?").fillna(False)
        comma = text.str.fullmatch(r"[+-]?(?:\d+,?\d*|,\d+)(?:[eE][+-]?\d+)?").fillna(False)
        normal = text.where(~grouped, text.str.replace(".", "", regex=False))
        normal = normal.str.replace(",", ".", regex=False)
        ok = grouped | comma | plain
    else:
        grouped = text.str.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").fillna(False)
        normal = text.str.replace(",", "", regex=False)
        ok = grouped | plain
    return normal.where(ok)


def parse_dates(cells: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` text -> datetime; NaT otherwise (also for 2026-02-30).

    Years run from 1700 to 2199, inside what a nanosecond timestamp holds.
    """
    return _on_distinct(_parse_date_texts, cells)


def _parse_date_texts(cells: pd.Series) -> pd.Series:
    text = cells.astype("str")
    ok = text.str.fullmatch(r"(?:1[7-9]|2[01])\d{2}-\d{2}-\d{2}").fillna(False)
    return pd.to_datetime(text.where(ok), format="%Y-%m-%d", errors="coerce")


def parse_months(cells: pd.Series) -> pd.Series:
    """``YYYY-MM`` text kept as it is; None otherwise."""
    return _on_distinct(_parse_month_texts, cells)


def _parse_month_texts(cells: pd.Series) -> pd.Series:
    ok = cells.astype("str").str.fullmatch(r"\d{4}-(?:0[1-9]|1[0-2])").fillna(False)
    return cells.where(ok, None).astype(object)


_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


def parse_bools(cells: pd.Series) -> pd.Series:
    """true/false, yes/no, 1/0 (any case) -> boolean; NA otherwise."""
    return _on_distinct(
        lambda s: s.astype("str").str.lower().map(_BOOLS).astype("boolean"), cells)


def parse_enum(cells: pd.Series, choices: tuple[str, ...]) -> pd.Series:
    """The choice as spelled in ``choices`` (any case); None when it is not one."""
    return _on_distinct(lambda s: _parse_enum_texts(s, choices), cells)


def _parse_enum_texts(cells: pd.Series, choices: tuple[str, ...]) -> pd.Series:
    spelled = {c.lower(): c for c in choices}
    text = cells.astype("str").str.lower().map(spelled)
    return text.astype(object).where(lambda s: s.notna(), None)

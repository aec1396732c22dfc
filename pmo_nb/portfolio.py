"""The Portfolio: one typed DataFrame per table, however it was loaded."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from pmo_nb.memo import per_portfolio
from pmo_nb.schema import TABLE_NAMES, TABLES


@dataclass
class Portfolio:
    """The tables of the interchange format as typed DataFrames.

    Each attribute is a DataFrame with the spec's columns (in spec order and
    dtype) followed by any extra columns the organisation keeps. A table that
    was absent is empty with the right columns. Rows keep the workbook order;
    ids are ordinary columns (not the index) so tables join naturally.
    """

    objectives: pd.DataFrame = field(default_factory=TABLES["objectives"].empty_frame)
    projects: pd.DataFrame = field(default_factory=TABLES["projects"].empty_frame)
    alignment: pd.DataFrame = field(default_factory=TABLES["alignment"].empty_frame)
    status_updates: pd.DataFrame = field(default_factory=TABLES["status_updates"].empty_frame)
    risks: pd.DataFrame = field(default_factory=TABLES["risks"].empty_frame)
    benefits: pd.DataFrame = field(default_factory=TABLES["benefits"].empty_frame)
    benefit_measurements: pd.DataFrame = field(
        default_factory=TABLES["benefit_measurements"].empty_frame
    )
    teams: pd.DataFrame = field(default_factory=TABLES["teams"].empty_frame)
    demand: pd.DataFrame = field(default_factory=TABLES["demand"].empty_frame)
    dependencies: pd.DataFrame = field(default_factory=TABLES["dependencies"].empty_frame)
    tasks: pd.DataFrame = field(default_factory=TABLES["tasks"].empty_frame)
    task_links: pd.DataFrame = field(default_factory=TABLES["task_links"].empty_frame)
    holidays: pd.DataFrame = field(default_factory=TABLES["holidays"].empty_frame)
    requirements: pd.DataFrame = field(default_factory=TABLES["requirements"].empty_frame)
    change_requests: pd.DataFrame = field(default_factory=TABLES["change_requests"].empty_frame)
    decisions: pd.DataFrame = field(default_factory=TABLES["decisions"].empty_frame)
    people: pd.DataFrame = field(default_factory=TABLES["people"].empty_frame)
    #: Where it came from (folder, workbook file or store URL).
    source: str = ""
    #: Notices that are not errors (e.g. extra columns kept as attributes).
    notices: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in spec order."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    @per_portfolio
    def checksum(self) -> str:
        """A short SHA-256 of the tables' contents (order-independent).

        Reports print it so a reader can tell two runs used the same data.
        """
        digest = hashlib.sha256()
        for name, frame in self.tables().items():
            key = list(TABLES[name].key)
            canon = frame if strictly_sorted(frame, key) else frame.sort_values(key)
            canon = canon[sorted(canon.columns)]
            digest.update(name.encode())
            digest.update(csv_text(canon).encode())
        return digest.hexdigest()[:16]

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(getattr(self, n))}" for n in TABLE_NAMES)
        return f"Portfolio({self.source!r}: {counts})"


def strictly_sorted(frame: pd.DataFrame, key: list[str]) -> bool:
    """Whether the rows are in strictly increasing key order: the order a sort gives.

    Loaded tables come sorted by key; checking that costs two comparisons per
    row and key, far less than sorting them again. Equal or missing keys,
    or keys that do not compare, answer False (the caller sorts).
    """
    if len(frame) < 2:
        return True
    before = np.zeros(len(frame) - 1, dtype=bool)  # decided: this row's key is smaller
    tied = np.ones(len(frame) - 1, dtype=bool)  # equal in the key columns so far
    try:
        for k in key:
            series = frame[k]
            if series.hasnans:
                return False
            values = series.to_numpy()
            before |= tied & (values[:-1] < values[1:])
            tied &= values[:-1] == values[1:]
    except TypeError:
        return False
    return bool(before.all())


# --- the checksum's text ------------------------------------------------------------------
# Checksums are logged by imports and printed by reports, so their text must stay what
# ``to_csv(index=False, date_format="%Y-%m-%d")`` writes. That call formats every cell and
# runs the csv writer over every row; the typed tables repeat values and need no quoting
# outside a few texts, so each distinct value is formatted once, the same way.

#: characters that make the csv writer quote a field (some versions add \r: asked to it)
_QUOTED = re.compile('[,"\n\r]')


def _field(text: str) -> str:
    """One text field as pandas' csv writer writes it (quoted and doubled where it must be)."""
    if _QUOTED.search(text) is None:
        return text
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([text, ""])  # the field, then ",\n"
    return buf.getvalue()[:-2]


def _distinct_texts(values: np.ndarray, present: np.ndarray, fmt) -> np.ndarray | None:
    """Each cell's field: ``fmt`` of the distinct present values, "" where missing."""
    codes, uniques = pd.factorize(values[present])
    texts = fmt(uniques)
    if texts is None:
        return None
    out = np.full(len(values), "", dtype=object)
    out[present] = np.asarray(texts + [""], dtype=object)[codes]
    return out


def float_texts(values: np.ndarray, other) -> list[str]:
    """Texts of float64 ``values``: ``other(values)``'s, whole numbers made faster.

    ``other`` is ``repr`` or ``ndarray.astype(str)`` per value; both write a
    nonzero whole number below 1e16 as its digits and ``.0``, which a format
    of its int64 makes several times faster. Zeros (``-0.0``), larger, fractional
    and non-finite values are left to ``other``.
    """
    with np.errstate(invalid="ignore"):  # a signalling NaN's bits
        whole = (values == np.trunc(values)) & (np.abs(values) < 1e16) & (values != 0)
    if not whole.any():
        return list(other(values))
    out = np.empty(len(values), dtype=object)
    out[whole] = [f"{v}.0" for v in values[whole].astype(np.int64).tolist()]
    rest = ~whole
    if rest.any():
        out[rest] = list(other(values[rest]))
    return out.tolist()


def _float_texts(uniques: np.ndarray) -> list[str]:
    # pandas writes a float64 block with ndarray.astype(str) (GH#13418); per value here
    return float_texts(uniques.view(np.float64), lambda v: v.astype(str).tolist())


def _day_texts(uniques: np.ndarray) -> list[str] | None:
    days = uniques.astype("datetime64[D]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    if len(days) and (years.min() < 1000 or years.max() > 9999):
        return None  # not four digits: leave them to pandas
    return np.datetime_as_string(days).tolist()


def _column_texts(series: pd.Series) -> np.ndarray | None:
    """The fields ``to_csv`` writes for one column; None for a dtype it handles itself."""
    dtype = series.dtype
    present = series.notna().to_numpy()
    if dtype == np.float64:  # by their bits: -0.0 writes "-0.0"
        return _distinct_texts(series.to_numpy().view(np.int64), present, _float_texts)
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return _distinct_texts(series.to_numpy(), present, _day_texts)
    if isinstance(dtype, pd.StringDtype) or isinstance(dtype, pd.BooleanDtype):
        return _distinct_texts(series.to_numpy(dtype=object), present, _text_fields)
    return None


def _text_fields(uniques: np.ndarray) -> list[str]:
    """:func:`_field` of each value's text; one search over them all when none is quoted."""
    texts = [str(v) for v in uniques]
    if _QUOTED.search("".join(texts)) is None:  # one-character classes: no match across texts
        return texts
    return [_field(t) for t in texts]


def csv_text(frame: pd.DataFrame) -> str:
    """Exactly ``frame.to_csv(index=False, date_format="%Y-%m-%d")``, made faster.

    Columns of the typed tables' dtypes (float64, datetime64, str, boolean)
    are formatted once per distinct value; a frame with another dtype, no
    rows or one column is left to ``to_csv``.
    """
    if len(frame) == 0 or frame.shape[1] < 2:
        return frame.to_csv(index=False, date_format="%Y-%m-%d")
    columns = []
    for _, series in frame.items():
        texts = _column_texts(series)
        if texts is None:
            return frame.to_csv(index=False, date_format="%Y-%m-%d")
        columns.append(texts.tolist())
    header = ",".join(_field(str(c)) for c in frame.columns)
    rows = map(",".join, zip(*columns, strict=True))
    return header + "\n" + "\n".join(rows) + "\n"


assert [f.name for f in fields(Portfolio)][: len(TABLE_NAMES)] == list(TABLE_NAMES)

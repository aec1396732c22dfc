"""Encoding of portfolio rows for the store: pure Python, no SQL.

The store (:mod:`pmo_nb.store.core`, the one module that knows SQL) turns typed
frames into column lists, row keys and content hashes with these helpers,
and decodes what it fetched back into typed frames. Also here: the import
summary and the JSON encoding of saved analysis results.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from io import StringIO

import numpy as np
import pandas as pd

from pmo_nb.errors import PROBLEM_COLUMNS, StoreError, ValidationError
from pmo_nb.portfolio import float_texts, strictly_sorted
from pmo_nb.schema import TABLE_NAMES, TABLES, coerce_types

#: What an import counts, per table.
COUNT_KINDS = ("inserted", "changed", "unchanged", "retired")
NULL = "\x00"  # canonical text of a missing value (cannot occur in a cell)
SEP = "\x1f"  # joins the parts of a key or of a row's canonical text


@dataclass(frozen=True)
class ImportSummary:
    """What one import did, table by table.

    ``inserted`` counts new keys, ``changed`` rows whose content differed
    (old version closed, new one inserted), ``unchanged`` rows left alone and
    ``retired`` plan rows dropped from a project's set (closed, not deleted).
    ``started`` is the time stamped on the versions it wrote (naive UTC).
    """

    import_id: int
    started: dt.datetime
    finished: dt.datetime
    source: str
    inserted: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)
    data_checksum: str = ""
    #: the import the workbook was based on (None: merged as it is)
    based_on: int | None = None
    #: rows left at a later import's version because the workbook had not changed them
    kept: dict[str, int] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        """Counts summed over the tables, by kind."""
        return {k: sum(getattr(self, k).values()) for k in COUNT_KINDS}

    def as_frame(self) -> pd.DataFrame:
        """One row per table, one column per kind of count."""
        return pd.DataFrame({k: getattr(self, k) for k in COUNT_KINDS}).reindex(TABLE_NAMES)

    def __str__(self) -> str:
        t = self.totals()
        return (f"import {self.import_id} from {self.source}: " +
                ", ".join(f"{t[k]} {k}" for k in COUNT_KINDS) +
                f" (data checksum {self.data_checksum})" + self._merge_note())

    def _merge_note(self) -> str:
        if self.based_on is None:
            return ""
        kept = sum(self.kept.values())
        return (f"; based on import {self.based_on}" +
                (f", {kept} rows changed since then kept" if kept else ""))


def store_time(as_of) -> dt.datetime:
    """The naive-UTC instant ``as_of`` means.

    A bare date (or a timestamp at exactly midnight) means the whole day: the
    store as it stood at the end of that day, so a report dated today sees
    today's import.
    """
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    elif ts == ts.normalize():
        ts = ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ts.to_pydatetime()


def json_default(value):
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def frame_to_json(frame: pd.DataFrame) -> str:
    """pandas' JSON table format, plus the exact dtypes (it keeps no time resolution)."""
    table = json.loads(frame.to_json(orient="table", date_format="iso"))
    table["schema"]["pandas_dtypes"] = {str(c): str(t) for c, t in frame.dtypes.items()}
    return json.dumps(table)


def frame_from_json(text: str) -> pd.DataFrame:
    frame = pd.read_json(StringIO(text), orient="table")
    dtypes = json.loads(text)["schema"].get("pandas_dtypes", {})
    for c in frame.columns:
        if str(frame[c].dtype) != dtypes.get(str(c), str(frame[c].dtype)):
            frame[c] = frame[c].astype(dtypes[str(c)])
    return frame


# --- turning typed frames into SQL rows and canonical text -----------------------------

def py_values(kind: str, series: pd.Series) -> list:
    """Python values ready for the driver (None for missing)."""
    present = series.notna().to_numpy()
    if kind == "number":
        vals = series.to_numpy(dtype="float64", na_value=np.nan).tolist()
    elif kind == "date":
        vals = pd.to_datetime(series).dt.date.tolist()
    elif kind == "bool":
        vals = [bool(v) if p else None for v, p in zip(series.tolist(), present, strict=True)]
    else:
        vals = series.tolist()
    return [v if p else None for v, p in zip(vals, present, strict=True)]


def canon(kind: str, values: list) -> list[str]:
    """Text that is equal exactly when the stored values are equal."""
    if kind == "number":
        return [NULL if v is None else repr(float(v)) for v in values]
    if kind == "date":
        return [NULL if v is None else str(v)[:10] for v in values]  # date or its ISO text
    if kind == "bool":
        return [NULL if v is None else ("1" if v else "0") for v in values]
    return [NULL if v is None else str(v) for v in values]


def _column_values(kind: str, series: pd.Series) -> tuple[list, np.ndarray]:
    """Driver values (:func:`py_values`) and canonical texts (:func:`canon`) of a column.

    The same results as those two functions, column-wise: canonical texts are
    made once per distinct value (numbers by their bits, so ``-0.0`` keeps its
    own text; dates by their day number), not once per cell.
    """
    present = series.notna().to_numpy()
    text = np.empty(len(series), dtype=object)
    text[:] = NULL
    if kind == "number":
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        codes, uniques = pd.factorize(numbers[present].view(np.int64))
        reprs = np.array(float_texts(uniques.view(np.float64),
                                     lambda v: map(repr, v.tolist())) + [""], dtype=object)
        text[present] = reprs[codes]
        values = np.where(present, numbers.astype(object), None).tolist()
    elif kind == "date":
        days = pd.to_datetime(series).to_numpy("datetime64[D]")
        # once per distinct day (NaT is one more int64: its code is never taken)
        codes, uniques = pd.factorize(days.view(np.int64))
        uniques = uniques.view("datetime64[D]")
        text[present] = np.datetime_as_string(uniques).astype(object)[codes[present]]
        values = np.where(present, uniques.astype(object)[codes], None).tolist()
    elif kind == "bool":
        flags = series.to_numpy(dtype=object)
        values = [bool(v) if p else None for v, p in zip(flags, present, strict=True)]
        text[present] = np.where(np.array([bool(v) for v in flags[present]], dtype=bool),
                                 "1", "0")
    else:
        cells = series.to_numpy(dtype=object)
        values = np.where(present, cells, None).tolist()
        # a text column of the spec holds str already (coerce_types): no str() per cell
        text[present] = (cells[present] if isinstance(series.dtype, pd.StringDtype)
                         else [str(v) for v in cells[present]])
    return values, text


def _joined(parts: list[np.ndarray]) -> list[str]:
    """Per row, the parts joined by :data:`SEP` (one string per row).

    One ``str.join`` per row: several times faster than adding the object
    arrays part by part, which makes a new string per part and row.
    """
    if len(parts) == 1:
        return parts[0].tolist()
    return list(map(SEP.join, zip(*(p.tolist() for p in parts), strict=True)))


def encode(name: str, frame: pd.DataFrame) -> tuple[dict[str, list], list[str], list[str]]:
    """SQL column lists, row keys and row hashes for an incoming table.

    A row's hash is the BLAKE2b of its canonical texts joined by :data:`SEP`
    (the plain columns in spec order, the extras' JSON, then ``name=text`` of
    each filled column added in a later revision). Stores keep these hashes,
    so the format must never change: a re-import of an unchanged workbook
    compares them to tell it changed nothing.
    """
    spec = TABLES[name]
    frame = coerce_types(name, frame)
    columns, canonical = {}, {}
    for c in spec.columns:
        columns[c.name], canonical[c.name] = _column_values(c.kind, frame[c.name])
    extras = [c for c in frame.columns if c not in columns]
    n = len(frame)
    if extras:
        recs = [{} for _ in range(n)]
        for c in extras:
            for rec, v in zip(recs, py_values("text", frame[c]), strict=True):
                rec[c] = v.item() if isinstance(v, np.generic) else v
        columns["_extra"] = [json.dumps(r, default=json_default) for r in recs]
        # an all-empty extra column is not a change of content
        hashed = np.array([json.dumps({k: v for k, v in r.items() if v is not None},
                                      sort_keys=True, default=json_default) for r in recs],
                          dtype=object)
    else:
        columns["_extra"] = [None] * n
        hashed = np.full(n, "{}", dtype=object)
    if not n:
        return columns, [], []
    keys = _joined([canonical[k] for k in spec.key])
    # columns added to a table after rows were stored count only when filled
    text = _joined([*(canonical[c.name] for c in spec.columns if c.added is None), hashed])
    for c in spec.columns:
        if c.added is not None:
            filled = frame[c.name].notna().to_numpy()
            if filled.any():
                suffix = np.full(n, "", dtype=object)
                suffix[filled] = f"{SEP}{c.name}=" + canonical[c.name][filled]
                text = list(map(str.__add__, text, suffix.tolist()))
    blake2b = hashlib.blake2b
    hashes = [blake2b(t.encode(), digest_size=16).hexdigest() for t in text]
    return columns, keys, hashes


_TEXT_KINDS = ("id", "text", "enum", "month")


def _raw_series(kind: str | None, values: list) -> pd.Series:
    """A fetched column as a Series for :func:`~pmo_nb.schema.coerce_types`.

    Object dtype, except a text column of only ``str``/None (``str`` dtype) and a
    number column of only ``float``/None (float64, None as NaN): what coerce_types
    makes of them, built without looking at each object again.
    """
    found = set(map(type, values))
    if kind in _TEXT_KINDS and found <= {str, type(None)}:
        return pd.Series(values, dtype="str")
    if kind == "number" and found <= {float, type(None)}:
        return pd.Series(np.array(values, dtype=np.float64))
    return pd.Series(values, dtype=object)


def decode(name: str, data: list[list], columns: list[str]) -> pd.DataFrame:
    """A typed frame (extras unpacked, ordered by key) from raw SQL columns."""
    spec = TABLES[name]
    kinds = {c.name: c.kind for c in spec.columns}
    frame = pd.DataFrame({c: _raw_series(kinds.get(c), v)
                          for c, v in zip(columns, data, strict=True)})
    extra = frame.pop("_extra")
    present = extra.notna()
    if present.any():
        parsed = [json.loads(t) if p else {} for t, p in zip(extra, present, strict=True)]
        extras = pd.DataFrame.from_records(parsed, index=frame.index)
        for c in extras.columns:  # extras read from a workbook are text, even when empty
            frame[c] = extras[c].astype("str") if extras[c].isna().all() else extras[c]
    frame = coerce_types(name, frame)
    if not strictly_sorted(frame, list(spec.key)):  # rows read in key order need no sort
        frame = frame.sort_values(list(spec.key), kind="stable").reset_index(drop=True)
    return frame


def check_unique_keys(encoded: dict, source: str) -> None:
    problems = []
    for name, (_, keys, _) in encoded.items():
        if len(set(keys)) == len(keys):
            continue
        seen = set()
        for i, k in enumerate(keys):
            if k in seen:
                problems.append({"file": name, "table": name, "row": i + 2,
                                 "column": ", ".join(TABLES[name].key),
                                 "value": k.replace(SEP, ", "), "rule": "duplicate key"})
            seen.add(k)
    if problems:
        raise ValidationError(pd.DataFrame(problems, columns=PROBLEM_COLUMNS), source)


class ImportConflict(StoreError):
    """An import would overwrite rows that a later import changed.

    ``conflicts`` has one row per key: ``table``, ``key``, and the
    ``import_id``, ``started_at`` and ``source`` of the import that changed
    it after ``based_on``.
    """

    def __init__(self, store_url: str, based_on: int, conflicts: pd.DataFrame):
        self.based_on = based_on
        self.conflicts = conflicts
        super().__init__(conflict_message(store_url, based_on, conflicts))


def conflict_message(store_url: str, based_on: int, conflicts: pd.DataFrame,
                     shown: int = 8) -> str:
    """What the analyst reads when their import is refused, import by import."""
    lines = [f"import refused: this workbook is based on import {based_on} of {store_url}, "
             f"and later imports changed {len(conflicts)} rows it changes too:"]
    for (import_id, started, source), rows_ in conflicts.groupby(
            ["import_id", "started_at", "source"], sort=True, dropna=False):
        lines.append(f"  import {import_id} ({pd.Timestamp(started):%Y-%m-%d %H:%M:%S} UTC, "
                     f"from {source}) changed:")
        for table, keys in rows_.groupby("table", sort=False)["key"]:
            keys = list(keys)
            more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
            lines.append(f"    {table}: {', '.join(keys[:shown])}{more}")
    lines.append("Nothing was written. Export the store again (pmo export), redo your changes "
                 "there and import that; or import with --force to overwrite those changes.")
    return "\n".join(lines)


def key_text(key: str) -> str:
    """A stored key as people read it (parts joined by ' / ')."""
    return key.replace(SEP, " / ")

"""Write a Portfolio back out in the interchange format (CSV folder or .xlsx).

What is written reads back (:func:`~pmo_nb.io.reading.read_workbook` then
:func:`~pmo_nb.io.validation.validate`) to an identical Portfolio: dates ISO,
months ``YYYY-MM``, booleans ``true``/``false``, numbers without a spurious
``.0``, extra columns kept after the spec's columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from pmo_nb.io.escaping import escape_frame
from pmo_nb.io.reading import EXCEL_SUFFIXES, format_number
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLES


def write_workbook(portfolio: Portfolio, dest: str | os.PathLike,
                   extra_tables: dict[str, pd.DataFrame] | None = None,
                   formula_escape: bool = False) -> Path:
    """Write every table of ``portfolio`` (empty ones as a header row).

    Parameters
    ----------
    portfolio : Portfolio
        The typed tables to write.
    dest : str or path
        A folder for CSV files (created if needed), or a path ending in
        ``.xlsx`` for one workbook with a sheet per table.
    extra_tables : dict of str to DataFrame, optional
        More tables written as further files/sheets (e.g. history); reading
        the workbook back ignores them with a notice.
    formula_escape : bool
        CSV only: prefix a ``'`` to text cells a spreadsheet would run as a
        formula, and to text already starting with ``'``
        (:func:`pmo_nb.io.escaping.escape_frame`); reading undoes it when the
        export's ``_export`` facts say so.

    Returns
    -------
    pathlib.Path
        The folder or workbook written.
    """
    dest = Path(dest)
    extra_tables = dict(extra_tables or {})
    clash = sorted(set(extra_tables) & set(TABLES))
    if clash:
        raise ValueError(f"extra_tables may not reuse table names: {', '.join(clash)}")
    sheets = {name: _as_text(name, frame) for name, frame in portfolio.tables().items()}
    sheets |= {name: _as_text(None, frame) for name, frame in extra_tables.items()}
    if dest.suffix.lower() in EXCEL_SUFFIXES:
        _write_excel(sheets, dest)
    else:
        dest.mkdir(parents=True, exist_ok=True)
        for name, frame in sheets.items():
            frame = escape_frame(name, frame) if formula_escape else frame
            _write_csv(dest / f"{name}.csv", frame)
    return dest


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    """One CSV file; a row with a carriage return in a cell has every cell quoted.

    (The csv module quotes only the line terminator's characters, ``\\n`` here,
    so a bare ``\\r`` would otherwise end the row when read back.)
    """
    with open(path, "w", encoding="utf-8", newline="") as fh:
        plain = csv.writer(fh, lineterminator="\n")
        quoted = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)
        plain.writerow(frame.columns)
        for row in frame.itertuples(index=False, name=None):
            writer = quoted if any("\r" in v for v in row) else plain
            writer.writerow(row)


def _as_text(table: str | None, frame: pd.DataFrame) -> pd.DataFrame:
    """Each cell as the format's text ('' when empty); month columns stay text."""
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        out[col] = frame[col].map(_text).astype(object)
    return out


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(value)
    if isinstance(value, float | np.floating):
        return format_number(float(value))
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        if isinstance(value, dt.datetime) and value.time() != dt.time(0):
            return value.isoformat()
        return value.strftime("%Y-%m-%d")
    return str(value)


def _write_excel(sheets: dict[str, pd.DataFrame], dest: Path) -> None:
    """One sheet per table; numbers as number cells, everything else as text.

    Dates are written as ISO text rather than date cells so that Excel shows
    the format's spelling whatever the reader's locale.
    """
    import openpyxl  # lazy: openpyxl loads only for Excel files

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        numeric = [_is_numeric(name, c) for c in frame.columns]
        for values in frame.itertuples(index=False, name=None):
            row = []
            for is_num, text in zip(numeric, values, strict=True):
                row.append(_number(text) if is_num and text else (text or None))
            sheet.append(row)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, even if it starts with '='
    dest.parent.mkdir(parents=True, exist_ok=True)
    book.save(dest)


def _is_numeric(table: str, column: str) -> bool:
    spec = TABLES.get(table)
    return spec is not None and column in spec.column_names and (
        spec.column(column).kind == "number"
    )


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 1e16 else value

"""Read a portfolio workbook (CSV folder or .xlsx) into raw text tables.

Reading does not judge the content: every cell comes back as text (or None
when empty) so that :mod:`pmo_nb.io.validation` can report each bad cell with
the row number a spreadsheet shows. It only undoes the shapes real files
take: a UTF-8 byte-order mark, ``;``-separated CSV with decimal commas,
trailing empty rows and columns, and Excel's typed cells (dates, numbers,
booleans), which become the text the format expects.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from pmo_nb.errors import ValidationError
from pmo_nb.gcpause import gc_paused
from pmo_nb.io.escaping import FACT, csv_facts, unescape_frame
from pmo_nb.schema import TABLES

#: Workbook file suffixes read as Excel.
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: The facts file of a pmo export (:mod:`pmo_nb.store.export`).
EXPORT_FACTS_FILE = "_export.csv"


@dataclass
class RawTable:
    """One table as read: all cells text or None.

    Attributes
    ----------
    name : str
        The table (one of :data:`pmo_nb.schema.TABLES`).
    location : str
        What problems show as "file": ``projects.csv`` or ``book.xlsx[projects]``.
    frame : pandas.DataFrame
        Object columns holding ``str`` or ``None``; headers lower-cased and
        stripped; index = spreadsheet row number (header = row 1).
    decimal_comma : bool
        The file is ``;``-separated, so numbers may use a decimal comma
        (``1.234,5``) as European Excel writes them.
    stripped : bool
        Every cell is already stripped text or None (true for tables
        :func:`read_workbook` made), so validation need not strip them again.
    """

    name: str
    location: str
    frame: pd.DataFrame
    decimal_comma: bool = False
    stripped: bool = False


@dataclass
class Workbook:
    """The raw tables of one workbook and where they came from."""

    source: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    #: sha256 of each file read, by file name.
    file_checksums: dict[str, str] = field(default_factory=dict)
    #: Things the user should know that are not errors (ignored files/sheets).
    notices: list[str] = field(default_factory=list)


@gc_paused
def read_workbook(source: str | os.PathLike) -> Workbook:
    """Read a folder of ``<table>.csv`` files or one ``.xlsx`` workbook.

    File and sheet names are matched to table names case-insensitively
    (surrounding spaces ignored); anything else is ignored with a notice.
    A CSV export whose ``_export.csv`` says its text cells were formula
    escaped (:mod:`pmo_nb.io.escaping`) reads back as the text it was.

    Raises
    ------
    FileNotFoundError
        When ``source`` does not exist.
    pmo_nb.ValidationError
        When two files or sheets claim the same table, when ``source`` is
        neither a folder nor an Excel workbook (a ``ValueError`` too), or when
        an Excel file cannot be opened as one.
    """
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"no such workbook: {path}")
    if path.is_dir():
        return _read_folder(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel(path)
    raise _whole_file_problem(path, _not_a_workbook_rule(path))


def _not_a_workbook_rule(path: Path) -> str:
    """Why ``path`` is not a workbook, saying what to give instead."""
    if path.suffix.lower() == ".csv":
        return ("a single CSV file: give the folder that holds projects.csv "
                "and the other tables' CSV files")
    return "expected a folder of CSV files or an .xlsx workbook"


def _whole_file_problem(path: Path, rule: str) -> ValidationError:
    """A ValidationError with one problem about the whole file ``path``."""
    problems = pd.DataFrame([{"file": path.name, "table": None, "row": None,
                              "column": None, "value": None, "rule": rule}])
    return ValidationError(problems, str(path))


def _table_name(stem: str) -> str | None:
    name = stem.strip().lower()
    return name if name in TABLES else None


def _duplicate(table: str, first: str, second: str, source: str) -> ValidationError:
    problems = pd.DataFrame(
        [{"file": second, "table": table, "row": None, "column": None, "value": None,
          "rule": f"table {table} is given twice (also in {first}); keep one"}]
    )
    return ValidationError(problems, source)


def _read_folder(folder: Path) -> Workbook:
    book = Workbook(source=str(folder))
    escaped = False
    for path in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        if path.name.startswith(".") or path.is_dir():
            continue
        table = _table_name(path.stem) if path.suffix.lower() == ".csv" else None
        if path.name.lower() == EXPORT_FACTS_FILE:
            escaped = bool(csv_facts(path.read_bytes()).get(FACT))
        if table is None:
            book.notices.append(f"ignored {path.name}: not one of the portfolio tables")
            continue
        if table in book.tables:
            raise _duplicate(table, book.tables[table].location, path.name, book.source)
        data = path.read_bytes()
        book.file_checksums[path.name] = hashlib.sha256(data).hexdigest()
        frame, decimal_comma = _parse_csv(data)
        book.tables[table] = RawTable(table, path.name, frame, decimal_comma, stripped=True)
    if escaped:  # a pmo export: restore the text cells its formula escaping changed
        for raw in book.tables.values():
            raw.frame = unescape_frame(raw.name, raw.frame)
    return book


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); Windows-1252 for files Excel saved as "CSV"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _parse_csv(data: bytes) -> tuple[pd.DataFrame, bool]:
    """Split CSV bytes into a raw frame; detect the separator from the header line."""
    text = _decode(data)
    header_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=counts.get) if any(counts.values()) else ","
    fast = _c_parsed(text, sep)
    if fast is not None:
        return fast, sep == ";"
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # no cell can be longer than the file
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    finally:
        csv.field_size_limit(limit)
    return _text_frame(rows), sep == ";"


#: what csv.reader treats specially; without them (and a BOM) it splits a line as pandas does
_CSV_SPECIAL = re.compile('["\r\x00\ufeff]')


def _c_parsed(text: str, sep: str) -> pd.DataFrame | None:
    """The raw frame of plain CSV by pandas' C tokenizer; None for other text.

    Plain: no quote, CR, NUL or BOM, and a header on the first line, the
    shape most files have. There pandas' tokenizer splits each line on the
    separator exactly as csv.reader does, several times faster (short rows are
    padded with "" instead of missing cells: both read as empty). A row longer
    than the header (pandas refuses it) or any other text goes to csv.reader.
    """
    end = text.find("\n")  # the first line only: no copy of the rest of the file
    first = text if end < 0 else text[:end]
    if not first.strip() or _CSV_SPECIAL.search(text) is not None:
        return None
    try:
        cells = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=object,
                            na_filter=False, skip_blank_lines=False,
                            quoting=csv.QUOTE_NONE, engine="c").to_numpy(dtype=object)
    except ValueError:  # ParserError, EmptyDataError, any other refusal: csv.reader decides
        return None
    header = [v.strip().lower() for v in cells[0]]
    return _body_frame(header, cells[1:], 2)


def _read_excel(path: Path) -> Workbook:
    """Every sheet that names a table; a file openpyxl cannot read is one problem."""
    data = path.read_bytes()
    book = Workbook(source=str(path), file_checksums={path.name: hashlib.sha256(data).hexdigest()})
    try:
        _read_sheets(path.name, data, book)
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001  (any damage to the zip or its XML)
        detail = f"{type(exc).__name__}: {exc}"[:200]
        rule = f"not a readable .xlsx workbook (empty, truncated or another format): {detail}"
        raise _whole_file_problem(path, rule) from exc
    return book


#: How a notice names a sheet's hidden state.
_HIDDEN = {"hidden": "hidden", "veryHidden": "very hidden"}


def _read_sheets(name: str, data: bytes, book: Workbook) -> None:
    """Read the sheets of the workbook ``data`` into ``book`` (hidden ones too, noticed)."""
    import openpyxl  # lazy: openpyxl loads only for Excel files

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in wb.worksheets:
            location = f"{name}[{sheet.title}]"
            table = _table_name(sheet.title)
            hidden = _HIDDEN.get(getattr(sheet, "sheet_state", "visible"))
            if table is None:
                state = f"{hidden} sheet" if hidden else "sheet"
                book.notices.append(f"ignored {state} {location}: not one of the portfolio tables")
                continue
            if table in book.tables:
                raise _duplicate(table, book.tables[table].location, location, book.source)
            if hidden:
                book.notices.append(f"{location}: sheet is {hidden}; imported all the same")
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            month_cols = tuple(c.name for c in TABLES[table].columns if c.kind == "month")
            book.tables[table] = RawTable(table, location, _frame(rows, month_cols),
                                             stripped=True)
    finally:
        wb.close()


def _cell_text(value, month: bool = False) -> str | None:
    """The text a cell stands for, as the format writes it; None when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            if month and value.day == 1:
                return value.strftime("%Y-%m")
            return value.strftime("%Y-%m-%d")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m" if month and value.day == 1 else "%Y-%m-%d")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    text = str(value).strip()
    return text or None


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float, without a spurious ``.0``."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _frame(rows: list[list], month_cols: tuple[str, ...]) -> pd.DataFrame:
    """Raw rows -> frame of text cells, indexed by spreadsheet row number.

    The first non-empty row is the header. Fully empty rows and unnamed empty
    columns are dropped; unnamed columns that hold values are kept under an
    empty header so validation can point at them.
    """
    start = next((i for i, r in enumerate(rows) if any(_cell_text(v) for v in r)), None)
    if start is None:
        return pd.DataFrame()
    header = [(_cell_text(v) or "").lower() for v in rows[start]]
    body = rows[start + 1:]
    width = max([len(header)] + [len(r) for r in body])
    header += [""] * (width - len(header))
    months = [h in month_cols for h in header]
    records, index = [], []
    for number, row in enumerate(body, start=start + 2):
        cells = [_cell_text(v, months[j]) for j, v in enumerate(row)]
        cells += [None] * (width - len(cells))
        if any(c is not None for c in cells):
            records.append(cells)
            index.append(number)
    keep = [
        j for j, h in enumerate(header)
        if h or any(r[j] is not None for r in records)
    ]
    frame = pd.DataFrame(
        [[r[j] for j in keep] for r in records],
        columns=[header[j] for j in keep],
        index=pd.Index(index, dtype="int64"),
        dtype=object,
    )
    return frame


def strip_cells(values: np.ndarray) -> np.ndarray:
    """Text cells stripped of surrounding whitespace, empty ones None (object array).

    Cells that are not ``str`` (None, NaN) become None. Each distinct text is
    stripped once (:func:`pandas.factorize`), so a column of repeated ids or
    dates costs a hash per cell rather than a Python call. Only for arrays of
    ``str`` and missing values: factorize would merge ``True`` with ``1``.
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)  # the last slot serves code -1
    if infer_dtype(uniques, skipna=False) == "string":  # all str (a CSV's cells): C calls
        table[:-1] = list(map(str.strip, uniques))
        table[table == ""] = None
    else:
        table[:-1] = [v.strip() or None if isinstance(v, str) else None for v in uniques]
    table[-1] = None
    return table[codes]


def _text_frame(rows: list[list[str]]) -> pd.DataFrame:
    """:func:`_frame` for rows of text (CSV), column by column instead of cell by cell.

    Same result as ``_frame(rows, ())``: every cell is a ``str``, so its text
    is the stripped string or None when blank.
    """
    start = next((i for i, r in enumerate(rows) if any(v.strip() for v in r)), None)
    if start is None:
        return pd.DataFrame()
    header = [v.strip().lower() for v in rows[start]]
    body = rows[start + 1:]
    width = max([len(header)] + [len(r) for r in body])
    header += [""] * (width - len(header))
    if any(len(r) != width for r in body):
        body = [r + [None] * (width - len(r)) for r in body]
    cells = np.array(body, dtype=object).reshape(len(body), width)
    return _body_frame(header, cells, start + 2)


def _body_frame(header: list[str], cells: np.ndarray, first_row: int) -> pd.DataFrame:
    """The raw frame of a header and its body's cells (2-D, ``str`` or None each).

    ``first_row`` is the spreadsheet row number of the body's first row.
    """
    width = len(header)
    numbers = np.arange(first_row, first_row + len(cells), dtype="int64")
    columns = [strip_cells(cells[:, j]) for j in range(width)]
    filled = np.zeros(len(cells), dtype=bool)
    for col in columns:
        filled |= col != None  # noqa: E711  (elementwise on an object array)
    keep = [j for j, h in enumerate(header) if h or (columns[j][filled] != None).any()]  # noqa: E711
    frame = pd.DataFrame(
        {i: columns[j][filled] for i, j in enumerate(keep)},
        index=pd.Index(numbers[filled], dtype="int64"),
        dtype=object,
    )
    frame.columns = [header[j] for j in keep]
    return frame

"""Export the whole store back to the interchange format: no lock-in.

:func:`export_portfolio` writes the portfolio (now or as of a date) with
:func:`pmo_nb.io.writing.write_workbook`, plus

- ``<table>_history``: the superseded versions of each table that has any
  (the table's columns, then ``valid_from``, ``valid_to`` (naive UTC) and
  ``import_id``, the import that wrote the version). Status updates and
  benefit measurements keep every reading in the main tables anyway; their
  history files hold only readings later corrected.
- ``_export``: ``key``/``value`` rows saying what was exported: the store (URL
  without password), its id, the schema revision, ``as_of``, and the last
  import by then (``import_id`` ...), and ``formula_escape``: ``'`` when
  text cells a spreadsheet would run as formulas were prefixed with it (CSV;
  :mod:`pmo_nb.io.escaping`), empty for .xlsx, whose text cells are typed.

Reading the workbook back ignores those extra files/sheets with a notice (and
undoes the formula escaping), so importing an export gives the same portfolio.
When an analyst edits an export and imports it into the same store,
``import_id`` tells the store what the workbook was based on
(:func:`based_on`), so changes made meanwhile by others are kept, or the
import is refused if both changed the same rows.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd

from pmo_nb import __version__
from pmo_nb.io.escaping import FACT, QUOTE, csv_facts
from pmo_nb.io.reading import EXCEL_SUFFIXES
from pmo_nb.io.writing import write_workbook
from pmo_nb.store.core import Store

#: Name of the metadata file/sheet an export adds.
EXPORT_TABLE = "_export"
HISTORY_SUFFIX = "_history"


def export_portfolio(dest: str | os.PathLike, db=None, as_of=None) -> Path:
    """Write the store's portfolio and its history to ``dest``.

    Parameters
    ----------
    dest : str or path
        A folder for CSV files, or a path ending in ``.xlsx``.
    db : str or path, optional
        The store (see :class:`pmo_nb.store.core.Store`).
    as_of : date-like, optional
        Export the portfolio as it stood then (a bare date: end of that day);
        history then holds only versions superseded by that time.

    Returns
    -------
    pathlib.Path
        What :func:`~pmo_nb.io.writing.write_workbook` wrote.

    Raises
    ------
    pmo_nb.StoreError
        When the store holds no portfolio.
    """

    with Store(db) as store:
        portfolio, history, facts = store.snapshot(as_of)
        url = store.url
    extra = {f"{name}{HISTORY_SUFFIX}": frame for name, frame in history.items() if len(frame)}
    started = facts["import_started_at"]
    to_csv = Path(dest).suffix.lower() not in EXCEL_SUFFIXES
    meta = {
        "format": "pmo_nb portfolio export",
        "exported_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "store": url,
        "store_id": facts["store_id"] or "",
        "schema_revision": facts["revision"] or "",
        "as_of": "" if as_of is None else str(as_of),
        "import_id": "" if facts["import_id"] is None else str(facts["import_id"]),
        "import_started_at": "" if started is None else started.isoformat(),
        "import_source": facts["import_source"] or "",
        "pmo_nb_version": __version__,
        FACT: QUOTE if to_csv else "",  # Excel cells are typed: text is never a formula
    }
    extra[EXPORT_TABLE] = pd.DataFrame({"key": list(meta), "value": list(meta.values())})
    return write_workbook(portfolio, dest, extra_tables=extra, formula_escape=to_csv)


def read_export_facts(source: str | os.PathLike) -> dict[str, str] | None:
    """The ``_export`` key/value rows of a workbook, or None if it has none."""
    path = Path(source)
    if path.is_dir():
        found = [p for p in path.iterdir() if p.name.lower() == f"{EXPORT_TABLE}.csv"]
        if not found:
            return None
        return csv_facts(found[0].read_bytes())
    if path.suffix.lower() in EXCEL_SUFFIXES:
        import openpyxl  # lazy: openpyxl loads only for Excel files

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = next((s for s in book.worksheets if s.title.lower() == EXPORT_TABLE), None)
            rows = [] if sheet is None else [list(r) for r in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
        if sheet is None:
            return None
    else:
        return None
    return {str(r[0]): "" if r[1] is None else str(r[1]) for r in rows[1:] if len(r) >= 2 and r[0]}


def based_on(source: str | os.PathLike, store: Store) -> tuple[int | None, str]:
    """The import an exported workbook was based on, if it came from ``store``.

    Returns ``(import_id or None, a sentence saying why)``: an export of
    another store (different ``store_id``) is imported without a base.
    """
    facts = read_export_facts(source)
    if not facts or not facts.get("import_id"):
        return None, ""
    if facts.get("store_id") != store.store_id():
        return None, (f"{source} was exported from another store ({facts.get('store', '?')}); "
                      "importing it as a new workbook")
    import_id = int(facts["import_id"])
    return import_id, (f"{source} was exported at import {import_id}: changes made since then "
                       "are kept unless this workbook changed the same rows")

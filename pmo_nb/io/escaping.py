"""Formula escaping for CSV exports (OWASP "CSV injection").

A spreadsheet opening a CSV file runs a text cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return as a formula (``=cmd|' /C calc'!A0``).
:func:`escape_frame` prefixes such text cells with a single quote, which
spreadsheets show as text. Text that already starts with the quote is escaped
too, so :func:`unescape_frame` (removing one leading quote from every text
cell) restores exactly what was written. Number columns are left alone: a
budget of ``-5`` stays a number.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from pmo_nb.schema import TABLES

#: The prefix an export adds; also the value of the ``formula_escape`` fact.
QUOTE = "'"
#: First characters a spreadsheet reads as the start of a formula.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Key of the export fact that says text cells were escaped.
FACT = "formula_escape"
HISTORY_SUFFIX = "_history"


def _text_columns(table: str, columns) -> list[str]:
    """The columns of ``table`` that hold text (every one but the spec's numbers).

    A ``<table>_history`` table has its table's columns.
    """
    spec = TABLES.get(table.removesuffix(HISTORY_SUFFIX))
    numbers = set() if spec is None else {c.name for c in spec.columns if c.kind == "number"}
    return [c for c in columns if c not in numbers]


def escape(text):
    """``text`` with the quote prefixed when a spreadsheet could take it for a formula."""
    if isinstance(text, str) and text.startswith((*TRIGGERS, QUOTE)):
        return QUOTE + text
    return text


def unescape(text):
    """Undo :func:`escape`: one leading quote removed."""
    if isinstance(text, str) and text.startswith(QUOTE):
        return text[len(QUOTE):]
    return text


def escape_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a text frame (as written) with its text columns escaped."""
    out = frame.copy()
    for col in _text_columns(table, frame.columns):
        out[col] = frame[col].map(escape).astype(object)
    return out


def unescape_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a raw frame (as read) with its text columns unescaped."""
    out = frame.copy()
    for col in _text_columns(table, frame.columns):
        out[col] = frame[col].map(unescape).astype(object)
    return out


def csv_facts(data: bytes) -> dict[str, str]:
    """The key/value rows of an ``_export.csv`` file, unescaped when it says so.

    The file is escaped like every other one of its export, the
    ``formula_escape`` fact included; a non-empty fact means the export was
    escaped.
    """
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    facts = {r[0]: r[1] for r in rows[1:] if len(r) >= 2 and r[0]}
    if facts.get(FACT):
        facts = {k: unescape(v) for k, v in facts.items()}
    return facts

"""Workbooks in and out: CSV folders and XLSX files read, checked and written.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "EXCEL_SUFFIXES": "reading",
    "RawTable": "reading",
    "Workbook": "reading",
    "read_workbook": "reading",
    "format_number": "reading",
    "validate": "validation",
    "check_references": "validation",
    "write_workbook": "writing",
    "example_workbook": "blank_workbook",
    "example_portfolio": "blank_workbook",
    "write_blank_workbook": "blank_workbook",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

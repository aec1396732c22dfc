"""The versioned store (SQLite file or PostgreSQL): the only package that knows SQL.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "Store": "core",
    "ImportConflict": "rows",
    "ImportSummary": "rows",
    "HEAD": "tables",
    "LatestUpdates": "reading",
    "read_only_url": "sql",
    "is_read_only": "sql",
    "export_portfolio": "export",
    "based_on": "export",
    "read_export_facts": "export",
    "load_portfolio": "loading",
    "is_workbook": "loading",
    "DataVersion": "watching",
    "ImportRecord": "watching",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

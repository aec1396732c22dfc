"""The MCP server (``pmo mcp``): the portfolio's numbers for a desktop assistant, read-only.

Tools answer from the store through the package APIs the reports use (never
sampling a forecast), resources serve the interchange format and the latest
report pages, and a prompt walks an assistant through a weekly briefing.
Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "Source": "source",
    "ArgumentError": "source",
    "build_server": "server",
    "serve_stdio": "server",
    "serve_http": "http",
    "TOKEN_ENV": "http",
    "bearer_guard": "http",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

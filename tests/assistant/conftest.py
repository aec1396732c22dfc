"""Tests of pmo_nb.assistant: the MCP server over stdio and HTTP, with the SDK's own client.

The fixtures and helpers live in ``mcp_support`` (a module of its own: several
folders have a ``conftest.py``, so ``from conftest import`` is ambiguous).
"""

from mcp_support import bare_store, mcp_store, reports_dir  # noqa: F401  (fixtures)

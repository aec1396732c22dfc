"""Tests of pmo_nb.watch: what changed between two imports, and the alerts.

The builders and the store clock live in ``watch_support`` (a module of its own:
several folders have a ``conftest.py``, so ``from conftest import`` is ambiguous).
"""

from watch_support import clock  # noqa: F401  (fixtures)

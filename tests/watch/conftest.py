"""Tests of pmo_nb.watch: what changed between two imports, and the alerts.

The hand-made imports and the store clock live in ``tests/watch_support.py``, beside
the root conftest, because the briefings tests use them too (several folders have a
``conftest.py``, so ``from conftest import`` is ambiguous).
"""

from watch_support import clock  # noqa: F401  (fixtures)

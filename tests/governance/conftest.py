"""Tests of pmo_nb.governance: baselines, scope, decisions, gates, the change form.

The fixtures and builders live in ``governance_support`` (a module of its own:
several folders have a ``conftest.py``, so ``from conftest import`` is ambiguous).
"""

from governance_support import (  # noqa: F401  (fixtures)
    changes_portfolio,
    governance_portfolio,
    scope_portfolio,
)

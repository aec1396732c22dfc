"""Digests: "what needs you" per person, built as e-mail or chat messages and delivered.

Sits beside the reports (its links point into the published report folder).
Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS: dict[str, str] = {}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

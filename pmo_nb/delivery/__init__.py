"""How the live projects are delivering: the overview and earned value.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "live_projects": "overview",
    "stage_counts": "overview",
    "budget_by_category": "overview",
    "latest_status": "overview",
    "rag_counts": "overview",
    "evm_table": "overview",
    "worst": "overview",
    "filter": "overview",
    "choices": "overview",
    "kpis": "overview",
    "narrative": "overview",
    "earned_value": "evm",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

"""Governance: change control, baselines, scope growth, decisions owed and the gate audit.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "baseline": "baselines",
    "change_status_at": "baselines",
    "change_summary": "baselines",
    "drift_table": "baselines",
    "pending": "baselines",
    "scope_change": "scope",
    "league_table": "scope",
    "burnup": "scope",
    "decisions_owed": "decisions",
    "open_decisions": "decisions",
    "owed_by_owner": "decisions",
    "gate_audit": "gates",
    "stage_changes": "gates",
    "describe_changes": "describe",
    "describe_baseline": "describe",
    "describe_scope": "describe",
    "describe_decisions": "describe",
    "describe_gates": "describe",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

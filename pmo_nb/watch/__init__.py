"""Watch: what changed between two points of the store's history, and the alerts it raises.

Sits above the domain packages (it reads their facts at two points in time)
and below the briefings (the executive summary opens with its changes).
Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "changes": "changeset",
    "compare_points": "changeset",
    "CHANGE_COLUMNS": "changeset",
    "CHANGE_KINDS": "changeset",
    "AlertRule": "rules",
    "AlertsError": "rules",
    "METRICS": "rules",
    "load_rules": "rules",
    "parse_rules": "rules",
    "evaluate": "alerts",
    "run_alerts": "alerts",
    "run_text": "alerts",
    "metric_values": "metrics",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

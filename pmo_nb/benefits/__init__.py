"""Benefits realisation: status against plan, trend forecasts, roll-ups and views.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "STATUSES": "status",
    "PROFILES": "status",
    "UNASSIGNED": "status",
    "planned_fraction": "status",
    "benefits_status": "status",
    "benefits_rollup": "status",
    "trend_forecast": "trend",
    "trend_band": "trend",
    "needing_attention": "views",
    "describe_benefits": "views",
    "burnup_data": "views",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

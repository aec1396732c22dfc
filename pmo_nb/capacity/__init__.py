"""Team capacity: demand against capacity, leveling, and cross-project dependencies.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports, make_callable

_EXPORTS = {
    "capacity": "demand",
    "over_allocations": "demand",
    "describe_capacity": "demand",
    "demand_rows": "demand",
    "included_projects": "demand",
    "month_label": "demand",
    "level": "leveling",
    "describe_leveling": "leveling",
    "knock_on": "dependencies",
    "critical_chain": "dependencies",
    "describe_chain": "dependencies",
    "network_layout": "dependencies",
    "default_slips": "dependencies",
    "forecast_finishes": "dependencies",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
#: `pmo_nb.capacity(...)` predates this package and still calls the function.
make_callable(__name__, "capacity")

"""Project plans: tasks on a working-day calendar, the critical path, schedule risk that
learns from the organisation's completed tasks.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "WorkCalendar": "calendar",
    "critical_path": "schedule",
    "plan_of": "schedule",
    "build_plan": "schedule",
    "simulate_schedule": "schedule_risk",
    "two_views": "schedule_risk",
    "ScheduleSimulation": "simulation",
    "Calibration": "calibration",
    "learn": "calibration",
    "gantt_data": "views",
    "finish_markers": "views",
    "finish_curve": "views",
    "tornado_data": "views",
    "describe_simulation": "views",
    "plan_brief": "brief",
    "PlanBrief": "brief",
    "NO_PLAN": "brief",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

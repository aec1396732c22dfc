"""Scheduled reports: the papermill runner, the suite, the schedule, the indexes.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "run_report": "runner",
    "record": "runner",
    "ready": "milestones",
    "available_reports": "runner",
    "report_parameters": "runner",
    "run_suite": "suite",
    "select_reports": "planning",
    "summary_text": "suite",
    "SuiteBusy": "jobs",
    "ClusterError": "cluster",
    "active_projects": "planning",
    "projects_with_plan": "planning",
    "load_schedule": "schedule",
    "ScheduleError": "schedule",
    "due_reports": "schedule",
    "write_indexes": "index",
    "succeeded_periods": "planning",
    "SuiteResult": "jobs",
    "styled": "tables",
    "SafeStyler": "tables",
    "folded": "page",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

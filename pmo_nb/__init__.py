"""pmo_nb: the strategic PMO workbench.

Public names are imported lazily so that ``import pmo_nb`` stays cheap (a
dashboard should not pay for PyMC or papermill unless it uses them).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "Portfolio": "portfolio",
    "load_portfolio": "store.loading",
    "ValidationError": "errors",
    "StoreError": "errors",
    "ReportError": "errors",
    "Store": "store.core",
    "read_workbook": "io.reading",
    "validate": "io.validation",
    "check_references": "io.validation",
    "write_workbook": "io.writing",
    "export_portfolio": "store.export",
    "earned_value": "delivery.evm",
    "run_report": "reports.runner",
    "run_suite": "reports.suite",
    "load_schedule": "reports.schedule",
    "forecast": "forecast.forecasting",
    "fit_reference_class": "forecast.forecasting",
    "drivers": "forecast.forecasting",
    "backtest": "forecast.calibration",
    "ahp_weights": "prioritise.ahp",
    "score": "prioritise.scoring",
    "select_portfolio": "prioritise.selection",
    "Selection": "prioritise.selection",
    "InfeasibleSelection": "prioritise.selection_model",
    "efficient_frontier": "prioritise.frontier",
    "decision_confidence": "prioritise.confidence",
    "benefits_status": "benefits.status",
    "benefits_rollup": "benefits.status",
    "capacity": "capacity.demand",
    "over_allocations": "capacity.demand",
    "level": "capacity.leveling",
    "knock_on": "capacity.dependencies",
    "critical_chain": "capacity.dependencies",
    "simulate_risks": "risks.register",
    "RiskSimulation": "risks.register",
    "risk_adjusted": "risks.adjusted",
    "critical_path": "plans.schedule",
    "simulate_schedule": "plans.schedule_risk",
    "baseline": "governance.baselines",
    "scope_change": "governance.scope",
    "decisions_owed": "governance.decisions",
    "changes": "watch.changeset",
}
#: public names that are also domain packages: the package is returned, and
#: calling it calls the function (:class:`pmo_nb.lazy.CallablePackage`)
_CALLABLE_PACKAGES = {"capacity", "forecast"}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _CALLABLE_PACKAGES:
        return importlib.import_module(f".{name}", __name__)
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'pmo_nb' has no attribute {name!r}")


def __dir__():
    return __all__

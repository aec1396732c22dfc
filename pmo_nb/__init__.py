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
    "load_portfolio": "portfolio",
    "ValidationError": "errors",
    "StoreError": "errors",
    "ReportError": "errors",
    "Store": "store",
    "read_workbook": "reading",
    "validate": "validation",
    "check_references": "validation",
    "write_workbook": "writing",
    "export_portfolio": "export",
    "earned_value": "evm",
    "run_report": "reports",
    "run_suite": "suite",
    "load_schedule": "schedule",
    "forecast": "forecasting",
    "fit_reference_class": "forecasting",
    "drivers": "forecasting",
    "backtest": "calibration",
    "ahp_weights": "ahp",
    "score": "scoring",
    "select_portfolio": "selection",
    "Selection": "selection",
    "InfeasibleSelection": "selection",
    "efficient_frontier": "frontier",
    "decision_confidence": "confidence",
    "benefits_status": "benefits",
    "benefits_rollup": "benefits",
    "capacity": "resourcing",
    "over_allocations": "resourcing",
    "level": "leveling",
    "knock_on": "network",
    "critical_chain": "network",
    "simulate_risks": "risks",
    "RiskSimulation": "risks",
    "risk_adjusted": "risk_view",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'pmo_nb' has no attribute {name!r}")


def __dir__():
    return __all__

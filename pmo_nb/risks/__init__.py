"""The quantified risk register: simulation, PERT, the risk-adjusted view.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "simulate_risks": "register",
    "RiskSimulation": "register",
    "mitigation_effect": "register",
    "open_risks": "model",
    "TOTAL": "model",
    "PORTFOLIO": "model",
    "IMPACTS": "model",
    "pert_mean": "pert",
    "pert_ppf": "pert",
    "risk_adjusted": "adjusted",
    "DOUBLE_COUNTING": "adjusted",
    "describe_register": "describe",
    "describe_tail": "describe",
    "describe_mitigation": "describe",
    "describe_risk_adjusted": "describe",
    "largest_projects": "describe",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

"""Prioritisation: scoring, AHP, the optimal selection, frontier, confidence, scenarios, proposals.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "ahp_weights": "ahp",
    "parse_weights": "ahp",
    "pairwise_matrix": "ahp",
    "is_consistent": "ahp",
    "score": "scoring",
    "objective_weights": "scoring",
    "candidates": "scoring",
    "select_portfolio": "selection",
    "Selection": "selection",
    "InfeasibleSelection": "selection_model",
    "efficient_frontier": "frontier",
    "default_budget": "frontier",
    "decision_confidence": "confidence",
    "confidence_label": "confidence",
    "Scenario": "scenarios",
    "save_scenario": "scenarios",
    "load_scenario": "scenarios",
    "list_scenarios": "scenarios",
    "compare": "scenarios",
    "writer_db": "scenarios",
    "from_selection": "scenarios",
    "weights_text": "scenarios",
    "Proposal": "proposal",
    "ProposalCheck": "proposal",
    "next_project_id": "proposal",
    "check": "proposal",
    "rank": "proposal",
    "capacity_impact": "proposal",
    "reference_range": "proposal",
    "save": "proposal",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

"""Words and facts for people: the status narrative, executive insights, the review pack.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "status_facts": "status_report",
    "narrative": "status_narrative",
    "rag_disagreement": "status_report",
    "choose_project": "status_report",
    "top_risks": "status_report",
    "forecast_sentences": "status_narrative",
    "portfolio_insights": "insights",
    "to_markdown": "insights_text",
    "Insights": "insights",
    "alignment": "review_pack",
    "alignment_sentences": "review_pack",
    "selection_changes": "review_pack",
    "accuracy": "review_pack",
    "decisions": "review_pack",
    "ExecutiveData": "executive",
    "prepare": "executive",
    "select": "executive",
    "view": "executive",
    "project_detail": "executive",
    "plan_sentences": "status_narrative",
    "changes_since_previous": "changes_brief",
    "changes_markdown": "changes_brief",
    "ChangesBrief": "changes_brief",
    "Finding": "what_to_know",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

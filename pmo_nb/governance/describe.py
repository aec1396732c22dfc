"""Governance results in plain words, each sentence with its numbers and its source.

The governance report and the briefings show these; they are written here,
not in a notebook, so every page says the same thing. Names from the store
go through :func:`pmo_nb.formatting.md_text`.
"""

from __future__ import annotations

import pandas as pd

from pmo_nb.formatting import labelled, labelled_list, md_text, money

#: Growth above this share of the baseline scope is called out.
GROWTH_ALERT = 0.20


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(frame: pd.DataFrame, n: int = 3, names=None) -> str:
    """The first ``n`` projects of ``frame``'s index, ``P1 Name``, escaped, "and N more"."""
    return md_text(labelled_list(frame.index, names, limit=n))


def describe_changes(summary: pd.DataFrame, base: pd.DataFrame) -> list[str]:
    """Change requests by status and what the pending ones would add.

    ``summary`` is :func:`pmo_nb.governance.change_summary`, ``base``
    :func:`pmo_nb.governance.baseline`.
    """
    if summary.empty:
        return ["No change requests recorded (change_requests)."]
    counts = ", ".join(f"{int(r.changes)} {s}" for s, r in summary.iterrows())
    out = [f"{_plural(int(summary['changes'].sum()), 'change request')} raised so far: "
           f"{counts} (change_requests)."]
    waiting = base[base["pending_changes"] > 0]
    if waiting.empty:
        out.append("No change request is pending a decision.")
    else:
        out.append(
            f"Pending changes would add {money(waiting['pending_cost'].sum())} to the budgets "
            f"and {waiting['pending_days'].sum():,.0f} days to the finishes of "
            f"{_plural(len(waiting), 'project')} if approved "
            f"({int(waiting['pending_changes'].sum())} undecided change requests).")
    return out


def describe_baseline(base: pd.DataFrame) -> list[str]:
    """How far approved changes moved the baselines (:func:`pmo_nb.governance.baseline`)."""
    moved = base[(base["drift_money"] != 0) | (base["drift_days"] != 0)]
    if moved.empty:
        return ["No approved change has moved a baseline: every project runs on its "
                "approved budget and finish (projects, change_requests)."]
    original = base["budget_original"].sum()
    drift = base["drift_money"].sum()
    share = f" ({drift / original:+.1%} of the approved budgets)" if original else ""
    largest = moved.reindex(moved["drift_money"].abs().sort_values(ascending=False).index)
    return [
        f"Approved changes re-baselined {_plural(len(moved), 'project')}: budgets moved by "
        f"{money(drift)}{share} and finishes by {moved['drift_days'].sum():,.0f} days in "
        f"total (projects, change_requests).",
        f"Largest budget drift: {_names(largest, 3, base.get('name'))}.",
    ]


def describe_scope(scope: pd.DataFrame, threshold: float = GROWTH_ALERT,
                   names=None) -> list[str]:
    """Scope growth and churn (:func:`pmo_nb.governance.scope_change`).

    ``names`` (project id -> name) names the projects beside their ids.
    """
    if scope.empty:
        return ["No requirements recorded (requirements)."]
    out = [f"{_plural(len(scope), 'project')} track scope: baseline "
           f"{scope['baseline_size'].sum():,.0f}, now {scope['current_size'].sum():,.0f} "
           f"({scope['added'].sum():,.0f} added outside the baseline, "
           f"{scope['removed'].sum():,.0f} of the baseline removed; requirements)."]
    grown = scope[scope["growth"] > threshold].sort_values("growth", ascending=False)
    if grown.empty:
        out.append(f"No project's scope grew by more than {threshold:.0%} of its baseline.")
    else:
        worst = grown.iloc[0]
        out.append(f"Scope grew by more than {threshold:.0%} in "
                   f"{_plural(len(grown), 'project')} ({_names(grown, names=names)}); the "
                   f"most is {md_text(labelled(grown.index[0], names))} at "
                   f"{worst['growth']:+.0%}, churn {worst['churn']:.0%}.")
    return out


def describe_decisions(owed: pd.DataFrame) -> list[str]:
    """Overdue decisions by owner (:func:`pmo_nb.governance.decisions_owed`)."""
    if owed.empty:
        return ["No decisions overdue (decisions)."]
    owners = owed.groupby("owner")["decision_id"].size().sort_values(ascending=False)
    named = ", ".join(f"{md_text(o)} {n}" for o, n in owners.head(3).items())
    worst = owed.sort_values("days_late", ascending=False).iloc[0]
    return [f"{_plural(len(owed), 'decision')} overdue, owed by "
            f"{_plural(len(owners), 'owner')} ({named}); the latest is "
            f"{md_text(worst['decision_id'])} ({md_text(worst['title'])}), "
            f"{int(worst['days_late'])} days past due (decisions)."]


def describe_gates(audit: pd.DataFrame) -> list[str]:
    """Stage changes with and without a gate decision (:func:`pmo_nb.governance.gate_audit`)."""
    if audit.empty:
        return ["No stage change between imports (store history)."]
    missing = audit[audit["decision_id"].isna()]
    out = [f"{_plural(len(audit), 'stage change')} between imports, "
           f"{len(audit) - len(missing)} with an approved gate decision (store history, "
           f"decisions)."]
    if len(missing):
        named = dict(zip(missing["project_id"], missing["name"], strict=True)) \
            if "name" in missing else None
        shown = ", ".join(f"{md_text(labelled(r.project_id, named))} to {md_text(r.stage_to)}"
                          for r in missing.head(3).itertuples())
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        out.append(f"{_plural(len(missing), 'stage change')} had no gate decision recorded: "
                   f"{shown}{more}.")
    return out

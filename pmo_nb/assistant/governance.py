"""What the governance register says, for an assistant: decisions owed and baseline drift."""

from __future__ import annotations

from pmo_nb.assistant.source import ArgumentError, Source, check_paging, page, records
from pmo_nb.governance import baseline, decisions_owed, drift_table, owed_by_owner


def decisions_owed_answer(source: Source, as_of: str | None = None, owner: str | None = None,
                          limit: int = 20, offset: int = 0) -> dict:
    """Open decisions past their due date, most overdue first, and the count by owner."""
    check_paging(limit, offset)
    day = source.as_of(as_of)
    portfolio = source.portfolio()
    owed = decisions_owed(portfolio, day)
    if owner and owner.strip():
        known = set(portfolio.decisions["owner"].dropna().astype(str))
        if owner.strip() not in known:
            raise ArgumentError("owner", f"no decision owner {owner.strip()[:80]!r}")
        owed = owed[owed["owner"] == owner.strip()]
    by_owner = records(owed_by_owner(owed), None, "owner") if len(owed) else []
    return {**source.provenance(day),
            "overdue": int(len(owed)),
            "by_owner": by_owner,
            **page(records(owed), limit, offset),
            "source": "pmo_nb.governance.decisions_owed (decisions register), as in the "
                      "governance report"}


def baseline_drift_answer(source: Source, as_of: str | None = None, limit: int = 20,
                          offset: int = 0) -> dict:
    """Projects whose approved changes moved the budget or finish, largest drift first."""
    check_paging(limit, offset)
    day = source.as_of(as_of)
    moved = drift_table(baseline(source.portfolio(), day))
    return {**source.provenance(day), "moved": int(len(moved)),
            **page(records(moved, None, "project_id"), limit, offset),
            "source": "pmo_nb.governance.baseline (change requests), as in the governance "
                      "report"}

"""Known answers for the decisions owed at a date."""

from __future__ import annotations

from governance_support import AS_OF, project, table

from pmo_nb.governance import decisions_owed, describe_decisions, owed_by_owner
from pmo_nb.portfolio import Portfolio


def decision(did: str, due: str, owner: str | None = "Ann", raised: str = "2026-05-01",
             decided: str | None = None) -> dict:
    """A decision row; one given ``decided`` is closed as approved on that day."""
    return {"decision_id": did, "date": raised, "forum": "Portfolio board",
            "title": f"Decide {did}", "project_id": "P1", "kind": "funding", "owner": owner,
            "due_date": due, "outcome": "approved" if decided else None,
            "decided_date": decided, "status": "closed" if decided else "open"}


def portfolio() -> Portfolio:
    return Portfolio(projects=table("projects", [project("P1")]), decisions=table("decisions", [
        decision("D1", "2026-06-01"),                            # 29 days late
        decision("D2", "2026-07-15"),                            # not due yet
        decision("D3", "2026-06-10", decided="2026-06-20"),      # decided in time for the date
        decision("D4", "2026-06-15", "Bob", decided="2026-07-10"),  # decided after: 15 days
        decision("D5", "2026-07-06", raised="2026-07-05"),       # raised after the date
        decision("D6", "2026-06-29"),                            # 1 day late
        decision("D7", "2026-05-31", owner=None),                # 30 days, nobody named
        decision("D8", "2026-06-30"),                            # due on the date: not late
    ]))


def test_open_decisions_past_due_by_owner():
    owed = decisions_owed(portfolio(), AS_OF)
    assert owed["decision_id"].tolist() == ["D7", "D1", "D6", "D4"]
    assert owed["owner"].tolist() == ["(no owner)", "Ann", "Ann", "Bob"]
    assert owed["days_late"].tolist() == [30, 29, 1, 15]


def test_roll_up_and_words():
    owed = decisions_owed(portfolio(), AS_OF)
    rollup = owed_by_owner(owed)
    assert list(rollup.index) == ["Ann", "(no owner)", "Bob"]
    assert rollup["decisions"].tolist() == [2, 1, 1]
    assert rollup["most_days_late"].tolist() == [29, 30, 15]
    words = describe_decisions(owed)[0]
    assert words.startswith("4 decisions overdue, owed by 3 owners")
    assert "D7" in words and "30 days past due" in words
    assert describe_decisions(decisions_owed(Portfolio(), AS_OF)) == [
        "No decisions overdue (decisions)."]


def test_an_earlier_date_owes_less():
    owed = decisions_owed(portfolio(), "2026-06-05")
    assert owed["decision_id"].tolist() == ["D7", "D1"]
    assert owed["days_late"].tolist() == [5, 4]

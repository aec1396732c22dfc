"""The gate audit over two imports into a temporary SQLite store."""

from __future__ import annotations

from governance_support import project, table

from pmo_nb.governance import describe_gates, gate_audit
from pmo_nb.governance.gates import NO_GATE
from pmo_nb.portfolio import Portfolio
from pmo_nb.store import Store


def gate(did: str, pid: str, stage_to: str, outcome: str, decided: str) -> dict:
    return {"decision_id": did, "date": "2026-01-01", "forum": "Gate 2", "title": f"Gate {did}",
            "project_id": pid, "kind": "gate", "outcome": outcome, "stage_to": stage_to,
            "decided_date": decided, "status": "closed", "owner": "Board"}


def test_each_stage_change_with_its_gate_decision_or_none(tmp_path):
    store = Store(tmp_path / "gov.db")
    first = Portfolio(projects=table("projects", [
        project("P1", "approved"), project("P2", "approved"), project("P3", "active")]))
    store.import_portfolio(first, source="x", file_checksums={})
    second = Portfolio(
        projects=table("projects", [
            project("P1", "active"), project("P2", "active"), project("P3", "active")]),
        decisions=table("decisions", [
            gate("G1", "P1", "active", "approved", "2026-01-15"),
            gate("G2", "P2", "active", "rejected", "2026-01-15"),    # not approved
            gate("G3", "P2", "completed", "approved", "2026-01-15"),  # another stage
            gate("G4", "P2", "active", "approved", "2099-01-01"),    # after the import
            gate("G5", "P3", "active", "approved", "2026-01-15"),    # P3 did not move
        ]))
    store.import_portfolio(second, source="y", file_checksums={})

    audit = gate_audit(store)
    assert audit["project_id"].tolist() == ["P1", "P2"]
    assert audit["stage_from"].tolist() == ["approved", "approved"]
    assert audit["stage_to"].tolist() == ["active", "active"]
    assert audit["source"].tolist() == ["y", "y"]
    assert audit.loc[0, "decision_id"] == "G1"
    assert audit.loc[0, "gate"].startswith("G1 (Gate 2, 2026-01-15)")
    assert audit.loc[1, "gate"] == NO_GATE == "no gate decision recorded"
    words = describe_gates(audit)
    assert words[0].startswith("2 stage changes between imports, 1 with an approved gate")
    assert "P2 Project P2 to active" in words[1]  # named beside its id (issue #18)


def test_one_import_has_no_stage_change(tmp_path):
    store = Store(tmp_path / "one.db")
    store.import_portfolio(Portfolio(projects=table("projects", [project("P1")])), source="x",
                           file_checksums={})
    audit = gate_audit(store)
    assert audit.empty
    assert describe_gates(audit) == ["No stage change between imports (store history)."]


def test_as_of_keeps_the_imports_started_by_then(tmp_path):
    store = Store(tmp_path / "two.db")
    store.import_portfolio(Portfolio(projects=table("projects", [project("P1", "approved")])),
                           source="x", file_checksums={})
    store.import_portfolio(Portfolio(projects=table("projects", [project("P1", "active")])),
                           source="y", file_checksums={})
    assert len(gate_audit(store)) == 1
    assert gate_audit(store, "2000-01-01").empty

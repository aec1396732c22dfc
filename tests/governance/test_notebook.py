"""The governance report on a store that holds every governance table, payloads included."""

from __future__ import annotations

import pytest
from payloads import live_payloads, poison

from pmo_nb.dates import iso_day
from pmo_nb.reports import run_report
from pmo_nb.store import Store


@pytest.mark.slow
def test_the_report_shows_every_section_with_store_text_as_text(governance_portfolio,
                                                                 tmp_path):
    db = str(tmp_path / "gov.db")
    store = Store(db)
    first = poison(governance_portfolio)
    store.import_portfolio(first, source="x", file_checksums={})
    second = poison(governance_portfolio)
    second.projects["stage"] = ["on_hold", "on_hold"]  # P2 has a gate decision, P1 none
    store.import_portfolio(second, source="y", file_checksums={})
    store.close()

    record = run_report("governance", as_of="2026-06-30", db=db, out=tmp_path / "out",
                        timeout=600)
    assert record["status"] == "succeeded", record.get("reason")
    html = next((tmp_path / "out").rglob("*.html")).read_text(encoding="utf-8")
    assert live_payloads(html) == []
    for said in ("Pending changes would add 230", "Approved changes re-baselined 1 project",
                 "1 decision overdue", "Scope league table", "Scope burn-up"):
        assert said in html, said
    # the imports happened today: a report dated before them sees no stage change
    assert "No stage change between imports." in html

    record = run_report("governance", as_of=iso_day(), db=db, out=tmp_path / "today",
                        timeout=600)
    assert record["status"] == "succeeded", record.get("reason")
    html = next((tmp_path / "today").rglob("*.html")).read_text(encoding="utf-8")
    assert live_payloads(html) == []
    for said in ("2 stage changes between imports, 1 with an approved",
                 "no gate decision recorded", "G1"):
        assert said in html, said

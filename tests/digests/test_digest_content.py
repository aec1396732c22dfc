"""Digest content: what needs each of two people with different ownership, in order."""

from __future__ import annotations

import digests_support as case
import pandas as pd
import pytest

from pmo_nb.digests import build_digest, to_text
from pmo_nb.digests.content import latest_run


def _digest(person, **kwargs):
    args = {"alerts": case.alerts(), "changes": case.changes(), "as_of": case.AS_OF,
            "forecast": case.forecast(), "forecast_name": "2026-06-30"} | kwargs
    return build_digest(case.portfolio(), person, **args)


def test_sponsor_sees_her_projects_alerts_forecasts_benefit_and_risks_in_order():
    d = _digest(case.ANA)
    assert d.email == "ana@example.org" and d.unavailable == []
    assert list(zip(d.items["kind"], d.items["subject"], strict=True)) == [
        ("alert", "T1:2026-07"),      # critical: P2 asks T1 for July
        ("alert", "P1"),              # warning; P2's alert was cleared, P3 is not hers
        ("forecast_vs_rag", "P1"),    # green, 80% over: (1.5 m - 1 m) x 0.8 = 400 k
        ("benefit_behind", "B1"),     # hers on P3: 500 k x 50% behind x (1 - P(target met))
        ("forecast_vs_rag", "P2"),    # red, only 15% late: (2.1 m - 2 m) x 0.15 = 15 k
        ("risk", "R2"),               # on P2, which she sponsors: 10% x 100 k
    ]
    assert d.items["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert d.items["importance"].iloc[2:].tolist() == pytest.approx(
        [400_000, 500_000 * 0.5 * (1 - 0.001298), 15_000, 10_000], rel=1e-4)
    assert d.changes["subject"].tolist() == ["P1"]


def test_manager_sees_what_he_owns_and_owes_but_not_her_benefit():
    d = _digest(case.BEN)
    assert list(zip(d.items["kind"], d.items["subject"], strict=True)) == [
        ("alert", "T1:2026-07"),      # critical, through P2 which he manages, newer
        ("alert", "Ben Manager"),     # critical, on him (a per-owner metric), older
        ("decision", "D1"),           # 29 days late
        ("decision", "D2"),           # 10 days late
        ("risk", "R1"),               # his, on P3: 50% x 200 k = 100 k
        ("forecast_vs_rag", "P2"),    # 15 k
        ("risk", "R2"),               # on P2: 10 k
    ]
    assert d.items.loc[2, "text"] == 'Decision D1 "Fund phase 2" for Board is 29 days late ' \
                                     "(due 2026-06-01)"
    assert d.changes["subject"].tolist() == ["R1"]  # names him as owner


def test_missing_alerts_changes_and_forecast_are_said_not_faked():
    d = _digest(case.ANA, alerts=None, changes=None, forecast=None)
    assert d.unavailable == [
        "alerts: not available",
        "forecast against RAG: no forecast persisted on or before 2026-06-30",
        "changes: not available"]
    assert d.changes is None
    assert d.items["kind"].tolist() == ["benefit_behind", "risk"]
    text = to_text(d, "2026-W27")
    assert "Not looked at: alerts: not available;" in text and "Changes" not in text


def test_links_only_to_published_pages_of_the_latest_run_on_or_before(tmp_path):
    for run in ("2026-06-29", "2026-07-06"):  # the later run is after as_of: never linked
        (tmp_path / run / "project_status").mkdir(parents=True)
    (tmp_path / "2026-06-29" / "benefits.html").write_text("b")
    (tmp_path / "2026-06-29" / "project_status" / "P1.html").write_text("p")
    (tmp_path / "2026-07-06" / "governance.html").write_text("g")
    assert latest_run(tmp_path, case.AS_OF) == "2026-06-29"
    d = _digest(case.ANA, reports_dir=tmp_path)
    links = dict(zip(d.items["subject"] + "/" + d.items["kind"], d.items["link"], strict=True))
    assert links["P1/alert"] == "2026-06-29/project_status/P1.html"
    assert links["P1/forecast_vs_rag"] == "2026-06-29/project_status/P1.html#Forecast"
    assert links["B1/benefit_behind"] == "2026-06-29/benefits.html#Benefits-needing-attention"
    assert pd.isna(links["P2/forecast_vs_rag"]) and pd.isna(links["T1:2026-07/alert"])
    ben = _digest(case.BEN, reports_dir=tmp_path)
    assert ben.items.loc[ben.items["kind"] == "decision", "link"].isna().all()


def test_text_shows_a_handful_and_counts_the_rest():
    text = to_text(_digest(case.BEN), "2026-06-30", limit=3, base_url="https://pmo.example.org/r",
                   rest_url="https://pmo.example.org/r/digests/2026-06-30/ben.html")
    lines = text.splitlines()
    assert lines[0] == "What needs you, Ben Manager: 2026-06-30 (2026-06-30)"
    assert lines[2] == "Changes since the previous period:"
    assert [ln[:3] for ln in lines if ln[:1].isdigit()] == ["1. ", "2. ", "3. "]
    assert "and 4 more: https://pmo.example.org/r/digests/2026-06-30/ben.html" in lines

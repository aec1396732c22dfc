"""The forms' "What to know" blocks state the pipeline's and the governance figures' own numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from second_portfolio import renamed_portfolio

from pmo_nb.briefings import form_briefs as fb
from pmo_nb.briefings import what_to_know as wtk
from pmo_nb.forecast.progress import outcomes
from pmo_nb.governance import baseline, change_summary, decisions_owed, pending
from pmo_nb.prioritise.frontier import default_budget
from pmo_nb.prioritise.scoring import candidates
from pmo_nb.store.core import Store

AS_OF = pd.Timestamp("2026-06-30")


@pytest.fixture(scope="module")
def second():
    return renamed_portfolio()


def _intake(portfolio):
    return fb.intake(portfolio, candidates(portfolio), default_budget(portfolio),
                     outcomes(portfolio, AS_OF))


def _change(portfolio):
    return fb.change_request(portfolio, change_summary(portfolio, AS_OF),
                             baseline(portfolio, AS_OF), decisions_owed(portfolio, AS_OF))


def test_intake_findings_state_the_pipeline_and_reference_classes(demo_small):
    found = _intake(demo_small)
    assert 1 <= len(found) <= wtk.LIMIT and all(f.number and f.text for f in found)
    projects = demo_small.projects
    proposed = projects[projects["stage"] == "proposed"]
    approved = projects[projects["stage"] == "approved"]
    pipeline = found[0]
    assert pipeline.number == str(len(proposed))
    left = default_budget(demo_small) - approved["budget"].sum()
    assert f"asking {fb.money(proposed['budget'].sum())}" in pipeline.text
    assert f"{fb.money(left)} left" in pipeline.text
    categories = sorted(projects["category"].unique())
    assert found[1].number == str(len(categories))
    done = outcomes(demo_small, AS_OF)["category"].value_counts()
    thin = [c for c in categories if done.get(c, 0) < fb.FEW_COMPLETED]
    assert thin and found[2].number == str(len(thin))
    for c in thin:
        assert f"{c} ({done.get(c, 0)})" in found[2].text
    ratio = np.exp(outcomes(demo_small, AS_OF)["log_cost_ratio"])
    assert found[3].number == f"{(ratio > 1).mean():.0%}"


def test_intake_on_a_portfolio_with_no_thin_category_says_zero(second):
    found = _intake(second)
    assert found[2].number == "0" and ":" not in found[2].text
    assert "Line 1 & <Ops>" in found[1].text


def test_change_request_findings_state_the_waiting_changes_drift_and_decisions(demo_small):
    found = _change(demo_small)
    assert 1 <= len(found) <= wtk.LIMIT
    waiting = pending(demo_small, AS_OF)
    assert found[0].number == str(len(waiting))
    assert fb.money(waiting["cost_impact"].fillna(0).sum()) in found[0].text
    base = baseline(demo_small, AS_OF)
    top = base[base["pending_changes"] > 0].sort_values(
        ["pending_cost", "pending_days"], ascending=False, kind="stable").index[0]
    assert top in found[0].text and demo_small.projects.set_index(
        "project_id").at[top, "name"] in found[0].text
    moved = base[(base["drift_money"] != 0) | (base["drift_days"] != 0)]
    assert found[1].number == fb._signed(moved["drift_money"].sum())
    assert f"across {len(moved)} projects" in found[1].text
    owed = decisions_owed(demo_small, AS_OF)
    assert found[2].number == str(len(owed))
    summary = change_summary(demo_small, AS_OF)
    approved, rejected = summary.at["approved", "changes"], summary.at["rejected", "changes"]
    assert found[3].number == f"{approved / (approved + rejected):.0%}"


def test_form_blocks_escape_the_stores_names(second):
    for found in (_intake(second), _change(second)):
        page = wtk.to_html(found, links=False)
        assert "<Ops>" not in page and "O'" not in page
    assert "Line 1 &amp; &lt;Ops&gt;" in wtk.to_html(_intake(second), links=False)


def test_the_forms_open_with_their_block(demo_small, tmp_path):
    intake = pytest.importorskip("pmo_nb.apps.intake")
    from pmo_nb.apps import change_request

    path = tmp_path / "portfolio.db"
    Store(path).import_portfolio(demo_small, source="demo", file_checksums={})
    for app in (intake.IntakeApp(Store(path), None, AS_OF),
                change_request.ChangeRequestApp(Store(path), None, AS_OF)):
        assert app.widget.children[0] is app.know
        assert f'class="{wtk.BLOCK_CLASS}"' in app.know.value
        assert app.know.value.count("<li>") == len(app.findings()) >= 3


def test_the_change_form_refreshes_what_to_know_after_a_save(demo_small, tmp_path):
    from pmo_nb.apps import change_request

    path = tmp_path / "portfolio.db"
    Store(path).import_portfolio(demo_small, source="demo", file_checksums={})
    app = change_request.ChangeRequestApp(Store(path), Store(path), AS_OF)  # writes what it reads
    before = app.findings()[0]
    waiting = pending(demo_small, AS_OF)
    assert before.number == str(len(waiting))
    app.project.value = app.project.options[1][1]
    app.title.value, app.reason.value = "Extra interfaces", "The regulator asked for them"
    app.cost.value = "250k"
    assert app.save() is not None, app.errors.value + app.confirmation.value
    after = app.findings()[0]
    # one more change waits, 250 k more of it; the block on the page says so
    assert after.number == str(len(waiting) + 1)
    assert fb.money(waiting["cost_impact"].fillna(0).sum() + 250_000) in after.text
    assert app.know.value == wtk.to_html(app.findings(), links=False)
    assert f">{after.number}</strong>" in app.know.value

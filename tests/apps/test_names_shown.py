"""Apps and charts show names beside ids: dropdowns, tables, chart axes and tooltips (issue #18)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from browser_util import seeded_store

from pmo_nb.charts import forecast as fc
from pmo_nb.charts import prioritisation as pcharts
from pmo_nb.charts.base import id_labels
from pmo_nb.dates import LIVE_STAGES
from pmo_nb.prioritise.scoring import score
from pmo_nb.prioritise.selection import select_portfolio
from pmo_nb.store.core import Store

AS_OF = pd.Timestamp("2026-06-30")


def _tooltip_fields(spec: dict) -> list[list[str]]:
    """The tooltip fields of every layer (or the chart) of a Vega-Lite spec."""
    found = []
    for part in [spec, *spec.get("layer", []), *spec.get("spec", {}).get("layer", [])]:
        tip = part.get("encoding", {}).get("tooltip")
        if tip:
            found.append([t["field"] for t in tip])
    return found


def _rows(spec: dict) -> list[dict]:
    """The rows of the spec's datasets (every one, for a layered chart)."""
    return [row for rows in spec["datasets"].values() for row in rows]


def test_id_labels_put_the_name_beside_the_id():
    got = id_labels(["P1", "P2", "P3"], {"P1": "Payments hub", "P2": None})
    assert list(got) == ["P1 Payments hub", "P2", "P3"]
    assert list(id_labels(["P1"])) == ["P1"]


@pytest.fixture(scope="module")
def store(demo_small, tmp_path_factory):
    return Store(seeded_store(demo_small, tmp_path_factory.mktemp("names")))


def test_ranking_and_confidence_tooltips_name_the_project(demo_small):
    table = score(demo_small)
    names = demo_small.projects.set_index("project_id")["name"]
    spec = pcharts.ranking_chart(table).to_dict()
    assert _tooltip_fields(spec) == [["project", "rank", "score", "status"]]
    assert all(r["project"] == f"{r['project_id']} {names[r['project_id']]}"
               for r in _rows(spec))
    confidence = table[["score", "rank"]].assign(p_selected=0.5, label="coin flip")
    spec = pcharts.confidence_chart(confidence, names=names).to_dict()
    assert ["project", "label", "p_selected", "rank"] in _tooltip_fields(spec)
    rows = [r for r in _rows(spec) if "project_id" in r]
    assert len(rows) == len(table) and all(
        r["project"] == f"{r['project_id']} {names[r['project_id']]}" for r in rows)


def test_weight_bars_name_their_objective(demo_small):
    objectives = demo_small.objectives.set_index("objective_id")
    weights = objectives["weight"].astype(float)
    spec = pcharts.weights_chart(weights, names=objectives["name"]).to_dict()
    assert {r["objective"] for r in _rows(spec)} == {
        f"{oid} {name}" for oid, name in objectives["name"].items()}


def test_fan_chart_tooltip_names_the_project():
    table = pd.DataFrame({
        "project_id": ["A"], "name": ["Payments hub"], "budget": [100.0],
        "cost_p10": [90.0], "cost_p50": [110.0], "cost_p90": [150.0],
        "finish_date": pd.to_datetime(["2026-12-31"]),
        "finish_p10": pd.to_datetime(["2026-12-01"]), "finish_p50": pd.to_datetime(["2027-02-01"]),
        "finish_p90": pd.to_datetime(["2027-06-01"]), "p_over_budget": [0.7]}).set_index(
        "project_id")
    spec = fc.fan_chart(table, AS_OF).to_dict()
    fields = _tooltip_fields(spec)
    assert fields and all(f[0] == "label" and "project_id" not in f for f in fields)
    assert {r["label"] for r in _rows(spec)} == {"A Payments hub"}


def test_scenario_explorer_names_the_funded_projects(demo_small):
    from pmo_nb.apps.scenario_explorer import selection_html

    selection = select_portfolio(demo_small, 3_000_000)
    names = selection.table["name"]
    html = selection_html(selection)
    funded = html.split('class="pmo-selected-ids">')[1].split("</span>")[0]
    assert selection.selected and funded == ", ".join(
        f"{pid} {names[pid]}" for pid in selection.selected)


def test_form_dropdowns_offer_names_with_ids(demo_small, store):
    from pmo_nb.apps.change_request import ChangeRequestApp
    from pmo_nb.apps.intake import IntakeApp

    form = ChangeRequestApp(store, None, AS_OF)
    projects = demo_small.projects.set_index("project_id")
    live = projects[projects["stage"].isin(LIVE_STAGES)]
    offered = dict(form.project.options[1:])
    assert offered == {f"{pid} {row['name']}": pid for pid, row in live.iterrows()}
    pid = next(p for p in live.index if (demo_small.benefits["project_id"] == p).any())
    form.project.value = pid
    benefits = demo_small.benefits.set_index("benefit_id")
    assert all(label == f"{bid} {benefits.at[bid, 'name']}"
               for label, bid in form.benefit.options[1:])

    intake = IntakeApp(store, None, AS_OF)
    objectives = demo_small.objectives.set_index("objective_id")["name"]
    options = intake.benefit_rows[0].objective.options[1:]
    assert dict(options) == {f"{oid} {name}": oid for oid, name in objectives.items()}


def test_intake_capacity_impact_names_the_team(demo_small, store):
    from pmo_nb.apps.intake import IntakeApp

    app = IntakeApp(store, None, AS_OF)
    team = demo_small.teams.iloc[0]
    app.name.value = "Named teams"
    app.category.value = str(demo_small.projects["category"].iloc[0])
    app.sponsor.value = app.manager.value = str(demo_small.projects["sponsor"].iloc[0])
    app.start.value, app.finish.value = dt.date(2026, 9, 1), dt.date(2027, 3, 31)
    app.budget.value = "250k"
    row = app.demand_rows[0]
    row.team.value, row.first.value, row.last.value, row.fte.value = (
        team["team_id"], "2026-09", "2026-12", "1.5")
    result = app.check()
    assert result.ok, app.errors.value
    assert f"<td>{team['team_id']} {team['name']}</td>" in app.assessment.value


def test_the_executive_risk_bars_name_the_project(demo_small):
    from pmo_nb.briefings import executive
    from pmo_nb.charts.executive import top_risks_chart

    data = executive.prepare(demo_small, AS_OF)
    risks = executive.view(data, executive.select(data))["risks"]
    spec = top_risks_chart(risks).to_dict()
    names = demo_small.projects.set_index("project_id")["name"]
    shown = {r["bucket"] for r in _rows(spec)}
    projects = set(risks["bucket"]) & set(names.index)
    assert projects and {f"{p} {names[p]}" for p in projects} <= shown
    assert not projects & shown  # no bare project id in the tooltip

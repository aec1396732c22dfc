"""Proposals (rows, import rules, rank, capacity, cost range, save) and the executive frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pmo_nb.briefings import executive as executive
from pmo_nb.capacity.demand import capacity
from pmo_nb.delivery import overview as overview
from pmo_nb.prioritise import proposal as pr
from pmo_nb.store.core import Store
from pmo_nb.store.rows import ImportConflict

AS_OF = "2026-06-30"


def good(portfolio, **changes) -> pr.Proposal:
    objectives = list(portfolio.objectives["objective_id"])
    team = str(portfolio.teams["team_id"].iloc[0])
    base = dict(
        name="Customer portal", category="IT", sponsor="A. Sponsor",
        start_date="2026-09-01", finish_date="2027-06-30", budget="2500000",
        alignment={o: 0 for o in objectives} | {objectives[0]: 4},
        demand=[pr.DemandLine(team, "2026-09", "2026-12", "2.5"), pr.DemandLine()],
        benefits=[pr.BenefitLine("Online conversion", objectives[0], "%", "increase", "3.1",
                                 "3.5", "2027-12-31")],
    )
    return pr.Proposal(**(base | changes))


def test_a_valid_proposal_becomes_the_rows_of_one_proposed_project(demo_small):
    result = pr.check(good(demo_small), demo_small)
    assert result.ok and result.problems.empty
    assert result.project_id == "PR0001"
    rows = result.rows
    project = rows.projects.iloc[0]
    assert (project["stage"], project["budget"], project["name"]) == (
        "proposed", 2_500_000.0, "Customer portal")
    assert list(rows.demand["month"]) == ["2026-09", "2026-10", "2026-11", "2026-12"]
    assert rows.demand["fte"].tolist() == [2.5] * 4  # the blank line is skipped
    assert len(rows.alignment) == len(demo_small.objectives)
    assert rows.benefits["benefit_id"].tolist() == ["PR0001-B1"]
    # realisation_start defaults to the planned finish, as on import
    assert rows.benefits["realisation_start"].iloc[0] == pd.Timestamp("2027-06-30")
    assert rows.status_updates.empty and rows.objectives.empty


def test_next_id_follows_the_largest_proposal_id(demo_small):
    merged = pr.merge(demo_small, pr.check(good(demo_small), demo_small, "PR0041").rows)
    assert pr.next_project_id(merged) == "PR0042"


def test_invalid_proposal_lists_every_problem_against_its_form_field(demo_small):
    bad = good(
        demo_small, name="", finish_date="2026-01-31", budget="-5",
        alignment={"OBJ-NOPE": 2},
        demand=[pr.DemandLine("T-NOPE", "2026-09", "2026-10", "1"),
                pr.DemandLine(str(demo_small.teams["team_id"].iloc[0]), "2026-13", "2026-13",
                              "x"),
                pr.DemandLine(str(demo_small.teams["team_id"].iloc[0]), "2026-12", "2026-10",
                              "1")],
        benefits=[pr.BenefitLine("KPI", "", "%", "increase", "3", "2", "")],
    )
    result = pr.check(bad, demo_small)
    assert not result.ok and result.rows is None
    got = {(r.field, r.column, r.rule) for r in result.problems.itertuples()}
    assert got == {
        ("Project", "name", "required: must not be empty"),
        ("Project", "finish_date", "finish_date must be >= start_date"),
        ("Project", "budget", "must be >= 0"),
        ("Alignment with OBJ-NOPE", "objective_id", "must exist in objectives.objective_id"),
        ("Demand line 1", "team_id", "must exist in teams.team_id"),
        ("Demand line 2", "month", "must be a month YYYY-MM"),
        ("Demand line 2", "fte", "must be a number"),
        ("Demand line 3", "month", "the last month must not be before the first"),
        ("Benefit 1", "target", "target must be above baseline when direction = increase"),
        ("Benefit 1", "target_date", "required: must not be empty"),
    }


def test_rank_follows_alignment(demo_small):
    objectives = list(demo_small.objectives["objective_id"])
    best = pr.check(good(demo_small, alignment=dict.fromkeys(objectives, 5)), demo_small)
    r = pr.rank(pr.merge(demo_small, best.rows), best.project_id)
    n = len(demo_small.projects[demo_small.projects["stage"].isin(["proposed", "approved"])])
    assert (r["rank"], r["of"], r["score"]) == (1, n + 1, 100.0)
    worst = pr.check(good(demo_small, alignment=dict.fromkeys(objectives, 0)), demo_small)
    r = pr.rank(pr.merge(demo_small, worst.rows), worst.project_id)
    assert (r["rank"], r["score"], r["below"]) == (n + 1, 0.0, None)


def test_capacity_impact_adds_the_proposals_demand(demo_small):
    team = str(demo_small.teams["team_id"].iloc[0])
    cap = float(demo_small.teams["capacity_fte"].iloc[0])
    result = pr.check(good(demo_small, demand=[pr.DemandLine(team, "2026-10", "2026-11",
                                                             cap + 1)]), demo_small)
    merged = pr.merge(demo_small, result.rows)
    impact = pr.capacity_impact(merged, result.project_id)
    assert list(impact["month"]) == ["2026-10", "2026-11"]
    assert np.allclose(impact["added"], cap + 1)
    before = capacity(demo_small).set_index(["team_id", "month"])
    for row in impact.itertuples():
        assert row.demand_before == pytest.approx(before.at[(team, row.month), "demand"])
        assert row.over_after == pytest.approx(row.demand_before + cap + 1 - cap)
    assert impact.attrs["newly_over"] == 2
    assert impact.attrs["added_overload"] == pytest.approx(
        (impact["over_after"] - impact["over_before"]).sum())


class StubModel:
    """Predictive draws known in advance: log cost ratio 0..0.99, log duration ratio 0."""

    def predict(self, frame, seed=0):
        assert list(frame["category"]) == ["IT"] and frame["planned_days"].iloc[0] == 302
        return np.linspace(-0.2, 0.79, 100)[None, :], np.zeros((1, 100))


def test_reference_range_uses_the_persisted_model_or_says_none(demo_small):
    rows = pr.check(good(demo_small), demo_small).rows
    assert pr.reference_range(rows, None) is None
    band = pr.reference_range(rows, StubModel())
    draws = np.linspace(-0.2, 0.79, 100)
    assert band["cost_p50"] == pytest.approx(2_500_000 * np.exp(np.quantile(draws, 0.5)))
    assert band["cost_p90"] == pytest.approx(2_500_000 * np.exp(np.quantile(draws, 0.9)))
    assert band["p_over_budget"] == pytest.approx((draws > 0).mean())
    assert band["duration_p10"] == pytest.approx(302.0)


def test_no_persisted_model_means_none(demo_db):
    assert pr.load_forecast_model(Store(demo_db)) is None


def fresh_store(portfolio, tmp_path) -> Store:
    """A store of our own to write to (the shared demo_db stays untouched)."""
    store = Store(tmp_path / "store.db")
    store.import_portfolio(portfolio, source="demo", file_checksums={})
    return store


def test_save_writes_one_import_and_refuses_a_racing_duplicate(demo_small, tmp_path):
    store = fresh_store(demo_small, tmp_path)
    base = int(store.history()["import_id"].iloc[0])
    result = pr.check(good(demo_small), demo_small)
    summary = pr.save(result, store, based_on=base)
    assert sum(summary.inserted.values()) == 1 + len(demo_small.objectives) + 4 + 1
    after = store.load()
    assert after.projects.set_index("project_id").at["PR0001", "stage"] == "proposed"
    assert len(after.projects) == len(demo_small.projects) + 1
    checksum = after.checksum()
    # a second form, loaded before the first save, picks the same id: refused whole
    other = pr.check(good(demo_small, name="Another"), demo_small)
    assert other.project_id == "PR0001"
    with pytest.raises(ImportConflict):
        pr.save(other, store, based_on=base)
    assert store.load().checksum() == checksum
    with pytest.raises(ValueError):
        pr.save(pr.check(good(demo_small, name=""), demo_small), store, based_on=base)


# --- executive dashboard frames -------------------------------------------------------------

@pytest.fixture(scope="module")
def data(demo_small):
    return executive.prepare(demo_small, AS_OF)


def test_filtered_view_matches_the_overview(data, demo_small):
    category = demo_small.projects["category"].value_counts().index[-1]
    ids = executive.select(data, category=category)
    part = overview.filter(demo_small, category=category)
    assert set(ids) == set(part.projects["project_id"])
    view = executive.view(data, ids)
    k = overview.kpis(part, AS_OF)
    assert {key: view["kpis"][key] for key in ("projects", "live", "red", "cpi_below_1")} == {
        key: k[key] for key in ("projects", "live", "red", "cpi_below_1")}
    assert view["rag"].set_index("rag")["projects"].to_dict() == overview.rag_counts(
        part, AS_OF).set_index("rag")["projects"].to_dict()
    assert view["kpis"]["likely_overruns"] is None and view["forecast"] is None
    assert set(view["risks"]["bucket"]) <= set(ids)
    assert view["risks"]["expected_cost"].is_monotonic_decreasing


def test_objective_filter_keeps_projects_aligned_to_it(data, demo_small):
    objective = str(demo_small.objectives["objective_id"].iloc[0])
    a = demo_small.alignment
    want = set(a.loc[(a["objective_id"] == objective) & (a["score"] >= 1), "project_id"])
    assert set(executive.select(data, objective=objective)) == want
    stage = executive.select(data, objective=objective, stage="active")
    assert set(stage) == want & set(
        demo_small.projects.loc[demo_small.projects["stage"] == "active", "project_id"])


def test_rag_trend_counts_the_last_report_of_each_month(data, demo_small):
    trend = executive.view(data, data.projects.index)["rag_trend"]
    u = demo_small.status_updates
    june = u[(u["as_of"] >= "2026-06-01") & (u["as_of"] <= AS_OF) & u["rag"].notna()]
    last = june.sort_values("as_of").groupby("project_id").tail(1)["rag"].value_counts()
    got = trend[trend["month"] == "2026-06"].set_index("rag")["projects"]
    assert got.to_dict() == {r: int(last.get(r, 0)) for r in ("green", "amber", "red")}
    assert trend["month"].nunique() == executive.TREND_MONTHS


def test_persisted_forecast_is_read_never_made(demo_small, tmp_path):
    store = fresh_store(demo_small, tmp_path)
    assert executive.persisted_forecast(store, AS_OF) == (None, executive.NO_FORECAST)
    active = demo_small.projects[demo_small.projects["stage"] == "active"]["project_id"][:3]
    table = pd.DataFrame({"project_id": list(active), "p_over_budget": [0.9, 0.5, 0.75],
                          "p_late": [0.2, 0.3, 0.8], "finish_p50": pd.Timestamp("2027-01-01")})
    store.save_result("forecast", "2026-06-01", frame=table, attrs={"fitted_at": "x"})
    store.save_result("forecast", "2026-07-31", frame=table.iloc[:1], attrs={})  # after as_of
    found, note = executive.persisted_forecast(store, AS_OF)
    assert list(found.index) == list(active) and "2026-06-01" in note
    data = executive.prepare(demo_small, AS_OF, found, note)
    assert executive.view(data, data.projects.index)["kpis"]["likely_overruns"] == 2


def test_project_detail_names_the_project(data, demo_small):
    pid = demo_small.projects["project_id"].iloc[0]
    detail = executive.project_detail(data, pid)
    assert detail["facts"]["name"] == demo_small.projects["name"].iloc[0]
    assert detail["forecast"] is None and detail["forecast_note"] == executive.NO_FORECAST
    assert (detail["history"]["as_of"] <= pd.Timestamp(AS_OF)).all()
    with pytest.raises(KeyError):
        executive.project_detail(data, "NOPE")


def test_the_offline_template_asks_for_every_field():
    from dataclasses import fields

    from pmo_nb.config import templates_dir

    text = (templates_dir() / "proposal.md").read_text(encoding="utf-8")
    cells = {c.strip() for line in text.splitlines() if line.startswith("|")
             for c in line.split("|")}
    scalar = [f.name for f in fields(pr.Proposal)
              if f.name not in ("alignment", "demand", "benefits")]
    for name in [*scalar, *(f.name for f in fields(pr.DemandLine)),
                 *(f.name for f in fields(pr.BenefitLine)), "objective_id", "score"]:
        assert name in cells, f"templates/proposal.md does not ask for {name}"


def test_dashboard_draws_a_persisted_forecast_and_opens_a_clicked_project(demo_small):
    from pmo_nb.apps.executive import ExecutiveDashboard

    active = list(demo_small.projects.loc[demo_small.projects["stage"] == "active",
                                          "project_id"][:4])
    table = pd.DataFrame({
        "category": "IT", "budget": 1e6, "p_over_budget": [0.9, 0.8, 0.2, 0.1],
        "p_late": 0.5, "cost_p10": 0.9e6, "cost_p50": 1.1e6, "cost_p90": 1.6e6,
        "finish_p10": pd.Timestamp("2026-12-01"), "finish_p90": pd.Timestamp("2027-06-01")},
        index=pd.Index(active, name="project_id"))
    app = ExecutiveDashboard(executive.prepare(demo_small, AS_OF, table, "forecast as of X"))
    assert "2" in app.tiles["likely-overruns"].value
    chart = app.views["overrun"]
    assert "4 forecast projects (2 above 70%)" in str(chart.spec["title"])
    # what the browser sends when a point is clicked
    chart._vl_selections = {"pick": {"value": {"vlPoint": {"or": [{"project_id": active[1]}]}},
                                     "store": []}}
    assert app.project.value == active[1]
    panel = app.panel.children[0].value
    name = demo_small.projects.set_index("project_id").at[active[1], "name"]
    assert f'class="pmo-project-name">{name}<' in panel
    assert "Forecast final cost 900.0 k to 1.6 m" in panel


def test_saves_to_a_separate_writer_store_take_its_next_free_ids(demo_small, tmp_path):
    reader = fresh_store(demo_small, tmp_path)
    writer = Store(tmp_path / "intake.db")  # `pmo serve --intake-db`: another store
    writer.import_portfolio(demo_small, source="reference data", file_checksums={})
    before = reader.load().checksum(), len(reader.history())
    first = pr.check(good(demo_small), reader.load())
    pr.save(first, writer, based_on=None)
    second = pr.check(good(demo_small, name="Another"), reader.load())
    assert second.project_id == "PR0001"  # what the reader, which has no proposal, offers
    summary = pr.save(second, writer, based_on=None)
    assert (first.project_id, second.project_id) == ("PR0001", "PR0002")
    saved = writer.load()
    projects = saved.projects.set_index("project_id")
    assert projects.loc[["PR0001", "PR0002"], "name"].tolist() == ["Customer portal", "Another"]
    assert set(saved.benefits["benefit_id"]) >= {"PR0001-B1", "PR0002-B1"}
    assert (saved.alignment["project_id"] == "PR0002").sum() == len(demo_small.objectives)
    assert second.rows.projects.at[0, "project_id"] == "PR0002"
    assert summary.source == "intake form: PR0002 Another"
    assert writer.history()["source"].iloc[0] == "intake form: PR0002 Another"
    assert (reader.load().checksum(), len(reader.history())) == before


def test_the_intake_form_saves_to_a_separate_store_with_its_ids(demo_small, tmp_path):
    intake = pytest.importorskip("pmo_nb.apps.intake")
    reader = fresh_store(demo_small, tmp_path)
    writer = Store(tmp_path / "intake.db")
    writer.import_portfolio(demo_small, source="reference data", file_checksums={})
    before = reader.load().checksum()
    app = intake.IntakeApp(reader, writer, AS_OF)
    ids = []
    for name in ("Customer portal", "Another"):
        app.name.value, app.category.value, app.sponsor.value = name, "IT", "A. Sponsor"
        app.start.value, app.finish.value = dt.date(2026, 9, 1), dt.date(2027, 6, 30)
        app.budget.value = "1k"
        next(iter(app.sliders.values()))[1].value = 4
        assert app.save() is not None, app.confirmation.value + app.errors.value
        ids.append(app.confirmation.value.split('saved-id">')[1].split("<")[0])
    assert ids == ["PR0001", "PR0002"]
    assert reader.load().checksum() == before


def test_the_intake_sliders_are_captioned_by_objective_name(demo_small, tmp_path):
    intake = pytest.importorskip("pmo_nb.apps.intake")
    app = intake.IntakeApp(fresh_store(demo_small, tmp_path), None, AS_OF)
    objectives = demo_small.objectives.set_index("objective_id")["name"]
    assert list(app.sliders) == list(objectives.index)
    for oid, (box, slider) in app.sliders.items():
        # the name is the caption; the id is on hover and beside the slider (issue #18)
        assert slider.description == objectives[oid]
        assert slider.tooltip == f"{oid} {objectives[oid]}"
        assert [c.value for c in box.children[1:]] == [oid]


def test_the_intake_form_offers_the_stores_categories_and_people(demo_small, tmp_path):
    intake = pytest.importorskip("pmo_nb.apps.intake")
    reader = fresh_store(demo_small, tmp_path)
    app = intake.IntakeApp(reader, None, AS_OF)
    categories = sorted(demo_small.projects["category"].unique())
    assert app.category.known == categories
    people = set(demo_small.people["name"]) | set(demo_small.projects["sponsor"].dropna())
    assert set(app.sponsor.known) == people
    assert set(app.manager.known) >= set(demo_small.projects["manager"].dropna())
    app.category.value = categories[0].upper() + "x"  # a typo: a new reference class
    assert "new reference class" in app.category.hint.value
    app.name.value, app.category.value = "Typed money", categories[0]
    app.sponsor.value, app.manager.value = "Someone New", ""
    app.start.value, app.finish.value = dt.date(2026, 9, 1), dt.date(2027, 6, 30)
    app.budget.value = "€2.5M"
    assert "not a known person" in app.sponsor.hint.value
    result = app.check()
    assert result.ok, app.errors.value
    row = result.rows.projects.iloc[0]
    assert (row["budget"], row["category"], row["sponsor"]) == (2.5e6, categories[0],
                                                                 "Someone New")
    assert row["start_date"] == pd.Timestamp("2026-09-01")
    app.budget.value = "2,5m"  # not read: the import rules refuse it as they would a cell
    problems = app.check().problems
    assert problems.loc[problems["column"] == "budget", "value"].tolist() == ["2,5m"]

"""The demo's plans, calendar, scope, changes, decisions and people."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_nb.demo.generator import demo_portfolio
from pmo_nb.demo.plans import holidays
from pmo_nb.io.reading import read_workbook
from pmo_nb.io.validation import validate
from pmo_nb.io.writing import write_workbook
from pmo_nb.schema import CHANGE_STATUSES, LINK_TYPES, REQUIREMENT_STATUSES

AS_OF = pd.Timestamp("2026-06-30")
NEW_TABLES = ("tasks", "task_links", "holidays", "requirements", "change_requests",
              "decisions", "people")


@pytest.fixture(scope="module")
def demo():
    return demo_portfolio(n_projects=600, seed=0, as_of=AS_OF)


def test_every_new_table_is_filled_and_the_demo_validates(demo, tmp_path):
    for name in NEW_TABLES:
        assert len(demo.tables()[name]) > 0, name
    back = validate(read_workbook(write_workbook(demo, tmp_path / "demo")))
    assert back.checksum() == demo.checksum() and back.notices == []


def test_plans_for_most_active_and_many_completed_projects(demo):
    planned = set(demo.tasks["project_id"])
    stage = demo.projects.set_index("project_id")["stage"]
    for name, least in (("active", 0.6), ("completed", 0.35)):
        ids = stage.index[stage == name]
        assert ids.isin(list(planned)).mean() >= least, name
    assert not stage[stage.index.isin(list(planned))].isin(["proposed", "cancelled"]).any()


def test_plans_use_every_link_type_leads_lags_estimates_and_milestones(demo):
    links, tasks = demo.task_links, demo.tasks
    assert set(links["type"]) == set(LINK_TYPES)
    assert (links["lag"] < 0).sum() > 20 and (links["lag"] > 0).sum() > 20
    activity = tasks["duration_likely"] > 0
    assert tasks.loc[activity, "duration_low"].notna().mean() > 0.75
    assert (~activity).sum() >= 2 * tasks["project_id"].nunique()  # kick-off and go-live
    three = tasks.dropna(subset=["duration_low"])
    assert ((three["duration_low"] <= three["duration_likely"])
            & (three["duration_likely"] <= three["duration_high"])).all()
    project_of = tasks.set_index("task_id")["project_id"]
    assert (links["predecessor"].map(project_of) == links["successor"].map(project_of)).all()


def test_completed_tasks_ran_late_the_way_real_ones_do(demo):
    tasks = demo.tasks[(demo.tasks["percent_complete"] == 100)
                       & (demo.tasks["duration_likely"] > 0)]
    days = np.busday_count(tasks["actual_start"].to_numpy().astype("datetime64[D]"),
                           tasks["actual_finish"].to_numpy().astype("datetime64[D]"),
                           holidays=demo.holidays["date"].to_numpy().astype("datetime64[D]"))
    ratio = (days + 1) / tasks["duration_likely"].to_numpy()
    median = np.median(ratio)
    assert 1.1 <= median <= 1.3
    low, high = np.percentile(ratio, [10, 90])
    assert high - median > median - low  # right-skewed
    assert (tasks["actual_finish"] <= AS_OF).all()
    started = demo.tasks["percent_complete"] > 0
    assert demo.tasks.loc[started, "actual_start"].notna().all()
    assert demo.tasks.loc[~started, "actual_start"].isna().all()


def test_holidays_are_the_national_ones_of_the_demo_years(demo):
    days = set(demo.holidays["date"])
    assert {pd.Timestamp(d) for d in ("2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04",
                                      "2026-05-25", "2026-08-31", "2026-12-25",
                                      "2026-12-28")} <= days
    years = set(demo.holidays["date"].dt.year)
    assert set(demo.projects["start_date"].dt.year) <= years
    assert len(holidays(2027, 2027)) == 8 and demo.holidays["date"].is_unique


def test_scope_grows_on_the_projects_that_overrun(demo):
    req, pr = demo.requirements, demo.projects.set_index("project_id")
    done = pr[pr["stage"] == "completed"]
    ratio = ((done["actual_finish_date"] - done["start_date"])
             / (done["finish_date"] - done["start_date"]))
    base = req[req["baseline"]].groupby("project_id")["size"].sum()
    added = req[~req["baseline"] & (req["status"] != "proposed")].groupby(
        "project_id")["size"].sum().reindex(base.index, fill_value=0)
    growth = (added / base).reindex(done.index).dropna()
    late, on_time = growth[ratio[growth.index] > 1.3], growth[ratio[growth.index] < 1.05]
    assert len(late) >= 5 and len(on_time) >= 5
    assert late.mean() > 2 * on_time.mean()
    assert set(req["status"]) == set(REQUIREMENT_STATUSES)
    removed = req[req["status"] == "removed"]
    assert len(removed) > 10 and (removed["removed_date"] >= removed["added_date"]).all()
    assert req["change_id"].notna().any() and (req["added_date"] <= AS_OF).all()


def test_change_requests_of_every_status_with_their_impacts(demo):
    cr = demo.change_requests
    assert set(cr["status"]) == set(CHANGE_STATUSES)
    decided = cr["status"].isin(["approved", "rejected"])
    assert cr.loc[decided, ["decided_date", "decided_by"]].notna().all().all()
    assert (cr["cost_impact"] < 0).any() and (cr["cost_impact"] > 0).any()
    assert (cr["schedule_impact_days"] > 0).any()
    assert (cr["scope_impact"] > 0).any() and (cr["scope_impact"] < 0).any()
    assert cr["benefit_id"].notna().any()
    assert (cr["benefit_id"].notna() == cr["benefit_impact"].notna()).all()
    # an approved scope change brought in exactly the requirements it names
    brought = demo.requirements[~demo.requirements["baseline"]].groupby("change_id")["size"].sum()
    scope = cr.set_index("change_id")["scope_impact"]
    assert (scope[brought.index] == brought).all()


def test_decisions_open_closed_and_overdue_with_gates(demo):
    d = demo.decisions
    open_ = d["status"] == "open"
    assert open_.sum() > 10 and (~open_).sum() > 10
    assert (open_ & (d["due_date"] < AS_OF)).sum() > 3  # overdue
    assert d.loc[open_, ["outcome", "decided_date"]].isna().all().all()
    gates = d[d["kind"] == "gate"]
    assert {"approved", "active", "completed"} <= set(gates["stage_to"].dropna())
    assert set(d["outcome"].dropna()) == {"approved", "rejected", "deferred", "noted"}
    assert (d["date"] <= AS_OF).all() and (d["decided_date"].dropna() <= AS_OF).all()


def test_people_cover_every_name(demo):
    names = set(demo.people["name"])
    for table, col in (("projects", "sponsor"), ("projects", "manager"), ("risks", "owner"),
                       ("benefits", "owner"), ("decisions", "owner"),
                       ("change_requests", "decided_by")):
        assert set(demo.tables()[table][col].dropna()) <= names, (table, col)
    assert demo.people["email"].str.fullmatch(r"[a-z.]+@example\.org").all()
    assert set(demo.people["digest"]) == {"weekly", "daily", "none"}


def test_some_risks_name_a_task_of_their_project(demo):
    risks = demo.risks.dropna(subset=["task_id"])
    assert len(risks) > 20
    project_of = demo.tasks.set_index("task_id")["project_id"]
    assert (risks["task_id"].map(project_of) == risks["project_id"]).all()

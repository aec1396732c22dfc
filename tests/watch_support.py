"""Hand-made portfolios at two imports, and a store clock the tests set.

The store stamps each import with the time it ran; :func:`clock` sets that
time (the store's own ``_utcnow``), so a test can make "the import of
2026-11-02" and "the import of 2026-11-09" in one run on a real store.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


class Clock:
    """The time the store reads; :meth:`set` moves it."""

    def __init__(self):
        self.now = dt.datetime(2026, 11, 2, 9, 0)

    def set(self, text: str) -> None:
        self.now = dt.datetime.fromisoformat(text)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The store's clock, settable (naive UTC)."""
    found = Clock()
    monkeypatch.setattr("pmo_nb.store.core._utcnow", found)
    return found


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    return coerce_types(name, pd.DataFrame(rows))


def _project(pid, stage="active", budget=1000.0, manager="Ann", **extra) -> dict:
    return {"project_id": pid, "name": f"Project {pid}", "category": "IT", "stage": stage,
            "start_date": "2026-01-01", "finish_date": "2026-12-31", "budget": budget,
            "sponsor": "Sam", "manager": manager, **extra}


def _risk(rid, pid, probability, status="open", owner=None, cost=100.0) -> dict:
    return {"risk_id": rid, "project_id": pid, "title": f"Risk {rid}", "probability": probability,
            "cost_low": cost / 2, "cost_likely": cost, "cost_high": cost * 2,
            "status": status, "owner": owner}


def week_one() -> Portfolio:
    """The portfolio imported on 2026-11-02."""
    return Portfolio(
        projects=table("projects", [
            _project("P1"), _project("P2", budget=500.0, manager=None), _project("P3")]),
        status_updates=table("status_updates", [
            {"project_id": "P1", "as_of": "2026-10-30", "percent_complete": 60,
             "actual_cost": 500.0, "rag": "green"},
            {"project_id": "P2", "as_of": "2026-10-30", "percent_complete": 40,
             "actual_cost": 200.0, "rag": "amber"},
        ]),
        risks=table("risks", [
            _risk("R1", "P1", 0.2, owner="Rita"), _risk("R2", "P1", 0.5),
            _risk("R3", "P2", 0.3, owner="Rob"), _risk("R4", "P2", 0.4, owner="Rob")]),
        benefits=table("benefits", [
            {"benefit_id": "B1", "project_id": "P1", "name": "Calls handled", "unit": "k",
             "direction": "increase", "baseline": 0.0, "target": 100.0,
             "realisation_start": "2026-01-01", "target_date": "2026-12-31", "owner": "Ben"}]),
        benefit_measurements=table("benefit_measurements", [
            {"benefit_id": "B1", "date": "2026-10-01", "value": 70.0}]),
        decisions=table("decisions", [
            {"decision_id": "D1", "date": "2026-10-01", "forum": "Board", "title": "Go live",
             "project_id": "P1", "kind": "decision", "owner": "Dee", "due_date": "2026-11-05",
             "status": "open"},
            {"decision_id": "D2", "date": "2026-10-01", "forum": "Board", "title": "Vendor",
             "project_id": "P2", "kind": "decision", "owner": "Dee", "due_date": "2026-10-20",
             "status": "open"}]),
        teams=table("teams", [{"team_id": "T1", "name": "Data", "capacity_fte": 2.0}]),
        demand=table("demand", [
            {"project_id": "P1", "team_id": "T1", "month": "2027-01", "fte": 1.5},
            {"project_id": "P2", "team_id": "T1", "month": "2027-02", "fte": 1.0}]),
    )


def week_two() -> Portfolio:
    """The portfolio imported on 2026-11-09: one of each kind of change against week one."""
    one = week_one().tables()
    projects = one["projects"].copy()
    projects.loc[projects["project_id"] == "P1", "budget"] = 1200.0
    p3 = projects["project_id"] == "P3"
    projects.loc[p3, "stage"] = "completed"
    projects.loc[p3, "actual_finish_date"] = pd.Timestamp("2026-11-06")
    projects.loc[p3, "actual_cost"] = 950.0
    projects = pd.concat([projects, table("projects", [_project("P4", stage="proposed")])],
                         ignore_index=True)
    one["projects"] = coerce_types("projects", projects)
    one["status_updates"] = table("status_updates", [
        *one["status_updates"].to_dict("records"),
        {"project_id": "P1", "as_of": "2026-11-06", "percent_complete": 65,
         "actual_cost": 600.0, "rag": "red"}])
    one["risks"] = table("risks", [
        _risk("R1", "P1", 0.6, owner="Rita"), _risk("R2", "P1", 0.5, status="closed"),
        _risk("R3", "P2", 0.3, status="occurred", owner="Rob"),
        _risk("R4", "P2", 0.4, owner="Rob"), _risk("R5", "P2", 0.25, cost=400.0)])
    one["benefit_measurements"] = table("benefit_measurements", [
        {"benefit_id": "B1", "date": "2026-10-01", "value": 70.0},
        {"benefit_id": "B1", "date": "2026-11-06", "value": 55.0}])
    one["change_requests"] = table("change_requests", [
        {"change_id": "C1", "project_id": "P2", "title": "More scope",
         "raised_date": "2026-10-15", "status": "approved", "decided_date": "2026-11-05",
         "decided_by": "Board", "cost_impact": None, "schedule_impact_days": 30}])
    one["demand"] = table("demand", [
        {"project_id": "P1", "team_id": "T1", "month": "2027-01", "fte": 2.5},
        {"project_id": "P2", "team_id": "T1", "month": "2027-02", "fte": 1.0}])
    return Portfolio(**one)


def forecast_table(p_over: dict, p_late: dict) -> pd.DataFrame:
    """A persisted-forecast-shaped table (only the columns changes reads)."""
    return pd.DataFrame({"project_id": list(p_over), "p_over_budget": list(p_over.values()),
                         "p_late": [p_late[k] for k in p_over]})


def two_imports(store, clock: Clock, *, forecasts: bool = True) -> None:
    """Import week one (2026-11-02) and week two (2026-11-09); persist a forecast after each."""
    clock.set("2026-11-02T09:00:00")
    store.import_portfolio(week_one(), source="week1", file_checksums={})
    if forecasts:
        store.save_result("forecast", "2026-11-03", forecast_table(
            {"P1": 0.20, "P2": 0.50, "P3": 0.10}, {"P1": 0.30, "P2": 0.30, "P3": 0.30}))
    clock.set("2026-11-09T09:00:00")
    store.import_portfolio(week_two(), source="week2", file_checksums={})
    if forecasts:
        store.save_result("forecast", "2026-11-10", forecast_table(
            {"P1": 0.45, "P2": 0.55, "P4": 0.9}, {"P1": 0.32, "P2": 0.10, "P4": 0.9}))


def a_week_later(portfolio: Portfolio, seed: int = 0) -> Portfolio:
    """``portfolio`` a week later, for comparing two imports of a generated portfolio.

    Some budgets, RAGs (new status updates a week on), risk probabilities and
    statuses, demand and decisions moved (a quarter of the new status updates carry
    no RAG, so the latest *reported* RAG is an older one); one project completed,
    one left the workbook (with its rows: the store keeps an entity it no longer
    sees, so this is what "removed" looks like to an import); one project's plan
    lost half its tasks
    (plan rows the store retires); a new project arrived.
    """
    rng = np.random.default_rng(seed)
    t = {n: f.copy() for n, f in portfolio.tables().items()}
    projects = t["projects"]
    gone = projects["project_id"].iloc[-1]
    for name, frame in t.items():
        if "project_id" in frame.columns:
            t[name] = frame[frame["project_id"] != gone]
    t["dependencies"] = t["dependencies"][t["dependencies"]["depends_on"] != gone]
    kept_tasks = set(t["tasks"]["task_id"])
    planned = t["tasks"]["project_id"].dropna().unique()
    if len(planned):
        mine = t["tasks"][t["tasks"]["project_id"] == planned[0]]["task_id"]
        kept_tasks -= set(mine.iloc[len(mine) // 2:])
        t["tasks"] = t["tasks"][t["tasks"]["task_id"].isin(kept_tasks)]
    links = t["task_links"]
    t["task_links"] = links[links["predecessor"].isin(kept_tasks)
                            & links["successor"].isin(kept_tasks)]
    projects = t["projects"]
    some = rng.random(len(projects)) < 0.2
    projects.loc[some, "budget"] = projects.loc[some, "budget"] * 1.1
    done = projects.index[projects["stage"] == "active"][:1]
    projects.loc[done, "stage"] = "completed"
    projects.loc[done, "actual_finish_date"] = pd.Timestamp("2026-07-03")
    new = projects.iloc[[0]].assign(project_id="PNEW", name="A new one", stage="proposed")
    t["projects"] = pd.concat([projects, new], ignore_index=True)
    updates = t["status_updates"]
    newest = updates.sort_values("as_of").groupby("project_id").tail(1)
    later = newest.sample(frac=0.4, random_state=seed)
    later = later.assign(as_of=later["as_of"] + pd.Timedelta(days=7),
                         rag=rng.choice(["green", "amber", "red", None], len(later)))
    t["status_updates"] = pd.concat([updates, later], ignore_index=True)
    risks = t["risks"]
    bump = rng.random(len(risks)) < 0.2
    risks.loc[bump, "probability"] = (risks.loc[bump, "probability"] + 0.2).clip(upper=1.0)
    risks.loc[rng.random(len(risks)) < 0.1, "status"] = "closed"
    if "mitigated_probability" in risks:
        risks["mitigated_probability"] = risks["mitigated_probability"].clip(
            upper=risks["probability"])
    demand = t["demand"]
    demand["fte"] = demand["fte"] * np.where(rng.random(len(demand)) < 0.2, 1.8, 1.0)
    decisions = t["decisions"]
    decisions.loc[rng.random(len(decisions)) < 0.2, "due_date"] -= pd.Timedelta(days=30)
    return Portfolio(**{n: coerce_types(n, f.reset_index(drop=True)) for n, f in t.items()})


def without(portfolio: Portfolio, *tables: str) -> Portfolio:
    """``portfolio`` with ``tables`` empty (a workbook that did not have them yet)."""
    t = portfolio.tables()
    return Portfolio(**{**t, **{n: t[n].iloc[0:0] for n in tables}})

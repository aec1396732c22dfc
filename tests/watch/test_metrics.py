"""The per-subject values alert rules compare, with known answers, and the filters."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from watch_support import week_one, week_two

from pmo_nb.cli import main as cli
from pmo_nb.plans.schedule_risk import simulate_schedule
from pmo_nb.store.core import Store
from pmo_nb.watch import evaluate, metric_values, parse_rules
from pmo_nb.watch.metrics import PLAN_DRAWS, PLAN_SEED

WEEK_TWO = pd.Timestamp("2026-11-09")


def test_known_values_per_subject():
    two = week_two()
    # EV = % complete x budget against AC: P1 65% x 1200 / 600, P2 40% x 500 / 200
    assert metric_values("cpi", two, WEEK_TWO).to_dict() == pytest.approx({"P1": 1.3, "P2": 1.0})
    assert metric_values("decisions_overdue", two, WEEK_TWO).to_dict() == {"Dee": 2.0}
    assert metric_values("capacity_utilisation", two, WEEK_TWO).to_dict() == pytest.approx(
        {"T1:2027-01": 1.25, "T1:2027-02": 0.5})
    # from the reporting month on: a team-month in the past is not alerted
    assert metric_values("capacity_utilisation", two, pd.Timestamp("2027-02-01")).to_dict() \
        == pytest.approx({"T1:2027-02": 0.5})
    assert metric_values("benefit_realisation", two, WEEK_TWO).to_dict() == pytest.approx(
        {"P1": 0.55})
    # P3 is completed: no alert is about it
    assert "P3" not in metric_values("cpi", week_one(), WEEK_TWO).index


def test_not_available_metrics_say_why():
    two = week_two()
    assert metric_values("scope_growth", two, WEEK_TWO) == "the requirements table is empty"
    assert metric_values("plan_p80_slip_days", two, WEEK_TWO) == "no project has tasks (a plan)"
    assert metric_values("p_late", two, WEEK_TWO) == (
        "no forecast persisted on or before 2026-11-09")


def test_plan_slip_is_the_seeded_plan_simulation(demo_small):
    as_of = pd.Timestamp("2026-06-30")
    found = metric_values("plan_p80_slip_days", demo_small, as_of)
    assert len(found) > 0
    pid = found.index[0]
    s = simulate_schedule(demo_small, pid, draws=PLAN_DRAWS, seed=PLAN_SEED,
                          as_of=as_of).summary().iloc[0]
    assert found[pid] == (s["finish_p80"] - s["planned_finish"]).days
    # only the projects a rule is about are simulated
    rule = parse_rules({"alerts": [{"name": "slip", "metric": "plan_p80_slip_days",
                                    "comparison": ">", "threshold": -1e9, "projects": [pid]}]})
    assert evaluate(rule, demo_small, as_of).holding["subject"].tolist() == [pid]


def test_filters_pick_projects_by_id_owner_and_category():
    one = week_one()
    rules = parse_rules({"alerts": [
        {"name": "all", "metric": "cpi", "comparison": ">", "threshold": 0},
        {"name": "by_id", "metric": "cpi", "comparison": ">", "threshold": 0, "projects": "P2"},
        {"name": "by_manager", "metric": "cpi", "comparison": ">", "threshold": 0,
         "owners": ["Ann"]},
        {"name": "by_category", "metric": "cpi", "comparison": ">", "threshold": 0,
         "categories": ["Ops"]},
        {"name": "by_owner", "metric": "decisions_overdue", "comparison": ">=", "threshold": 1,
         "owners": ["Nobody"]},
    ]})
    found = evaluate(rules, one, "2026-11-02").holding
    subjects = found.groupby("rule")["subject"].apply(list).to_dict()
    assert subjects == {"all": ["P1", "P2"], "by_id": ["P2"], "by_manager": ["P1"]}


def test_report_run_due_runs_the_alerts_after_the_reports(tmp_path, clock):
    rules, schedule = tmp_path / "alerts.yml", tmp_path / "reports.yml"
    rules.write_text("alerts:\n  - {name: owes, metric: decisions_overdue, comparison: '>=', "
                     "threshold: 1}\n", encoding="utf-8")
    schedule.write_text("reports: []\n", encoding="utf-8")
    db, out = tmp_path / "portfolio.db", tmp_path / "reports"
    args = ["report", "run", "--due", "--as-of", "2026-11-02", "--schedule", str(schedule),
            "--alerts", str(rules), "--db", str(db), "--out", str(out)]
    failed = CliRunner().invoke(cli, args)  # an empty store: the alerts fail, and say so
    assert failed.exit_code == 1
    assert "alerts failed:" in failed.output and "holds no portfolio yet" in failed.output
    clock.set("2026-11-03T09:00:00")
    Store(db).import_portfolio(week_one(), source="w1", file_checksums={})
    early = CliRunner().invoke(cli, args)  # the only import is of the next day
    assert early.exit_code == 1 and "has no import on or before 2026-11-02 (the first is of " \
        "2026-11-03): nothing to evaluate the alerts on." in early.output
    args[args.index("2026-11-02")] = "2026-11-03"
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "nothing due on 2026-11-03" in done.output
    assert "alerts on 2026-11-03: 1 raised, 0 cleared, 0 still open" in done.output
    assert (out / "2026-11-03" / "alerts.html").is_file()

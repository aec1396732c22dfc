"""Alerts over a sequence of runs: raised once, held, cleared once, re-raised as a new row."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner
from watch_support import forecast_table, table, week_one, week_two

from pmo_nb.cli import main as cli
from pmo_nb.portfolio import Portfolio
from pmo_nb.store.core import Store
from pmo_nb.watch import evaluate, parse_rules, run_alerts

RULES = parse_rules({"alerts": [
    {"name": "overloaded", "metric": "capacity_utilisation", "comparison": ">",
     "threshold": 1.0, "severity": "critical"},
    {"name": "owes_decisions", "metric": "decisions_overdue", "comparison": ">=",
     "threshold": 1},
    {"name": "cost", "metric": "cpi", "comparison": "<", "threshold": 0.95, "owners": ["Sam"]},
    {"name": "late", "metric": "p_late", "comparison": ">=", "threshold": 0.5},
]})


def week_three() -> Portfolio:
    """Demand back under capacity, the decisions taken, P2 spending over plan."""
    t = week_two().tables()
    t["demand"] = table("demand", [
        {"project_id": "P1", "team_id": "T1", "month": "2027-01", "fte": 1.0}])
    decisions = t["decisions"].copy()
    decisions["status"] = "closed"
    decisions["decided_date"] = pd.Timestamp("2026-11-12")
    decisions["outcome"] = "approved"
    t["decisions"] = decisions
    t["status_updates"] = table("status_updates", [
        *t["status_updates"].to_dict("records"),
        {"project_id": "P2", "as_of": "2026-11-13", "percent_complete": 45,
         "actual_cost": 300.0, "rag": "amber"}])
    return Portfolio(**t)


def week_four() -> Portfolio:
    """Demand over capacity again."""
    t = week_three().tables()
    t["demand"] = table("demand", [
        {"project_id": "P1", "team_id": "T1", "month": "2027-01", "fte": 3.0}])
    return Portfolio(**t)


def _events(run) -> list[tuple]:
    return sorted((e.event, e.rule, e.subject) for e in run.events.itertuples()
                  if e.event != "held")


def test_raise_hold_clear_and_raise_again(tmp_path, clock):
    store = Store(tmp_path / "portfolio.db")
    runs = []
    for stamp, portfolio in (("2026-11-02", week_one()), ("2026-11-09", week_two()),
                             ("2026-11-16", week_three()), ("2026-11-23", week_four())):
        clock.set(f"{stamp}T09:00:00")
        store.import_portfolio(portfolio, source=stamp, file_checksums={})
        runs.append(run_alerts(store, RULES, stamp))
    assert _events(runs[0]) == [("raised", "owes_decisions", "Dee")]  # D2 was due 10-20
    assert _events(runs[1]) == [("raised", "overloaded", "T1:2027-01")]
    assert runs[1].count("held") == 1  # Dee still owes (now two)
    # P2: EV 45% x 500 = 225 against AC 300, CPI 0.75; its sponsor is Sam
    assert _events(runs[2]) == [("cleared", "overloaded", "T1:2027-01"),
                                ("cleared", "owes_decisions", "Dee"), ("raised", "cost", "P2")]
    assert _events(runs[3]) == [("raised", "overloaded", "T1:2027-01")]
    # no forecast persisted: the P(late) rule is not available, and says so
    assert runs[0].evaluation.not_available == {
        "late": "no forecast persisted on or before 2026-11-02"}

    log = store.alert_log().sort_values("alert_id")
    assert list(zip(log["rule"], log["subject"], log["raised_as_of"], log["cleared_as_of"],
                    strict=True)) == [
        ("owes_decisions", "Dee", dt.date(2026, 11, 2), dt.date(2026, 11, 16)),
        ("overloaded", "T1:2027-01", dt.date(2026, 11, 9), dt.date(2026, 11, 16)),
        ("cost", "P2", dt.date(2026, 11, 16), None),
        ("overloaded", "T1:2027-01", dt.date(2026, 11, 23), None),
    ]
    assert log["last_value"].tolist() == pytest.approx([2.0, 1.25, 0.75, 1.5])
    assert log.loc[log["rule"] == "cost", "message"].item() == (
        "CPI of P2 Project P2 is 0.75 (< 0.95, rule cost).")
    assert log["severity"].tolist() == ["warning", "critical", "warning", "critical"]
    # a rerun on the same data raises and clears nothing
    again = run_alerts(store, RULES, "2026-11-23")
    assert _events(again) == [] and again.count("held") == 2


def test_forecast_rules_use_the_persisted_forecast_for_the_date():
    persisted = type("Found", (), {"table": forecast_table(
        {"P1": 0.2, "P2": 0.6}, {"P1": 0.55, "P2": 0.1}).set_index("project_id")})()
    found = evaluate(RULES, week_one(), "2026-11-02", forecast=persisted)
    late = found.holding[found.holding["rule"] == "late"]
    assert late[["subject", "value"]].values.tolist() == [["P1", 0.55]]
    assert late["message"].item() == "P(late) of P1 Project P1 is 55% (>= 50%, rule late)."
    assert found.not_available == {}


def test_pmo_alerts_run_prints_what_it_raised_and_writes_the_page(tmp_path, clock):
    db, out = tmp_path / "portfolio.db", tmp_path / "reports"
    rules = tmp_path / "alerts.yml"
    rules.write_text("alerts:\n  - {name: owes, metric: decisions_overdue, comparison: '>=', "
                     "threshold: 1, severity: critical}\n", encoding="utf-8")
    t = week_one().tables()
    decisions = t["decisions"].copy()
    decisions.loc[decisions["decision_id"] == "D2", "owner"] = "<b>Dee</b>"
    t["decisions"] = decisions
    Store(db).import_portfolio(Portfolio(**t), source="w1", file_checksums={})
    done = CliRunner().invoke(cli, ["alerts", "run", "--alerts", str(rules), "--db", str(db),
                                    "--as-of", "2026-11-02", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert ("raised [critical] owes <b>Dee</b>: decisions overdue for <b>Dee</b> is 1 "
            "(>= 1, rule owes).") in done.output
    assert "alerts on 2026-11-02: 1 raised, 0 cleared, 0 still open" in done.output
    page = (out / "2026-11-02" / "alerts.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;Dee&lt;/b&gt;" in page and "<b>Dee" not in page
    index = (out / "2026-11-02" / "index.html").read_text(encoding="utf-8")
    assert 'href="alerts.html"' in index
    log = CliRunner().invoke(cli, ["alerts", "log", "--open", "--db", str(db)])
    assert log.exit_code == 0 and "raised 2026-11-02, open" in log.output

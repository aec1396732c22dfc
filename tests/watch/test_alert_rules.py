"""alerts.yml is checked whole before anything runs: every problem, exact words, exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pmo_nb.cli import main as cli
from pmo_nb.config import project_root
from pmo_nb.watch import AlertRule, AlertsError, load_rules, parse_rules

BAD = """\
alerts:
  - name: low cpi
    metric: cpi
    comparison: "<"
    threshold: 0.9
  - name: ok_one
    metric: cpii
    comparison: "=="
    threshold: "high"
    severity: urgent
    colour: red
  - name: ok_one
    metric: spi
    comparison: "<"
    threshold: 0.8
  - name: by_team
    metric: capacity_utilisation
    comparison: ">"
    threshold: 1.0
    projects: [P1]
  - metric: p_late
    comparison: ">="
    owners: []
  - just text
extra: 1
"""

#: (rule, key, value, why) of every problem in BAD, in the order they are listed
PROBLEMS = [
    ("", "extra", None, "unknown top-level key; only 'alerts' is read"),
    ("#1", "name", "low cpi", "letters, digits, '_' or '-' only (it names the alert in the log)"),
    ("ok_one", "colour", None, "unknown key; allowed: name, metric, comparison, threshold, "
     "severity, projects, owners, categories, teams, description"),
    ("ok_one", "metric", "cpii", "one of cpi, spi, p_over_budget, p_late, plan_p80_slip_days, "
     "benefit_realisation, scope_growth, decisions_overdue, capacity_utilisation"),
    ("ok_one", "comparison", "==", "one of < <= > >="),
    ("ok_one", "threshold", "high", "a number"),
    ("ok_one", "severity", "urgent", "one of info, warning, critical"),
    ("ok_one", "name", "ok_one", "duplicate rule name"),
    ("by_team", "projects", "P1", "capacity_utilisation is measured per team; filters "
     "allowed: teams"),
    ("#5", "name", None, "required"),
    ("#5", "threshold", None, "required: a number"),
    ("#5", "owners", "[]", "a name or a non-empty list of names"),
    ("#6", "", "str", "each rule must be a mapping (name, metric, comparison, threshold, ...)"),
]


def test_every_problem_is_listed_with_file_rule_key_value_and_why(tmp_path):
    path = tmp_path / "alerts.yml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(AlertsError) as err:
        load_rules(path)
    found = err.value.problems
    assert set(found["file"]) == {str(path)}
    assert list(found[["rule", "key", "value", "why"]].itertuples(index=False, name=None)) \
        == PROBLEMS
    lines = str(err.value).splitlines()
    assert lines[0] == f"{path}: 13 problems in the alert rules"
    assert lines[4] == (f"  {path}: rule ok_one, key metric, value 'cpii': one of cpi, spi, "
                        "p_over_budget, p_late, plan_p80_slip_days, benefit_realisation, "
                        "scope_growth, decisions_overdue, capacity_utilisation")


def test_check_and_run_exit_2_before_touching_the_store(tmp_path):
    path = tmp_path / "alerts.yml"
    path.write_text(BAD, encoding="utf-8")
    db = tmp_path / "never.db"
    for args in (["alerts", "check", "--alerts", str(path)],
                 ["alerts", "run", "--alerts", str(path), "--db", str(db)],
                 ["report", "run", "--due", "--alerts", str(path), "--db", str(db),
                  "--out", str(tmp_path / "out")]):
        done = CliRunner().invoke(cli, args)
        assert done.exit_code == 2, done.output
        assert f"{path}: 13 problems in the alert rules" in done.output
        assert "Traceback" not in done.output
    assert not db.exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "why"), [
    ("alerts: [", "not valid YAML at line 1: expected the node content, but found "
     "'<stream end>'"),
    ("- a\n- b\n", "the file must be a mapping with an 'alerts' list"),
    ("alerts: 3\n", "must be a list of rules"),
])
def test_unreadable_files_are_one_problem(tmp_path, text, why):
    path = tmp_path / "alerts.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AlertsError) as err:
        load_rules(path)
    assert err.value.problems["why"].tolist() == [why]


def test_missing_file_and_the_shipped_example():
    with pytest.raises(AlertsError) as err:
        load_rules("no/such/alerts.yml")
    assert err.value.problems["why"].tolist() == ["file not found"]
    shipped = load_rules(project_root() / "alerts.yml")
    assert {r.metric for r in shipped} >= {"cpi", "spi", "p_over_budget", "p_late",
                                           "plan_p80_slip_days", "benefit_realisation",
                                           "capacity_utilisation", "decisions_overdue",
                                           "scope_growth"}


def test_a_valid_rule_reads_as_written():
    rules = parse_rules({"alerts": [{"name": "late", "metric": "p_late", "comparison": ">=",
                                     "threshold": 0.7, "owners": "Ann", "categories": ["IT"]}]})
    assert rules == [AlertRule("late", "p_late", ">=", 0.7, "warning", owners=("Ann",),
                               categories=("IT",))]
    rule = rules[0]
    assert [rule.holds(v) for v in (0.69, 0.7, 0.9, float("nan"))] == [False, True, True, False]


def test_the_readme_documents_every_key_and_metric():
    import re

    from pmo_nb.watch.rules import METRICS, RULE_KEYS

    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Alerts: `alerts.yml`", 1)[1].split("\n## ", 1)[0]
    for key in RULE_KEYS:
        assert re.search(rf"(`{key}`|^ +(- )?{key}:)", section, flags=re.M), key
    for metric in METRICS:
        assert f"`{metric}`" in section, metric

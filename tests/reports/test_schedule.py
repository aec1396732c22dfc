"""The report schedule: cadences and their periods, --due over a calendar, file checks."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pmo_nb.reports import select_reports, succeeded_periods
from pmo_nb.reports.schedule import (
    ReportSpec,
    ScheduleError,
    due_reports,
    load_schedule,
    parse_cadence,
    parse_schedule,
)

D = dt.date


@pytest.mark.parametrize(("text", "day", "period", "first", "last"), [
    ("daily", D(2026, 11, 25), "2026-11-25", D(2026, 11, 25), D(2026, 11, 25)),
    ("weekly", D(2026, 11, 25), "2026-W48", D(2026, 11, 23), D(2026, 11, 29)),
    # ISO weeks cross the new year: 2027-01-01 is a Friday of 2026-W53
    ("weekly", D(2027, 1, 1), "2026-W53", D(2026, 12, 28), D(2027, 1, 3)),
    ("Weekly  on  FRIDAY", D(2026, 11, 29), "2026-W48", D(2026, 11, 23), D(2026, 11, 29)),
    ("monthly", D(2026, 2, 14), "2026-02", D(2026, 2, 1), D(2026, 2, 28)),
    ("monthly", D(2028, 2, 29), "2028-02", D(2028, 2, 1), D(2028, 2, 29)),
    ("quarterly", D(2026, 11, 25), "2026-Q4", D(2026, 10, 1), D(2026, 12, 31)),
    ("quarterly", D(2026, 3, 31), "2026-Q1", D(2026, 1, 1), D(2026, 3, 31)),
])
def test_period_of_each_cadence(text, day, period, first, last):
    cadence = parse_cadence(text)
    assert cadence.period(day) == period
    assert cadence.bounds(day) == (first, last)


def test_weekday_cadence_is_due_from_that_day_to_the_end_of_the_iso_week():
    wednesday = parse_cadence("wednesday")
    assert wednesday == parse_cadence("weekly on wednesday")
    week = [D(2026, 11, 23) + dt.timedelta(days=i) for i in range(7)]  # Mon 23 .. Sun 29
    assert [wednesday.is_due(d) for d in week] == [False, False, True, True, True, True, True]
    assert all(parse_cadence("weekly").is_due(d) for d in week)


@pytest.mark.parametrize("text", ["fortnightly", "weekly on funday", "mon", "", None, 7,
                                  "weekly monday"])
def test_unknown_cadence_names_the_vocabulary(text):
    with pytest.raises(ValueError, match="daily, weekly, monthly, quarterly"):
        parse_cadence(text)


SPECS = [
    ReportSpec("overview", "overview", parse_cadence("weekly")),
    ReportSpec("friday_pack", "pack", parse_cadence("friday")),
    ReportSpec("benefits", "benefits", parse_cadence("monthly")),
    ReportSpec("review", "review", parse_cadence("quarterly")),
]


def _due(day, succeeded=()):
    return [s.name for s in due_reports(SPECS, day, set(succeeded))]


def test_due_over_a_calendar():
    # Thursday 1 October 2026: first day of a month and of a quarter
    assert _due(D(2026, 10, 1)) == ["overview", "benefits", "review"]
    assert _due(D(2026, 10, 2)) == ["overview", "friday_pack", "benefits", "review"]
    done = {("overview", "2026-W40"), ("friday_pack", "2026-W40"), ("benefits", "2026-10"),
            ("review", "2026-Q4")}
    assert _due(D(2026, 10, 3), done) == []
    # a new ISO week: the weekly report again, the Friday pack not before Friday
    assert _due(D(2026, 10, 5), done) == ["overview"]
    assert _due(D(2026, 10, 9), done) == ["overview", "friday_pack"]
    # a new month inside the same quarter
    assert _due(D(2026, 11, 2), done) == ["overview", "benefits"]
    # a bare notebook (no cadence) is never due
    assert due_reports([ReportSpec("adhoc", "adhoc")], D(2026, 11, 2), set()) == []


def _record(out, day, name, period, status):
    folder = out / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(
        {"report": name, "period": period, "status": status, "as_of": day}))


def test_due_reads_the_records_of_the_period(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for name in ("overview", "pack", "benefits", "review"):
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text("{}")
    out = tmp_path / "out"
    _record(out, "2026-11-23", "overview", "2026-W48", "succeeded")  # done this week
    _record(out, "2026-11-02", "benefits", "2026-11", "failed")  # failed: retried
    _record(out, "2026-10-01", "review", "2026-Q4", "succeeded")  # done this quarter
    _record(out, "2026-11-20", "friday_pack", "2026-W47", "succeeded")  # last week's only
    day = D(2026, 11, 27)  # a Friday
    assert succeeded_periods(out, SPECS, day) == {("overview", "2026-W48"),
                                                  ("review", "2026-Q4")}
    chosen = select_reports(mode="due", schedule=SPECS, as_of=day, out=out,
                            notebooks_dir=tmp_path / "notebooks")
    assert [s.name for s in chosen] == ["friday_pack", "benefits"]
    # the failed month succeeds later in the month: no longer due
    _record(out, "2026-11-26", "benefits", "2026-11", "succeeded")
    chosen = select_reports(mode="due", schedule=SPECS, as_of=day, out=out,
                            notebooks_dir=tmp_path / "notebooks")
    assert [s.name for s in chosen] == ["friday_pack"]
    # named reports run whatever their cadence; --all adds unscheduled notebooks
    (tmp_path / "notebooks" / "extra.ipynb").write_text("{}")
    assert [s.name for s in select_reports(["overview"], schedule=SPECS,
                                           notebooks_dir=tmp_path / "notebooks")] == ["overview"]
    every = select_reports(mode="all", schedule=SPECS, notebooks_dir=tmp_path / "notebooks")
    assert [s.name for s in every] == ["overview", "friday_pack", "benefits", "review", "extra"]
    with pytest.raises(ValueError, match="unknown report.*nope.*scheduled reports are overview"):
        select_reports(["nope"], schedule=SPECS, notebooks_dir=tmp_path / "notebooks")


def test_schedule_file_is_read(tmp_path):
    path = tmp_path / "reports.yml"
    path.write_text(
        "reports:\n"
        "  - name: portfolio_overview\n    cadence: weekly on monday\n"
        "  - name: project_status\n    notebook: status.ipynb\n    cadence: monthly\n"
        "    per: active_project\n    parameters: {draws: 200}\n"
    )
    overview, status = load_schedule(path)
    assert (overview.name, overview.notebook, overview.cadence.weekday) == (
        "portfolio_overview", "portfolio_overview", 0)
    assert (status.notebook, status.per, status.parameters) == (
        "status", "active_project", {"draws": 200})
    assert status.period(D(2026, 11, 25)) == "2026-11"


def test_schedule_problems_are_all_listed(tmp_path):
    data = {"reports": [
        {"name": "a", "cadence": "weekly"},
        {"name": "a", "cadence": "weekly"},
        {"name": "b c", "cadence": "hourly", "colour": "red"},
        {"name": "d", "cadence": "monthly", "per": "team", "parameters": {"as_of": "x"}},
        {"name": "e", "cadence": "monthly", "per": "active_project",
         "parameters": {"project_id": "P1"}},
        {"cadence": "weekly"},
        "f",
    ], "other": 1}
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(data, "reports.yml")
    problems = caught.value.problems
    assert list(problems.columns) == ["file", "report", "key", "value", "rule"]
    got = [tuple(r) for r in problems[["report", "key", "value"]].itertuples(index=False)]
    assert got == [
        ("", "other", None),
        ("a", "name", "a"),
        ("#3", "name", "b c"),
        ("#3", "colour", None),
        ("#3", "cadence", "hourly"),
        ("d", "per", "team"),
        ("d", "parameters.as_of", "x"),
        ("e", "parameters.project_id", "P1"),
        ("#6", "name", None),
        ("#7", "", "str"),
    ]
    assert set(problems["file"]) == {"reports.yml"}
    message = str(caught.value)
    assert message.startswith("reports.yml: 10 problems in the report schedule")
    assert "reports.yml: report d, key parameters.as_of, value 'x': set by the runner" in message


def test_missing_or_broken_schedule_file(tmp_path):
    with pytest.raises(ScheduleError, match="file not found"):
        load_schedule(tmp_path / "none.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("reports:\n  - name: [unclosed\n")
    with pytest.raises(ScheduleError, match="not valid YAML at line"):
        load_schedule(bad)


def test_project_schedule_is_valid():
    from pmo_nb.config import project_root

    specs = load_schedule(project_root() / "reports.yml")
    assert "portfolio_overview" in [s.name for s in specs]
    # the board's documents are printed to PDF too
    assert {s.name for s in specs if s.pdf} == {"quarterly_review", "executive_summary"}


def test_after_names_other_reports_without_a_cycle():
    specs = parse_schedule({"reports": [
        {"name": "forecast", "cadence": "weekly"},
        {"name": "summary", "cadence": "weekly", "after": "forecast"},
        {"name": "status", "cadence": "weekly", "after": ["forecast", "summary"]},
    ]})
    assert [s.after for s in specs] == [(), ("forecast",), ("forecast", "summary")]
    waits = parse_schedule({"reports": [
        {"name": "forecast", "cadence": "weekly"},
        {"name": "status", "cadence": "weekly", "after": ["forecast:saved"]},
    ]})
    assert waits[1].after == ("forecast:saved",)
    with pytest.raises(ScheduleError, match="cycle"):  # a milestone still orders the two
        parse_schedule({"reports": [
            {"name": "a", "cadence": "weekly", "after": ["b:half"]},
            {"name": "b", "cadence": "weekly", "after": ["a"]},
        ]})
    with pytest.raises(ScheduleError) as caught:
        parse_schedule({"reports": [
            {"name": "a", "cadence": "weekly", "after": "b"},
            {"name": "b", "cadence": "weekly", "after": ["a"]},
            {"name": "c", "cadence": "weekly", "after": ["nowhere"]},
            {"name": "d", "cadence": "weekly", "after": 3},
            {"name": "e", "cadence": "weekly", "after": ["a:"]},
            {"name": "f", "cadence": "weekly", "after": ["a:Half Way"]},
            {"name": "g", "cadence": "weekly", "after": ["nowhere:half"]},
        ]})
    got = [tuple(r) for r in caught.value.problems[["report", "key", "value", "rule"]]
           .itertuples(index=False)]
    assert ("d", "after", "3", "a report name or a list of them") in got
    assert ("c", "after", "nowhere", "must name another report in this file") in got
    assert ("g", "after", "nowhere:half", "must name another report in this file") in got
    milestone_rule = ("a milestone follows the report's name after a colon and is a "
                      "lower-case name, like risk_forecast:forecast")
    assert ("e", "after", "a:", milestone_rule) in got
    assert ("f", "after", "a:Half Way", milestone_rule) in got
    assert any(r[1] == "after" and r[3] == "reports wait on each other in a cycle"
               and r[2] in ("a -> b -> a", "b -> a -> b") for r in got)


def test_the_readme_documents_every_key_and_cadence_the_code_accepts():
    """The cadence table lives once, in the README; this keeps it and the parser in step."""
    import re

    from pmo_nb.config import project_root
    from pmo_nb.reports.schedule import ENTRY_KEYS, WEEKDAYS

    readme = (project_root() / "README.md").read_text()
    section = readme[readme.index("### The schedule: `reports.yml`"):]
    section = section[:section.index("\n### ", 10)]
    rows = re.findall(r"^\| `([^`]+)`", section, flags=re.M)
    assert {"daily", "weekly", "monthly", "quarterly"} <= set(rows)
    for text in rows:
        parse_cadence(text)  # every documented cadence parses
    for weekday in WEEKDAYS:
        assert weekday in section
        parse_cadence(f"weekly on {weekday}")
    for key in ENTRY_KEYS:
        assert re.search(rf"^ +(- )?{key}:", section, flags=re.M), f"README omits key {key!r}"


def test_pdf_key_asks_for_a_pdf_and_must_be_a_boolean():
    specs = parse_schedule({"reports": [
        {"name": "pack", "cadence": "quarterly", "pdf": True},
        {"name": "overview", "cadence": "weekly", "pdf": False},
        {"name": "plain", "cadence": "weekly"},
    ]})
    assert [s.pdf for s in specs] == [True, False, False]
    with pytest.raises(ScheduleError) as caught:
        parse_schedule({"reports": [{"name": "pack", "cadence": "quarterly", "pdf": "yes"}]},
                       "reports.yml")
    problem = caught.value.problems.iloc[0].to_dict()
    assert problem == {"file": "reports.yml", "report": "pack", "key": "pdf", "value": "yes",
                       "rule": "true or false: also print the report to PDF"}

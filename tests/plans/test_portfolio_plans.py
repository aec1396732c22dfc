"""Plans of a Portfolio: progress at a reporting date, MSPDI import through `pmo import`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pmo_nb.cli import main as pmo
from pmo_nb.io.mspdi import read_mspdi
from pmo_nb.plans import critical_path, plan_brief, simulate_schedule
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types
from pmo_nb.store import Store

MSPDI = Path(__file__).parents[1] / "data" / "mspdi"


def _portfolio() -> Portfolio:
    t = {
        "projects": [{"project_id": "P1", "name": "Plan", "category": "IT", "stage": "active",
                      "start_date": "2026-03-02", "finish_date": "2026-04-03",
                      "budget": 100.0}],
        "tasks": [
            {"task_id": "A", "project_id": "P1", "name": "Design", "duration_likely": 5,
             "percent_complete": 100, "actual_start": "2026-03-02",
             "actual_finish": "2026-03-10"},  # took 7 working days: done
            {"task_id": "B", "project_id": "P1", "name": "Build", "duration_likely": 10,
             "duration_low": 8, "duration_high": 16, "percent_complete": 50,
             "actual_start": "2026-03-11"},  # half done
            {"task_id": "C", "project_id": "P1", "name": "Test", "duration_likely": 4},
            {"task_id": "D", "project_id": "P1", "name": "Live", "duration_likely": 0},
        ],
        "task_links": [{"predecessor": "A", "successor": "B", "type": "FS", "lag": 0},
                       {"predecessor": "B", "successor": "C", "type": "FS", "lag": 0},
                       {"predecessor": "C", "successor": "D", "type": "FS", "lag": 0}],
        "holidays": [{"date": "2026-04-03", "name": "Good Friday"}],
        "risks": [{"risk_id": "R1", "project_id": "P1", "task_id": "C", "title": "Rework",
                   "probability": 1.0, "delay_low": 2, "delay_likely": 2, "delay_high": 2}],
    }
    return Portfolio(**{name: coerce_types(name, pd.DataFrame(rows)) for name, rows in t.items()})


def test_done_work_is_fact_and_the_rest_runs_from_the_data_date():
    cp = critical_path(_portfolio(), "P1", as_of="2026-03-13")
    # A: day 0 .. its actual finish (offset 6, Tuesday 10 March) -> EF 7; done, never critical
    assert (cp.loc["A", "es"], cp.loc["A", "ef"], cp.loc["A", "status"]) == (0, 7, "done")
    assert not cp.loc["A", "critical"] and pd.isna(cp.loc["A", "total_float"])
    # B started 11 March (offset 7); 5 days remain from the data date (Monday 16 March, offset 10)
    assert (cp.loc["B", "es"], cp.loc["B", "ef"]) == (7, 15)
    assert cp.loc[["C", "D"], "es"].tolist() == [15, 19]
    assert cp.loc["D", "start"] == pd.Timestamp("2026-03-27")
    assert cp.loc[["B", "C", "D"], "critical"].all()


def test_simulation_of_a_portfolio_plan_with_a_certain_risk():
    sim = simulate_schedule(_portfolio(), "P1", draws=2000, seed=1, as_of="2026-03-13")
    summary = sim.summary().iloc[0]
    without = _portfolio()
    without.risks = without.risks.iloc[0:0]
    base = simulate_schedule(without, "P1", draws=2000, seed=1, as_of="2026-03-13")
    # the risk (probability 1) adds 2 days to C, on the only path, in every draw
    assert (sim.finish - base.finish == 2).all()
    # B's remaining half of PERT(8, 10, 16) is 4 to 8 days after the data date (offset 10)
    assert sim.finish.min() >= 10 + 4 + 4 + 2 and sim.finish.max() <= 10 + 8 + 4 + 2
    assert sim.calibration is None  # no history: too few completed tasks
    # planned 3 April is a holiday: the plan must finish by Thursday 2 April
    assert 0 <= summary["p_on_time"] <= 1
    brief = plan_brief(_portfolio(), "P1", as_of="2026-03-13")
    assert brief.drivers[0][0] in {"B", "C"} and "P80 finish" in brief.sentence()
    assert plan_brief(_portfolio(), "nope") is None


def test_unknown_project_or_no_plan_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown project"):
        critical_path(_portfolio(), "P9")


@pytest.fixture()
def store(tmp_path) -> str:
    path = tmp_path / "portfolio.db"
    projects = coerce_types("projects", pd.DataFrame([{
        "project_id": "P1", "name": "MS plan", "category": "IT", "stage": "active",
        "start_date": "2014-10-17", "finish_date": "2014-12-31", "budget": 1.0}]))
    Store(path).import_portfolio(Portfolio(projects=projects), source="t", file_checksums={})
    return str(path)


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_pmo_import_reads_both_ms_project_files_and_reimports_the_same_tasks(store):
    runner = CliRunner()
    for name in ("task-links-project2003-mspdi.xml", "task-links-project2010-mspdi.xml"):
        result = runner.invoke(pmo, ["import", str(MSPDI / name), "--project", "P1",
                                     "--db", store])
        assert result.exit_code == 0, result.output
        assert "16 tasks" in result.output
    loaded = Store(store).load()
    assert len(loaded.tasks) == 16 and len(loaded.task_links) == 8
    assert set(loaded.tasks["task_id"]) == {f"P1-{uid}" for uid in range(1, 17)}
    cp = critical_path(loaded, "P1")
    assert cp.loc["P1-10", "critical"] and cp.loc["P1-10", "start"] == pd.Timestamp("2014-11-03")


_WRITTEN = """<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
 <MinutesPerDay>480</MinutesPerDay>
 <Tasks>
  <Task><UID>0</UID><Summary>1</Summary><Duration>PT80H0M0S</Duration></Task>
  <Task><UID>1</UID><Name>Phase</Name><Summary>1</Summary><Duration>PT80H0M0S</Duration></Task>
  <Task><UID>2</UID><Name>Analyse</Name><Duration>PT16H0M0S</Duration>
   <PercentComplete>100</PercentComplete><ActualStart>2014-10-17T08:00:00</ActualStart>
   <ActualFinish>2014-10-20T17:00:00</ActualFinish></Task>
  <Task><UID>3</UID><Name>Build</Name><Duration>PT40H0M0S</Duration>
   <PercentComplete>40</PercentComplete><ActualStart>2014-10-21T08:00:00</ActualStart>
   <ExtendedAttribute><FieldID>188743783</FieldID><Value>PT32H0M0S</Value></ExtendedAttribute>
   <ExtendedAttribute><FieldID>188743784</FieldID><Value>PT40H0M0S</Value></ExtendedAttribute>
   <ExtendedAttribute><FieldID>188743785</FieldID><Value>PT64H0M0S</Value></ExtendedAttribute>
   <PredecessorLink><PredecessorUID>2</PredecessorUID><Type>1</Type><LinkLag>0</LinkLag>
   </PredecessorLink></Task>
  <Task><UID>4</UID><Name>Document</Name><Duration>PT24H0M0S</Duration>
   <PredecessorLink><PredecessorUID>3</PredecessorUID><Type>0</Type>
    <LinkLag>-4800</LinkLag><LagFormat>7</LagFormat></PredecessorLink>
   <PredecessorLink><PredecessorUID>1</PredecessorUID><Type>1</Type></PredecessorLink></Task>
  <Task><UID>5</UID><Name>Go live</Name><Milestone>1</Milestone><Duration>PT0H0M0S</Duration>
   <PredecessorLink><PredecessorUID>4</PredecessorUID><Type>1</Type></PredecessorLink></Task>
 </Tasks>
</Project>
"""


def test_a_written_plan_summary_milestone_lead_progress_and_three_points(tmp_path):
    path = tmp_path / "plan.xml"
    path.write_text(_WRITTEN)
    tasks, links = read_mspdi(path, "P1")
    t = tasks.set_index("task_id")
    assert list(t.index) == ["P1-2", "P1-3", "P1-4", "P1-5"]  # summaries are not tasks
    assert t.loc["P1-3", ["duration_low", "duration_likely", "duration_high"]].tolist() == [4, 5, 8]
    assert pd.isna(t.loc["P1-4", "duration_low"]) and t.loc["P1-5", "duration_likely"] == 0
    assert t.loc["P1-2", "actual_finish"] == pd.Timestamp("2014-10-20")
    assert pd.isna(t.loc["P1-3", "actual_finish"]) and t.loc["P1-3", "percent_complete"] == 40
    # the FF link with a one-day lead; the link from the summary task is dropped
    assert links.to_dict("records") == [
        {"predecessor": "P1-2", "successor": "P1-3", "type": "FS", "lag": 0.0},
        {"predecessor": "P1-3", "successor": "P1-4", "type": "FF", "lag": -1.0},
        {"predecessor": "P1-4", "successor": "P1-5", "type": "FS", "lag": 0.0}]


def test_a_bad_plan_is_refused_whole_with_exit_2(store, tmp_path):
    cyclic = tmp_path / "cycle.xml"
    cyclic.write_text(_WRITTEN.replace(
        "<Task><UID>3</UID><Name>Build</Name>",
        "<Task><UID>3</UID><Name>Build</Name><PredecessorLink><PredecessorUID>5"
        "</PredecessorUID><Type>1</Type></PredecessorLink>"))
    before = _sha(store)
    runner = CliRunner()
    result = runner.invoke(pmo, ["import", str(cyclic), "--project", "P1", "--db", store])
    assert result.exit_code == 2 and "cycle" in result.output and "Traceback" not in result.output
    assert "P1-3" in result.output and "P1-5" in result.output
    broken = tmp_path / "broken.xml"
    broken.write_text("<Project><Tasks>")
    result = runner.invoke(pmo, ["import", str(broken), "--project", "P1", "--db", store])
    assert result.exit_code == 2 and "broken.xml" in result.output
    result = runner.invoke(pmo, ["import", str(MSPDI / "task-links-project2003-mspdi.xml"),
                                 "--db", store])
    assert result.exit_code == 2 and "--project" in result.output
    result = runner.invoke(pmo, ["import", str(MSPDI / "task-links-project2003-mspdi.xml"),
                                 "--project", "P9", "--db", store])
    assert result.exit_code == 2 and "P9" in result.output
    assert _sha(store) == before

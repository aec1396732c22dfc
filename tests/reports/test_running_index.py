"""The run index while a suite runs: reports marked running until their record lands."""

from __future__ import annotations

import json
import subprocess
import sys

from pmo_nb.reports.index import write_run_index, write_running
from pmo_nb.reports.schedule import ReportSpec

AS_OF = "2026-06-30"


def test_reports_show_running_until_replaced_and_interrupted_once_the_run_died(tmp_path):
    specs = [ReportSpec("overview", "overview"), ReportSpec("status", "status",
                                                             per="active_project"),
             ReportSpec("broken", "broken", per="active_project")]
    write_running(tmp_path, AS_OF, specs, {"broken": "cannot list"}, start="t0",
                  durations={"overview": 12.5})
    folder = tmp_path / AS_OF
    assert sorted(p.name for p in folder.iterdir()) == ["overview.json", "status.json"]
    record = json.loads((folder / "overview.json").read_text())
    assert (record["status"], record["expected_s"], record["html"]) == ("running", 12.5, None)
    page = write_run_index(folder).read_text()
    assert page.count('data-status="running"') == 2 and "2 still running" in page
    assert 'http-equiv="refresh"' in page

    # a run that died (its process is gone) leaves records that say so
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    record["pid"] = int(dead)
    (folder / "overview.json").write_text(json.dumps(record))
    page = write_run_index(folder).read_text()
    assert 'data-output="overview" data-status="interrupted"' in page
    assert page.count('data-status="running"') == 1


def test_a_stopped_run_marks_what_it_left_running_as_interrupted(tmp_path):
    from pmo_nb.reports.index import mark_interrupted

    write_running(tmp_path, AS_OF, [ReportSpec("overview", "overview")], {}, start="t0",
                  durations={})
    mark_interrupted(tmp_path, AS_OF)
    record = json.loads((tmp_path / AS_OF / "overview.json").read_text())
    assert record["status"] == "interrupted" and "stopped" in record["reason"]

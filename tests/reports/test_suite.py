"""The report suite: fan-out, parallel workers, failure isolation, timeouts, atomic output.

Tiny notebooks in tmp folders keep this fast; the ones that must overlap or
block wait on files the test controls (each wait has a deadline and fails
loudly), never on a sleep that hopes the timing works out.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from report_support import process_gone, wait_until, write_notebook

from pmo_nb.config import safe_stem
from pmo_nb.reports import active_projects, run_suite
from pmo_nb.reports.schedule import ReportSpec, parse_cadence

AS_OF = "2026-06-30"
PMO = [sys.executable, "-m", "pmo_nb.cli"]

pytestmark = pytest.mark.slow


def _wait_for(path: Path, seconds: float = 60) -> str:
    """Notebook code that waits for ``path`` to exist, failing after ``seconds``."""
    return (f"import pathlib, time\n"
            f"_deadline = time.monotonic() + {seconds}\n"
            f"while not pathlib.Path({str(path)!r}).exists():\n"
            f"    if time.monotonic() > _deadline:\n"
            f"        raise TimeoutError('gave up waiting for {path.name}')\n"
            f"    time.sleep(0.05)\n")




def _index_outputs(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-output="([^"]+)" data-status="([^"]+)"', page))


def _links(page: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', page)


@pytest.fixture(scope="module")
def mixed_run(demo_db, tmp_path_factory):
    """One suite run, two at a time: a pair that must overlap, a failing and a stuck report."""
    root = tmp_path_factory.mktemp("mixed")
    books, sync = root / "notebooks", root / "sync"
    sync.mkdir()
    for me, other in (("left", "right"), ("right", "left")):
        write_notebook(books, me, "import pathlib\n"
                       f"pathlib.Path({str(sync / me)!r}).touch()\n" + _wait_for(sync / other)
                       + f"from pmo_nb.reports.runner import record\nrecord(checksum='c-{me}')\n")
    write_notebook(books, "broken", 'row = {"cost": 1}\nrow["budget"]')
    write_notebook(books, "stuck", "import os, pathlib, threading\n"
                   f"pathlib.Path({str(sync / 'stuck.pid')!r}).write_text(str(os.getpid()))\n"
                   "threading.Event().wait()\n")
    specs = [ReportSpec(n, n, parse_cadence("weekly")) for n in ("left", "right", "broken")]
    specs.append(ReportSpec("stuck", "stuck"))
    out = root / "out"
    result = run_suite(specs, as_of=AS_OF, db=demo_db, out=out, jobs=2, timeout=15,
                       notebooks_dir=books, progress=False)
    return result, out, sync


def test_parallel_runs_overlap_and_both_complete(mixed_run):
    result, out, _ = mixed_run
    by_name = {o.report: o for o in result.outcomes}
    assert by_name["left"].status == by_name["right"].status == "succeeded"
    left, right = (json.loads((out / AS_OF / f"{n}.json").read_text()) for n in ("left", "right"))
    assert left["start"] < right["finish"] and right["start"] < left["finish"]
    assert (left["checksum"], right["checksum"]) == ("c-left", "c-right")
    assert left["period"] == "2026-W27" and left["cadence"] == "weekly"


def test_after_waits_for_the_named_reports_even_with_free_workers(demo_db, tmp_path):
    books = tmp_path / "notebooks"
    for name in ("first", "second", "free"):
        write_notebook(books, name, "x = 1")
    specs = [ReportSpec("second", "second", after=("first",)),
             ReportSpec("first", "first"), ReportSpec("free", "free")]
    result = run_suite(specs, as_of=AS_OF, db=demo_db, out=tmp_path / "out", jobs=3,
                       notebooks_dir=books, progress=False)
    assert {o.status for o in result.outcomes} == {"succeeded"}
    first, second = (json.loads((tmp_path / "out" / AS_OF / f"{n}.json").read_text())
                     for n in ("first", "second"))
    assert second["start"] >= first["finish"]


def test_after_a_milestone_starts_while_the_named_report_still_runs(demo_db, tmp_path):
    """``first:half`` starts once ``first`` says ``ready("half")``, not when it ends."""
    books, sync = tmp_path / "notebooks", tmp_path / "sync"
    sync.mkdir()
    # first cannot finish until second has run: only a milestone lets both succeed
    write_notebook(books, "first", ["from pmo_nb.reports import ready\nready('half')",
                                    _wait_for(sync / "second-ran", 120)])
    write_notebook(books, "second", f"import pathlib\npathlib.Path({str(sync)!r}, "
                   "'second-ran').write_text('yes')")
    write_notebook(books, "whole", "x = 1")
    specs = [ReportSpec("second", "second", after=("first:half",)),
             ReportSpec("whole", "whole", after=("first",)), ReportSpec("first", "first")]
    result = run_suite(specs, as_of=AS_OF, db=demo_db, out=tmp_path / "out", jobs=2,
                       notebooks_dir=books, progress=False)
    assert {o.output: o.status for o in result.outcomes} == {
        "first": "succeeded", "second": "succeeded", "whole": "succeeded"}
    first, second, whole = (json.loads((tmp_path / "out" / AS_OF / f"{n}.json").read_text())
                            for n in ("first", "second", "whole"))
    assert first["start"] <= second["start"] <= first["finish"]
    assert whole["start"] >= first["finish"]  # a plain name still waits for the end
    page = (tmp_path / "out" / AS_OF / "first.html").read_text()
    assert "vnd.pmo-nb" not in page and "half" not in page  # the signal is not content
    executed = nbformat.read(tmp_path / "out" / AS_OF / "first.ipynb", as_version=4)
    assert any("application/vnd.pmo-nb.ready+json" in o.get("data", {})
               for c in executed.cells for o in c.get("outputs", []))


def test_a_milestone_is_a_lower_case_name():
    from pmo_nb.reports.milestones import READY_MIME, ready
    from pmo_nb.reports.runner import PRIVATE_MIME

    assert READY_MIME.startswith(PRIVATE_MIME)  # left out of the pages with the facts
    for bad in ("", "Forecast", "a b", "../x", "x" * 41):
        with pytest.raises(ValueError, match="lower-case name"):
            ready(bad)


def test_one_failure_does_not_stop_the_others(mixed_run):
    result, out, _ = mixed_run
    folder = out / AS_OF
    assert [(o.report, o.status) for o in result.outcomes] == [
        ("left", "succeeded"), ("right", "succeeded"), ("broken", "failed"), ("stuck", "timeout")]
    assert result.exit_status == 1
    broken = json.loads((folder / "broken.json").read_text())
    assert broken["status"] == "failed" and broken["reason"] == "cell 3: KeyError: 'budget'"
    executed = nbformat.read(folder / "broken.ipynb", as_version=4)
    assert [o.ename for c in executed.cells for o in c.get("outputs", [])
            if o.get("output_type") == "error"] == ["KeyError"]
    assert not (folder / "broken.html").exists()


def test_timeout_kills_the_stuck_kernel_and_keeps_its_notebook(mixed_run):
    result, out, sync = mixed_run
    stuck = next(o for o in result.outcomes if o.report == "stuck")
    assert stuck.status == "timeout" and "15 s" in stuck.reason
    assert 15 <= stuck.duration_s < 40
    kernel = int((sync / "stuck.pid").read_text())
    wait_until(lambda: process_gone(kernel), 10, "the stuck kernel to exit")
    record = json.loads((out / AS_OF / "stuck.json").read_text())
    assert record["status"] == "timeout" and record["html"] is None
    assert not (out / AS_OF / "stuck.html").exists()


def test_indexes_list_every_report_with_relative_links(mixed_run):
    _, out, _ = mixed_run
    page = (out / AS_OF / "index.html").read_text()
    assert _index_outputs(page) == {"left": "succeeded", "right": "succeeded",
                                    "broken": "failed", "stuck": "timeout"}
    links = _links(page)
    assert "left.html" in links and "broken.ipynb" in links and "../index.html" in links
    for link in links:
        assert not link.startswith(("/", "http")) and (out / AS_OF / link).resolve().exists()
    assert "c-left" in page and "2026-W27" in page and "cell 3: KeyError" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    root = (out / "index.html").read_text()
    assert f'<a href="{AS_OF}/index.html">{AS_OF}</a>' in root
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".lock"]


def test_index_pages_never_link_to_a_page_not_yet_written(tmp_path, monkeypatch):
    """A run killed between two index writes leaves no dangling link (first and later runs)."""
    from pmo_nb.reports import index as report_index

    out = tmp_path / "out"
    (out / AS_OF).mkdir(parents=True)
    (out / AS_OF / "quick.html").write_text("<p>quick</p>")
    (out / AS_OF / "quick.json").write_text(json.dumps(
        {"report": "quick", "output": "quick", "status": "succeeded"}))
    written = report_index.write_atomic
    dangling = []

    def checked_write(path, text):
        written(path, text)  # now check every page on disk, as a kill here would leave it
        for page in out.rglob("index.html"):
            dangling.extend(f"{page.relative_to(out)} -> {link}"
                            for link in _links(page.read_text())
                            if not (page.parent / link).resolve().exists())

    monkeypatch.setattr(report_index, "write_atomic", checked_write)
    report_index.write_indexes(out, AS_OF)
    report_index.write_indexes(out, AS_OF)
    assert dangling == []
    root = (out / "index.html").read_text()
    assert f'<a href="{AS_OF}/index.html">{AS_OF}</a>' in root  # linked once it exists
    assert "quick.html" in _links((out / AS_OF / "index.html").read_text())


def test_fan_out_runs_once_per_active_project(demo_db, demo_small, tmp_path, monkeypatch):
    live = demo_small.projects
    expected = sorted(live.loc[live["stage"] == "active", "project_id"].astype(str))
    assert active_projects(demo_db) == expected and len(expected) >= 3
    # two projects are enough to test the expansion; each still reads the demo store
    monkeypatch.setattr("pmo_nb.reports.planning.active_projects", lambda db: expected[:2])
    books = tmp_path / "notebooks"
    write_notebook(books, "status", "from pmo_nb import load_portfolio\n"
                   "from pmo_nb.reports.runner import record\n"
                   "p = load_portfolio(db).projects.set_index('project_id').loc[project_id]\n"
                   "record(checksum=project_id, title=f'Status of {p[\"name\"]}')\n"
                   "print(p['stage'])\n",
                   params='project_id: str = ""  # the project')
    spec = ReportSpec("project_status", "status", parse_cadence("monthly"), {},
                      "active_project")
    out = tmp_path / "out"
    result = run_suite([spec], as_of=AS_OF, db=demo_db, out=out, jobs=2, notebooks_dir=books,
                       progress=False)
    assert [(o.project_id, o.status) for o in result.outcomes] == [
        (p, "succeeded") for p in expected[:2]]
    folder = out / AS_OF / "project_status"
    for pid in expected[:2]:
        record = json.loads((folder / f"{safe_stem(pid)}.json").read_text())
        assert record["project_id"] == pid and record["parameters"]["project_id"] == pid
        assert record["period"] == "2026-06"
        name = live.set_index("project_id").loc[pid, "name"]
        assert record["title"] == f"Status of {name}"
        assert "active" in (folder / f"{safe_stem(pid)}.html").read_text()
    summary = json.loads((out / AS_OF / "project_status.json").read_text())
    assert summary["status"] == "succeeded" and summary["period"] == "2026-06"
    assert [i["project_id"] for i in summary["instances"]] == expected[:2]
    page = (out / AS_OF / "index.html").read_text()
    assert f'href="project_status/{safe_stem(expected[0])}.html"' in page
    # the next run drops a project: its old page goes, the others are replaced
    monkeypatch.setattr("pmo_nb.reports.planning.active_projects", lambda db: expected[1:2])
    run_suite([spec], as_of=AS_OF, db=demo_db, out=out, notebooks_dir=books, progress=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{safe_stem(p)}{s}" for p in expected[1:2] for s in (".html", ".ipynb", ".json"))


def test_safe_stem_keeps_ids_apart():
    assert safe_stem("P-001") == "P-001"
    assert safe_stem("a/b") != safe_stem("a_b") and "/" not in safe_stem("a/b")
    assert not safe_stem("..x").startswith(".")


def _pmo(*args, cwd, **kw):
    return subprocess.run([*PMO, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, **kw)


def test_cli_summary_and_exit_status(demo_db, tmp_path):
    books = tmp_path / "notebooks"
    write_notebook(books, "fine", "print('ok')")
    write_notebook(books, "broken", "1 / 0")
    done = _pmo("report", "run", "fine", "broken", "--notebooks", str(books), "--db", demo_db,
                "--as-of", AS_OF, "--out", str(tmp_path / "out"), "--jobs", "2", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert re.match(r"ok\s+fine\s+[\d.]+ s\s+\S+fine\.html$", lines[0])
    assert re.match(r"FAILED\s+broken\s+[\d.]+ s\s+cell 3: ZeroDivisionError: division by zero",
                    lines[1])
    assert lines[-1].startswith("1 of 2 notebook runs succeeded")
    unknown = _pmo("report", "run", "nope", "--notebooks", str(books), cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown report(s) nope" in unknown.stderr


def test_cli_due_runs_then_skips_the_period(demo_db, tmp_path):
    books = tmp_path / "notebooks"
    write_notebook(books, "weekly_one", "print('ok')")
    write_notebook(books, "monthly_one", "print('ok')")
    schedule = tmp_path / "reports.yml"
    schedule.write_text("reports:\n"
                        "  - {name: weekly_one, cadence: weekly}\n"
                        "  - {name: monthly_one, cadence: monthly}\n"
                        "  - {name: missing, notebook: not_written_yet, cadence: monthly}\n")
    args = ["report", "run", "--due", "--schedule", str(schedule), "--notebooks", str(books),
            "--db", demo_db, "--out", str(tmp_path / "out"),
            "--no-alerts"]  # the shared demo store is read-only to tests (alerts: tests/watch)
    first = _pmo(*args, "--as-of", "2026-06-29", cwd=tmp_path)  # a Monday
    # the report whose notebook is missing fails alone; the others run
    assert first.returncode == 1
    assert re.search(r"FAILED\s+missing .*no report named 'not_written_yet'", first.stdout)
    assert "2 of 3 notebook runs succeeded" in first.stdout
    # Wednesday 1 July: same ISO week (weekly_one done), a new month, missing retried
    second = _pmo(*args, "--as-of", "2026-07-01", cwd=tmp_path)
    ran = re.findall(r"^(?:ok|FAILED)\s+(\S+)", second.stdout, flags=re.M)
    assert ran == ["monthly_one", "missing"], second.stdout
    assert second.returncode == 1
    bad = tmp_path / "bad.yml"
    bad.write_text("reports:\n  - {name: x, cadence: hourly}\n")
    refused = _pmo("report", "run", "--due", "--schedule", str(bad), cwd=tmp_path)
    assert refused.returncode == 2 and "key cadence, value 'hourly'" in refused.stderr


def test_killed_run_leaves_no_partial_report(demo_db, tmp_path):
    books, sync, out = tmp_path / "notebooks", tmp_path / "sync", tmp_path / "out"
    sync.mkdir()
    write_notebook(books, "quick", "print('quick')")
    write_notebook(books, "blocker", "import os, pathlib\n"
                   f"pathlib.Path({str(sync / 'blocker.pid')!r}).write_text(str(os.getpid()))\n"
                   + _wait_for(sync / "release", 120))
    args = ["report", "run", "quick", "blocker", "--notebooks", str(books), "--db", demo_db,
            "--as-of", AS_OF, "--out", str(out), "--jobs", "2"]
    run = subprocess.Popen([*PMO, *args], cwd=tmp_path, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    folder = out / AS_OF
    try:
        wait_until(lambda: (sync / "blocker.pid").exists() and (folder / "index.html").exists()
               and _index_outputs((folder / "index.html").read_text()).get("quick")
               == "succeeded",
               60, "quick to be published while blocker runs")
        kernel = int((sync / "blocker.pid").read_text())
        run.send_signal(signal.SIGKILL)
        run.wait(10)
    finally:
        if run.poll() is None:
            run.kill()
    # the orphaned worker notices, stops its kernel and exits
    wait_until(lambda: process_gone(kernel), 20, "the blocker's kernel to exit")
    # no part of blocker's page; its record still says "running" (written at the start)
    assert sorted(p.name for p in folder.iterdir()) == [
        "blocker.json", "index.html", "quick.html", "quick.ipynb", "quick.json"]
    assert json.loads((folder / "blocker.json").read_text())["status"] == "running"
    page = (folder / "index.html").read_text()
    assert _index_outputs(page) == {"quick": "succeeded", "blocker": "running"}
    assert all((folder / link).resolve().exists() for link in _links(page))
    first_quick = json.loads((folder / "quick.json").read_text())

    # the re-run completes both and replaces quick whole; the killed run's staging goes
    (sync / "release").touch()
    again = subprocess.run([*PMO, *args], cwd=tmp_path, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(p.name for p in folder.iterdir()) == [
        "blocker.html", "blocker.ipynb", "blocker.json", "index.html",
        "quick.html", "quick.ipynb", "quick.json"]
    assert json.loads((folder / "quick.json").read_text())["start"] > first_quick["start"]
    assert _index_outputs((folder / "index.html").read_text()) == {
        "blocker": "succeeded", "quick": "succeeded"}
    assert sorted(p.name for p in out.iterdir()) == [".lock", AS_OF, "index.html"]


def test_busy_output_folder_is_refused(tmp_path):
    import fcntl

    from pmo_nb.reports import SuiteBusy

    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(SuiteBusy, match="another report run"):
            run_suite([], out=out, as_of=AS_OF, progress=False)
    assert sorted(p.name for p in out.iterdir()) == [".lock"]  # nothing written


def test_a_worker_keeps_its_kernel_for_the_same_notebook_with_a_fresh_namespace(
        demo_db, tmp_path, monkeypatch):
    import pmo_nb.reports.planning as planning

    books = tmp_path / "notebooks"
    # each run says which kernel it ran in, whether the last run's name leaked in, and
    # how many objects the kernel's garbage collector holds frozen
    write_notebook(books, "page", "import gc, os\nfrom pmo_nb.reports.runner import record\n"
                   "record(checksum=f\"{os.getpid()}:{'leak' in dir()}:{gc.get_freeze_count()}"
                   "\")\nleak = project_id",
                   params='project_id: str = ""  # project')
    write_notebook(books, "other", "import os\nfrom pmo_nb.reports.runner import record\n"
                   "record(checksum=str(os.getpid()))")
    monkeypatch.setattr(planning, "active_projects", lambda db=None: ["A", "B", "C"])
    specs = [ReportSpec("page", "page", per="active_project"), ReportSpec("other", "other")]
    out = tmp_path / "out"
    result = run_suite(specs, as_of=AS_OF, db=demo_db, out=out, jobs=1, notebooks_dir=books,
                       progress=False)
    assert {o.status for o in result.outcomes} == {"succeeded"}
    folder = out / AS_OF
    seen = [json.loads((folder / "page" / f"{p}.json").read_text())["checksum"]
            for p in "ABC"]
    assert len({s.split(":")[0] for s in seen}) == 1  # one kernel for the three pages
    assert {s.split(":")[1] for s in seen} == {"False"}  # none saw the last page's names
    assert {s.split(":")[2] for s in seen} == {"0"}  # the reset leaves nothing frozen
    for p in "ABC":  # each executed notebook counts its cells from 1, as in its own kernel
        executed = nbformat.read(folder / "page" / f"{p}.ipynb", as_version=4)
        counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))
    other = json.loads((folder / "other.json").read_text())["checksum"]
    assert other != seen[0].split(":")[0]  # another notebook: another kernel
    wait_until(lambda: process_gone(int(other)), 20, "the last kernel to stop with its worker")


def test_indexes_are_rewritten_when_stale_and_due_not_after_every_job(monkeypatch):
    """A rewrite reads every record: once per page would stall a large fan-out."""
    from pmo_nb.reports import suite

    clock, writes = [100.0], []

    def slow_write(out, day):
        writes.append(clock[0])
        clock[0] += 1.0  # a rewrite of a large run folder takes a second

    monkeypatch.setattr(suite.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(suite, "write_indexes", slow_write)
    indexes = suite.IndexWriter(Path("out"), AS_OF)
    indexes.now()  # the start: at once
    assert writes == [100.0]
    indexes.tick()  # nothing finished: nothing to write
    for _ in range(10):  # ten jobs finish within the next second
        clock[0] += 0.1
        indexes.mark_stale()
        indexes.tick()
    assert writes == [100.0]
    clock[0] = 105.9  # the rest is 4 s after a 1 s rewrite, but at least INDEX_EVERY_S
    indexes.tick()
    assert writes == [100.0]
    clock[0] = 106.0
    indexes.tick()  # due and stale: the ten jobs' rows in one rewrite
    indexes.tick()
    assert writes == [100.0, 106.0]
    clock[0] = 200.0
    indexes.tick()  # due but nothing new
    assert writes == [100.0, 106.0]
    monkeypatch.setattr(suite, "INDEX_EVERY_S", 0.5)
    indexes.mark_stale()
    indexes.tick()  # below the floor, the rest is four times the 1 s rewrite
    clock[0] += 2.0
    indexes.mark_stale()
    indexes.tick()
    assert writes == [100.0, 106.0, 200.0]
    clock[0] = 205.0
    indexes.tick()
    assert writes == [100.0, 106.0, 200.0, 205.0]

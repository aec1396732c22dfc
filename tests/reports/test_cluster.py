"""`run_suite(cluster=...)`: notebooks on a Dask LocalCluster of two worker processes.

The cluster is real (`distributed.LocalCluster`, two worker processes on
127.0.0.1) and so is the store (the throwaway PostgreSQL server of
tests/pg_cluster.py): a cluster run must give the same pages and records as a
local run, a worker killed mid-run must leave no partial page and its notebook
must be rerun, and an SQLite store is refused before anything runs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pg_cluster
import pytest
from report_support import process_gone, wait_until, write_notebook

from pmo_nb.reports import ClusterError, run_suite
from pmo_nb.reports.schedule import ReportSpec, parse_cadence

AS_OF = "2026-06-30"
#: Demo size: 10 projects, 2 of them active on AS_OF (so the fan-out has two pages).
PROJECTS = 10
pytestmark = pytest.mark.slow

#: Reads the store as a report does and records what it read.
SUMMARY = ("from pmo_nb.store import Store\nfrom pmo_nb.reports import record\n"
           "p = Store(db).load()\nrecord(checksum=p.checksum())\n"
           "print(len(p.projects), 'projects')\n")
#: One page per active project (the fan-out), naming the project from the store.
STATUS = SUMMARY + ("row = p.projects.set_index('project_id').loc[project_id]\n"
                    "print(project_id, row['name'])\n")


@pytest.fixture(scope="module")
def pg_url():
    """A PostgreSQL store holding the small demo (read only here)."""
    from pmo_nb.demo.generator import demo_portfolio
    from pmo_nb.store.core import Store

    cluster = pg_cluster.shared()
    if isinstance(cluster, str):
        pytest.skip(cluster)
    url = cluster.create_database(f"c{uuid.uuid4().hex[:12]}")
    store = Store(url)
    store.import_portfolio(demo_portfolio(n_projects=PROJECTS, seed=7, as_of=AS_OF),
                           source="demo", file_checksums={})
    store.close()
    return url


@pytest.fixture(scope="module")
def dask_cluster():
    """Two worker processes, one thread each, on 127.0.0.1; its scheduler's address."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _specs():
    return [ReportSpec("summary", "summary", parse_cadence("weekly")),
            ReportSpec("status", "status", parse_cadence("weekly"), per="active_project")]


def _books(folder: Path) -> Path:
    write_notebook(folder, "summary", SUMMARY)
    write_notebook(folder, "status", STATUS, params='project_id: str = ""  # project')
    return folder


#: What differs between two runs of the same page: the clock, papermill's fresh cell id.
_CLOCK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_CELL_ID = re.compile(r'id="cell-id=[0-9a-f-]+"')


def _pages_and_records(folder: Path) -> dict[str, object]:
    """Every page (clock readings blanked) and record (the fields a run must reproduce)."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.name == "index.html":  # timings aside: which outputs, with which status
            found[name] = re.findall(r'data-output="([^"]+)" data-status="([^"]+)"',
                                     path.read_text())
        elif path.suffix == ".html":
            found[name] = _CELL_ID.sub("", _CLOCK.sub("T", path.read_text()))
        elif path.suffix == ".json":
            r = json.loads(path.read_text())
            found[name] = {k: r.get(k) for k in ("report", "output", "status", "reason",
                                                 "checksum", "period", "cadence", "as_of",
                                                 "project_id", "title", "parameters",
                                                 "instances", "notebook", "db")}
        elif path.suffix == ".ipynb":
            found[name] = "ipynb"
    return found


def test_cluster_run_gives_the_pages_and_records_of_a_local_run(pg_url, dask_cluster, tmp_path):
    books = _books(tmp_path / "notebooks")
    local = run_suite(_specs(), as_of=AS_OF, db=pg_url, out=tmp_path / "local", jobs=2,
                      notebooks_dir=books, progress=False)
    remote = run_suite(_specs(), as_of=AS_OF, db=pg_url, out=tmp_path / "cluster",
                       notebooks_dir=books, progress=False, cluster=dask_cluster)
    assert [(o.output, o.status) for o in remote.outcomes] == \
        [(o.output, o.status) for o in local.outcomes]
    assert remote.exit_status == 0 and len(remote.outcomes) == 3  # summary + 2 projects
    mine, theirs = (_pages_and_records(tmp_path / d / AS_OF) for d in ("local", "cluster"))
    assert mine == theirs
    summary = theirs["summary.json"]
    assert summary["status"] == "succeeded" and summary["period"] == "2026-W27"
    assert len(summary["checksum"]) >= 16
    assert f"{PROJECTS} projects" in (tmp_path / "cluster" / AS_OF / "summary.html").read_text()
    assert (tmp_path / "cluster" / AS_OF / "index.html").is_file()
    assert not (tmp_path / "cluster" / ".staging").exists()


def _worker_pids(address: str) -> dict[str, int]:
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        return client.run(os.getpid)




def test_a_worker_killed_mid_run_leaves_no_page_and_its_notebook_is_rerun(
        pg_url, dask_cluster, tmp_path):
    psutil = pytest.importorskip("psutil")
    books, sync = tmp_path / "notebooks", tmp_path / "sync"
    sync.mkdir()
    # each attempt leaves a marker with its kernel's pid, then waits for the test's go-ahead
    write_notebook(books, "slow", "import os, pathlib, time\n"
                   f"pathlib.Path({str(sync)!r}, f'started-{{os.getpid()}}').touch()\n"
                   "_deadline = time.monotonic() + 120\n"
                   f"while not pathlib.Path({str(sync / 'go')!r}).exists():\n"
                   "    assert time.monotonic() < _deadline, 'no go-ahead'\n"
                   "    time.sleep(0.05)\n" + SUMMARY)
    out = tmp_path / "out"
    done: dict = {}
    runner = threading.Thread(target=lambda: done.update(result=run_suite(
        [ReportSpec("slow", "slow")], as_of=AS_OF, db=pg_url, out=out, timeout=120,
        notebooks_dir=books, progress=False, cluster=dask_cluster)))
    runner.start()
    try:
        wait_until(lambda: list(sync.glob("started-*")), 90, "the slow notebook to start")
        kernel = int(next(sync.glob("started-*")).name.split("-")[1])
        ancestors = {p.pid for p in psutil.Process(kernel).parents()}
        (victim,) = [pid for pid in _worker_pids(dask_cluster).values() if pid in ancestors]
        assert not (out / AS_OF / "slow.html").exists()
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: process_gone(kernel), 30, "the lost worker's kernel to stop")
        assert not (out / AS_OF / "slow.html").exists()
        # the suite's own "running" record is all there is: nothing the lost worker wrote
        assert json.loads((out / AS_OF / "slow.json").read_text())["status"] == "running"
    finally:
        (sync / "go").touch()
        runner.join(180)
    assert not runner.is_alive()
    [outcome] = done["result"].outcomes
    assert outcome.status == "succeeded", outcome.reason
    starts = sorted(sync.glob("started-*"))
    assert len(starts) == 2 and kernel in {int(p.name.split("-")[1]) for p in starts}
    page = (out / AS_OF / "slow.html").read_text()
    assert page.rstrip().endswith("</html>") and f"{PROJECTS} projects" in page
    record = json.loads((out / AS_OF / "slow.json").read_text())
    assert record["status"] == "succeeded" and record["html"] == str(out / AS_OF / "slow.html")


def test_an_sqlite_store_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(ClusterError, match="SQLite file on this machine .* use PostgreSQL"):
        run_suite([ReportSpec("x", "x")], as_of=AS_OF, db="sqlite:///" + str(tmp_path / "p.db"),
                  out=tmp_path / "out", cluster="tcp://127.0.0.1:9")
    assert not (tmp_path / "out").exists()


def test_no_scheduler_at_the_address_is_a_one_line_error(monkeypatch, tmp_path):
    from pmo_nb.reports import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(ClusterError, match=r"cannot reach the Dask scheduler at "
                                           r"tcp://127\.0\.0\.1:9 .*`dask scheduler`"):
        run_suite([ReportSpec("x", "x")], as_of=AS_OF, db="postgresql+psycopg://u@127.0.0.1:9/x",
                  out=tmp_path / "out", cluster="tcp://127.0.0.1:9")
    assert not (tmp_path / "out").exists()


def test_the_cli_refuses_a_local_sqlite_path_in_one_line(tmp_path):
    books = tmp_path / "notebooks"
    write_notebook(books, "x", "x = 1")
    done = subprocess.run(
        [sys.executable, "-m", "pmo_nb.cli", "report", "run", "x", "--as-of", AS_OF,
         "--notebooks", str(books), "--out", str(tmp_path / "out"),
         "--db", str(tmp_path / "portfolio.db"), "--cluster", "tcp://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert str(tmp_path / "portfolio.db") in line and "workers" in line and "PostgreSQL" in line
    assert not (tmp_path / "out").exists()


def test_a_local_run_does_not_load_dask(demo_db, tmp_path):
    books = tmp_path / "notebooks"
    write_notebook(books, "x", "x = 1")
    code = ("import sys\nfrom pmo_nb.reports import run_suite\n"
            "from pmo_nb.reports.schedule import ReportSpec\n"
            f"r = run_suite([ReportSpec('x', 'x')], as_of={AS_OF!r}, db={demo_db!r}, "
            f"out={str(tmp_path / 'out')!r}, notebooks_dir={str(books)!r}, progress=False)\n"
            "print(r.outcomes[0].status, sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('dask', 'distributed')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.split() == ["succeeded", "[]"], done.stderr

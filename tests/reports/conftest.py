"""Tests of pmo_nb.reports: the papermill runner, the suite, the schedule, every notebook."""

from __future__ import annotations

import fcntl
import os
import pickle

import pytest
from report_support import copy_store, run_every_report


@pytest.fixture()
def demo_db_copy(demo_db, tmp_path) -> str:
    """A private copy of :func:`demo_db` that a test may write to.

    Copied with SQLite's backup API, which includes what is still in the WAL.
    """
    return copy_store(demo_db, tmp_path / "portfolio.db")


@pytest.fixture(scope="session")
def demo_report_run(demo_db, tmp_path_factory):
    """One suite run of every report on a private copy of the small demo store.

    Shared by the notebook smoke test and the first-screen browser test, so
    each report notebook runs once on the demo in the whole test session:
    under pytest-xdist those two files may go to different workers, so the
    first worker to ask runs the suite in the session's shared temp folder,
    under a file lock, and the other reads its result (the pages are only read).
    """
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker has its own base folder; their parent is the session's
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-reports"
    with open(f"{root}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = root / "result.pickle"
        if done.exists():
            return pickle.loads(done.read_bytes())
        root.mkdir(exist_ok=True)
        result = run_every_report(copy_store(demo_db, root / "portfolio.db"), root / "out")
        done.write_bytes(pickle.dumps(result))
        return result

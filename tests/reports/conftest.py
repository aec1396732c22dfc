"""Tests of pmo_nb.reports: the papermill runner, the suite, the schedule, every notebook."""

from __future__ import annotations

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
    each report notebook runs once on the demo in the whole test session.
    """
    root = tmp_path_factory.mktemp("demo-reports")
    db = copy_store(demo_db, root / "portfolio.db")
    return run_every_report(db, root / "out")

"""Tests of pmo_nb.reports: the papermill runner, the suite, the schedule, every notebook."""

from __future__ import annotations

import sqlite3

import pytest


@pytest.fixture()
def demo_db_copy(demo_db, tmp_path) -> str:
    """A private copy of :func:`demo_db` that a test may write to.

    Copied with SQLite's backup API, which includes what is still in the WAL.
    """
    path = tmp_path / "portfolio.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()
    return str(path)

"""The pmo command as a user runs it: exit statuses, messages, nothing written on error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pmo_nb.io.writing import write_workbook
from pmo_nb.store.core import Store


def pmo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the installed CLI in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "pmo_nb.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture()
def workbook(demo_small, tmp_path) -> Path:
    return write_workbook(demo_small, tmp_path / "book")


def test_import_then_history(workbook, tmp_path):
    db = tmp_path / "p.db"
    done = pmo("import", str(workbook), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "projects" in done.stdout
    log = pmo("history", "--db", str(db), cwd=tmp_path)
    assert log.returncode == 0 and str(workbook.resolve()) in log.stdout


def test_bad_workbook_exits_2_lists_problems_and_writes_nothing(workbook, tmp_path):
    db = tmp_path / "p.db"
    assert pmo("import", str(workbook), "--db", str(db), cwd=tmp_path).returncode == 0
    before = Store(db).load().checksum()
    projects = pd.read_csv(workbook / "projects.csv", dtype=str, keep_default_na=False)
    projects.loc[0, "budget"] = "-5"          # breaks budget >= 0 (spreadsheet row 2)
    projects.loc[1, "stage"] = "dreaming"     # not a stage (row 3)
    projects.loc[2, "budget"] = "999999"      # a valid change that must NOT be written either
    projects.to_csv(workbook / "projects.csv", index=False)
    done = pmo("import", str(workbook), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 2
    assert "projects.csv" in done.stderr and "budget" in done.stderr and "'-5'" in done.stderr
    assert "dreaming" in done.stderr
    assert Store(db).load().checksum() == before
    assert len(Store(db).history()) == 1


def test_default_store_is_portfolio_db_in_the_working_folder(workbook, tmp_path, monkeypatch):
    monkeypatch.delenv("PMO_DB", raising=False)
    done = pmo("import", str(workbook), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "portfolio.db").exists()


def test_demo_writes_workbook_and_store(tmp_path):
    done = pmo("demo", "--projects", "40", "--seed", "3", "--as-of", "2026-06-30",
               "--out", str(tmp_path / "demo"), "--db", str(tmp_path / "d.db"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo" / "projects.csv").exists()
    assert len(Store(tmp_path / "d.db").load().projects) == 40


def test_report_without_name_is_a_usage_error(tmp_path):
    done = pmo("report", "run", cwd=tmp_path)
    assert done.returncode == 2 and "--all" in done.stderr

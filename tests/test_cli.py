"""The pmo command as a user runs it: exit statuses, messages, nothing written on error."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pmo_nb.cli import main as cli
from pmo_nb.io.writing import write_workbook
from pmo_nb.store import read_only_url
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


# --- store faults: one line on stderr and exit status 1, never a traceback ------------------

def one_line_failure(done, *needles: str) -> str:
    """The CliRunner result failed with exit 1 and one stderr line holding every needle."""
    assert done.exit_code == 1, (done.output, done.exception)
    assert not isinstance(done.exception, Exception) or isinstance(done.exception, SystemExit)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.output, done.output
    assert all(n in lines[0] for n in needles), lines[0]
    return lines[0]


COMMANDS = [["history"], ["db", "current"], ["db", "upgrade"], ["export", "out"],
            ["import", "{workbook}"], ["demo", "--projects", "20", "--out", "demo"],
            ["alerts", "run"], ["alerts", "log"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_corrupt_store_is_one_line_and_exit_1(command, workbook, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "portfolio.db"
    db.write_bytes(os.urandom(8192))
    args = [a.format(workbook=workbook) for a in command]
    done = CliRunner().invoke(cli, [*args, "--db", str(db)])
    one_line_failure(done, str(db), "is not a readable pmo_nb store", "restore it from a backup")


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] in ("import", "demo")]
                         + [["db", "upgrade"], ["alerts", "run"]], ids=lambda c: " ".join(c[:2]))
def test_a_read_only_store_refuses_writes_in_one_line(command, workbook, tmp_path,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "p.db"
    assert CliRunner().invoke(cli, ["import", str(workbook), "--db", str(db)]).exit_code == 0
    before = Store(db).load().checksum()
    args = [a.format(workbook=workbook) for a in command]
    done = CliRunner().invoke(cli, [*args, "--db", read_only_url(db)])
    one_line_failure(done, "read-only", "Use the analysts' URL to write")
    assert Store(db).load().checksum() == before and len(Store(db).history()) == 1


def test_a_full_disk_while_exporting_is_one_line(workbook, tmp_path, monkeypatch):
    db = tmp_path / "p.db"
    assert CliRunner().invoke(cli, ["import", str(workbook), "--db", str(db)]).exit_code == 0

    def full(*_args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("pmo_nb.io.writing._write_csv", full)
    done = CliRunner().invoke(cli, ["export", str(tmp_path / "out"), "--db", str(db)])
    one_line_failure(done, "cannot write", "No space left on device", "free space")


@pytest.mark.parametrize("command", [["history"], ["db", "upgrade"], ["db", "current"]])
def test_an_unknown_database_driver_is_one_line(command):
    done = CliRunner().invoke(cli, [*command, "--db", "nosuchdb://host/pmo"])
    one_line_failure(done, "nosuchdb://host/pmo", "driver is not installed")


def test_a_report_on_a_corrupt_store_fails_in_one_line(tmp_path):
    db = tmp_path / "portfolio.db"
    db.write_bytes(os.urandom(8192))
    done = CliRunner().invoke(cli, ["report", "run", "portfolio_overview", "--as-of",
                                    "2026-06-30", "--db", str(db), "--out", str(tmp_path / "r")])
    assert done.exit_code == 1 and "Traceback" not in done.output, done.output
    failed = [ln for ln in done.stdout.splitlines() if ln.startswith("FAILED")]
    assert len(failed) == 1 and "StoreError" in failed[0] and "not a readable" in failed[0]

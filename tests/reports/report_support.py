"""Helpers shared by the report tests: tiny report notebooks written into a tmp folder."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat


def write_notebook(folder: Path, name: str, body: str | list[str], params: str = "",
                   title: str = "") -> None:
    """A report notebook: the usual parameters cell, then ``body`` (a cell, or a list of them)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["title"] = title or name.capitalize()
    source = 'db: str = ""  # store\nas_of: str = ""  # date' + (f"\n{params}" if params else "")
    nb.cells = [nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]}),
                *map(nbformat.v4.new_code_cell, [body] if isinstance(body, str) else body)]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")


def copy_store(source: str, target) -> str:
    """Copy the SQLite store ``source`` to ``target`` (backup API: the WAL comes too)."""
    import sqlite3

    with sqlite3.connect(source) as a, sqlite3.connect(target) as b:
        a.backup(b)
    a.close()
    b.close()
    return str(target)


def run_every_report(db: str, out) -> tuple:
    """Every report notebook run once by the suite (HTML pages), with its smoke parameters.

    Returns the :class:`pmo_nb.reports.SuiteResult` and the run folder.
    """
    import nbformat

    from pmo_nb.config import notebooks_dir
    from pmo_nb.reports import run_suite
    from pmo_nb.reports.schedule import ReportSpec

    specs = []
    for path in sorted(notebooks_dir().glob("*.ipynb")):
        smoke = nbformat.read(path, as_version=4).metadata.get("pmo", {}).get(
            "smoke_parameters", {})
        specs.append(ReportSpec(path.stem, path.stem, parameters=dict(smoke)))
    result = run_suite(specs, as_of="2026-06-30", db=db, out=out, jobs=2, timeout=900,
                       progress=False)
    return result, result.folder


def process_gone(pid: int) -> bool:
    """The process has exited (a zombie awaiting its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def wait_until(condition, seconds: float, what: str) -> None:
    """Poll ``condition`` every 50 ms; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)

"""The ``index.html`` pages of a reports folder, built from the run records on disk.

``OUT/<as_of>/index.html`` lists the reports of one run folder (title linked to the
page, or to the executed notebook when the run failed; a link to the PDF when one was
printed, or why it was not; project, period, status and reason, duration, data
checksum, generated at); ``OUT/index.html`` lists the run folders. A run folder's page
links its alert log (``alerts.html``, :mod:`pmo_nb.reports.alerts_page`) when there is
one. Both are self-contained HTML with relative links, so the folder can be copied to a
shared drive as it is. They are rewritten whole (atomically) from the records, so they
always show what is on disk.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pmo_nb.atomic import write_atomic
from pmo_nb.config import templates_dir
from pmo_nb.dates import utc_now

STATUSES = ("succeeded", "failed", "timeout", "running")


def _records(folder: Path) -> list[dict]:
    """The report records of a run folder (``<name>.json``), by report name."""
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and "status" in record:
            records.append(record)
    return records


def _href(folder: Path, record: dict) -> str | None:
    """Relative link to the page (or the executed notebook of a failed run), if on disk."""
    stem = record.get("output") or record.get("report")
    if not stem:
        return None
    for suffix in (".html", ".ipynb"):
        if (folder / f"{stem}{suffix}").is_file():
            if suffix == ".html" and record.get("status") != "succeeded":
                continue
            return f"{stem}{suffix}"
    return None


def _pdf_href(folder: Path, record: dict) -> str | None:
    """Relative link to the PDF printed beside the page, if the record has one on disk."""
    stem = record.get("output") or record.get("report")
    if stem and record.get("pdf") and (folder / f"{stem}.pdf").is_file():
        return f"{stem}.pdf"
    return None


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


def shown_status(record: dict) -> str | None:
    """A record's status; ``interrupted`` for a "running" one whose run has died."""
    status = record.get("status")
    if status == "running" and not _pid_alive(record.get("pid")):
        return "interrupted"
    return status


def write_running(out: Path, as_of: str, specs, broken: dict, *, start: str,
                  durations: dict) -> None:
    """Mark each report of a starting run as running in ``OUT/<as_of>/``.

    Each ``<name>.json`` says ``running`` (with the run's process id, so a run
    that died shows as ``interrupted``) until the report's own record replaces it
    whole; the index shows them, so a reader can tell what is still to come.
    """
    from pmo_nb.reports.runner import base_record  # lazy: the runner imports this module

    folder = Path(out) / as_of
    folder.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        if spec.name in broken:
            continue
        record = base_record(spec.name, as_of=as_of, notebook=spec.notebook, per=spec.per,
                             status="running", start=start, pid=os.getpid(),
                             expected_s=durations.get(spec.name),
                             reason="queued or running in the current run")
        write_atomic(folder / f"{spec.name}.json", json.dumps(record, indent=2) + "\n")


def mark_interrupted(out: Path, as_of: str) -> None:
    """Records this process left ``running`` (a stopped run) now say ``interrupted``."""
    folder = Path(out) / as_of
    for record in _records(folder) if folder.is_dir() else []:
        if record.get("status") == "running" and record.get("pid") == os.getpid():
            record.update(status="interrupted", reason="the run was stopped before it finished")
            write_atomic(folder / f"{record['report']}.json",
                         json.dumps(record, indent=2) + "\n")


def _row(folder: Path, record: dict, instance: bool = False) -> dict:
    return {
        "title": record.get("title") or record.get("report"),
        "report": record.get("report"),
        "output": record.get("output") or record.get("report"),
        "project_id": record.get("project_id"),
        "period": record.get("period"),
        "status": shown_status(record),
        "reason": record.get("reason"),
        "duration_s": record.get("duration_s"),
        "checksum": record.get("checksum"),
        "generated_at": record.get("finish") or record.get("start"),
        "href": _href(folder, record),
        "pdf_href": _pdf_href(folder, record),
        "pdf_error": record.get("pdf_error"),
        "instance": instance,
    }


def run_rows(folder: Path) -> list[dict]:
    """Rows of a run folder's index: each report, a fan-out followed by its projects."""
    rows = []
    for record in _records(folder):
        rows.append(_row(folder, record))
        if "instances" in record:
            for item in record["instances"]:
                sub = folder / f"{item.get('output')}.json"
                try:
                    rows.append(_row(folder, json.loads(sub.read_text(encoding="utf-8")), True))
                except (OSError, ValueError):
                    continue
    return rows


def report_env():
    """The Jinja2 environment of the report pages (templates/report, autoescaped)."""
    import jinja2  # lazy: Jinja2 loads only when an index is written

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "report")),
        autoescape=True, keep_trailing_newline=True,
    )


def write_run_index(folder: str | Path) -> Path:
    """Write ``folder/index.html`` for one run folder; returns its path."""
    folder = Path(folder)
    rows = run_rows(folder)
    tops = [r for r in rows if not r["instance"]]
    counts = {s: sum(r["status"] == s for r in tops) for s in STATUSES}
    page = report_env().get_template("run_index.html.j2").render(
        title=f"Reports as of {folder.name}", as_of=folder.name, rows=rows, counts=counts,
        generated_at=utc_now(),
        alerts_href="alerts.html" if (folder / "alerts.html").is_file() else None,
    )
    path = folder / "index.html"
    write_atomic(path, page)
    return path


def run_summary(folder: Path) -> dict:
    """One row of the root index: counts by status, periods, checksums, latest finish."""
    records = _records(folder)
    finishes = [r.get("finish") or r.get("start") or "" for r in records]
    return {
        "as_of": folder.name,
        "href": f"{folder.name}/index.html" if (folder / "index.html").is_file() else None,
        "reports": len(records),
        **{s: sum(shown_status(r) == s for r in records) for s in STATUSES},
        "periods": sorted({r["period"] for r in records if r.get("period")}),
        "checksums": sorted({r["checksum"] for r in records if r.get("checksum")}),
        "generated_at": max(finishes) if finishes else None,
    }


def write_root_index(out: str | Path) -> Path:
    """Write ``out/index.html`` listing every run folder, newest first."""
    out = Path(out)
    folders = sorted((p for p in out.iterdir()
                      if p.is_dir() and re.fullmatch(r"\d{4}-\d\d-\d\d", p.name)),
                     key=lambda p: p.name, reverse=True)
    page = report_env().get_template("runs_index.html.j2").render(
        title="Report runs", rows=[run_summary(f) for f in folders], generated_at=utc_now(),
    )
    path = out / "index.html"
    write_atomic(path, page)
    return path


def write_indexes(out: str | Path, as_of: str) -> None:
    """Rewrite the index of run folder ``out/<as_of>`` and the root index.

    Ordered so that neither page ever links to a page not yet on disk, even
    if the run is killed between the two writes: the root index first (the
    run page's "all runs" link needs it; it links only run pages that
    exist), then the run page, then the root again when the run page is new.
    """
    folder = Path(out) / as_of
    new_run_page = folder.is_dir() and not (folder / "index.html").is_file()
    write_root_index(out)
    if folder.is_dir():
        write_run_index(folder)
    if new_run_page:
        write_root_index(out)

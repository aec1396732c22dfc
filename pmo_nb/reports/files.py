"""Writing report files so that a reader never sees half of one."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pmo_nb.atomic import umask_mode, write_atomic


def _move(staged: Path, target: Path) -> str:
    os.chmod(staged, umask_mode())
    os.replace(staged, target)
    return str(target)


def publish(run: dict, *, out, staging: Path, html: str | None = None) -> dict:
    """Move a run's files from ``staging`` into ``OUT/<as_of>/`` and write its record.

    The executed notebook (if any) goes first, then the page (``html``, or
    ``<leaf>.html`` already written in ``staging``), then the PDF if one was
    printed (``<leaf>.pdf`` in ``staging`` and no ``pdf_error``), and the
    record last. A file the run did not make is removed if an earlier run of
    the same report left one (a failed run leaves no page, a run without a
    PDF no PDF), so files and record always agree.
    """
    folder = Path(out) / run["as_of"]
    stem = run["output"]
    target = folder / stem
    target.parent.mkdir(parents=True, exist_ok=True)
    leaf = target.name
    ipynb, html_path = target.with_name(f"{leaf}.ipynb"), target.with_name(f"{leaf}.html")
    pdf_path = target.with_name(f"{leaf}.pdf")
    staged_nb, staged_html = staging / f"{leaf}.ipynb", staging / f"{leaf}.html"
    staged_pdf = staging / f"{leaf}.pdf"
    succeeded = run["status"] == "succeeded"
    run["ipynb"] = None
    if staged_nb.exists() and staged_nb.stat().st_size:
        run["ipynb"] = _move(staged_nb, ipynb)
    elif not succeeded:
        ipynb.unlink(missing_ok=True)  # an executed copy from an earlier run would mislead
    run["html"] = None
    if succeeded and html is not None:
        staged_html.write_text(html, encoding="utf-8")
    if succeeded and staged_html.exists():
        run["html"] = _move(staged_html, html_path)
    else:
        html_path.unlink(missing_ok=True)  # never leave a page from an earlier run
    run["pdf"] = None
    if run["html"] and staged_pdf.exists() and not run.get("pdf_error"):
        run["pdf"] = _move(staged_pdf, pdf_path)
    else:
        pdf_path.unlink(missing_ok=True)  # an earlier run's PDF would disagree with the page
    write_atomic(target.with_name(f"{leaf}.json"), json.dumps(run, indent=2, default=str) + "\n")
    return run

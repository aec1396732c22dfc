"""What the server reads besides the store: the format spec, published report pages, the prompt.

Report pages come from the newest run folder (``REPORTS/YYYY-MM-DD/``) of
the reports folder, by report name; nothing outside that folder is read.
"""

from __future__ import annotations

import re
from pathlib import Path

from pmo_nb.config import project_root

#: Largest report page served (bytes); a bigger one is refused, not cut.
MAX_PAGE_BYTES = 8 * 1024 * 1024
_RUN = re.compile(r"\d{4}-\d\d-\d\d")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class NotFound(LookupError):
    """A resource that is not there (the message says what was looked for)."""


def format_spec() -> str:
    """The interchange format (``docs/portfolio-format.md`` of the installed project)."""
    return (project_root() / "docs" / "portfolio-format.md").read_text(encoding="utf-8")


def latest_run(reports: Path) -> Path | None:
    """The newest run folder of ``reports`` (None when there is none)."""
    if not reports.is_dir():
        return None
    runs = sorted((p for p in reports.iterdir() if p.is_dir() and _RUN.fullmatch(p.name)),
                  key=lambda p: p.name)
    return runs[-1] if runs else None


def report_names(reports: Path) -> dict:
    """``{"run": date or None, "pages": [names]}`` of the newest run folder."""
    run = latest_run(reports)
    if run is None:
        return {"run": None, "pages": [], "statement": f"no report run found in {reports.name}/"}
    pages = sorted(p.stem for p in run.glob("*.html") if p.stem != "index")
    return {"run": run.name, "pages": pages[:200]}


def report_page(reports: Path, name: str) -> str:
    """The HTML of report ``name`` from the newest run folder.

    Raises
    ------
    NotFound
        A name that is not a plain report name, no run folder, or no such page.
    """
    if not _NAME.fullmatch(name or "") or ".." in name:
        raise NotFound(f"not a report name: {name[:100]!r} (letters, digits, _ - .)")
    run = latest_run(reports)
    if run is None:
        raise NotFound(f"no report run found in {reports.name}/")
    path = run / f"{name}.html"
    if not path.is_file() or path.resolve().parent != run.resolve():
        known = ", ".join(report_names(reports)["pages"][:30])
        raise NotFound(f"no report page {name!r} in run {run.name}; published: {known}")
    if path.stat().st_size > MAX_PAGE_BYTES:
        raise NotFound(f"report page {name!r} is larger than {MAX_PAGE_BYTES} bytes")
    return path.read_text(encoding="utf-8", errors="replace")


BRIEFING = """\
Prepare this week's portfolio briefing{when} from the pmo tools. Quote numbers exactly as
the tools give them, and cite for each its source, the data checksum and the forecast used.

1. portfolio_summary: money, live projects, RAG counts, worst CPI and SPI.
2. find_projects with stage "active": the live projects; then project_status for the red
   and amber ones, and any whose rag_disagreement is set (the forecast contradicts the RAG).
3. forecast: how many active projects are likely over budget or late, and the least likely
   to land on budget and time. If no forecast is available, say so; never estimate one.
4. overrun_drivers: what predicts overruns (say so if no fitted model is stored).
5. benefits_behind_plan and capacity_hotspots: benefits off track and overloaded teams.
6. decisions_owed: the decisions past their due date and who owes them; baseline_drift:
   the projects whose approved changes moved their budget or finish.
7. If a funding decision is pending, what_if_selection at the budget in question.

Changes since last week are not available from these tools: do not invent them. End with
three points that need a decision or attention, each tied to a number above.
"""


def briefing(as_of: str = "") -> str:
    """The weekly briefing prompt, for ``as_of`` when given."""
    when = f" as of {as_of.strip()[:10]}" if as_of and as_of.strip() else ""
    return BRIEFING.format(when=when)

"""What a suite run is made of: jobs, their outcomes, the run's result, run records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pmo_nb.reports.schedule import ReportSpec


class SuiteBusy(RuntimeError):
    """Another ``pmo report run`` is writing to the same output folder."""


@dataclass
class Job:
    """One notebook execution: a report, or one project of a fan-out report."""

    spec: ReportSpec
    output: str
    project_id: str | None = None
    parameters: dict = field(default_factory=dict)


@dataclass
class Outcome:
    """How one job ended: ``status`` is ``succeeded``, ``failed`` or ``timeout``."""

    report: str
    output: str
    status: str
    duration_s: float
    reason: str | None = None
    project_id: str | None = None
    html: str | None = None
    ipynb: str | None = None
    pdf: str | None = None
    #: Why the PDF asked for was not printed (the page was published all the same).
    pdf_error: str | None = None


@dataclass
class SuiteResult:
    """The outcomes of a suite run, in job order, and where they were written."""

    as_of: str
    folder: Path
    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "succeeded"]

    @property
    def pdf_failed(self) -> list[Outcome]:
        """Jobs whose page was published but whose PDF could not be printed."""
        return [o for o in self.outcomes if o.pdf_error]

    @property
    def exit_status(self) -> int:
        """0 when every job succeeded (with its PDF, if asked for), else 1."""
        return 1 if self.failed or self.pdf_failed else 0


def read_record(path: Path) -> dict | None:
    """A run record, or None when missing or unreadable."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None

"""Milestones: a running report says that what others wait for is in the store.

``after: [risk_forecast]`` in ``reports.yml`` waits for the whole report; but
the weekly pages read only the forecast it saves in its first minute, not the
backtest that takes the next two (the 600-project suite, 2026-12-04: 35 s fit,
118 s backtest, every fan-out waiting). So a notebook may call :func:`ready`
once what it saved is complete, and a report may wait for that milestone
instead: ``after: [risk_forecast:forecast]``.

The signal travels as a display output under a private MIME type (like
:func:`pmo_nb.reports.runner.record`'s facts, left out of the HTML page): the
warm engine of a worker process sees it when the cell completes and leaves a
marker file in the job's staging folder, which the coordinator looks for. A
run without a worker process's kept kernel (a cluster task, ``run_report``
alone) leaves no marker, so its dependants wait for the whole report, as
without milestones.
"""

from __future__ import annotations

import re
from pathlib import Path

#: MIME type of the milestone outputs (left out of the page with the runner's facts).
READY_MIME = "application/vnd.pmo-nb.ready+json"
#: What a milestone's name may be (it names a marker file).
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def ready(name: str) -> None:
    """Say, from a report notebook, that milestone ``name`` is reached.

    Call it after the cell that saved what the milestone's dependants read.
    """
    from IPython.display import display  # lazy: IPython only inside a kernel

    if not NAME.fullmatch(name):
        raise ValueError(f"a milestone is a lower-case name like 'forecast', got {name!r}")
    display({READY_MIME: {"ready": name}}, raw=True)


def split(after: str) -> tuple[str, str | None]:
    """``"report:milestone"`` -> (report, milestone); a plain name has no milestone."""
    report, sep, milestone = after.partition(":")
    return report, (milestone if sep else None)


def marker(folder: Path, name: str) -> Path:
    """The file in a job's staging ``folder`` that says milestone ``name`` was reached."""
    return Path(folder) / f"ready-{name}"


def reached(folder: Path, name: str) -> bool:
    """Whether the job staged in ``folder`` has reached milestone ``name``."""
    return marker(folder, name).exists()


def leave_markers(nb_man, folder: str | None) -> None:
    """Make papermill's notebook manager leave a marker for each milestone a cell reports."""
    if not folder:
        return
    complete = nb_man.cell_complete

    def cell_complete(cell, cell_index=None, **kwargs):
        for output in cell.get("outputs", []):
            name = output.get("data", {}).get(READY_MIME, {}).get("ready")
            if isinstance(name, str) and NAME.fullmatch(name):
                marker(Path(folder), name).touch()
        return complete(cell, cell_index=cell_index, **kwargs)

    nb_man.cell_complete = cell_complete

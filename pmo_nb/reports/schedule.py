"""The report schedule (``reports.yml``): what runs, with which parameters, how often.

Pure: parsing and the calendar; no notebook is run and nothing is written
here (:mod:`pmo_nb.reports.suite` does that). The keys of an entry and the
cadences, with the period each defines and the day it is due from, are
documented once, in the README ("The schedule: reports.yml"); this module
implements them (:func:`parse_cadence`, :data:`ENTRY_KEYS`), and a test keeps
the README's table and this code in agreement.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pmo_nb.config import (
    ENTRY_NAME,
    SettingsFileError,
    add_problem,
    read_settings_file,
    settings_entries,
)
from pmo_nb.reports.milestones import NAME as MILESTONE_NAME
from pmo_nb.reports.milestones import split as split_milestone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: The fan-out values ``per`` accepts.
FAN_OUTS = ("active_project", "project_with_plan")
#: Parameters the runner sets itself (a schedule may not set them).
RUNNER_PARAMETERS = ("db", "as_of")
#: Keys of one report entry.
ENTRY_KEYS = ("name", "notebook", "cadence", "parameters", "per", "after", "pdf")
#: Columns of :attr:`ScheduleError.problems`.
PROBLEM_COLUMNS = ["file", "report", "key", "value", "rule"]
NAME_PATTERN = ENTRY_NAME
CADENCE_HELP = ("one of daily, weekly, monthly, quarterly, a weekday (monday..sunday) "
                "or 'weekly on <weekday>'")


class ScheduleError(SettingsFileError):
    """``reports.yml`` broke one or more rules; ``problems`` lists every one.

    ``problems`` is a DataFrame with columns ``file``, ``report`` (entry
    name or ``#<position>``), ``key``, ``value`` and ``rule``.
    """

    entry, reason, what = "report", "rule", "the report schedule"


@dataclass(frozen=True)
class Cadence:
    """How often a report runs: ``unit`` (day, week, month, quarter) and, for
    weekly cadences, the first weekday it is due (0 = Monday). ``text`` is the
    canonical spelling (``"friday"`` reads as ``"weekly on friday"``)."""

    text: str
    unit: str
    weekday: int = 0

    def period(self, day: dt.date) -> str:
        """The period ``day`` falls in: ``2026-11-25``, ``2026-W48``, ``2026-11``, ``2026-Q4``."""
        if self.unit == "day":
            return day.isoformat()
        if self.unit == "week":
            year, week, _ = day.isocalendar()
            return f"{year}-W{week:02d}"
        if self.unit == "month":
            return f"{day.year}-{day.month:02d}"
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"

    def bounds(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """First and last day of the period ``day`` falls in."""
        if self.unit == "day":
            return day, day
        if self.unit == "week":
            start = day - dt.timedelta(days=day.weekday())
            return start, start + dt.timedelta(days=6)
        if self.unit == "month":
            first_month = day.month
            months = 1
        else:
            first_month = 3 * ((day.month - 1) // 3) + 1
            months = 3
        start = dt.date(day.year, first_month, 1)
        nxt = first_month + months
        end = (dt.date(day.year + (nxt > 12), (nxt - 1) % 12 + 1, 1) - dt.timedelta(days=1))
        return start, end

    def due_from(self, day: dt.date) -> dt.date:
        """The first day of ``day``'s period on which the report is due."""
        start, _ = self.bounds(day)
        return start + dt.timedelta(days=self.weekday) if self.unit == "week" else start

    def is_due(self, day: dt.date) -> bool:
        """Whether the calendar makes the report due on ``day`` (ignoring earlier runs)."""
        return day >= self.due_from(day)


def parse_cadence(text) -> Cadence:
    """Read a cadence (see the module docstring); raises ValueError naming the vocabulary."""
    words = str(text).strip().lower().split() if isinstance(text, str) else []
    phrase = " ".join(words)
    if phrase == "daily":
        return Cadence(phrase, "day")
    if phrase == "weekly":
        return Cadence(phrase, "week", 0)
    if phrase == "monthly":
        return Cadence(phrase, "month")
    if phrase == "quarterly":
        return Cadence(phrase, "quarter")
    if len(words) == 1 and words[0] in WEEKDAYS:
        return Cadence(f"weekly on {words[0]}", "week", WEEKDAYS.index(words[0]))
    if len(words) == 3 and words[:2] == ["weekly", "on"] and words[2] in WEEKDAYS:
        return Cadence(phrase, "week", WEEKDAYS.index(words[2]))
    raise ValueError(f"unknown cadence {text!r}: {CADENCE_HELP}")


@dataclass(frozen=True)
class ReportSpec:
    """One report of the schedule (or a bare notebook run by name: ``cadence`` None)."""

    name: str
    notebook: str
    cadence: Cadence | None = None
    parameters: dict = field(default_factory=dict)
    per: str | None = None
    #: Reports of the same run that must finish (succeeded or not) before this one
    #: starts, e.g. a summary that reads the forecast another report persists.
    after: tuple[str, ...] = ()
    #: Also print the page to PDF (``pdf: true`` in the schedule, or ``--pdf``).
    pdf: bool = False

    def period(self, day: dt.date) -> str:
        """The period a run on ``day`` counts for (the day itself without a cadence)."""
        return self.cadence.period(day) if self.cadence else day.isoformat()


def parse_schedule(data, source: str = "reports.yml") -> list[ReportSpec]:
    """Check parsed YAML ``data`` and return its reports in file order.

    Raises
    ------
    ScheduleError
        Listing every problem (file, report, key, value, rule).
    """
    problems: list[dict] = []
    specs = []
    for label, entry, before in settings_entries(
            data, source, "reports", problems, ScheduleError, kind="report",
            entry_help="name, notebook, cadence, ...", name_why="it names files"):
        name = entry.get("name")
        for key in sorted(set(entry) - set(ENTRY_KEYS), key=str):
            add_problem(problems, source, label, key, None,
                        f"unknown key; allowed: {', '.join(ENTRY_KEYS)}")
        notebook = entry.get("notebook", name)
        if isinstance(notebook, str) and notebook.endswith(".ipynb"):
            notebook = notebook[: -len(".ipynb")]
        name_ok = isinstance(name, str) and re.fullmatch(NAME_PATTERN, name)
        if ("notebook" in entry or name_ok) and (
                not isinstance(notebook, str) or not re.fullmatch(NAME_PATTERN, notebook)):
            add_problem(problems, source, label, "notebook", notebook,
                        "a notebook name in notebooks/ without folders (e.g. portfolio_overview)")
        cadence = None
        if "cadence" not in entry:
            add_problem(problems, source, label, "cadence", None, f"required: {CADENCE_HELP}")
        else:
            try:
                cadence = parse_cadence(entry["cadence"])
            except ValueError:
                add_problem(problems, source, label, "cadence", entry["cadence"], CADENCE_HELP)
        per = entry.get("per")
        if per is not None and per not in FAN_OUTS:
            add_problem(problems, source, label, "per", per, f"one of: {', '.join(FAN_OUTS)}")
        parameters = entry.get("parameters") or {}
        if not isinstance(parameters, dict):
            add_problem(problems, source, label, "parameters", type(parameters).__name__,
                        "must be a mapping of parameter name to value")
            parameters = {}
        for key, value in parameters.items():
            where = f"parameters.{key}"
            if key in RUNNER_PARAMETERS or (per in FAN_OUTS and key == "project_id"):
                add_problem(problems, source, label, where, value,
                            "set by the runner (--db, --as-of, per); remove it")
            elif not isinstance(key, str) or not key.isidentifier():
                add_problem(problems, source, label, where, value, "not a Python name")
            elif not isinstance(value, str | int | float | bool | list) and value is not None:
                add_problem(problems, source, label, where, value,
                            "values must be text, numbers, booleans or lists")
        after = entry.get("after") or []
        if isinstance(after, str):
            after = [after]
        if not isinstance(after, list) or not all(isinstance(a, str) for a in after):
            add_problem(problems, source, label, "after", after, "a report name or a list of them")
            after = []
        pdf = entry.get("pdf", False)
        if not isinstance(pdf, bool):
            add_problem(problems, source, label, "pdf", pdf,
                        "true or false: also print the report to PDF")
        if len(problems) == before:
            specs.append(ReportSpec(name, notebook, cadence, dict(parameters), per, tuple(after),
                                    pdf is True))
    _check_after(specs, problems, source)
    if problems:
        raise ScheduleError(problems, source)
    return specs


def _check_after(specs: list[ReportSpec], problems: list[dict], source: str) -> None:
    """Every ``after`` names another report of the file (``report`` or
    ``report:milestone``, see :mod:`pmo_nb.reports.milestones`), and the order has no cycle."""

    names = {s.name for s in specs}
    graph = {}
    for spec in specs:
        waits = []
        for other in spec.after:
            report, milestone = split_milestone(other)
            if report == spec.name or report not in names:
                add_problem(problems, source, spec.name, "after", other,
                            "must name another report in this file")
            elif milestone is not None and not MILESTONE_NAME.fullmatch(milestone):
                add_problem(problems, source, spec.name, "after", other,
                            "a milestone follows the report's name after a colon and is a "
                            "lower-case name, like risk_forecast:forecast")
            else:
                waits.append(report)
        graph[spec.name] = waits
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        add_problem(problems, source, exc.args[1][0], "after", cycle,
                    "reports wait on each other in a cycle")


def load_schedule(path: str | os.PathLike) -> list[ReportSpec]:
    """Read and check a ``reports.yml`` (see :func:`parse_schedule`)."""
    return parse_schedule(read_settings_file(path, ScheduleError), str(Path(path)))


def due_reports(specs: list[ReportSpec], day: dt.date, succeeded: set[tuple[str, str]]
                ) -> list[ReportSpec]:
    """The reports due on ``day``: their cadence says so and ``(name, period)``
    is not in ``succeeded`` (the periods each report already succeeded for)."""
    return [s for s in specs
            if s.cadence is not None and s.cadence.is_due(day)
            and (s.name, s.period(day)) not in succeeded]

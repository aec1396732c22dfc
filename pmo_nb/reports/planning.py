"""Which reports a run executes: by name, all, or due; fan-outs expanded to their projects.

A report is due from its cadence's first day until a run succeeds for its period;
the run records on disk (``OUT/<as_of>/<name>.json``) are what counts. A run that
was asked for a PDF and could not print it has not succeeded, so the next run retries."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pmo_nb.config import safe_stem
from pmo_nb.dates import iso_day
from pmo_nb.reports.jobs import Job, read_record
from pmo_nb.reports.runner import (
    available_reports,
)
from pmo_nb.reports.schedule import ReportSpec, due_reports
from pmo_nb.store.core import Store


def active_projects(db=None) -> list[str]:
    """Ids of the projects whose stage is ``active`` in the store now (the data the
    notebooks read), sorted."""

    projects = Store(db).load().projects
    return sorted(map(str, projects.loc[projects["stage"] == "active", "project_id"]))


def projects_with_plan(db=None) -> list[str]:
    """Ids of the projects that have a plan (tasks) and are not cancelled, sorted."""
    portfolio = Store(db).load()
    live = portfolio.projects.loc[portfolio.projects["stage"] != "cancelled", "project_id"]
    planned = set(map(str, portfolio.tasks["project_id"]))
    return sorted(p for p in map(str, live) if p in planned)


#: ``per:`` of the schedule -> the function of this module listing its projects (looked up
#: by name when a run is planned), and what they are.
FAN_OUT_LISTS = {"active_project": ("active_projects", "active projects"),
                 "project_with_plan": ("projects_with_plan", "projects with a plan")}


def plan(specs: list[ReportSpec], db=None) -> tuple[list[Job], dict[str, str]]:
    """Jobs for ``specs`` (fan-outs expanded) and the fan-outs that could not be
    expanded (report name -> reason)."""
    jobs, broken = [], {}
    listed: dict[str, list[str] | Exception] = {}
    for spec in specs:
        if spec.per is None:
            jobs.append(Job(spec, spec.name, None, dict(spec.parameters)))
            continue
        name, what = FAN_OUT_LISTS[spec.per]
        lister = globals()[name]
        if spec.per not in listed:
            try:
                listed[spec.per] = lister(db)
            except Exception as exc:  # noqa: BLE001 - that report fails, the others run
                listed[spec.per] = exc
        projects = listed[spec.per]
        if isinstance(projects, Exception):
            broken[spec.name] = f"cannot list {what}: {projects}".splitlines()[0]
            continue
        for pid in projects:
            jobs.append(Job(spec, f"{spec.name}/{safe_stem(pid)}", pid,
                            {**spec.parameters, "project_id": pid}))
    return jobs, broken


def run_dates(out) -> list[str]:
    """Run folders of ``out`` (named YYYY-MM-DD), oldest first."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir()
                  if p.is_dir() and re.fullmatch(r"\d{4}-\d\d-\d\d", p.name))


def succeeded_periods(out, specs: list[ReportSpec], day: dt.date) -> set[tuple[str, str]]:
    """``(report, period)`` pairs that already succeeded, looking at the records in
    the run folders of ``day``'s period for each scheduled report."""
    done = set()
    dates = run_dates(out)
    for spec in specs:
        if spec.cadence is None:
            continue
        first, last = spec.cadence.bounds(day)
        period = spec.period(day)
        for folder in dates:
            if not first.isoformat() <= folder <= last.isoformat():
                continue
            record = read_record(Path(out) / folder / f"{spec.name}.json")
            # a run whose PDF (asked for) was not printed has not succeeded yet
            if (record and record.get("report") == spec.name and record.get("period") == period
                    and record.get("status") == "succeeded" and not record.get("pdf_error")):
                done.add((spec.name, period))
    return done


def select_reports(names=(), *, mode: str | None = None, schedule: list[ReportSpec] = (),
                   as_of=None, out="reports", notebooks_dir=None) -> list[ReportSpec]:
    """The reports a ``pmo report run`` means.

    Parameters
    ----------
    names : sequence of str
        Schedule entries or bare notebook names; they run whatever their cadence.
    mode : {None, "all", "due"}
        ``"all"``: every schedule entry and every notebook no entry uses;
        ``"due"``: the entries (or the named ones) that :func:`schedule.due_reports`
        says are due on ``as_of``, given the records already in ``out``.

    Raises
    ------
    ValueError
        A name that is neither a schedule entry nor a notebook.
    """

    by_name = {s.name: s for s in schedule}
    notebooks = available_reports(notebooks_dir)
    unknown = [n for n in names if n not in by_name and n not in notebooks]
    if unknown:
        raise ValueError(
            f"unknown report(s) {', '.join(unknown)}: scheduled reports are "
            f"{', '.join(by_name) or 'none'}; notebooks are {', '.join(notebooks) or 'none'}")
    named = [by_name.get(n) or ReportSpec(n, n) for n in dict.fromkeys(names)]
    if mode == "all":
        used = {s.notebook for s in schedule}
        return list(schedule) + [ReportSpec(n, n) for n in notebooks
                                 if n not in used and n not in by_name]
    if mode == "due":
        base = named or list(schedule)
        day = dt.date.fromisoformat(iso_day(as_of))
        return due_reports(base, day, succeeded_periods(out, base, day))
    return named

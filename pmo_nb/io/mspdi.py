"""Read a project plan from MS Project XML (MSPDI), as Microsoft Project, ProjectLibre and
GanttProject save it.

What is read, per task that is not a summary (UID 0, the project summary, and
summary tasks are not tasks of the plan): its UID (task id
``<project_id>-<UID>``, stable across saves, so a re-import updates the same
tasks), name, duration, percent complete and actual dates; and each
predecessor link with its type and lag. The file's units are its own:
durations are ISO 8601 (``PT8H0M0S``) against the project's
``MinutesPerDay``; ``LinkLag`` is in tenths of a minute whatever its
``LagFormat`` says (weeks, elapsed days); link ``Type`` 0 = FF, 1 = FS,
2 = SF, 3 = SS. Three-point durations are read where the file has them:
Microsoft Project's PERT fields Duration1 / Duration2 / Duration3
(optimistic / expected / pessimistic) as extended attributes; else the
duration is fixed. Why our own reader: no maintained Python MSPDI library
exists (MPXJ is Java); the standard library's XML parser does the parsing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from pmo_nb.errors import PROBLEM_COLUMNS, ValidationError

_NS = "{http://schemas.microsoft.com/project}"
#: Link Type codes of MSPDI and their names in the format.
LINK_TYPES = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}
#: Field ids of Microsoft Project's PERT durations (optimistic, expected, pessimistic).
PERT_FIELDS = {"188743783": "low", "188743784": "likely", "188743785": "high"}
_DURATION = re.compile(r"^-?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")

TASK_COLUMNS = ["task_id", "project_id", "name", "duration_likely", "duration_low",
                "duration_high", "team_id", "percent_complete", "actual_start", "actual_finish"]
LINK_COLUMNS = ["predecessor", "successor", "type", "lag"]


def fail(path, rule: str, value="", row=None, column=None):
    problem = {"file": str(path), "table": "tasks", "row": row, "column": column, "value": value,
               "rule": rule}
    frame = pd.DataFrame([problem]).reindex(columns=PROBLEM_COLUMNS)
    raise ValidationError(frame)


def duration_minutes(text: str | None) -> float | None:
    """Minutes of an ISO 8601 duration (``PT8H0M0S`` = 480); None when empty or unreadable."""
    if not text:
        return None
    found = _DURATION.match(text.strip())
    if not found:
        return None
    years, months, days, hours, minutes, seconds = (float(g) if g else 0.0
                                                     for g in found.groups())
    if years or months:
        return None
    return days * 24 * 60 + hours * 60 + minutes + seconds / 60


def _text(element, name: str) -> str | None:
    found = element.find(_NS + name)
    return None if found is None or found.text is None else found.text.strip()


def _day(text: str | None):
    return pd.NaT if not text else pd.Timestamp(text[:10])


def read_mspdi(path, project_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(tasks, task_links)`` of the plan in the MSPDI file ``path``, in the format's columns.

    Raises
    ------
    pmo_nb.ValidationError
        When the file is not readable MSPDI, naming the file (and the task or
        link and its field when one is at fault).
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError, ValueError) as exc:
        fail(path, f"not a readable MS Project XML file: {str(exc)[:160]}")
    if root.tag != _NS + "Project":
        fail(path, "not MS Project XML (MSPDI): the root element is not <Project> in the "
                    "http://schemas.microsoft.com/project namespace", root.tag[:80])
    per_day = float(_text(root, "MinutesPerDay") or 480)
    if per_day <= 0:
        fail(path, "MinutesPerDay must be positive", per_day, column="MinutesPerDay")
    tasks, summaries, links = [], set(), []
    for number, task in enumerate(root.iter(_NS + "Task"), start=1):
        uid = _text(task, "UID")
        if uid is None:
            fail(path, "every task needs a UID", "", row=number, column="UID")
        if uid == "0" or _text(task, "Summary") == "1" or _text(task, "IsNull") == "1":
            summaries.add(uid)
            continue
        tasks.append(_task(path, task, uid, project_id, per_day))
        for link in task.iter(_NS + "PredecessorLink"):
            links.append(_link(path, link, uid, project_id, per_day))
    known = {t["task_id"] for t in tasks}
    links = [k for k in links if k["predecessor"] in known]  # links to summaries are dropped
    return (pd.DataFrame(tasks, columns=TASK_COLUMNS), pd.DataFrame(links, columns=LINK_COLUMNS))


def _task(path, task, uid: str, project_id: str, per_day: float) -> dict:
    where = f"task UID {uid}"
    minutes = duration_minutes(_text(task, "Duration"))
    if _text(task, "Milestone") == "1":
        minutes = 0.0
    if minutes is None or minutes < 0:
        fail(path, f"{where}: Duration must be an ISO 8601 duration such as PT8H0M0S",
              _text(task, "Duration") or "", column="Duration")
    points = {}
    for attribute in task.iter(_NS + "ExtendedAttribute"):
        field = PERT_FIELDS.get(_text(attribute, "FieldID") or "")
        value = duration_minutes(_text(attribute, "Value"))
        if field and value is not None:
            points[field] = value / per_day
    likely = points.get("likely", minutes / per_day)
    low, high = points.get("low"), points.get("high")
    if low is None or high is None or not low <= likely <= high:
        low = high = None  # no usable three-point estimate: a fixed duration
    percent = float(_text(task, "PercentComplete") or 0)
    return {"task_id": f"{project_id}-{uid}", "project_id": project_id,
            "name": _text(task, "Name") or f"Task {uid}", "duration_likely": likely,
            "duration_low": low, "duration_high": high, "team_id": None,
            "percent_complete": percent,
            "actual_start": _day(_text(task, "ActualStart")) if percent > 0 else pd.NaT,
            "actual_finish": _day(_text(task, "ActualFinish")) if percent >= 100 else pd.NaT}


def _link(path, link, uid: str, project_id: str, per_day: float) -> dict:
    pred = _text(link, "PredecessorUID")
    kind = LINK_TYPES.get(_text(link, "Type") or "1")
    if pred is None or kind is None:
        fail(path, f"task UID {uid}: a PredecessorLink needs a PredecessorUID and a Type "
                    "0-3", _text(link, "Type") or "", column="PredecessorLink")
    try:
        lag = float(_text(link, "LinkLag") or 0) / 10.0 / per_day
    except ValueError:
        fail(path, f"task UID {uid}: LinkLag must be a number (tenths of a minute)",
              _text(link, "LinkLag"), column="LinkLag")
    return {"predecessor": f"{project_id}-{pred}", "successor": f"{project_id}-{uid}",
            "type": kind, "lag": lag}

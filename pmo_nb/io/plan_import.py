"""A project's plan from an MSPDI file, checked with the whole portfolio by the format's rules.

``pmo import plan.xml --project P001`` replaces that project's tasks and the
links from them; every rule of the format applies (a cycle, a link between
projects, a risk on a task the new plan no longer has), so the plan is
checked together with what the store holds. The store's tables are turned
back into text cells and validated with the plan's, exactly as a workbook
would be; problems in the plan name the XML file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from pmo_nb.io.mspdi import fail, read_mspdi
from pmo_nb.io.reading import RawTable, Workbook, format_number
from pmo_nb.io.validation import validate
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLES


def text_cells(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """A typed table back as text cells (None for empty), indexed by spreadsheet row."""
    out = pd.DataFrame(index=pd.RangeIndex(2, len(frame) + 2))
    kinds = {c.name: c.kind for c in TABLES[table].columns}
    for name in frame.columns:
        values = frame[name].tolist()
        kind = kinds.get(name, "text")
        if kind == "date":
            text = [None if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in values]
        elif kind == "number":
            text = [None if pd.isna(v) else format_number(float(v)) for v in values]
        elif kind == "bool":
            text = [None if pd.isna(v) else ("true" if bool(v) else "false") for v in values]
        else:
            text = [None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                    for v in values]
        out[name] = pd.Series(text, index=out.index, dtype="object")
    return out


def plan_workbook(current: Portfolio, path, project_id: str) -> Workbook:
    """The store's portfolio with ``project_id``'s plan replaced by the one in ``path``."""
    path = Path(path)
    tasks, links = read_mspdi(path, project_id)
    mine = current.tasks["project_id"].astype(str) == str(project_id)
    old_ids = set(current.tasks.loc[mine, "task_id"].astype(str))
    kept_tasks = current.tasks[~mine]
    kept_links = current.task_links[~current.task_links["predecessor"].astype(str).isin(old_ids)]
    replaced = {"tasks": (pd.concat([kept_tasks, tasks], ignore_index=True), path.name),
                "task_links": (pd.concat([kept_links, links], ignore_index=True), path.name)}
    return store_workbook(current, str(path), replaced, {path.name: _sha256(path)})


def store_workbook(current: Portfolio, source: str, replaced: dict | None = None,
                   file_checksums: dict | None = None) -> Workbook:
    """The store's portfolio as a workbook of text cells, to be validated as an import.

    ``replaced`` maps a table to ``(typed frame, location)`` used instead of
    the store's (problems in it name ``location``); the other tables point
    at ``store[table]``.
    """
    tables = {}
    for name, frame in current.tables().items():
        location = f"store[{name}]"
        if name in (replaced or {}):
            frame, location = replaced[name]
        if len(frame) or name == "projects":
            tables[name] = RawTable(name, location, text_cells(frame, name), stripped=True)
    return Workbook(source, tables, dict(file_checksums or {}))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_plan(current: Portfolio, path, project_id: str) -> tuple[Portfolio, Workbook]:
    """Validated portfolio with the new plan, and the workbook it was checked as.

    Raises
    ------
    pmo_nb.ValidationError
        When the file is not MSPDI, the project is unknown, or the plan
        breaks a rule of the format.
    """
    workbook = plan_workbook(current, path, project_id)
    if str(project_id) not in set(current.projects["project_id"].astype(str)):
        fail(path, f"unknown project {project_id!r}: import the project first", project_id,
              column="--project")
    return validate(workbook), workbook

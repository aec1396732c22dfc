"""The portfolio interchange format as data: tables, columns, types, keys.

This module is the single source of truth for the tables described in
``docs/portfolio-format.md``. Validation, the store, the templates and the
export all read it, so a column added here appears everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Column kinds and the pandas dtype each is held in once validated.
DTYPES: dict[str, str] = {
    "id": "str",
    "text": "str",
    "enum": "str",
    "month": "str",  # "YYYY-MM"
    "number": "float64",
    "date": "datetime64[ns]",
    "bool": "boolean",
}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Parameters
    ----------
    name : str
        Lower-case column name as it appears in the header.
    kind : str
        One of the keys of :data:`DTYPES`.
    required : bool
        The spec marks it ``*``: it must be present and non-empty.
    choices : tuple of str
        Allowed values for ``enum`` columns.
    default : object
        Value used when the cell is empty (for optional columns).
    ge, le, gt : float, optional
        Inclusive lower / upper bound and exclusive lower bound.
    references : tuple of (table, column), optional
        Foreign key: the value must exist in that table's column.
    """

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: object = None
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    references: tuple[str, str] | None = None
    #: The store revision that added the column to an existing table: while
    #: empty it is left out of the row hash, so rows stored before keep theirs.
    added: str | None = None


@dataclass(frozen=True)
class Table:
    """One table of the workbook.

    ``key`` is the set of columns that identifies a row (unique within the
    table). ``history`` says how the store keeps its past:

    - ``"entity"``: rows are merged by key; a changed row keeps its previous
      version with the time it was replaced (projects, risks, ...).
    - ``"event"``: rows accumulate across imports (status updates,
      measurements); a changed value at the same key is versioned too.
    - ``"plan"``: the rows of one project form a set; when a workbook brings
      rows for a project, that project's set is replaced (old rows kept as
      superseded versions); projects absent from the workbook keep theirs.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    history: str
    required: bool = False
    owner: str | None = None  # the column naming the owning project, for "plan"
    #: For "plan" tables whose owner column names a row of another table:
    #: (table, column) giving the project (task_links: predecessor -> tasks).
    owner_via: tuple[str, str] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        """Column names in spec order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def empty_frame(self) -> pd.DataFrame:
        """An empty DataFrame with this table's columns and dtypes."""
        return pd.DataFrame(
            {c.name: pd.Series(dtype=DTYPES[c.kind]) for c in self.columns}
        )


STAGES = ("proposed", "approved", "active", "on_hold", "completed", "cancelled")
RAGS = ("green", "amber", "red")
RISK_STATUSES = ("open", "closed", "occurred")
DIRECTIONS = ("increase", "decrease")
LINK_TYPES = ("FS", "SS", "FF", "SF")
PRIORITIES = ("must", "should", "could", "wont")
REQUIREMENT_STATUSES = ("proposed", "baselined", "in_progress", "done", "removed")
CHANGE_STATUSES = ("proposed", "approved", "rejected", "withdrawn")
DECISION_KINDS = ("gate", "funding", "reprioritisation", "risk", "benefit", "other")
DECISION_OUTCOMES = ("approved", "rejected", "deferred", "noted")
DECISION_STATUSES = ("open", "closed")
DIGESTS = ("weekly", "daily", "none")

_P = ("projects", "project_id")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "objectives",
            (
                Column("objective_id", "id", required=True),
                Column("name", "text", required=True),
                Column("weight", "number", required=True, ge=0),
                Column("description", "text"),
            ),
            key=("objective_id",),
            history="entity",
            notes=("at least one weight > 0",),
        ),
        Table(
            "projects",
            (
                Column("project_id", "id", required=True),
                Column("name", "text", required=True),
                Column("category", "text", required=True),
                Column("stage", "enum", required=True, choices=STAGES),
                Column("sponsor", "text"),
                Column("manager", "text"),
                Column("start_date", "date", required=True),
                Column("finish_date", "date", required=True),
                Column("budget", "number", required=True, ge=0),
                Column("mandatory", "bool", default=False),
                Column("actual_finish_date", "date"),
                Column("actual_cost", "number", ge=0),
                Column("business_value", "number"),
                Column("time_criticality", "number"),
                Column("risk_reduction", "number"),
                Column("job_size", "number", gt=0),
                Column("reach", "number"),
                Column("impact", "number"),
                Column("confidence", "number", ge=0, le=1),
                Column("effort", "number", gt=0),
            ),
            key=("project_id",),
            history="entity",
            required=True,
            notes=(
                "finish_date >= start_date",
                "actual_finish_date and actual_cost required when stage = completed",
                "actual_finish_date >= start_date",
            ),
        ),
        Table(
            "alignment",
            (
                Column("project_id", "id", required=True, references=_P),
                Column("objective_id", "id", required=True,
                       references=("objectives", "objective_id")),
                Column("score", "number", required=True, ge=0, le=5),
            ),
            key=("project_id", "objective_id"),
            history="plan",
            owner="project_id",
        ),
        Table(
            "status_updates",
            (
                Column("project_id", "id", required=True, references=_P),
                Column("as_of", "date", required=True),
                Column("percent_complete", "number", required=True, ge=0, le=100),
                Column("actual_cost", "number", required=True, ge=0),
                Column("planned_value", "number"),
                Column("earned_value", "number"),
                Column("rag", "enum", choices=RAGS),
                Column("commentary", "text"),
            ),
            key=("project_id", "as_of"),
            history="event",
        ),
        Table(
            "risks",
            (
                Column("risk_id", "id", required=True),
                Column("project_id", "id", references=_P),
                Column("title", "text", required=True),
                Column("category", "text"),
                Column("probability", "number", required=True, ge=0, le=1),
                Column("cost_low", "number", ge=0),
                Column("cost_likely", "number", ge=0),
                Column("cost_high", "number", ge=0),
                Column("delay_low", "number", ge=0),
                Column("delay_likely", "number", ge=0),
                Column("delay_high", "number", ge=0),
                Column("status", "enum", choices=RISK_STATUSES, default="open"),
                Column("owner", "text"),
                Column("mitigation", "text"),
                Column("mitigated_probability", "number", ge=0, le=1),
                Column("task_id", "id", references=("tasks", "task_id"), added="0003"),
            ),
            key=("risk_id",),
            history="entity",
            notes=(
                "cost_low/likely/high: all three or none; low <= likely <= high",
                "delay_low/likely/high: all three or none; low <= likely <= high",
                "task_id: the task must belong to the risk's project",
            ),
        ),
        Table(
            "benefits",
            (
                Column("benefit_id", "id", required=True),
                Column("project_id", "id", required=True, references=_P),
                Column("objective_id", "id", references=("objectives", "objective_id")),
                Column("name", "text", required=True),
                Column("unit", "text"),
                Column("direction", "enum", required=True, choices=DIRECTIONS),
                Column("baseline", "number", required=True),
                Column("target", "number", required=True),
                Column("realisation_start", "date"),
                Column("target_date", "date", required=True),
                Column("owner", "text"),
            ),
            key=("benefit_id",),
            history="entity",
            notes=(
                "target on the good side of baseline",
                "realisation_start defaults to the project's finish_date",
            ),
        ),
        Table(
            "benefit_measurements",
            (
                Column("benefit_id", "id", required=True,
                       references=("benefits", "benefit_id")),
                Column("date", "date", required=True),
                Column("value", "number", required=True),
            ),
            key=("benefit_id", "date"),
            history="event",
        ),
        Table(
            "teams",
            (
                Column("team_id", "id", required=True),
                Column("name", "text", required=True),
                Column("capacity_fte", "number", required=True, ge=0),
            ),
            key=("team_id",),
            history="entity",
        ),
        Table(
            "demand",
            (
                Column("project_id", "id", required=True, references=_P),
                Column("team_id", "id", required=True, references=("teams", "team_id")),
                Column("month", "month", required=True),
                Column("fte", "number", required=True, ge=0),
            ),
            key=("project_id", "team_id", "month"),
            history="plan",
            owner="project_id",
        ),
        Table(
            "dependencies",
            (
                Column("project_id", "id", required=True, references=_P),
                Column("depends_on", "id", required=True, references=_P),
                Column("lag_days", "number", default=0.0),
            ),
            key=("project_id", "depends_on"),
            history="plan",
            owner="project_id",
            notes=("no self-dependency", "no cycle"),
        ),
        Table(
            "tasks",
            (
                Column("task_id", "id", required=True),
                Column("project_id", "id", required=True, references=_P),
                Column("name", "text", required=True),
                Column("duration_likely", "number", required=True, ge=0),
                Column("duration_low", "number", ge=0), Column("duration_high", "number", ge=0),
                Column("team_id", "id", references=("teams", "team_id")),
                Column("percent_complete", "number", ge=0, le=100, default=0.0),
                Column("actual_start", "date"), Column("actual_finish", "date"),
            ),
            key=("task_id",),
            history="plan",
            owner="project_id",
            notes=(
                "task_id unique across the workbook",
                "duration_low, duration_high: both or neither; low <= likely <= high",
                "actual_start required when percent_complete > 0",
                "actual_finish required when percent_complete = 100; >= actual_start",
            ),
        ),
        Table(
            "task_links",
            (
                Column("predecessor", "id", required=True, references=("tasks", "task_id")),
                Column("successor", "id", required=True, references=("tasks", "task_id")),
                Column("type", "enum", choices=LINK_TYPES, default="FS"),
                Column("lag", "number", default=0.0),
            ),
            key=("predecessor", "successor"),
            history="plan",
            owner="predecessor",
            owner_via=("tasks", "project_id"),
            notes=("successor in the predecessor's project, not the predecessor itself",
                   "no cycle"),
        ),
        Table(
            "holidays",
            (Column("date", "date", required=True), Column("name", "text")),
            key=("date",),
            history="entity",
        ),
        Table(
            "requirements",
            (
                Column("requirement_id", "id", required=True),
                Column("project_id", "id", required=True, references=_P),
                Column("title", "text", required=True),
                Column("size", "number", gt=0, default=1.0),
                Column("priority", "enum", choices=PRIORITIES),
                Column("status", "enum", required=True, choices=REQUIREMENT_STATUSES),
                Column("baseline", "bool", required=True),
                Column("added_date", "date", required=True),
                Column("removed_date", "date"),
                Column("change_id", "id", references=("change_requests", "change_id")),
            ),
            key=("requirement_id",),
            history="plan",
            owner="project_id",
            notes=("removed_date required when status = removed; >= added_date",),
        ),
        Table(
            "change_requests",
            (
                Column("change_id", "id", required=True),
                Column("project_id", "id", required=True, references=_P),
                Column("title", "text", required=True),
                Column("raised_date", "date", required=True),
                Column("status", "enum", required=True, choices=CHANGE_STATUSES),
                Column("decided_date", "date"), Column("decided_by", "text"),
                Column("cost_impact", "number"), Column("schedule_impact_days", "number"),
                Column("scope_impact", "number"), Column("benefit_impact", "number"),
                Column("benefit_id", "id", references=("benefits", "benefit_id")),
                Column("reason", "text"),
            ),
            key=("change_id",),
            history="entity",
            notes=("decided_date, decided_by required when decided; >= raised_date",),
        ),
        Table(
            "decisions",
            (
                Column("decision_id", "id", required=True),
                Column("date", "date", required=True),
                Column("forum", "text", required=True),
                Column("title", "text", required=True),
                Column("project_id", "id", references=_P),
                Column("kind", "enum", choices=DECISION_KINDS),
                Column("outcome", "enum", choices=DECISION_OUTCOMES),
                Column("stage_to", "enum", choices=STAGES),
                Column("owner", "text"), Column("due_date", "date"),
                Column("decided_date", "date"),
                Column("status", "enum", required=True, choices=DECISION_STATUSES),
            ),
            key=("decision_id",),
            history="entity",
            notes=("decided_date required with an outcome; it and due_date >= date",),
        ),
        Table(
            "people",
            (
                Column("name", "text", required=True), Column("email", "text"),
                Column("role", "text"), Column("digest", "enum", choices=DIGESTS, default="weekly"),
            ),
            key=("name",),
            history="entity",
            notes=("email: one @, no spaces",),
        ),
    )
}

#: Table names in the spec's order.
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


def coerce_types(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Cast the spec columns of ``frame`` to their dtypes, in spec order.

    Columns missing from ``frame`` are added empty; extra columns (attributes
    the organisation keeps beyond the spec) follow the spec columns unchanged.
    Used after validation and after reading from the store, so a Portfolio
    has the same dtypes whichever way it was loaded.
    """
    spec = TABLES[table]
    out = {}
    for col in spec.columns:
        dtype = DTYPES[col.kind]
        if col.name in frame:
            series = frame[col.name]
            if series.dtype == pd.api.types.pandas_dtype(dtype):  # str: default storage
                pass  # held in its dtype already (a typed table): each cast below is a no-op
            elif col.kind == "date":
                series = pd.to_datetime(series).astype(dtype)
            elif col.kind == "bool":
                series = series.astype("boolean")
            elif col.kind in ("id", "text", "enum", "month"):
                series = series.astype("str").where(series.notna(), None)
                series = series.astype("str")
            else:
                series = pd.to_numeric(series).astype(dtype)
        else:
            series = pd.Series(
                [col.default] * len(frame) if col.default is not None else None,
                index=frame.index,
                dtype=dtype,
            )
        out[col.name] = series
    extras = [c for c in frame.columns if c not in spec.column_names]
    result = pd.DataFrame(out, index=frame.index)
    for c in extras:
        result[c] = frame[c]
    return result.reset_index(drop=True)

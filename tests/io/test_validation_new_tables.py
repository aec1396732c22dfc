"""The rules of the plan and governance tables, each yielding exactly its problem.

Like ``test_validation.py``: start from the template's example workbook
(valid), break one thing, compare the whole problem list.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_nb.errors import ValidationError
from pmo_nb.io.blank_workbook import example_workbook
from pmo_nb.io.reading import Workbook
from pmo_nb.io.validation import validate


def set_cell(book: Workbook, table: str, row: int, column: str, value) -> None:
    book.tables[table].frame.loc[row, column] = value


def add_row(book: Workbook, table: str, **cells) -> int:
    """Append a row (copying the first row, then ``cells``); return its sheet row."""
    frame = book.tables[table].frame
    row = int(frame.index.max()) + 1
    frame.loc[row] = frame.iloc[0]
    for col, value in cells.items():
        frame.loc[row, col] = value
    return row


def problems(book: Workbook) -> list[dict]:
    with pytest.raises(ValidationError) as info:
        validate(book)
    records = info.value.problems.astype(object).to_dict("records")
    return [{k: (None if v is pd.NA else v) for k, v in r.items()} for r in records]


def one(table, row, column, value, rule) -> list[dict]:
    return [dict(file=f"{table}.csv", table=table, row=row, column=column, value=value,
                 rule=rule)]


# (table, row, column, bad text, expected column, expected value, rule)
RULES = [
    ("tasks", 2, "duration_high", None, "duration_low, duration_high", "10, ",
     "duration_low, duration_high: give both or neither"),
    ("tasks", 2, "duration_low", "20", "duration_low, duration_likely, duration_high",
     "20, 15, 25", "must satisfy duration_low <= duration_likely <= duration_high"),
    ("tasks", 2, "duration_high", "12", "duration_low, duration_likely, duration_high",
     "10, 15, 12", "must satisfy duration_low <= duration_likely <= duration_high"),
    ("tasks", 2, "duration_low", "-1", "duration_low", "-1", "must be >= 0"),
    ("tasks", 3, "percent_complete", "40", "actual_start", None,
     "required when percent_complete > 0"),
    ("tasks", 2, "percent_complete", "101", "percent_complete", "101",
     "must be between 0 and 100"),
    ("tasks", 2, "actual_finish", None, "actual_finish", None,
     "required when percent_complete = 100"),
    ("tasks", 2, "actual_finish", "2026-01-02", "actual_finish", "2026-01-02",
     "actual_finish must be >= actual_start"),
    ("tasks", 2, "team_id", "T99", "team_id", "T99", "must exist in teams.team_id"),
    ("tasks", 2, "project_id", "P404", "project_id", "P404", "must exist in projects.project_id"),
    ("task_links", 2, "successor", "TK001", "successor", "TK001",
     "a task cannot be linked to itself"),
    ("task_links", 2, "successor", "TK404", "successor", "TK404", "must exist in tasks.task_id"),
    ("task_links", 2, "type", "XX", "type", "XX", "must be one of: FS, SS, FF, SF"),
    ("task_links", 2, "lag", "soon", "lag", "soon", "must be a number"),
    ("risks", 2, "task_id", "TK404", "task_id", "TK404", "must exist in tasks.task_id"),
    ("requirements", 2, "status", "removed", "removed_date", None,
     "required when status = removed"),
    ("requirements", 2, "removed_date", "2025-12-31", "removed_date", "2025-12-31",
     "removed_date must be >= added_date"),
    ("requirements", 2, "size", "0", "size", "0", "must be > 0"),
    ("requirements", 2, "baseline", None, "baseline", None, "required: must not be empty"),
    ("requirements", 2, "change_id", "CR404", "change_id", "CR404",
     "must exist in change_requests.change_id"),
    ("requirements", 2, "priority", "nice", "priority", "nice",
     "must be one of: must, should, could, wont"),
    ("change_requests", 2, "decided_date", None, "decided_date", None,
     "required when status is approved or rejected"),
    ("change_requests", 2, "decided_by", None, "decided_by", None,
     "required when status is approved or rejected"),
    ("change_requests", 2, "decided_date", "2026-02-09", "decided_date", "2026-02-09",
     "decided_date must be >= raised_date"),
    ("change_requests", 2, "benefit_id", "B404", "benefit_id", "B404",
     "must exist in benefits.benefit_id"),
    ("change_requests", 2, "status", "maybe", "status", "maybe",
     "must be one of: proposed, approved, rejected, withdrawn"),
    ("decisions", 2, "decided_date", None, "decided_date", None,
     "required when outcome is given"),
    ("decisions", 2, "due_date", "2026-02-23", "due_date", "2026-02-23",
     "due_date must be >= date"),
    ("decisions", 2, "decided_date", "2026-02-01", "decided_date", "2026-02-01",
     "decided_date must be >= date"),
    ("decisions", 2, "stage_to", "launched", "stage_to", "launched",
     "must be one of: proposed, approved, active, on_hold, completed, cancelled"),
    ("decisions", 2, "project_id", "P404", "project_id", "P404",
     "must exist in projects.project_id"),
    ("decisions", 2, "forum", None, "forum", None, "required: must not be empty"),
    ("people", 2, "email", "a manager@example.org", "email", "a manager@example.org",
     "must be an e-mail address (one @, no spaces)"),
    ("people", 2, "email", "a@b@example.org", "email", "a@b@example.org",
     "must be an e-mail address (one @, no spaces)"),
    ("people", 2, "email", "nobody", "email", "nobody",
     "must be an e-mail address (one @, no spaces)"),
    ("people", 2, "digest", "monthly", "digest", "monthly",
     "must be one of: weekly, daily, none"),
]


@pytest.mark.parametrize("table,row,column,bad,want_column,want_value,rule", RULES,
                         ids=[f"{r[0]}.{r[2]}={r[3]}" for r in RULES])
def test_rule(table, row, column, bad, want_column, want_value, rule):
    book = example_workbook()
    set_cell(book, table, row, column, bad)
    assert problems(book) == one(table, row, want_column, want_value, rule)


def test_task_ids_are_unique_across_the_workbook():
    book = example_workbook()
    row = add_row(book, "tasks", project_id="P000")  # TK001 again, in another project
    assert problems(book) == one("tasks", row, "task_id", "TK001",
                                 "duplicate task_id: each task_id must be unique across the "
                                 "workbook")


def test_a_link_between_two_projects_is_refused():
    book = example_workbook()
    add_row(book, "tasks", task_id="TK003", project_id="P000", percent_complete="0",
            actual_start=None, actual_finish=None)
    set_cell(book, "task_links", 2, "successor", "TK003")
    assert problems(book) == one(
        "task_links", 2, "successor", "TK003",
        "a link must join tasks of one project: the predecessor is in P001, the successor "
        "in P000")


def test_a_link_repeated_is_one_problem():
    book = example_workbook()
    row = add_row(book, "task_links", type="SS")
    assert problems(book) == one(
        "task_links", row, "predecessor, successor", "TK001, TK002",
        "duplicate key (predecessor, successor): one row per pair of tasks (predecessor and "
        "successor)")


def test_link_cycles_are_reported_with_their_members_in_order():
    book = example_workbook()
    for task in ("TK003", "TK004", "TK005"):
        add_row(book, "tasks", task_id=task, percent_complete="0", actual_start=None,
                actual_finish=None)
    for pred, succ in (("TK002", "TK003"), ("TK003", "TK004"), ("TK004", "TK002"),
                       ("TK005", "TK005")):
        add_row(book, "task_links", predecessor=pred, successor=succ)
    assert problems(book) == [
        dict(file="task_links.csv", table="task_links", row=3, column="successor",
             value="TK003", rule="task link cycle: TK002 -> TK003 -> TK004 -> TK002"),
        dict(file="task_links.csv", table="task_links", row=6, column="successor",
             value="TK005", rule="a task cannot be linked to itself"),
    ]


def test_a_risks_task_belongs_to_the_risks_project():
    book = example_workbook()
    add_row(book, "tasks", task_id="TK003", project_id="P000")
    set_cell(book, "risks", 2, "task_id", "TK003")
    rule = "the task belongs to project P000: it must belong to the risk's project"
    assert problems(book) == one("risks", 2, "task_id", "TK003", rule)
    set_cell(book, "risks", 2, "task_id", "TK002")
    set_cell(book, "risks", 2, "project_id", None)  # a portfolio-level risk has no task
    assert problems(book) == one("risks", 2, "task_id", "TK002", rule.replace("P000", "P001"))
    set_cell(book, "risks", 2, "project_id", "P001")
    assert validate(book).risks.at[0, "task_id"] == "TK002"


def test_duplicate_people_and_holidays():
    book = example_workbook()
    person = add_row(book, "people", email="other@example.org")
    day = add_row(book, "holidays", name="Christmas")
    assert problems(book) == [
        *one("holidays", day, "date", "2026-12-25", "duplicate date: each date must be unique"),
        *one("people", person, "name", "A. Manager", "duplicate name: each name must be unique"),
    ]


def test_every_problem_of_the_new_tables_at_once_and_nothing_else():
    book = example_workbook()
    set_cell(book, "tasks", 3, "percent_complete", "100")
    set_cell(book, "change_requests", 2, "status", "rejected")
    set_cell(book, "change_requests", 2, "decided_by", None)
    set_cell(book, "decisions", 2, "outcome", None)  # open again: no decided_date needed
    set_cell(book, "decisions", 2, "decided_date", None)
    found = [(p["table"], p["row"], p["column"]) for p in problems(book)]
    assert found == [("tasks", 3, "actual_start"), ("tasks", 3, "actual_finish"),
                     ("change_requests", 2, "decided_by")]


def test_defaults_and_spellings_of_the_new_tables():
    book = example_workbook()
    set_cell(book, "task_links", 2, "type", None)
    set_cell(book, "task_links", 2, "lag", None)
    set_cell(book, "requirements", 2, "size", None)
    set_cell(book, "people", 2, "digest", None)
    set_cell(book, "tasks", 3, "percent_complete", None)
    portfolio = validate(book)
    assert portfolio.task_links.loc[0, ["type", "lag"]].tolist() == ["FS", 0.0]
    assert portfolio.requirements.at[0, "size"] == 1.0
    assert portfolio.people.at[0, "digest"] == "weekly"
    assert portfolio.tasks.at[1, "percent_complete"] == 0.0
    set_cell(book, "task_links", 2, "type", " ss ")
    set_cell(book, "people", 2, "digest", "Daily")
    portfolio = validate(book)
    assert portfolio.task_links.at[0, "type"] == "SS"
    assert portfolio.people.at[0, "digest"] == "daily"
    assert str(portfolio.requirements["baseline"].dtype) == "boolean"
    assert str(portfolio.holidays["date"].dtype) == "datetime64[ns]"

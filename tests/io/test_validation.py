"""Each rule of the format yields exactly the expected problem row.

The tests start from the template's example workbook (valid, consistent
across tables), break one thing, and compare the whole problem list.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_nb.errors import ValidationError
from pmo_nb.io.blank_workbook import example_workbook
from pmo_nb.io.cell_parsers import parse_numbers
from pmo_nb.io.reading import RawTable, Workbook, read_workbook
from pmo_nb.io.validation import check_references, validate
from pmo_nb.schema import DTYPES, TABLES


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


def one(table, row, column, value, rule, file=None) -> list[dict]:
    return [dict(file=file or f"{table}.csv", table=table, row=row, column=column,
                 value=value, rule=rule)]


def test_example_workbook_is_valid():
    portfolio = validate(example_workbook())
    assert len(portfolio.projects) == 2
    assert portfolio.notices == []


# (table, row, column, bad text, expected column, expected value, rule)
CELL_RULES = [
    ("projects", 2, "name", None, "name", None, "required: must not be empty"),
    ("projects", 2, "budget", "lots", "budget", "lots", "must be a number"),
    ("projects", 2, "budget", "1234,5", "budget", "1234,5", "must be a number"),
    ("projects", 2, "start_date", "05/01/2026", "start_date", "05/01/2026",
     "must be a date YYYY-MM-DD"),
    ("projects", 2, "finish_date", "2026-02-30", "finish_date", "2026-02-30",
     "must be a date YYYY-MM-DD"),
    ("demand", 2, "month", "2026-4", "month", "2026-4", "must be a month YYYY-MM"),
    ("demand", 2, "month", "2026-04-01", "month", "2026-04-01", "must be a month YYYY-MM"),
    ("projects", 2, "mandatory", "maybe", "mandatory", "maybe",
     "must be true/false, yes/no or 1/0"),
    ("projects", 2, "stage", "finished", "stage", "finished",
     "must be one of: proposed, approved, active, on_hold, completed, cancelled"),
    ("status_updates", 2, "rag", "purple", "rag", "purple", "must be one of: green, amber, red"),
    ("projects", 2, "budget", "-1", "budget", "-1", "must be >= 0"),
    ("teams", 2, "capacity_fte", "-2", "capacity_fte", "-2", "must be >= 0"),
    ("demand", 2, "fte", "-1", "fte", "-1", "must be >= 0"),
    ("status_updates", 2, "actual_cost", "-10", "actual_cost", "-10", "must be >= 0"),
    ("alignment", 2, "score", "6", "score", "6", "must be between 0 and 5"),
    ("status_updates", 2, "percent_complete", "120", "percent_complete", "120",
     "must be between 0 and 100"),
    ("risks", 2, "probability", "1.2", "probability", "1.2", "must be between 0 and 1"),
    ("risks", 2, "mitigated_probability", "-0.1", "mitigated_probability", "-0.1",
     "must be between 0 and 1"),
    ("projects", 2, "confidence", "1.5", "confidence", "1.5", "must be between 0 and 1"),
    ("projects", 2, "job_size", "0", "job_size", "0", "must be > 0"),
    ("projects", 2, "effort", "0", "effort", "0", "must be > 0"),
    ("projects", 2, "finish_date", "2025-12-31", "finish_date", "2025-12-31",
     "finish_date must be >= start_date"),
    ("projects", 3, "actual_finish_date", None, "actual_finish_date", None,
     "required when stage = completed"),
    ("projects", 3, "actual_cost", None, "actual_cost", None, "required when stage = completed"),
    ("projects", 3, "actual_finish_date", "2025-01-31", "actual_finish_date", "2025-01-31",
     "actual_finish_date must be >= start_date"),
    ("risks", 2, "cost_likely", None, "cost_low, cost_likely, cost_high", "20000, , 120000",
     "cost_low, cost_likely, cost_high: give all three or none"),
    ("risks", 2, "cost_low", "60000", "cost_low, cost_likely, cost_high", "60000, 50000, 120000",
     "must satisfy cost_low <= cost_likely <= cost_high"),
    ("risks", 2, "delay_high", "20", "delay_low, delay_likely, delay_high", "10, 30, 20",
     "must satisfy delay_low <= delay_likely <= delay_high"),
    ("benefits", 2, "target", "400000", "target", "400000",
     "target must be above baseline when direction = increase"),
    ("dependencies", 2, "depends_on", "P001", "depends_on", "P001",
     "a project cannot depend on itself"),
    ("alignment", 2, "objective_id", "OBJ9", "objective_id", "OBJ9",
     "must exist in objectives.objective_id"),
    ("alignment", 2, "project_id", "P404", "project_id", "P404",
     "must exist in projects.project_id"),
    ("status_updates", 2, "project_id", "P404", "project_id", "P404",
     "must exist in projects.project_id"),
    ("risks", 2, "project_id", "P404", "project_id", "P404", "must exist in projects.project_id"),
    ("benefits", 2, "objective_id", "OBJ9", "objective_id", "OBJ9",
     "must exist in objectives.objective_id"),
    ("benefit_measurements", 2, "benefit_id", "B9", "benefit_id", "B9",
     "must exist in benefits.benefit_id"),
    ("demand", 2, "team_id", "T99", "team_id", "T99", "must exist in teams.team_id"),
    ("dependencies", 2, "depends_on", "P404", "depends_on", "P404",
     "must exist in projects.project_id"),
]


@pytest.mark.parametrize(
    "table,row,column,bad,want_column,want_value,rule", CELL_RULES,
    ids=[f"{r[0]}.{r[2]}={r[3]}" for r in CELL_RULES],
)
def test_cell_rule(table, row, column, bad, want_column, want_value, rule):
    book = example_workbook()
    set_cell(book, table, row, column, bad)
    assert problems(book) == one(table, row, want_column, want_value, rule)


def test_benefit_target_must_be_below_baseline_when_decreasing():
    book = example_workbook()
    set_cell(book, "benefits", 2, "direction", "decrease")
    assert problems(book) == one("benefits", 2, "target", "650000",
                                 "target must be below baseline when direction = decrease")


def test_missing_required_column_is_one_problem():
    book = example_workbook()
    frame = book.tables["projects"].frame
    book.tables["projects"].frame = frame.drop(columns="category")
    assert problems(book) == one("projects", None, "category", None, "missing required column")


def test_empty_file_reports_each_required_column(tmp_path):
    (tmp_path / "projects.csv").write_bytes(b"")
    found = problems(read_workbook(tmp_path))
    assert [p["column"] for p in found] == [
        c.name for c in TABLES["projects"].columns if c.required]
    assert {(p["row"], p["rule"]) for p in found} == {(None, "missing required column")}


def test_missing_projects_table():
    book = example_workbook()
    del book.tables["projects"]
    book.source = "/data/book.xlsx"
    found = problems(book)
    assert found[0] == one(
        "projects", None, None, None,
        "missing required table projects (a projects.csv file or a projects sheet)",
        file="book.xlsx[projects]",
    )[0]
    # every reference to a project now fails too, and is reported as well
    assert {p["rule"] for p in found[1:]} == {"must exist in projects.project_id"}


def test_duplicate_id():
    book = example_workbook()
    row = add_row(book, "objectives", name="Another")
    assert problems(book) == one("objectives", row, "objective_id", "OBJ1",
                                 "duplicate objective_id: each objective_id must be unique")


@pytest.mark.parametrize("table,value,rule", [
    ("status_updates", "P001, 2026-03-31",
     "duplicate key (project_id, as_of): one row per project and date"),
    ("alignment", "P001, OBJ1",
     "duplicate key (project_id, objective_id): one row per project and objective"),
    ("demand", "P001, T01, 2026-04",
     "duplicate key (project_id, team_id, month): one row per project, team and month"),
    ("benefit_measurements", "B001, 2026-03-31",
     "duplicate key (benefit_id, date): one row per benefit and date"),
])
def test_duplicate_composite_key(table, value, rule):
    book = example_workbook()
    row = add_row(book, table)
    assert problems(book) == one(table, row, ", ".join(TABLES[table].key), value, rule)


def test_at_least_one_objective_weight_positive():
    book = example_workbook()
    set_cell(book, "objectives", 2, "weight", "0")
    assert problems(book) == one("objectives", None, "weight", None,
                                 "at least one objective weight must be > 0")


def test_negative_weight_of_the_only_objective_breaks_two_rules():
    book = example_workbook()
    set_cell(book, "objectives", 2, "weight", "-0.5")
    assert problems(book) == [
        one("objectives", None, "weight", None, "at least one objective weight must be > 0")[0],
        one("objectives", 2, "weight", "-0.5", "must be >= 0")[0],
    ]


def test_empty_optional_references_are_allowed():
    book = example_workbook()
    set_cell(book, "risks", 2, "project_id", None)
    set_cell(book, "benefits", 2, "objective_id", None)
    portfolio = validate(book)
    assert portfolio.risks["project_id"].isna().all()
    assert portfolio.benefits["objective_id"].isna().all()


def test_unnamed_and_repeated_columns():
    book = example_workbook()
    frame = book.tables["teams"].frame
    book.tables["teams"].frame = pd.concat(
        [frame, pd.DataFrame({"": ["note"], "name": ["dup"]}, index=frame.index, dtype=object)],
        axis=1,
    )
    assert problems(book) == [
        one("teams", None, "name", None, "column appears twice: keep one")[0],
        one("teams", 2, "(column 4)", "note",
            "column has values but no header: name it or delete it")[0],
    ]


def test_unparseable_cell_is_not_reported_twice():
    book = example_workbook()
    set_cell(book, "projects", 3, "actual_cost", "n/a")  # completed project
    assert problems(book) == one("projects", 3, "actual_cost", "n/a", "must be a number")


def test_every_problem_across_tables_is_reported_at_once():
    book = example_workbook()
    set_cell(book, "projects", 2, "budget", "-1")
    set_cell(book, "projects", 3, "stage", "done")
    set_cell(book, "risks", 2, "probability", "high")
    set_cell(book, "demand", 2, "team_id", "T99")
    set_cell(book, "objectives", 2, "name", None)
    found = [(p["file"], p["row"], p["column"]) for p in problems(book)]
    assert found == [
        ("objectives.csv", 2, "name"),
        ("projects.csv", 2, "budget"),
        ("projects.csv", 3, "stage"),
        ("risks.csv", 2, "probability"),
        ("demand.csv", 2, "team_id"),
    ]


def dependency_book(pairs: list[tuple[str, str]]) -> Workbook:
    book = example_workbook()
    ids = sorted({p for pair in pairs for p in pair})
    for pid in ids:
        add_row(book, "projects", project_id=pid)
    book.tables["dependencies"].frame = pd.DataFrame(
        pairs, columns=["project_id", "depends_on"], index=range(2, 2 + len(pairs)),
        dtype=object,
    )
    return book


def test_cycle_members_in_order():
    book = dependency_book([("P1", "P4"), ("P2", "P3"), ("P3", "P1"), ("P1", "P2"),
                            ("P7", "P8"), ("P8", "P7")])
    assert problems(book) == [
        dict(file="dependencies.csv", table="dependencies", row=3, column="depends_on",
             value="P3", rule="dependency cycle: P2 -> P3 -> P1 -> P2"),
        dict(file="dependencies.csv", table="dependencies", row=6, column="depends_on",
             value="P8", rule="dependency cycle: P7 -> P8 -> P7"),
    ]


def test_check_references_on_typed_portfolio():
    portfolio = validate(dependency_book([("P1", "P2")]))
    portfolio.dependencies.loc[1] = ["P2", "P1", 0.0]
    portfolio.alignment.loc[0, "objective_id"] = "OBJ9"
    found = check_references(portfolio)
    assert found.astype(object).where(found.notna(), None).to_dict("records") == [
        dict(file="alignment", table="alignment", row=None, column="objective_id",
             value="OBJ9", rule="must exist in objectives.objective_id"),
        dict(file="dependencies", table="dependencies", row=None, column="depends_on",
             value="P2", rule="dependency cycle: P1 -> P2 -> P1"),
    ]
    assert check_references(validate(example_workbook())).empty


def test_defaults_after_validation():
    book = example_workbook()
    for table, column in [("projects", "mandatory"), ("risks", "status"),
                          ("dependencies", "lag_days"), ("benefits", "realisation_start")]:
        set_cell(book, table, 2, column, None)
    portfolio = validate(book)
    assert portfolio.projects["mandatory"].tolist() == [False, True]
    assert portfolio.risks["status"].tolist() == ["open"]
    assert portfolio.dependencies["lag_days"].tolist() == [0.0]
    assert portfolio.benefits["realisation_start"].tolist() == [pd.Timestamp("2026-12-18")]


def test_enum_and_bool_spellings_are_normalised():
    book = example_workbook()
    set_cell(book, "projects", 2, "stage", " Active ")
    set_cell(book, "projects", 2, "mandatory", "YES")
    portfolio = validate(book)
    assert portfolio.projects.loc[0, "stage"] == "active"
    assert bool(portfolio.projects.loc[0, "mandatory"]) is True


def test_missing_optional_tables_are_empty_typed_frames():
    book = example_workbook()
    book.tables = {"projects": book.tables["projects"]}
    portfolio = validate(book)
    for name, frame in portfolio.tables().items():
        if name == "projects":
            continue
        assert frame.empty
        assert list(frame.columns) == TABLES[name].column_names
        want = [DTYPES[c.kind] for c in TABLES[name].columns]
        assert [str(t) for t in frame.dtypes] == [str(pd.Series(dtype=t).dtype) for t in want]


def test_extra_columns_kept_as_text_with_one_notice_each():
    book = example_workbook()
    frame = book.tables["projects"].frame
    frame["region"] = ["North", None]
    frame["cost_centre"] = ["0042", "0043"]
    book.notices.append("ignored notes.txt: not one of the portfolio tables")
    portfolio = validate(book)
    assert portfolio.projects.columns[-2:].tolist() == ["region", "cost_centre"]
    assert portfolio.projects["cost_centre"].tolist() == ["0042", "0043"]
    assert portfolio.projects["region"].iloc[0] == "North"
    assert portfolio.projects["region"].isna().iloc[1]
    assert portfolio.notices == [
        "ignored notes.txt: not one of the portfolio tables",
        "projects.csv: extra column 'region' kept as an attribute",
        "projects.csv: extra column 'cost_centre' kept as an attribute",
    ]


def test_header_only_table_is_empty():
    book = example_workbook()
    cols = TABLES["risks"].column_names
    book.tables["risks"] = RawTable("risks", "risks.csv",
                                    pd.DataFrame(columns=cols, dtype=object))
    assert validate(book).risks.empty


@pytest.mark.parametrize("text,decimal_comma,want", [
    ("1234.5", False, 1234.5),
    ("1,234.5", False, 1234.5),
    ("1e6", False, 1e6),
    ("-0.25", False, -0.25),
    ("1234,5", False, None),
    ("1234,5", True, 1234.5),
    ("1.234,5", True, 1234.5),
    ("1.234.567", True, 1234567.0),
    ("1 234,5", True, 1234.5),
    ("1\u00a0234,5", True, 1234.5),
    ("0.5", True, 0.5),
    ("12abc", True, None),
    ("1.23.4", False, None),
])
def test_parse_numbers(text, decimal_comma, want):
    got = parse_numbers(pd.Series([text], dtype=object), decimal_comma).iloc[0]
    assert (pd.isna(got) and want is None) or got == want


def test_number_fast_path_agrees_with_the_regular_expressions():
    """Plain decimals skip the regexes; every text must still read as the regexes read it."""
    import random

    from pmo_nb.io.cell_parsers import _normalise_numbers

    rng = random.Random(5)
    alphabet = list("0123456789") * 3 + list("-+.,eE ;x\u00a0'") + ["\x00", "\u0661"]
    texts = [None if rng.random() < 0.1 else
             "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
             for _ in range(5000)]
    texts += ["1.", "-1", "-", "-.5", "007", "1.2.3", "12\x00", "1" * 40, "1.234", "1,5"]
    cells = pd.Series(texts * 2, dtype=object)  # repeated texts: parsed once, spread back
    for decimal_comma in (False, True):
        reference = pd.to_numeric(_normalise_numbers(cells, decimal_comma), errors="coerce")
        got = parse_numbers(cells, decimal_comma)
        pd.testing.assert_series_equal(got, reference.astype("float64"))
    assert parse_numbers(pd.Series(["1.234"]), True).tolist() == [1234.0]
    assert parse_numbers(pd.Series(["1.234"]), False).tolist() == [1.234]

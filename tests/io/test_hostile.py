"""Hostile inputs end in a Portfolio or a ValidationError naming the cell, never a traceback."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_nb.errors import ValidationError
from pmo_nb.io.reading import read_workbook
from pmo_nb.io.validation import validate

HEADER = "project_id,name,category,stage,start_date,finish_date,budget\n"
PROJECTS = HEADER + "P1,Shop,IT,active,2026-01-05,2026-12-18,1500000\n"


def write(folder, name, data):
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def problems_of(source) -> pd.DataFrame:
    with pytest.raises(ValidationError) as info:
        validate(read_workbook(source))
    return info.value.problems


def test_projects_with_only_a_header_is_an_empty_portfolio(tmp_path):
    write(tmp_path, "projects.csv", HEADER)
    write(tmp_path, "benefit_measurements.csv", "benefit_id,date,value\n")
    portfolio = validate(read_workbook(tmp_path))
    assert portfolio.projects.empty
    assert str(portfolio.projects["start_date"].dtype) == "datetime64[ns]"


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04trunc", PROJECTS.encode()],
                         ids=["empty", "truncated", "renamed-csv"])
def test_unreadable_xlsx_is_a_problem_naming_the_file(tmp_path, data):
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    found = problems_of(path)
    assert found["file"].tolist() == ["book.xlsx"]
    assert "not a readable .xlsx workbook" in found["rule"].iloc[0]


def test_truncated_real_workbook_is_a_problem(tmp_path):
    from pmo_nb.config import templates_dir

    data = (templates_dir() / "portfolio.xlsx").read_bytes()
    path = tmp_path / "book.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert problems_of(path)["file"].tolist() == ["book.xlsx"]


def test_cell_over_the_csv_field_limit_is_read(tmp_path):
    long_name = "x" * 200_000
    write(tmp_path, "projects.csv", PROJECTS.replace("Shop", long_name))
    assert validate(read_workbook(tmp_path)).projects["name"].tolist() == [long_name]


def test_a_single_csv_file_as_source_says_give_the_folder(tmp_path):
    write(tmp_path, "projects.csv", PROJECTS)
    found = problems_of(tmp_path / "projects.csv")
    assert found["file"].tolist() == ["projects.csv"]
    assert "give the folder that holds projects.csv" in found["rule"].iloc[0]


@pytest.mark.parametrize("budget", ["1e309", "9" * 400, "-1e400"])
def test_non_finite_numbers_are_problems(tmp_path, budget):
    write(tmp_path, "projects.csv", PROJECTS.replace("1500000", budget))
    found = problems_of(tmp_path)
    assert found[["file", "row", "column", "value", "rule"]].values.tolist() == [
        ["projects.csv", 2, "budget", budget, "must be a finite number"]
    ]


def test_non_finite_in_a_decimal_comma_file(tmp_path):
    text = PROJECTS.replace(",", ";").replace("1500000", "1e309")
    write(tmp_path, "projects.csv", text)
    assert problems_of(tmp_path)["rule"].tolist() == ["must be a finite number"]


@pytest.mark.parametrize("bad", ["P\u200b1", "P\x071", "\u2060P1", "P1\u00ad"])
def test_ids_with_control_or_format_characters_are_refused(tmp_path, bad):
    write(tmp_path, "projects.csv", PROJECTS.replace("P1", bad))
    write(tmp_path, "dependencies.csv", f"project_id,depends_on\n{bad},{bad}x\n")
    found = problems_of(tmp_path)
    invisible = found[found["rule"].str.contains("control or format")]
    assert invisible[["file", "row", "column", "value"]].values.tolist() == [
        ["projects.csv", 2, "project_id", bad],
        ["dependencies.csv", 2, "project_id", bad],
        ["dependencies.csv", 2, "depends_on", f"{bad}x"],
    ]
    assert "Cc" in invisible["rule"].iloc[0] and "Cf" in invisible["rule"].iloc[0]


def test_ids_may_use_other_unicode(tmp_path):
    write(tmp_path, "projects.csv", PROJECTS.replace("P1", "Projekt-Größe-ü"))
    assert validate(read_workbook(tmp_path)).projects["project_id"].tolist() == ["Projekt-Größe-ü"]


def test_hidden_sheets_are_imported_with_a_notice(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "projects"
    for line in PROJECTS.splitlines():
        wb.active.append(line.split(","))
    teams = wb.create_sheet("teams")
    teams.append(["team_id", "name", "capacity_fte"])
    teams.append(["T1", "Web", 3])
    teams.sheet_state = "veryHidden"
    wb.create_sheet("Old").sheet_state = "hidden"
    wb.save(tmp_path / "book.xlsx")
    portfolio = validate(read_workbook(tmp_path / "book.xlsx"))
    assert portfolio.teams["team_id"].tolist() == ["T1"]
    assert "book.xlsx[teams]: sheet is very hidden; imported all the same" in portfolio.notices
    assert not any("book.xlsx[projects]: sheet is" in n for n in portfolio.notices)
    assert any("book.xlsx[Old]" in n and "hidden" in n for n in portfolio.notices)


def test_benefit_measured_before_its_project_starts_is_a_notice(tmp_path):
    write(tmp_path, "projects.csv", PROJECTS)
    write(tmp_path, "benefits.csv",
          "benefit_id,project_id,name,direction,baseline,target,target_date\n"
          "B1,P1,Revenue,increase,1,2,2027-12-31\n")
    write(tmp_path, "benefit_measurements.csv",
          "benefit_id,date,value\nB1,2026-03-31,1\nB1,2025-12-31,1\n")
    notices = validate(read_workbook(tmp_path)).notices
    assert notices == [
        "benefit_measurements.csv, row 3: benefit B1 measured on 2025-12-31, "
        "before its project P1 starts (start_date 2026-01-05)"
    ]


@pytest.mark.parametrize("data", [
    "project_id,name\nP1,Café\n".encode("latin-1"),
    bytes(range(256)) * 3,
    b"project_id,na\x00me\nP\x001,x\n",
    b"\xff\xfe" + "project_id,name\n".encode("utf-16-le"),
    (PROJECTS + "P2,Hub\nP3,A,B,C,D,E,F,G,H,I\n").encode(),
    b'project_id,name\n"P1,unterminated\n',
    b"\n\n\r\r,,,\n;;;\n",
], ids=["latin-1", "random", "nul", "utf-16", "ragged", "open-quote", "blank"])
def test_other_bytes_end_in_validation_error(tmp_path, data):
    write(tmp_path, "projects.csv", data)
    assert len(problems_of(tmp_path)) > 0


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_beyond_timestamps_are_problems(tmp_path, day):
    write(tmp_path, "projects.csv", PROJECTS.replace("2026-12-18", day))
    assert problems_of(tmp_path)["rule"].tolist() == ["must be a date YYYY-MM-DD"]

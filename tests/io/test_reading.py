"""Real-world file shapes are read as the format means them, not mangled."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

from pmo_nb.errors import ValidationError
from pmo_nb.io.reading import read_workbook
from pmo_nb.io.validation import validate

PROJECTS = (
    "project_id,name,category,stage,start_date,finish_date,budget\n"
    "P1,Shop,IT,active,2026-01-05,2026-12-18,1500000\n"
)


def write(folder, name, text, encoding="utf-8"):
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))


def test_bom_is_not_part_of_the_first_header(tmp_path):
    write(tmp_path, "projects.csv", "\ufeff" + PROJECTS)
    book = read_workbook(tmp_path)
    assert book.tables["projects"].frame.columns[0] == "project_id"
    assert validate(book).projects["project_id"].tolist() == ["P1"]


def test_semicolon_csv_with_decimal_commas(tmp_path):
    write(tmp_path, "projects.csv",
          "project_id;name;category;stage;start_date;finish_date;budget;confidence\n"
          "P1;Shop;IT;active;2026-01-05;2026-12-18;1.234.567,89;0,8\n"
          "P2;\"Hub; phase 2\";IT;active;2026-01-05;2026-12-18;1500000;0,25\n"
          "P3;Site;IT;active;2026-01-05;2026-12-18;2.500;1\n")
    write(tmp_path, "teams.csv", "team_id,name,capacity_fte\nT1,Web,\"12,5\"\n")
    book = read_workbook(tmp_path)
    assert book.tables["projects"].decimal_comma is True
    assert book.tables["teams"].decimal_comma is False
    with pytest.raises(ValidationError) as info:  # decimal commas only for the ';' file
        validate(book)
    assert info.value.problems[["file", "row", "column", "value"]].values.tolist() == [
        ["teams.csv", 2, "capacity_fte", "12,5"]
    ]
    del book.tables["teams"]
    projects = validate(book).projects
    assert projects["budget"].tolist() == [1234567.89, 1500000.0, 2500.0]
    assert projects["confidence"].tolist() == [0.8, 0.25, 1.0]
    assert projects["name"].tolist() == ["Shop", "Hub; phase 2", "Site"]


def test_trailing_empty_rows_and_columns_dropped_row_numbers_kept(tmp_path):
    write(tmp_path, "projects.csv",
          "project_id,name,category,stage,start_date,finish_date,budget,,\n"
          "P1,Shop,IT,active,2026-01-05,2026-12-18,1500000,,\n"
          ",,,,,,,,\n"
          "P2,Hub,IT,active,2026-01-05,2025-12-18,100,,\n"
          ",,,,,,,,\n"
          "\n")
    frame = read_workbook(tmp_path).tables["projects"].frame
    assert frame.columns.tolist() == [
        "project_id", "name", "category", "stage", "start_date", "finish_date", "budget"]
    assert frame.index.tolist() == [2, 4]
    with pytest.raises(ValidationError) as info:
        validate(read_workbook(tmp_path))
    assert info.value.problems["row"].tolist() == [4]


def test_headers_are_lower_cased_and_stripped_and_file_names_case_insensitive(tmp_path):
    write(tmp_path, "Projects.CSV", " Project_ID ,NAME,Category,stage,start_date,finish_date,"
          "budget\nP1,Shop,IT,active,2026-01-05,2026-12-18,1\n")
    book = read_workbook(tmp_path)
    assert book.tables["projects"].location == "Projects.CSV"
    assert book.tables["projects"].frame.columns[:2].tolist() == ["project_id", "name"]


def test_other_files_ignored_with_notice_and_checksums_of_files_read(tmp_path):
    write(tmp_path, "projects.csv", PROJECTS)
    write(tmp_path, "readme.txt", "hello")
    write(tmp_path, "budgets.csv", "a,b\n1,2\n")
    book = read_workbook(tmp_path)
    assert book.notices == [
        "ignored budgets.csv: not one of the portfolio tables",
        "ignored readme.txt: not one of the portfolio tables",
    ]
    assert book.file_checksums == {
        "projects.csv": hashlib.sha256(PROJECTS.encode()).hexdigest()}
    assert validate(book).notices == book.notices


def test_same_table_twice_is_an_error(tmp_path):
    write(tmp_path, "projects.csv", PROJECTS)
    write(tmp_path, "PROJECTS.csv", PROJECTS)
    with pytest.raises(ValidationError, match="given twice"):
        read_workbook(tmp_path)


def test_windows_1252_csv_is_decoded(tmp_path):
    write(tmp_path, "projects.csv", PROJECTS.replace("Shop", "Café"), encoding="cp1252")
    assert validate(read_workbook(tmp_path)).projects["name"].tolist() == ["Café"]


def test_not_a_workbook(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_workbook(tmp_path / "missing")
    (tmp_path / "book.ods").write_text("x")
    with pytest.raises(ValueError, match="folder of CSV files or an .xlsx"):
        read_workbook(tmp_path / "book.ods")


@pytest.fixture
def excel_book(tmp_path):
    """An .xlsx built cell by cell the way Excel stores typed values."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = " Projects "
    ws.append(["Project_ID", "name", "category", "stage", "start_date", "finish_date",
               "budget", "mandatory", "confidence", None])
    ws.append(["P1", "Shop", "IT", "active", dt.datetime(2026, 1, 5), dt.date(2026, 12, 18),
               1500000.0, True, 0.8, None])
    ws.append([101, "Hub", "IT", "active", "2026-02-01", dt.datetime(2026, 6, 30),
               2500, False, 1, None])
    ws.append([None] * 10)
    demand = wb.create_sheet("DEMAND")
    demand.append(["project_id", "team_id", "month", "fte"])
    demand.append(["P1", "T1", dt.datetime(2026, 4, 1), 4.5])
    demand.append(["P1", "T1", dt.datetime(2026, 5, 17), 2])
    teams = wb.create_sheet("teams")
    teams.append(["team_id", "name", "capacity_fte"])
    teams.append(["T1", "Web", 12])
    wb.create_sheet("Notes").append(["anything"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_excel_typed_cells_become_format_text(excel_book):
    book = read_workbook(excel_book)
    projects = book.tables["projects"]
    assert projects.location == "book.xlsx[ Projects ]"
    assert projects.frame.to_dict("index") == {
        2: dict(project_id="P1", name="Shop", category="IT", stage="active",
                start_date="2026-01-05", finish_date="2026-12-18", budget="1500000",
                mandatory="true", confidence="0.8"),
        3: dict(project_id="101", name="Hub", category="IT", stage="active",
                start_date="2026-02-01", finish_date="2026-06-30", budget="2500",
                mandatory="false", confidence="1"),
    }
    assert book.tables["demand"].frame["month"].tolist() == ["2026-04", "2026-05-17"]
    assert book.notices == ["ignored sheet book.xlsx[Notes]: not one of the portfolio tables"]
    assert list(book.file_checksums) == ["book.xlsx"]


def test_excel_month_cell_not_first_of_month_is_reported(excel_book):
    with pytest.raises(ValidationError) as info:
        validate(read_workbook(excel_book))
    assert info.value.problems.astype(object).values.tolist() == [
        ["book.xlsx[DEMAND]", "demand", 3, "month", "2026-05-17", "must be a month YYYY-MM"]]


def test_excel_workbook_validates(excel_book):
    import openpyxl

    wb = openpyxl.load_workbook(excel_book)
    wb["DEMAND"].delete_rows(3)
    wb.save(excel_book)
    portfolio = validate(read_workbook(excel_book))
    assert portfolio.projects["start_date"].tolist() == [
        pd.Timestamp("2026-01-05"), pd.Timestamp("2026-02-01")]
    assert portfolio.projects["mandatory"].tolist() == [True, False]
    assert portfolio.demand["month"].tolist() == ["2026-04"]
    assert portfolio.demand["fte"].tolist() == [4.5]


def test_blank_rows_above_the_header_keep_spreadsheet_row_numbers(tmp_path):
    write(tmp_path, "projects.csv", "\n,,\n" + PROJECTS.replace("1500000", "  "))
    with pytest.raises(ValidationError) as info:
        validate(read_workbook(tmp_path))
    assert info.value.problems[["row", "column", "rule"]].values.tolist() == [
        [4, "budget", "required: must not be empty"]]


def test_csv_rows_are_read_column_wise_exactly_as_cell_by_cell():
    """The vectorised CSV path gives what the per-cell reader gives (seeded random sheets)."""
    import random

    from pmo_nb.io.reading import _frame, _text_frame

    rng = random.Random(11)
    atoms = ["", " ", "a", " b ", "1", "\xa0", "x\ny", "NA", "None", "\t2\t", "P001"]
    sheets = [[], [[]], [["a", "b"]], [["id", "", " "], ["1", "", "v"], [], ["2"]]]
    sheets += [[[rng.choice(atoms) for _ in range(rng.randint(0, 4))]
                for _ in range(rng.randint(0, 6))] for _ in range(400)]
    for rows in sheets:
        expected = _frame([list(r) for r in rows], ())
        got = _text_frame([list(r) for r in rows])
        pd.testing.assert_frame_equal(got, expected)
        assert [type(v) for v in got.to_numpy().ravel()] == [
            type(v) for v in expected.to_numpy().ravel()]


def test_plain_csv_reads_the_same_through_pandas_tokenizer_as_through_csv_reader(monkeypatch):
    """Quote-free CSV goes to pandas' C tokenizer: the same frames as csv.reader gives
    (seeded random files: ragged, blank and padded rows, odd whitespace, each separator)."""
    import random

    from pmo_nb.io import reading

    rng = random.Random(23)
    atoms = ["", " ", "a", " b ", "1,5", "2;3", "\t", "\xa0", "x y", "\u2028", "\x0b", "\x0c",
             "\x1a", "\x1c", "\x85", "#", "'", "\\", "NA", "nan", "None", "null", "1e5", "é",
             "\n", "\n\n", "\n \n", "P001", "x" * 200]
    texts = ["h\n", "h", "a,b\n\n", "a,b\n1\n", "a,b\n1,2,3\n", "a;b\n1;2", "a\tb\n1\t2\n",
             "\na,b\n1,2\n", " \na,b\n", "a,b\n,\n", "a,b\n \n"]
    texts += ["".join(rng.choice(atoms) for _ in range(rng.randint(1, 60))) for _ in range(800)]
    fast = [reading._parse_csv(t.encode()) for t in texts]
    assert sum(reading._c_parsed(t, ",") is not None for t in texts) > 200  # it is exercised
    monkeypatch.setattr(reading, "_c_parsed", lambda text, sep: None)  # all to csv.reader
    for text, (frame, comma) in zip(texts, fast, strict=True):
        expected, expected_comma = reading._parse_csv(text.encode())
        assert comma == expected_comma, repr(text)
        pd.testing.assert_frame_equal(frame, expected, obj=repr(text))
        assert [type(v) for v in frame.to_numpy().ravel()] == [
            type(v) for v in expected.to_numpy().ravel()], repr(text)


def test_strip_cells_and_visible_ids_as_cell_by_cell():
    """The all-text fast paths give what the per-value ones give (Unicode spaces too)."""
    import sys

    from pmo_nb.io.cell_rules import _visible, visible_or_empty
    from pmo_nb.io.reading import strip_cells

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    texts = ["a", " a ", "", "  ", "\x1fid\x1f", "\u200bx", "x\u00a0", "x y", *spaces,
             *(s + "v" + s for s in spaces), "a", " a "]
    for values in (np.array(texts, dtype=object), np.array([*texts, None, 3], dtype=object)):
        want = [v.strip() or None if isinstance(v, str) else None for v in values]
        assert strip_cells(values).tolist() == want
    for values in (["P1", "P2", "P1"], ["P1", "P\u200b2", None], ["x\u00a0y", "P1"]):
        ok = visible_or_empty(pd.Series(values, dtype=object))
        assert ok.tolist() == [v is None or _visible(v) for v in values]

"""Fuzz: whatever the bytes, reading and validating ends in a Portfolio or a ValidationError."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_nb.cli import main
from pmo_nb.config import templates_dir
from pmo_nb.errors import ValidationError
from pmo_nb.io.reading import read_workbook
from pmo_nb.io.validation import validate

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
HEADERS = ["project_id,name,category,stage,start_date,finish_date,budget",
           "benefit_id,date,value", "project_id,depends_on,lag_days"]
CELLS = st.sampled_from(["P1", "", " ", "1e309", "-0", "nan", "inf", "2026-02-30", "9" * 400,
                         "\u200b", "\x00", '"', "a,b", "\ufeff", "1.234,5", "active", "0001-01-01"])
TEXT_CELLS = st.one_of(CELLS, st.text(max_size=12))
FILES = st.sampled_from(["projects.csv", "benefit_measurements.csv", "dependencies.csv",
                         "benefits.csv", "Projects.CSV"])


def _ends_well(source: Path) -> None:
    """Read and validate ``source``: only success or a ValidationError may come out."""
    try:
        validate(read_workbook(source))
    except ValidationError as err:
        assert len(err.problems) > 0


@st.composite
def hostile_csv(draw) -> bytes:
    """A header the format knows (or not) and rows of hostile cells, in some encoding."""
    header = draw(st.one_of(st.sampled_from(HEADERS), st.text(max_size=30)))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(TEXT_CELLS, max_size=9), max_size=5))
    text = "\n".join([header.replace(",", sep)] + [sep.join(r) for r in rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(st.dictionaries(FILES, st.one_of(st.binary(max_size=300), hostile_csv()), max_size=3))
def test_csv_folders_end_in_portfolio_or_validation_error(files):
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        _ends_well(Path(tmp))


TEMPLATE = (templates_dir() / "portfolio.xlsx").read_bytes()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(TEMPLATE) - 1), st.integers(0, 255)), max_size=8),
       st.integers(0, len(TEMPLATE)))
def test_mutated_xlsx_ends_in_portfolio_or_validation_error(flips, cut):
    data = bytearray(TEMPLATE[:cut] if cut < len(TEMPLATE) // 4 else TEMPLATE)
    for pos, byte in flips:
        if pos < len(data):
            data[pos] = byte
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "book.xlsx").write_bytes(bytes(data))
        _ends_well(Path(tmp) / "book.xlsx")


@settings(FUZZ, max_examples=5)
@given(st.lists(st.lists(TEXT_CELLS, min_size=1, max_size=7), min_size=1, max_size=4))
def test_hostile_cells_in_a_valid_xlsx_end_well(rows):
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = openpyxl.load_workbook(io.BytesIO(TEMPLATE))
    sheet = wb["projects"]
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in row])  # openpyxl refuses them
    with tempfile.TemporaryDirectory() as tmp:
        wb.save(Path(tmp) / "book.xlsx")
        _ends_well(Path(tmp) / "book.xlsx")


def test_cli_hostile_input_exits_2_without_traceback_and_writes_nothing(tmp_path):
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04 this is not a zip")
    db = tmp_path / "p.db"
    done = CliRunner().invoke(main, ["import", str(tmp_path / "book.xlsx"), "--db", str(db)])
    assert done.exit_code == 2, done.output
    assert "Traceback" not in done.output and "book.xlsx" in done.output
    assert "not a readable .xlsx workbook" in done.output
    assert not db.exists()


def test_cli_single_csv_exits_2(tmp_path):
    (tmp_path / "projects.csv").write_text("project_id\nP1\n")
    db = tmp_path / "p.db"
    done = CliRunner().invoke(main, ["import", str(tmp_path / "projects.csv"), "--db", str(db)])
    assert done.exit_code == 2 and "give the folder that holds projects.csv" in done.output
    assert "Traceback" not in done.output and not db.exists()

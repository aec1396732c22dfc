"""Writing then reading back gives the same Portfolio; the shipped templates are current."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_nb.config import templates_dir
from pmo_nb.io.blank_workbook import example_portfolio, example_workbook, write_blank_workbook
from pmo_nb.io.reading import read_workbook
from pmo_nb.io.validation import validate
from pmo_nb.io.writing import write_workbook
from pmo_nb.schema import TABLE_NAMES


def assert_same_portfolio(got, want):
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name),
                                      check_exact=True, obj=name)


@pytest.fixture
def awkward_portfolio():
    """Values that tempt a writer to mangle them: floats, text like numbers or formulas."""
    book = example_workbook()
    projects = book.tables["projects"].frame
    projects.loc[2, "name"] = 'Shop, "phase 1"\nwith a new line'
    projects.loc[2, "budget"] = "0.1"
    projects.loc[3, "budget"] = "123456789012.5"
    projects.loc[2, "confidence"] = "0.3333333333333333"
    projects.loc[3, "name"] = "=SUM(A1:A3)"
    projects["cost_centre"] = ["0042", None]
    projects["note"] = ["1.50", "true"]
    book.tables["risks"].frame.loc[2, ["cost_low", "cost_likely", "cost_high"]] = None
    book.tables["risks"].frame.loc[2, "project_id"] = None
    book.tables["demand"].frame.loc[2, "fte"] = "1e-7"
    portfolio = validate(book)
    assert portfolio.projects.loc[1, "name"] == "=SUM(A1:A3)"
    return portfolio


@pytest.mark.parametrize("dest", ["book", "book.xlsx"])
def test_round_trip_is_identical(tmp_path, awkward_portfolio, dest):
    path = write_workbook(awkward_portfolio, tmp_path / dest)
    back = validate(read_workbook(path))
    assert_same_portfolio(back, awkward_portfolio)
    assert back.notices == [
        f"{'projects.csv' if dest == 'book' else 'book.xlsx[projects]'}: "
        f"extra column {c!r} kept as an attribute" for c in ("cost_centre", "note")
    ]


def test_csv_spelling(tmp_path, awkward_portfolio):
    folder = write_workbook(awkward_portfolio, tmp_path / "out")
    lines = (folder / "projects.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith("effort,cost_centre,note")
    assert lines[-1] == (
        "P000,=SUM(A1:A3),Infrastructure,completed,CIO,B. Manager,2025-03-03,2025-11-28,"
        "123456789012.5,true,2025-12-12,640000,,,,,,,,,,true"
    )
    assert (folder / "demand.csv").read_text().splitlines()[1] == "P001,T01,2026-04,1e-07"


def test_empty_tables_written_as_header_rows(tmp_path):
    portfolio = validate(read_workbook(write_workbook(example_portfolio(), tmp_path / "a")))
    portfolio.risks = portfolio.risks.iloc[0:0]
    folder = write_workbook(portfolio, tmp_path / "b")
    assert (folder / "risks.csv").read_text().startswith("risk_id,project_id,title")
    assert len((folder / "risks.csv").read_text().splitlines()) == 1
    assert validate(read_workbook(folder)).risks.empty


@pytest.mark.parametrize("dest", ["out", "out.xlsx"])
def test_extra_tables_written_and_ignored_on_read(tmp_path, dest):
    history = pd.DataFrame({"project_id": ["P001"], "changed": ["2026-04-01"]})
    path = write_workbook(example_portfolio(), tmp_path / dest,
                          extra_tables={"projects_history": history})
    book = read_workbook(path)
    assert len(book.notices) == 1 and "projects_history" in book.notices[0]
    assert_same_portfolio(validate(book), example_portfolio())
    with pytest.raises(ValueError, match="reuse table names"):
        write_workbook(example_portfolio(), tmp_path / "x", extra_tables={"projects": history})


def test_shipped_csv_template_is_current(tmp_path):
    fresh = write_blank_workbook(tmp_path / "portfolio")
    shipped = templates_dir() / "portfolio"
    names = sorted(p.name for p in shipped.glob("*.csv"))
    assert names == sorted(f"{t}.csv" for t in TABLE_NAMES)
    for name in names:
        assert (shipped / name).read_bytes() == (fresh / name).read_bytes(), name
    assert_same_portfolio(validate(read_workbook(shipped)), example_portfolio())


def test_shipped_xlsx_template_is_current(tmp_path):
    fresh = validate(read_workbook(write_blank_workbook(tmp_path / "portfolio.xlsx")))
    shipped = validate(read_workbook(templates_dir() / "portfolio.xlsx"))
    assert_same_portfolio(shipped, fresh)
    assert shipped.notices == []


def test_demo_portfolio_round_trip(tmp_path, demo_small):
    path = write_workbook(demo_small, tmp_path / "demo")
    assert_same_portfolio(validate(read_workbook(path)), demo_small)

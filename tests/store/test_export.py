"""pmo export: the whole store back in the interchange format, history included.

Round trip on the demo data: import, export, import into a fresh store gives
an identical portfolio, for a CSV folder and an .xlsx workbook.
"""

from __future__ import annotations

import csv
import sqlite3
import zipfile

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from pandas.testing import assert_frame_equal

from pmo_nb.cli import main as pmo
from pmo_nb.io.reading import read_workbook
from pmo_nb.io.validation import validate
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLE_NAMES
from pmo_nb.store.core import Store
from pmo_nb.store.export import export_portfolio, read_export_facts


@pytest.fixture(scope="module")
def two_imports(demo_small, tmp_path_factory):
    """A store holding the demo, then the demo with three budgets changed."""
    path = tmp_path_factory.mktemp("export") / "p.db"
    store = Store(path)
    first = store.import_portfolio(demo_small, source="demo", file_checksums={})
    changed = Portfolio(**demo_small.tables())
    changed.projects = demo_small.projects.copy()
    changed.projects.loc[:2, "budget"] = changed.projects.loc[:2, "budget"] * 2
    second = store.import_portfolio(changed, source="re-plan", file_checksums={})
    return store, first, second


@pytest.mark.parametrize("dest", ["book", "book.xlsx"])
def test_round_trip_into_a_fresh_store_gives_the_same_portfolio(two_imports, tmp_path, dest):
    store, first, second = two_imports
    path = export_portfolio(tmp_path / dest, db=store.url)
    book = read_workbook(path)
    assert sorted(n for n in book.notices) == sorted(
        f"ignored {'sheet book.xlsx[' if dest.endswith('xlsx') else ''}{name}"
        f"{']' if dest.endswith('xlsx') else '.csv'}: not one of the portfolio tables"
        for name in ("_export", "projects_history"))
    fresh = Store(tmp_path / "fresh.db")
    fresh.import_portfolio(validate(book), source=str(path), file_checksums={})
    want, got = store.load(), fresh.load()
    assert got.checksum() == want.checksum()
    for name in TABLE_NAMES:
        assert_frame_equal(got.tables()[name], want.tables()[name], obj=name)

    history = pd.read_excel(path, sheet_name="projects_history", dtype=str) if dest.endswith(
        "xlsx") else pd.read_csv(path / "projects_history.csv", dtype=str)
    old = want.projects.set_index("project_id")["budget"].iloc[:3] / 2
    assert history["project_id"].tolist() == old.index.tolist()
    assert history["budget"].astype(float).tolist() == old.tolist()
    assert history["import_id"].tolist() == [str(first.import_id)] * 3
    assert set(history["valid_to"]) == {second.started.isoformat()}
    facts = read_export_facts(path)
    assert facts["import_id"] == str(second.import_id) and facts["store_id"] == store.store_id()
    assert facts["store"] == store.url and facts["as_of"] == ""


def test_export_as_of_a_past_time_and_reimport_based_on_it(two_imports, tmp_path):
    store, first, second = two_imports
    path = export_portfolio(tmp_path / "then", db=store.url, as_of=first.finished)
    assert validate(read_workbook(path)).checksum() == store.load(as_of=first.finished).checksum()
    assert not (path / "projects_history.csv").exists()
    assert read_export_facts(path)["import_id"] == str(first.import_id)

    copy = tmp_path / "copy.db"  # a backup, as docs/deploy.md makes them (same store id)
    with sqlite3.connect(store.url.removeprefix("sqlite:///")) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    projects = pd.read_csv(path / "projects.csv", dtype=str, keep_default_na=False)
    projects.loc[0, "budget"] = "1"  # a project the re-plan changed too: a clash
    projects.to_csv(path / "projects.csv", index=False)
    done = CliRunner().invoke(pmo, ["import", str(path), "--db", str(copy)])
    assert done.exit_code == 3, done.output
    assert f"exported at import {first.import_id}" in done.output
    assert f"import {second.import_id} (" in done.output and "from re-plan)" in done.output
    assert f"projects: {projects.loc[0, 'project_id']}" in done.output
    forced = CliRunner().invoke(pmo, ["import", str(path), "--db", str(copy), "--force"])
    assert forced.exit_code == 0, forced.output
    assert Store(copy).load().projects["budget"].iloc[0] == 1.0


#: Text a spreadsheet would run as a formula, and text starting with the escape quote.
INJECTED = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3",
            "@SUM(A1:A2)", "\tTabbed", "\rReturned", "'quoted", "''twice", "plain'"]


@pytest.fixture(scope="module")
def injected(demo_small, tmp_path_factory):
    """A store whose project names and sponsors start like formulas, one value negative."""
    changed = Portfolio(**demo_small.tables())
    projects = demo_small.projects.copy()
    n = len(INJECTED)
    projects.loc[:n - 1, "name"] = INJECTED
    projects.loc[:n - 1, "sponsor"] = INJECTED[::-1]
    projects["business_value"] = projects["business_value"].abs()
    projects.loc[0, "business_value"] = -5.0
    changed.projects = projects
    store = Store(tmp_path_factory.mktemp("inject") / "p.db")
    store.import_portfolio(changed, source="=evil()", file_checksums={})
    return store


def test_csv_export_neutralises_formulas_and_imports_back_exactly(injected, tmp_path):
    path = export_portfolio(tmp_path / "book", db=injected.url)
    with open(path / "projects.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = sorted(r["name"] for r in rows if r["name"].startswith("'") or "'" in r["name"])
    assert names == sorted(["'" + t for t in INJECTED[:-1]] + ["plain'"])
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for r in rows for k, v in r.items() if k != "business_value")
    # a number column is not text: stays a number
    assert [r["business_value"] for r in rows if r["business_value"].startswith("-")] == ["-5"]
    facts = read_export_facts(path)
    assert facts["formula_escape"] == "'" and facts["import_source"] == "=evil()"
    with open(path / "_export.csv", encoding="utf-8", newline="") as fh:
        assert all(not r[1].startswith("=") for r in csv.reader(fh))

    fresh = Store(tmp_path / "fresh.db")
    fresh.import_portfolio(validate(read_workbook(path)), source="x", file_checksums={})
    want, got = injected.load(), fresh.load()
    assert set(INJECTED) <= set(got.projects["name"])
    assert got.checksum() == want.checksum()
    for name in TABLE_NAMES:
        assert_frame_equal(got.tables()[name], want.tables()[name], obj=name)


def test_a_quoted_csv_that_is_no_pmo_export_is_read_as_written(injected, tmp_path):
    path = export_portfolio(tmp_path / "book", db=injected.url)
    (path / "_export.csv").unlink()
    names = set(read_workbook(path).tables["projects"].frame["name"])
    assert {"'" + t for t in INJECTED[:2]} <= names and not set(INJECTED[:2]) & names


def test_xlsx_export_writes_formula_like_text_as_text_cells(injected, tmp_path):
    path = export_portfolio(tmp_path / "book.xlsx", db=injected.url)
    book = openpyxl.load_workbook(path)
    sheet = book["projects"]
    header = [c.value for c in sheet[1]]
    cells = [row[header.index("name")] for row in sheet.iter_rows(min_row=2)]
    # XML turns a carriage return into a line feed: .xlsx cannot keep a bare \r
    kept = set(INJECTED) - {"\rReturned"}
    assert kept <= {c.value for c in cells} and "\nReturned" in {c.value for c in cells}
    assert {c.data_type for c in cells} == {"s"}
    values = [row[header.index("business_value")] for row in sheet.iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in values if (c.value or 0) < 0] == [(-5, "n")]
    with zipfile.ZipFile(path) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist()
                       if n.startswith("xl/worksheets/"))
    assert read_export_facts(path)["formula_escape"] == ""
    got = validate(read_workbook(path)).projects  # reading strips the cells of a workbook
    kept = kept - {"\tTabbed"}
    assert kept <= set(got["name"]) and kept <= set(got["sponsor"])

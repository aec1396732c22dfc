"""Every committed notebook: clean in git, one typed parameters cell, and it runs."""

from __future__ import annotations

import nbformat
import papermill
import pytest

from pmo_nb.config import dashboards_dir, notebooks_dir

NOTEBOOKS = sorted([*notebooks_dir().glob("*.ipynb"), *dashboards_dir().glob("*.ipynb")])
IDS = [f"{p.parent.name}/{p.name}" for p in NOTEBOOKS]


def test_there_are_notebooks_to_check():
    names = {p.name for p in NOTEBOOKS}
    assert {"portfolio_overview.ipynb", "portfolio_health.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs"
            assert cell.execution_count is None, f"cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_one_typed_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"expected one 'parameters' cell, found {len(tagged)}"
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert tagged[0] == first_code, "the parameters cell comes before any other code"
    params = papermill.inspect_notebook(str(path))
    assert {"db", "as_of"} <= set(params)
    for name, param in params.items():
        assert param["inferred_type_name"] != "None", f"{name} has no type annotation"
        assert param["help"], f"{name} has no help comment"


REPORTS = sorted(notebooks_dir().glob("*.ipynb"))
DASHBOARDS = sorted(dashboards_dir().glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", REPORTS, ids=[p.stem for p in REPORTS])
def test_report_runs_on_the_demo_store(path, demo_report_run):
    """Every report, run once by the suite (the run the browser tests look at): no cell error."""
    result, folder = demo_report_run
    outcome = next(o for o in result.outcomes if o.report == path.stem)
    assert outcome.status == "succeeded", outcome.reason
    executed = nbformat.read(folder / f"{path.stem}.ipynb", as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []


@pytest.mark.slow
@pytest.mark.parametrize("path", DASHBOARDS, ids=[f"dashboards/{p.name}" for p in DASHBOARDS])
def test_runs_on_the_demo_store(path, demo_db_copy, tmp_path):
    """Smoke run with the small demo store; any cell error fails the test.

    A notebook that samples or optimises names its small test parameters (few
    draws, say) in its own metadata, ``metadata.pmo.smoke_parameters``, so
    adding a notebook never means editing this test.
    """
    declared = papermill.inspect_notebook(str(path))
    smoke = nbformat.read(path, as_version=4).metadata.get("pmo", {}).get("smoke_parameters", {})
    assert set(smoke) <= set(declared), "smoke_parameters names an undeclared parameter"
    given = {**smoke, "db": demo_db_copy, "as_of": "2026-06-30"}
    out = tmp_path / path.name
    papermill.execute_notebook(
        str(path), str(out), parameters={k: v for k, v in given.items() if k in declared},
        progress_bar=False, cwd=str(path.parent), execution_timeout=300,
    )
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []

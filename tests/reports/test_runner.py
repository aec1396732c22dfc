"""The report runner: a papermill run of the overview on the demo store, and its failures."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import pytest

from pmo_nb import __version__
from pmo_nb.delivery import overview as overview
from pmo_nb.errors import ReportError
from pmo_nb.reports.runner import run_report

AS_OF = "2026-06-30"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def overview_run(demo_db, tmp_path_factory):
    """One run of the overview report on the demo store (shared by the checks below)."""
    out = tmp_path_factory.mktemp("reports")
    record = run_report("portfolio_overview", as_of=AS_OF, db=demo_db, out=out, timeout=300)
    return record, out / AS_OF


def _text(page: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_run_writes_notebook_html_and_record(overview_run, demo_small, demo_db):
    record, folder = overview_run
    assert {p.name for p in folder.iterdir()} == {
        "portfolio_overview.ipynb", "portfolio_overview.html", "portfolio_overview.json",
    }
    on_disk = json.loads((folder / "portfolio_overview.json").read_text())
    assert on_disk == json.loads(json.dumps(record))
    assert record["status"] == "succeeded" and record["reason"] is None
    assert record["as_of"] == AS_OF
    assert record["parameters"] == {"db": f"sqlite:///{Path(demo_db).resolve()}", "as_of": AS_OF}
    # the store returns the demo portfolio unchanged, so the checksums agree
    assert record["checksum"] == demo_small.checksum()
    assert record["version"] == __version__
    assert record["duration_s"] > 0
    executed = nbformat.read(folder / "portfolio_overview.ipynb", as_version=4)
    assert all(c.get("execution_count") for c in executed.cells if c.cell_type == "code")


def test_html_has_header_and_no_code(overview_run, demo_small):
    _, folder = overview_run
    page = (folder / "portfolio_overview.html").read_text()
    assert '<h1 class="pmo-report-title">Portfolio overview</h1>' in page
    assert f'<dd class="pmo-report-period">{AS_OF}</dd>' in page
    assert f"<code>{demo_small.checksum()}</code>" in page
    assert f'<dd class="pmo-report-version">{__version__}</dd>' in page
    assert re.search(r'class="pmo-report-generated">\d{4}-\d\d-\d\dT', page)
    # no input cells: none of the notebook's code reaches the page
    for code in ("load_portfolio(", "overview.evm_table(", "charts.show(", "as_of: str"):
        assert code not in page
    assert "jp-InputPrompt" not in page.split("</style>")[-1]


def test_html_is_self_contained_with_inline_svg_charts(overview_run):
    _, folder = overview_run
    page = (folder / "portfolio_overview.html").read_text()
    assert page.count('<div class="pmo-chart"><svg') == 4
    assert not re.search(r"<script[^>]*\bsrc=", page), "no external script of any kind"
    assert not re.search(r"""<link[^>]*href=["']?(https?:)?//""", page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", page)


def test_html_states_the_computed_numbers(overview_run, demo_small):
    _, folder = overview_run
    text = _text((folder / "portfolio_overview.html").read_text())
    sentences = overview.narrative(demo_small, AS_OF)
    assert len(sentences) >= 4
    for sentence in sentences:
        assert sentence in text
    rag = overview.rag_counts(demo_small, AS_OF).set_index("rag")["projects"]
    red = int(rag["red"])
    live = len(overview.live_projects(demo_small))
    assert f"{red} of {live} live projects" in text


def test_unknown_parameter_fails_before_running(demo_db, tmp_path):
    with pytest.raises(ReportError, match=r"no parameter\(s\) \['budget'\].*as_of.*db"):
        run_report("portfolio_overview", as_of=AS_OF, db=demo_db, out=tmp_path,
                   parameters={"budget": 1})
    assert list(tmp_path.iterdir()) == []


def test_unknown_report_lists_the_available_ones(tmp_path):
    with pytest.raises(ReportError, match=r"no report named 'nope'.*portfolio_overview"):
        run_report("nope", out=tmp_path)


def test_bad_date_is_refused(demo_db, tmp_path):
    with pytest.raises(ValueError, match="ISO date"):
        run_report("portfolio_overview", as_of="30/06/2026", db=demo_db, out=tmp_path)


def _notebook(folder: Path, name: str, body: str) -> None:
    """A report ``name`` of a parameters cell (db, as_of), then ``body``'s cells."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            'db: str = ""  # store\nas_of: str = ""  # date', metadata={"tags": ["parameters"]}
        ),
        *(nbformat.v4.new_code_cell(code) for code in body.split("\n\n")),
    ]
    nbformat.write(nb, folder / f"{name}.ipynb")


def _broken_notebook(folder: Path) -> None:
    """A report whose second code cell fails as a typo in a column name would."""
    _notebook(folder, "broken", 'row = {"cost": 1}\nrow["budget"]\n\nprint("never reached")')


def test_failing_notebook_keeps_executed_copy_and_records_failure(demo_db, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _broken_notebook(notebooks)
    out = tmp_path / "out"
    with pytest.raises(ReportError) as caught:
        run_report("broken", as_of=AS_OF, db=demo_db, out=out, notebooks_dir=notebooks)
    error = caught.value
    # papermill's injected-parameters cell is In [2], so the failing cell is In [3]
    assert error.reason == "cell 3: KeyError: 'budget'"
    assert "\n" not in str(error)
    folder = out / AS_OF
    assert error.executed_path == str(folder / "broken.ipynb")
    executed = nbformat.read(error.executed_path, as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [("KeyError", "'budget'")]
    assert not (folder / "broken.html").exists()
    record = json.loads((folder / "broken.json").read_text())
    assert record["status"] == "failed"
    assert record["reason"] == error.reason
    assert record["ipynb"] == error.executed_path
    assert record["html"] is None
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temp left


def _tiny_notebook(folder: Path) -> None:
    """A report of one parameters cell and one cell that prints."""
    _notebook(folder, "tiny", 'print("ran once")')


def _flaky_start(monkeypatch, fails: int, error: Exception):
    """papermill.execute_notebook failing ``fails`` times with ``error``, then the real one."""
    import papermill

    real, calls = papermill.execute_notebook, []

    def execute(*args, **kwargs):
        calls.append(kwargs.get("engine_name", "default"))
        if len(calls) <= fails:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    return calls


@pytest.mark.parametrize("kept_kernel", [False, True], ids=["own kernel", "kept kernel"])
def test_a_kernel_that_dies_at_start_is_replaced_and_the_run_succeeds(
        demo_db, tmp_path, monkeypatch, kept_kernel):
    from pmo_nb.reports.kernels import KernelHost

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _tiny_notebook(notebooks)
    calls = _flaky_start(monkeypatch, 1,
                         RuntimeError("Kernel died before replying to kernel_info"))
    host = KernelHost(tmp_path / "kernel.pid") if kept_kernel else None
    try:
        record = run_report("tiny", as_of=AS_OF, db=demo_db, out=tmp_path / "out",
                            notebooks_dir=notebooks, kernel=host)
    finally:
        if host is not None:
            host.discard()
    assert len(calls) == 2
    assert record["status"] == "succeeded"
    executed = nbformat.read(record["ipynb"], as_version=4)
    assert [o["text"] for o in executed.cells[-1]["outputs"]] == ["ran once\n"]


def test_a_kernel_that_keeps_dying_at_start_fails_the_run_after_three_tries(
        demo_db, tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _tiny_notebook(notebooks)
    calls = _flaky_start(monkeypatch, 5,
                         RuntimeError("Kernel died before replying to kernel_info"))
    with pytest.raises(ReportError, match="Kernel died before replying"):
        run_report("tiny", as_of=AS_OF, db=demo_db, out=tmp_path / "out",
                   notebooks_dir=notebooks)
    assert len(calls) == 3


def test_other_failures_are_not_retried(demo_db, tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _tiny_notebook(notebooks)
    calls = _flaky_start(monkeypatch, 1, RuntimeError("Kernel didn't respond in 60 seconds"))
    with pytest.raises(ReportError, match="didn't respond"):
        run_report("tiny", as_of=AS_OF, db=demo_db, out=tmp_path / "out",
                   notebooks_dir=notebooks)
    assert len(calls) == 1


def test_a_kept_kernels_notebook_is_saved_at_most_every_few_seconds(monkeypatch):
    """papermill's save at every cell start and end, throttled; a new notebook always saved."""
    from pmo_nb.reports import kernels

    saves, clock = [], [100.0]

    class Manager:
        def save(self, **kwargs):
            saves.append((clock[0], kwargs.get("nb")))

    monkeypatch.setattr(kernels.time, "monotonic", lambda: clock[0])
    manager = Manager()
    kernels._save_at_most_every(manager, 2.0)
    manager.save()  # the first save: written
    clock[0] = 101.0
    manager.save()  # a cell's end 1 s later: skipped
    manager.save(nb="replaced")  # papermill hands over another notebook object: written
    clock[0] = 103.5
    manager.save()  # 2.5 s after the last write: written
    assert saves == [(100.0, None), (101.0, "replaced"), (103.5, None)]

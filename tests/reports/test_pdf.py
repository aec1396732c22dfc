"""PDF reports (``pmo report run --pdf``): printed by Chromium beside the HTML, with a
page per section, vector charts, a footer with the period, checksum and "page X of Y",
no network, and failures recorded without losing the page.

The real runs (the overview and the quarterly review on the small demo store) share
one CLI run; the network and failure cases use tiny notebooks.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest
from browser_util import BROWSER_MARKS
from report_support import write_notebook

from pmo_nb.delivery import overview
from pmo_nb.reports.files import publish
from pmo_nb.reports.pdf import CHROMIUM_ENV, PdfError, check_pdf_support, footer_template
from pmo_nb.reports.planning import succeeded_periods
from pmo_nb.reports.runner import base_record, run_report
from pmo_nb.reports.schedule import ReportSpec, parse_cadence

AS_OF = "2026-06-30"
PMO = [sys.executable, "-m", "pmo_nb.cli"]
MISSING = "/nonexistent/chromium"


def _browser(test):
    """Mark a test as driving Chromium (slow, browser, skipped without Chromium)."""
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


def _pdf_pages(path: Path) -> list[str]:
    """Each page's text, ligatures (the font's "fi") undone."""
    from pypdf import PdfReader

    return [unicodedata.normalize("NFKC", page.extract_text()) for page in PdfReader(path).pages]


# --- fast: footer, missing Chromium, records and the schedule -------------------------

def test_footer_escapes_its_texts_and_asks_chromium_for_page_numbers():
    footer = footer_template(title="R&D <b>pack</b>", period="2026-Q2 (as of 2026-06-30)",
                             checksum=None)
    assert "R&amp;D &lt;b&gt;pack&lt;/b&gt;" in footer and "<b>" not in footer
    assert "period 2026-Q2 (as of 2026-06-30)" in footer
    assert "data checksum unknown" in footer
    assert 'page <span class="pageNumber"></span> of <span class="totalPages"></span>' in footer


def test_missing_chromium_is_one_line_naming_what_to_install(monkeypatch):
    monkeypatch.setenv(CHROMIUM_ENV, MISSING)
    with pytest.raises(PdfError) as caught:
        check_pdf_support()
    message = str(caught.value)
    assert "\n" not in message
    assert f"Chromium not found at {MISSING}" in message
    assert "apt-get install chromium" in message and CHROMIUM_ENV in message


def test_cli_pdf_without_chromium_exits_2_before_running_anything(tmp_path):
    books = tmp_path / "notebooks"
    write_notebook(books, "fine", "print('ok')")
    done = subprocess.run(
        [*PMO, "report", "run", "fine", "--pdf", "--notebooks", str(books),
         "--out", str(tmp_path / "out"), "--as-of", AS_OF],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, CHROMIUM_ENV: MISSING},
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: cannot print PDF: Chromium not found at {MISSING}; install it "
        f"(Debian: apt-get install chromium) or set {CHROMIUM_ENV} to its path"]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def _staged_run(tmp_path: Path, *, pdf_error: str | None, with_pdf: bool) -> dict:
    staging = tmp_path / "staging"
    staging.mkdir(exist_ok=True)
    (staging / "r.html").write_text("<p>page</p>")
    if with_pdf:
        (staging / "r.pdf").write_bytes(b"%PDF-1.4 new")
    run = base_record("r", as_of=AS_OF, status="succeeded", pdf_error=pdf_error)
    return publish(run, out=tmp_path / "out", staging=staging)


def test_publish_moves_the_pdf_and_a_failed_print_removes_an_earlier_one(tmp_path):
    first = _staged_run(tmp_path, pdf_error=None, with_pdf=True)
    folder = tmp_path / "out" / AS_OF
    assert first["pdf"] == str(folder / "r.pdf")
    assert (folder / "r.pdf").read_bytes() == b"%PDF-1.4 new"
    second = _staged_run(tmp_path, pdf_error="Chromium could not print the page: boom",
                         with_pdf=False)
    # the page is published, the old PDF (of other data) is gone, the record says why
    assert second["html"] == str(folder / "r.html") and (folder / "r.html").exists()
    assert second["pdf"] is None and not (folder / "r.pdf").exists()
    on_disk = json.loads((folder / "r.json").read_text())
    assert on_disk["pdf_error"] == "Chromium could not print the page: boom"


def test_a_run_whose_pdf_failed_is_still_due(tmp_path):
    spec = ReportSpec("r", "r", parse_cadence("weekly"), pdf=True)
    day = dt.date.fromisoformat(AS_OF)
    _staged_run(tmp_path, pdf_error="no Chromium", with_pdf=False)
    record_path = tmp_path / "out" / AS_OF / "r.json"
    record = {**json.loads(record_path.read_text()), "period": spec.period(day)}
    record_path.write_text(json.dumps(record))
    assert succeeded_periods(tmp_path / "out", [spec], day) == set()
    record["pdf_error"] = None
    record_path.write_text(json.dumps(record))
    assert succeeded_periods(tmp_path / "out", [spec], day) == {("r", "2026-W27")}


# --- slow: real reports printed through the CLI ---------------------------------------

PRINTED = ("portfolio_overview", "quarterly_review")


@pytest.fixture(scope="module")
def printed(demo_db, tmp_path_factory):
    """``pmo report run portfolio_overview quarterly_review --pdf`` on the small demo."""
    out = tmp_path_factory.mktemp("pdf-reports")
    done = subprocess.run(
        [*PMO, "report", "run", *PRINTED, "--pdf", "--jobs", "2", "--db", demo_db,
         "--as-of", AS_OF, "--out", str(out), "--timeout", "900"],
        capture_output=True, text=True, timeout=1200,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done, out / AS_OF


def _sections(folder: Path, name: str) -> list[str]:
    """The ``##`` headings of the executed notebook, in order."""
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    return [line[3:].strip() for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("## ")]


@pytest.mark.parametrize("name", PRINTED)
@_browser
def test_pdf_has_a_page_per_section_and_the_footer_facts(printed, name):
    done, folder = printed
    record = json.loads((folder / f"{name}.json").read_text())
    assert record["status"] == "succeeded" and record["pdf_error"] is None
    assert record["pdf"] == str(folder / f"{name}.pdf")
    assert (folder / f"{name}.html").is_file()
    pages = _pdf_pages(folder / f"{name}.pdf")
    sections = _sections(folder, name)
    assert len(sections) >= 4 and len(pages) >= len(sections)
    # every section after the first starts a page (the first follows the title)
    starts = [page.lstrip().splitlines()[0].strip() for page in pages]
    for heading in sections[1:]:
        assert heading in starts, (heading, starts)
    assert sections[0] in pages[0]
    # the footer of every page: title, period, checksum, page X of N
    period = f"{record['period']} (as of {AS_OF})" if record["period"] != AS_OF else AS_OF
    for number, page in enumerate(pages, start=1):
        flat = " ".join(page.split())
        assert f"page {number} of {len(pages)}" in flat
        assert f"period {period}" in flat
        assert f"data checksum {record['checksum']}" in flat
        assert record["title"] in flat
    assert record["checksum"] and record["title"] in pages[0]


@_browser
def test_pdf_states_the_numbers_and_keeps_charts_as_vectors(printed, demo_small):
    from pypdf import PdfReader

    done, folder = printed
    text = " ".join(" ".join(_pdf_pages(folder / "portfolio_overview.pdf")).split())
    for row in overview.stage_counts(demo_small).itertuples():
        assert f"{row.stage} {row.projects} {row.budget:,.0f}" in text
    # chart titles and axis labels are text in the PDF: the SVG was drawn, not a bitmap
    assert "Cost and schedule performance (CPI vs SPI)" in text
    review = " ".join(" ".join(_pdf_pages(folder / "quarterly_review.pdf")).split())
    assert f"Objectives: {len(demo_small.objectives)}" in review
    for name in demo_small.objectives["name"]:
        assert " ".join(str(name).split()) in review
    for report in PRINTED:
        assert all(not page.images for page in PdfReader(folder / f"{report}.pdf").pages)


@_browser
def test_index_links_each_pdf_beside_its_page(printed):
    done, folder = printed
    index = (folder / "index.html").read_text()
    for name in PRINTED:
        assert f'<a class="pmo-index-pdf" href="{name}.pdf">PDF</a>' in index
    assert "2 of 2 notebook runs succeeded; 2 printed to PDF" in done.stdout


# --- slow: no network, and failures recorded ------------------------------------------

class _Receiver(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def receiver():
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    handler = type("Receiver", (_Receiver,), {"hits": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.hits
    finally:
        server.shutdown()
        server.server_close()


@_browser
def test_network_is_blocked_and_recorded_and_the_page_is_kept(demo_db, tmp_path, receiver):
    base, hits = receiver
    books = tmp_path / "notebooks"
    write_notebook(books, "leaky", "from IPython.display import HTML, display\n"
                   f"display(HTML('<img src=\"{base}/pixel.png\">"
                   f"<link rel=\"stylesheet\" href=\"{base}/style.css\">'))\n"
                   "print('numbers 42')")
    out = tmp_path / "out"
    record = run_report("leaky", as_of=AS_OF, db=demo_db, out=out, notebooks_dir=books,
                        pdf=True)
    assert record["status"] == "succeeded"
    assert record["html"] and Path(record["html"]).is_file()
    assert record["pdf"] is None and not (out / AS_OF / "leaky.pdf").exists()
    assert re.match(rf"the page requested {re.escape(base)}/(pixel\.png|style\.css) and 1 more "
                    r"while printing; network access is blocked", record["pdf_error"])
    assert hits == [], "the request must be blocked in the browser, not answered"


@pytest.mark.slow
def test_missing_chromium_marks_the_record_and_publishes_the_page(demo_db, tmp_path,
                                                                  monkeypatch):
    books = tmp_path / "notebooks"
    write_notebook(books, "fine", "print('ok')")
    monkeypatch.setenv(CHROMIUM_ENV, MISSING)
    out = tmp_path / "out"
    record = run_report("fine", as_of=AS_OF, db=demo_db, out=out, notebooks_dir=books, pdf=True)
    assert record["status"] == "succeeded" and Path(record["html"]).is_file()
    assert record["pdf"] is None
    assert record["pdf_error"].startswith(f"cannot print PDF: Chromium not found at {MISSING}")
    from pmo_nb.reports.index import write_run_index

    page = write_run_index(out / AS_OF).read_text()
    assert "PDF not printed: cannot print PDF: Chromium not found" in page


@pytest.mark.slow
def test_schedule_pdf_without_chromium_warns_and_publishes_html_only(demo_db, tmp_path):
    # a machine without a browser (a fresh `make demo`) publishes its pages and exits 0;
    # the warning says why there is no PDF, and --due does not rerun for it
    books = tmp_path / "notebooks"
    write_notebook(books, "pack", "print('ok')")
    schedule = tmp_path / "reports.yml"
    schedule.write_text("reports:\n  - {name: pack, cadence: weekly, pdf: true}\n")
    args = [*PMO, "report", "run", "--due", "--no-alerts", "--schedule", str(schedule),
            "--notebooks", str(books), "--db", demo_db, "--out", str(tmp_path / "out"),
            "--as-of", AS_OF]
    env = {**os.environ, CHROMIUM_ENV: MISSING}
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.startswith(f"warning: cannot print PDF: Chromium not found at {MISSING}")
    assert "the pages are published without PDF" in done.stderr
    assert "Traceback" not in done.stderr
    assert re.match(r"ok\s+pack\s", done.stdout.splitlines()[0])
    assert (tmp_path / "out" / AS_OF / "pack.html").is_file()
    assert not (tmp_path / "out" / AS_OF / "pack.pdf").exists()
    again = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                           env=env)
    assert again.returncode == 0 and "nothing due" in again.stdout, again.stdout


@_browser
def test_prints_from_inside_a_running_event_loop(tmp_path):
    # a Jupyter kernel always runs an asyncio loop, where Playwright's sync API refuses
    import asyncio
    import threading

    from pmo_nb.reports.pdf import print_pdf

    page = tmp_path / "page.html"
    page.write_text("<html><body><h1>Inside a loop</h1><p>42 projects</p></body></html>")

    async def from_a_kernel():
        return print_pdf(page, tmp_path / "page.pdf", title="Loop", period="2026-Q2",
                         checksum="abc123")

    # the loop runs in a thread of its own: a session-wide Playwright browser may already
    # hold this thread's loop, and asyncio.run refuses to start inside it
    found = {}
    worker = threading.Thread(target=lambda: found.update(urls=asyncio.run(from_a_kernel())))
    worker.start()
    worker.join(120)
    requested = found.get("urls")
    assert requested and all(u.startswith("file:") for u in requested)
    from pypdf import PdfReader

    text = PdfReader(tmp_path / "page.pdf").pages[0].extract_text()
    assert "42 projects" in text and "2026-Q2" in text

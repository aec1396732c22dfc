"""The first screen of every report (1400x900) holds its "What to know" block.

Checked in Chromium on the pages the suite wrote, for the small demo (the
session's one run of every report, shared with the notebook smoke test) and
for a second portfolio of another size whose categories, people and names
were all replaced. A screenshot of each first screen is kept in the
artefacts folder (``$PMO_TEST_ARTEFACTS`` or ``test-artifacts/``) for a
reviewer, and the full page too when a check fails.
"""

from __future__ import annotations

import pytest
from browser_util import BROWSER_MARKS, first_screen_box, keep_screenshot, screenshot_on_failure
from report_support import run_every_report
from second_portfolio import renamed_portfolio

from pmo_nb.briefings.what_to_know import BLOCK_CLASS, LIMIT
from pmo_nb.config import notebooks_dir

pytestmark = BROWSER_MARKS

REPORTS = sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))
VIEWPORT = {"width": 1400, "height": 900}
#: Reports that fold long tables or diagnostics into <details>.
FOLDING = {"portfolio_overview", "prioritisation", "risk_forecast", "executive_summary"}


@pytest.fixture(scope="module")
def second_run(tmp_path_factory):
    """Every report on a second portfolio: 150 projects, another seed, other names."""
    from pmo_nb.store.core import Store

    root = tmp_path_factory.mktemp("second-portfolio")
    db = root / "portfolio.db"
    Store(db).import_portfolio(renamed_portfolio(), source="second", file_checksums={})
    return run_every_report(str(db), root / "out")


@pytest.fixture(params=["demo", "second"])
def run(request):
    fixture = "demo_report_run" if request.param == "demo" else "second_run"
    return request.param, request.getfixturevalue(fixture)


@pytest.mark.parametrize("report", REPORTS)
def test_first_screen_holds_what_to_know(browser, run, report):
    portfolio, (result, folder) = run
    outcome = next(o for o in result.outcomes if o.report == report)
    assert outcome.status == "succeeded", outcome.reason
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto((folder / f"{report}.html").as_uri())
        with screenshot_on_failure(page, f"first-screen-{portfolio}-{report}"):
            keep_screenshot(page, f"{portfolio}-{report}")
            box = first_screen_box(page, f".{BLOCK_CLASS}")
            assert box is not None, "no What to know block"
            assert box["height"] > 0 and box["y"] + box["height"] <= VIEWPORT["height"], box
            items = page.query_selector_all(f".{BLOCK_CLASS} li")
            assert 1 <= len(items) <= LIMIT
            # every finding on this page links to a section that exists
            for href in page.eval_on_selector_all(f".{BLOCK_CLASS} a",
                                                  "els => els.map(a => a.getAttribute('href'))"):
                if href.startswith("#"):
                    assert page.query_selector(f'[id="{href[1:]}"]') is not None, href
            # the title once (the header), every chart with its how-to-read line
            title = page.inner_text(".pmo-report-title").strip()
            h1s = [t.strip() for t in page.eval_on_selector_all(
                "h1", "els => els.map(e => e.textContent)")]
            assert h1s.count(title) == 1, h1s
            charts = len(page.query_selector_all(".pmo-chart"))
            assert len(page.query_selector_all(".pmo-how-to-read")) == charts
            if report in FOLDING:
                folded = page.query_selector_all("details.pmo-folded")
                assert folded and not any(d.get_attribute("open") is not None for d in folded)
    finally:
        context.close()

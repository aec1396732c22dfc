"""The executive summary says each insight once: its claim in "What to know", the rest below.

The report is run by the suite on a copy of the small demo store; its page is
read with an HTML parser and every insight's claim is counted in the visible
text (scripts and styles left out): the top ones, which the block states,
once; the others, listed in full below it, once too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from pmo_nb.briefings import insights as ins
from pmo_nb.briefings.insights_text import split_headline
from pmo_nb.briefings.what_to_know import BLOCK_CLASS, LIMIT
from pmo_nb.forecast import stored_forecast
from pmo_nb.reports import run_suite
from pmo_nb.reports.schedule import ReportSpec
from pmo_nb.store.core import Store

pytestmark = pytest.mark.slow

AS_OF = "2026-06-30"
TOP_N = 12  # the notebook's default number of insights listed


class _Text(HTMLParser):
    """The page's visible text, and the text inside the What to know block."""

    def __init__(self):
        super().__init__()
        self.parts, self.block, self._skip, self._depth = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if self._depth or BLOCK_CLASS in (dict(attrs).get("class") or "").split():
            self._depth += tag not in ("br", "img", "input", "meta", "link", "hr")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)
            if self._depth:
                self.block.append(data)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def page(demo_db, tmp_path_factory):
    from report_support import copy_store

    root = tmp_path_factory.mktemp("executive-summary")
    db = copy_store(demo_db, root / "portfolio.db")
    result = run_suite([ReportSpec("executive_summary", "executive_summary")], as_of=AS_OF,
                       db=db, out=root / "out", jobs=1, timeout=900, progress=False)
    (outcome,) = result.outcomes
    assert outcome.status == "succeeded", outcome.reason
    parser = _Text()
    parser.feed((result.folder / "executive_summary.html").read_text(encoding="utf-8"))
    store = Store(db)
    stored = stored_forecast(store, AS_OF)
    found = ins.portfolio_insights(store.load(), AS_OF, forecast=stored.table,
                                   forecast_name=stored.name, n_risks=3)
    return _squeeze("".join(parser.parts)), _squeeze("".join(parser.block)), found


def test_each_insight_is_said_once(page):
    text, block, found = page
    table = found.table.head(TOP_N)
    assert len(table) > LIMIT  # the demo has insights beyond the block's
    for r in table.itertuples():
        claim, detail = split_headline(r.headline)
        if r.rank <= LIMIT:
            assert claim in block, r.headline
            assert text.count(claim.rstrip(".")) == 1, r.headline
            assert text.count(r.headline.rstrip(".")) == 0, r.headline
            if detail:
                assert text.count(detail.rstrip(".")) == 1, r.headline
        else:
            assert text.count(r.headline.rstrip(".")) == 1, r.headline
            assert claim not in block
        assert text.count(r.recommendation) == 1, r.recommendation

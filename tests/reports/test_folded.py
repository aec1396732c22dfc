"""Folded sections and the page title: long tables stay in the page, the title prints once."""

from __future__ import annotations

import nbformat
import pandas as pd

from pmo_nb.reports import folded, styled
from pmo_nb.reports.page import drop_repeated_title


def test_folded_escapes_the_summary_and_keeps_the_table_closed():
    frame = pd.DataFrame({"name": ["<script>x</script>"], "budget": [1.0]})
    bundle = folded("Risks of <Ops>", styled(frame))
    html = bundle["text/html"]
    assert html.startswith('<details class="pmo-folded">') and " open" not in html
    assert "<summary" in html and "Risks of &lt;Ops&gt;" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    assert bundle["text/plain"] == "Risks of <Ops>"


def test_a_heading_repeating_the_header_title_is_dropped_and_others_kept():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_markdown_cell("# Portfolio  executive summary\n\nWhat to look at.")]
    drop_repeated_title(nb, "Portfolio executive summary")
    assert nb.cells[1].source == "What to look at."
    nb.cells[1].source = "# Project plan and schedule risk\n\nText."
    drop_repeated_title(nb, "Plan: P0001 Portal")
    assert nb.cells[1].source.startswith("# Project plan")

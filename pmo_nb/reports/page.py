"""How a report page reads: the answer first, one title, long tables folded away.

:func:`folded` puts long tables and diagnostics in a collapsed ``<details>``
section (still in the page; the PDF printer opens them); the runner calls
:func:`drop_repeated_title` so a page does not print its title twice.
"""

from __future__ import annotations

from pmo_nb.formatting import html_text


def folded(summary: str, *parts) -> dict:
    """A collapsed ``<details>`` section holding ``parts`` (Stylers, charts or HTML strings).

    Long tables and diagnostics stay in the page (self-contained, searchable,
    printed open by :func:`pmo_nb.reports.pdf.print_pdf`) without pushing the
    answer off the first screen. ``summary`` is plain text and is escaped;
    string ``parts`` must already be safe HTML. Returns a display bundle:
    ``IPython.display.display(folded(...), raw=True)``.
    """
    body = "".join(_part_html(p) for p in parts)
    html = (f'<details class="pmo-folded"><summary style="cursor: pointer; font-weight: bold;">'
            f"{html_text(summary)}</summary>{body}</details>")
    return {"text/html": html, "text/plain": summary}


def _part_html(part) -> str:
    if type(part).__module__.startswith("altair"):  # a chart: inline SVG, as show() draws it
        from pmo_nb.charts import chart_html  # lazy: vl-convert only when a chart is folded

        return chart_html(part)
    return part.to_html() if hasattr(part, "to_html") else str(part)


def drop_repeated_title(nb, title: str) -> None:
    """Remove the notebook's leading ``# Title`` when the page header already says it.

    The header prints the title; the same ``#`` heading under it printed the
    title twice (issue #18) and pushed the answer down the first screen.
    """
    cell = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if cell is None:
        return
    first, _, rest = cell.source.lstrip().partition("\n")
    if first.startswith("# ") and " ".join(first[2:].split()).casefold() == \
            " ".join(title.split()).casefold():
        cell.source = rest.lstrip("\n")


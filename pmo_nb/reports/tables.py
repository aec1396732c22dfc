"""Report tables whose text is always escaped: ``styled(frame)`` instead of ``frame.style``.

pandas' Styler escapes nothing unless told, and a later ``.format(...)`` call
resets the escaping of the columns it formats; index labels and column
headers are never escaped by the ``styler.format.escape`` option. A project
named ``<img src=x onerror=...>`` would become live markup in a report page.
:class:`SafeStyler` makes HTML escaping the default of every ``format`` and
``format_index`` call, and escapes the index and the column labels from the
start, so a notebook cannot forget.
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from pmo_nb.formatting import html_text


class SafeStyler(Styler):
    """A :class:`pandas.io.formats.style.Styler` that escapes HTML by default."""

    def __init__(self, data, *args, **kwargs):
        kwargs.setdefault("escape", "html")
        super().__init__(data, *args, **kwargs)
        super().format_index(escape="html", axis=0)
        super().format_index(escape="html", axis=1)

    def format(self, formatter=None, subset=None, na_rep=None, precision=None, decimal=".",
               thousands=None, escape="html", hyperlinks=None):
        return super().format(formatter, subset=subset, na_rep=na_rep, precision=precision,
                              decimal=decimal, thousands=thousands, escape=escape,
                              hyperlinks=hyperlinks)

    def format_index(self, formatter=None, axis=0, level=None, na_rep=None, precision=None,
                     decimal=".", thousands=None, escape="html", hyperlinks=None):
        return super().format_index(formatter, axis=axis, level=level, na_rep=na_rep,
                                    precision=precision, decimal=decimal, thousands=thousands,
                                    escape=escape, hyperlinks=hyperlinks)


def styled(frame: pd.DataFrame | pd.Series) -> SafeStyler:
    """``frame.style``, with every value, index label and column label HTML-escaped.

    The index and column *names* (which Styler prints unformatted) are escaped
    on a shallow copy; the data itself is not touched.
    """
    frame = frame.to_frame() if isinstance(frame, pd.Series) else frame.copy(deep=False)
    frame.index = frame.index.set_names(_escaped(frame.index.names))
    frame.columns = frame.columns.set_names(_escaped(frame.columns.names))
    return SafeStyler(frame)


def _escaped(names) -> list:
    return [None if n is None else html_text(n) for n in names]


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

"""Charts of the portfolio, and how to show them where they are looked at.

The only package that knows Altair; one module per area (add yours beside
``overview.py``). Builders take data first (the DataFrames
:mod:`pmo_nb.delivery.overview` returns), return the chart rather than displaying it,
and raise ``ValueError`` on bad arguments. :func:`show` displays a chart for
its context: inline SVG in a report (``PMO_RENDER=static``, set by the report
runner, so the HTML needs no network) or an offline ``JupyterChart`` widget in
a notebook or dashboard (so a dashboard can swap the chart when a filter
changes).
"""

from pmo_nb.charts.base import RAG_COLOURS
from pmo_nb.charts.display import (
    RENDER_ENV,
    chart_html,
    compiled_spec,
    how_to_read,
    jupyter_chart,
    reading_html,
    show,
    static_mode,
    to_svg,
)
from pmo_nb.charts.overview import budget_chart, cpi_spi_chart, rag_chart, stage_chart

__all__ = [
    "RAG_COLOURS", "RENDER_ENV", "budget_chart", "chart_html", "compiled_spec", "cpi_spi_chart",
    "how_to_read", "jupyter_chart", "rag_chart", "reading_html", "show", "stage_chart",
    "static_mode", "to_svg",
]

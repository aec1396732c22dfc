"""Charts of the portfolio, and how to show them where they are looked at.

The only module that knows Altair. Builders take data first (the DataFrames
:mod:`pmo_nb.overview` returns), return the chart rather than displaying it,
and raise ``ValueError`` on bad arguments. :func:`show` displays a chart for
its context: inline SVG in a report (``PMO_RENDER=static``, set by the report
runner, so the HTML needs no network) or an offline ``JupyterChart`` widget in
a notebook or dashboard (so a dashboard can swap the chart when a filter
changes).
"""

from __future__ import annotations

import os

import altair as alt
import pandas as pd

from .schema import RAGS, STAGES

#: Environment variable that selects the renderer; ``"static"`` means inline SVG.
RENDER_ENV = "PMO_RENDER"

#: Colours with a meaning, used the same way in every chart.
RAG_COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "unreported": "#9e9e9e"}

_WIDTH = 420
_HEIGHT = 220


def _check(data: pd.DataFrame, columns: list[str], what: str) -> None:
    """Raise ValueError unless ``data`` is a DataFrame holding ``columns``."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{what}: expected a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; got {list(data.columns)}")


def _size(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive, got {width}x{height}")


def stage_chart(counts: pd.DataFrame, *, width: int = _WIDTH, height: int = _HEIGHT) -> alt.Chart:
    """Bar chart of projects per stage, in lifecycle order.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``stage`` and ``projects`` (see :func:`pmo_nb.overview.stage_counts`).
    """
    _check(counts, ["stage", "projects"], "stage_chart")
    _size(width, height)
    order = [s for s in STAGES if s in set(counts["stage"])]
    return (
        alt.Chart(counts, title="Projects by stage")
        .mark_bar(color="#1565c0")
        .encode(
            x=alt.X("stage:N", sort=order, title="Stage", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("projects:Q", title="Projects", axis=alt.Axis(tickMinStep=1)),
            tooltip=["stage:N", "projects:Q"],
        )
        .properties(width=width, height=height)
    )


def budget_chart(
    budgets: pd.DataFrame, *, width: int = _WIDTH, height: int = _HEIGHT
) -> alt.Chart:
    """Horizontal bars of budget per category, largest on top.

    Parameters
    ----------
    budgets : pandas.DataFrame
        Columns ``category`` and ``budget`` (see
        :func:`pmo_nb.overview.budget_by_category`).
    """
    _check(budgets, ["category", "budget"], "budget_chart")
    _size(width, height)
    return (
        alt.Chart(budgets, title="Budget by category")
        .mark_bar(color="#6a1b9a")
        .encode(
            y=alt.Y("category:N", sort="-x", title="Category"),
            x=alt.X("budget:Q", title="Budget", axis=alt.Axis(format="~s")),
            tooltip=["category:N", alt.Tooltip("budget:Q", format=",.0f")],
        )
        .properties(width=width, height=height)
    )


def rag_chart(rag: pd.DataFrame, *, width: int = _WIDTH, height: int = _HEIGHT) -> alt.Chart:
    """Bars of live projects per latest RAG, coloured green/amber/red.

    Parameters
    ----------
    rag : pandas.DataFrame
        Columns ``rag`` and ``projects`` (see :func:`pmo_nb.overview.rag_counts`).
    """
    _check(rag, ["rag", "projects"], "rag_chart")
    _size(width, height)
    unknown = set(rag["rag"]) - set(RAG_COLOURS)
    if unknown:
        raise ValueError(f"rag_chart: unknown RAG value(s) {sorted(unknown)}")
    order = [r for r in (*RAGS, "unreported") if r in set(rag["rag"])]
    scale = alt.Scale(domain=order, range=[RAG_COLOURS[r] for r in order])
    return (
        alt.Chart(rag, title="Latest RAG of live projects")
        .mark_bar()
        .encode(
            x=alt.X("rag:N", sort=order, title="RAG", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("projects:Q", title="Projects", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("rag:N", scale=scale, legend=None),
            tooltip=["rag:N", "projects:Q"],
        )
        .properties(width=width, height=height)
    )


def cpi_spi_chart(evm: pd.DataFrame, *, width: int = _WIDTH, height: int = 300) -> alt.Chart:
    """Scatter of CPI against SPI per project, with the 1.0 lines drawn.

    Points below and left of the lines are over cost and behind schedule.

    Parameters
    ----------
    evm : pandas.DataFrame
        Columns ``project_id``, ``cpi``, ``spi`` (see
        :func:`pmo_nb.overview.evm_table`); ``name`` and ``category`` are used
        when present. Rows with a missing CPI or SPI are left out.
    """
    _check(evm, ["project_id", "cpi", "spi"], "cpi_spi_chart")
    _size(width, height)
    cols = [c for c in ("project_id", "name", "category", "cpi", "spi") if c in evm.columns]
    data = evm[cols].dropna(subset=["cpi", "spi"])
    tooltip = [c for c in ("project_id", "name", "category") if c in cols]
    colour = (
        alt.Color("category:N", title="Category")
        if "category" in cols
        else alt.value("#1565c0")
    )
    points = (
        alt.Chart(data)
        .mark_circle(size=60, opacity=0.8)
        .encode(
            x=alt.X("spi:Q", title="SPI (schedule)", scale=alt.Scale(zero=False)),
            y=alt.Y("cpi:Q", title="CPI (cost)", scale=alt.Scale(zero=False)),
            color=colour,
            tooltip=[
                *tooltip,
                alt.Tooltip("cpi:Q", format=".2f"),
                alt.Tooltip("spi:Q", format=".2f"),
            ],
        )
    )
    ones = pd.DataFrame({"one": [1.0]})
    vline = alt.Chart(ones).mark_rule(strokeDash=[4, 4], color="#757575").encode(x="one:Q")
    hline = alt.Chart(ones).mark_rule(strokeDash=[4, 4], color="#757575").encode(y="one:Q")
    return (points + vline + hline).properties(
        width=width, height=height, title="Cost and schedule performance (CPI vs SPI)"
    )


def static_mode() -> bool:
    """True when charts must render as inline SVG (``PMO_RENDER=static``)."""
    return os.environ.get(RENDER_ENV, "").strip().lower() == "static"


def to_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG document, rendered locally by vl-convert (no network)."""
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    return vlc.vegalite_to_svg(chart.to_dict(), vl_version=vl_version_for_vl_convert())


def show(chart: alt.TopLevelMixin):
    """Display ``chart`` for the context and return what was displayed.

    With ``PMO_RENDER=static`` (reports) the chart is displayed as an inline
    ``<svg>`` element (an HTML output) and ``None`` is returned. Otherwise an
    offline :class:`altair.JupyterChart` is displayed and returned, so a
    dashboard can later assign
    ``widget.chart = new_chart``. Offline mode serves Vega from vl-convert
    instead of a CDN, which a machine without internet access needs.

    Raises
    ------
    ValueError
        When ``chart`` is not an Altair chart.
    """
    from IPython.display import display

    if not isinstance(chart, alt.TopLevelMixin):
        raise ValueError(f"show: expected an Altair chart, got {type(chart).__name__}")
    if static_mode():
        # As HTML, not image/svg+xml: nbconvert turns the latter into an <img>
        # data URI, while the report wants the chart's text inline and searchable.
        title = chart.to_dict().get("title", "chart")
        bundle = {
            "text/html": f'<div class="pmo-chart">{to_svg(chart)}</div>',
            "text/plain": f"<chart: {title}>",
        }
        display(bundle, raw=True)
        return None
    widget = jupyter_chart(chart)
    display(widget)
    return widget


def jupyter_chart(chart: alt.TopLevelMixin) -> alt.JupyterChart:
    """An offline :class:`altair.JupyterChart` widget for ``chart`` (not displayed).

    Rendered as SVG (readable and testable in the page) without the export
    menu, whose links would lead off the machine.
    """
    alt.JupyterChart.enable_offline()
    return alt.JupyterChart(chart, embed_options={"renderer": "svg", "actions": False})

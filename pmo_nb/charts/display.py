"""Showing a chart where it is looked at: inline SVG in reports, offline widgets elsewhere."""

from __future__ import annotations

import os

import altair as alt

#: Environment variable that selects the renderer; ``"static"`` means inline SVG.
RENDER_ENV = "PMO_RENDER"


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

"""Showing a chart where it is looked at: inline SVG in reports, offline widgets elsewhere.

Dashboard kernels start cold, so two start-up costs are kept out of them:
jsonschema's optional IRI checker (:func:`_defer_rfc3987_syntax`) and the
offline Vega bundle, which is built once per Altair / vl-convert version and
then read from a cache file (:mod:`pmo_nb.charts.offline`).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types


def _defer_rfc3987_syntax() -> None:
    """Import jsonschema with its ``rfc3987_syntax`` IRI checker loaded on first use.

    jsonschema imports the optional ``rfc3987_syntax`` package when jsonschema
    itself is imported, and that package compiles a lark grammar (about 1.5-2.3 s),
    although only the ``iri`` / ``iri-reference`` formats call it and the
    Vega-Lite schema Altair validates against uses neither (only ``uri``,
    ``uri-reference`` and ``color-hex``). So, only while jsonschema is first
    imported, ``sys.modules`` holds a stand-in whose ``is_valid_syntax`` imports
    the real package on its first call and delegates to it: IRI format checks
    behave exactly as before, they just pay the grammar on first use. The
    stand-in is removed right after, so any later ``import rfc3987_syntax`` gets
    the real module. Nothing is done when jsonschema is already imported or the
    package is not installed.
    """
    name = "rfc3987_syntax"
    if "jsonschema" in sys.modules or name in sys.modules:
        return
    try:
        if importlib.util.find_spec(name) is None:
            return
    except (ImportError, ValueError):
        return

    def is_valid_syntax(*args, **kwargs):
        if sys.modules.get(name) is stub:
            del sys.modules[name]
        return importlib.import_module(name).is_valid_syntax(*args, **kwargs)

    stub = types.ModuleType(name, "Stand-in that imports rfc3987_syntax on first use.")
    stub.is_valid_syntax = is_valid_syntax
    sys.modules[name] = stub
    try:
        import jsonschema  # noqa: F401  # lazy: its _format module binds the stand-in
    finally:
        if sys.modules.get(name) is stub:
            del sys.modules[name]


_defer_rfc3987_syntax()

import altair as alt  # noqa: E402  (after the deferral above)


def _share_wrapper_lookup() -> None:
    """Build Altair's schema -> wrapper-class table once, not on every ``from_dict``.

    ``SchemaBase.from_dict``, which every encoding shorthand (``"budget:Q"``)
    goes through, makes a new ``_FromDict`` whose constructor JSON-dumps the
    schemas of all ~570 wrapper classes to hash them: 40% of the time a
    dashboard spends rebuilding its charts on a filter change. The table
    depends only on the classes, so it is built once per tuple of classes and
    shared (lookups only read it; a miss adds an empty list, as before).
    Nothing is changed when Altair's private ``_FromDict`` is not as expected.
    """
    from altair.utils import schemapi  # lazy: Altair internals only here

    cls = getattr(schemapi, "_FromDict", None)
    init = getattr(cls, "__init__", None)
    if init is None or getattr(init, "shared_table", False):
        return
    tables: dict[tuple, object] = {}

    def __init__(self, wrapper_classes, /):
        classes = tuple(wrapper_classes)
        if classes in tables:
            self.class_dict = tables[classes]
        else:
            init(self, classes)
            tables[classes] = self.class_dict

    __init__.shared_table = True
    __init__.original = init  # for the test comparing the specs with and without
    cls.__init__ = __init__


_share_wrapper_lookup()

from pmo_nb.charts.offline import CACHE_ENV, cache_dir, enable_offline  # noqa: E402, F401
from pmo_nb.formatting import html_text  # noqa: E402

#: Environment variable that selects the renderer; ``"static"`` means inline SVG.
RENDER_ENV = "PMO_RENDER"
def static_mode() -> bool:
    """True when charts must render as inline SVG (``PMO_RENDER=static``)."""
    return os.environ.get(RENDER_ENV, "").strip().lower() == "static"


def to_svg(chart: alt.TopLevelMixin, spec: dict | None = None) -> str:
    """The chart as an SVG document, rendered locally by vl-convert (no network).

    ``spec`` is ``chart.to_dict()`` when the caller has it already (Altair
    validates the chart again on every call). Text is measured with the fonts
    vl-convert ships (:mod:`pmo_nb.charts.svg_fonts`).
    """
    from altair.utils._importers import (
        vl_version_for_vl_convert,  # lazy: Altair internals only when needed
    )

    from pmo_nb.charts.svg_fonts import (
        vl_convert,  # lazy: vl-convert loads only for static charts
    )

    return vl_convert().vegalite_to_svg(chart.to_dict() if spec is None else spec,
                                        vl_version=vl_version_for_vl_convert())


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
    from IPython.display import display  # lazy: IPython only inside a kernel

    if not isinstance(chart, alt.TopLevelMixin):
        raise ValueError(f"show: expected an Altair chart, got {type(chart).__name__}")
    if static_mode():
        # As HTML, not image/svg+xml: nbconvert turns the latter into an <img>
        # data URI, while the report wants the chart's text inline and searchable.
        spec = chart.to_dict()
        title = spec.get("title", "chart")
        bundle = {
            "text/html": chart_html(chart, spec),
            "text/plain": f"<chart: {title}>",
        }
        display(bundle, raw=True)
        return None
    widget = jupyter_chart(chart)
    display(widget)
    if reading_html(chart):
        display({"text/html": reading_html(chart), "text/plain": how_to_read(chart)}, raw=True)
    return widget


def chart_html(chart: alt.TopLevelMixin, spec: dict | None = None) -> str:
    """The chart as a report shows it: inline SVG, then its "how to read this" line."""
    return f'<div class="pmo-chart">{to_svg(chart, spec)}</div>{reading_html(chart)}'


def how_to_read(chart: alt.TopLevelMixin) -> str:
    """The chart's one-line "how to read this" (its ``description``), or ``""``."""
    line = getattr(chart, "description", None)
    return line if isinstance(line, str) else ""


def reading_html(chart) -> str:
    """``<p class="pmo-how-to-read">How to read this: ...</p>`` (escaped), or ``""``.

    ``chart`` is a chart, or a chart builder (its ``how_to_read`` line, so a
    dashboard need not build a chart to caption it).
    """
    line = how_to_read(chart) if isinstance(chart, alt.TopLevelMixin) else \
        getattr(chart, "how_to_read", "")
    if not line:
        return ""
    return ('<p class="pmo-how-to-read" style="font-size: 0.9em; color: #424242; '
            f'margin: 0.2em 0 1em;"><em>How to read this:</em> {html_text(line)}</p>')


def jupyter_chart(chart: alt.TopLevelMixin) -> alt.JupyterChart:
    """An offline :class:`altair.JupyterChart` widget for ``chart`` (not displayed).

    Rendered as SVG (readable and testable in the page) without the export
    menu, whose links would lead off the machine.
    """
    enable_offline()
    return alt.JupyterChart(chart, embed_options={"renderer": "svg", "actions": False})


def compiled_spec(spec: dict) -> dict:
    """The Vega spec that a chart widget's vega-embed would compile from Vega-Lite ``spec``.

    A dashboard that swaps specs into its charts on every filter change can
    compile them in the kernel once (and ahead, while a pre-heated kernel
    waits) instead of in the browser each time: vega-embed takes a Vega spec
    as it takes a Vega-Lite one (it tells them apart by ``$schema``) and then
    skips its own Vega-Lite compile, about a third of its time per chart.
    vl-convert runs the same Vega-Lite version the offline bundle carries, so
    the view drawn is the one vega-embed would have drawn. Should vl-convert
    refuse a spec, it is returned as it is, for vega-embed to compile as before.
    """
    import vl_convert as vlc  # lazy: vl-convert loads only when a spec is compiled
    from altair.utils._importers import (
        vl_version_for_vl_convert,  # lazy: Altair internals only when needed
    )

    try:
        return vlc.vegalite_to_vega(spec, vl_version=vl_version_for_vl_convert())
    except Exception:  # noqa: BLE001  (any refusal: the browser compiles it, as before)
        return spec

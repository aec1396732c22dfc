"""Widgets the dashboards share: KPI tiles and filter dropdowns, with stable CSS hooks.

Every app names its widgets with ``pmo-...`` classes so browser tests (and
people reading the page source) find them; keeping the builders here keeps
those names and the tiles' look the same in every app.
"""

from __future__ import annotations

import ipywidgets as w

from pmo_nb.formatting import html_text

#: The look of KPI tiles (a ``<style>`` block; apps add their own rules after it).
KPI_STYLE = """<style>
.pmo-kpi { border: 1px solid #cfd8dc; border-radius: 6px; padding: 6px 14px; margin: 4px;
           min-width: 130px; background: #fafafa; }
.pmo-kpi-label { font-size: 12px; color: #546e7a; }
.pmo-kpi-value { font-size: 24px; font-weight: bold; color: #263238; }
.pmo-kpi-red .pmo-kpi-value { color: #c62828; }
</style>"""


def kpi_tile(key: str) -> w.HTML:
    """An empty KPI tile with classes ``pmo-kpi`` and ``pmo-kpi-<key>``."""
    widget = w.HTML()
    widget.add_class("pmo-kpi")
    widget.add_class(f"pmo-kpi-{key}")
    return widget


def filter_dropdown(name: str, options: list, all_value: str = "") -> w.Dropdown:
    """A filter offering "All" then ``options`` (values or (label, value) pairs).

    Its classes ``pmo-filter`` and ``pmo-filter-<name>`` name it for tests.
    """
    widget = w.Dropdown(options=_choices(options, all_value), value=all_value,
                        description=name.capitalize())
    widget.add_class("pmo-filter")
    widget.add_class(f"pmo-filter-{name}")
    return widget


def _choices(options: list, all_value: str) -> tuple:
    pairs = [o if isinstance(o, tuple) else (str(o), o) for o in options]
    return (("All", all_value), *pairs)


def set_choices(widget: w.Dropdown, options: list, all_value: str = "") -> None:
    """Give a :func:`filter_dropdown` new ``options``, keeping its value while offered.

    A value the new options lack falls back to "All". Unchanged options are
    not sent to the page again.
    """
    choices = _choices(options, all_value)
    keep = widget.value if widget.value in {v for _, v in choices} else all_value
    if tuple(widget.options) != choices:
        widget.options = choices
    if widget.value != keep:
        widget.value = keep


def refresh_note() -> w.HTML:
    """The (empty) line where a live dashboard says "could not refresh: ...".

    Its class ``pmo-refresh-error`` names it for tests.
    """
    widget = w.HTML()
    widget.add_class("pmo-refresh-error")
    return widget


def show_refresh(widget: w.HTML, line: str | None) -> None:
    """Put a "could not refresh" ``line`` in a :func:`refresh_note` (None clears it)."""
    widget.value = "" if line is None else (
        f'<div class="pmo-note">{html_text(line)}</div>')

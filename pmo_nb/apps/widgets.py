"""Widgets the dashboards share: KPI tiles and filter dropdowns, with stable CSS hooks.

Every app names its widgets with ``pmo-...`` classes so browser tests (and
people reading the page source) find them; keeping the builders here keeps
those names and the tiles' look the same in every app.
"""

from __future__ import annotations

import ipywidgets as w

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
    pairs = [o if isinstance(o, tuple) else (str(o), o) for o in options]
    widget = w.Dropdown(options=[("All", all_value), *pairs], value=all_value,
                        description=name.capitalize())
    widget.add_class("pmo-filter")
    widget.add_class(f"pmo-filter-{name}")
    return widget

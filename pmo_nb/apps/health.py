"""The portfolio health dashboard: KPI tiles, four overview charts and the sentences behind them.

Filters for category, sponsor and stage recompute the overview
(:mod:`pmo_nb.delivery.overview`) on the filtered portfolio and swap the charts. DOM
classes ``pmo-kpi-<key>``, ``pmo-chart-<key>`` and ``pmo-filter-<name>`` name
the parts for tests. Opened on a store, it watches it (:mod:`pmo_nb.apps.live`):
a new import redraws the page in place with the viewer's filters kept, and
the "data as of" line names the import shown.
"""

from __future__ import annotations

import functools

import ipywidgets as w

from pmo_nb import charts
from pmo_nb.apps.live import StoreWatcher, data_as_of, read_portfolio_at, refresh_seconds
from pmo_nb.apps.widgets import (
    KPI_STYLE,
    chart_box,
    filter_dropdown,
    kpi_tile,
    refresh_note,
    set_choices,
    show_refresh,
    what_to_know_widget,
)
from pmo_nb.briefings import what_to_know as wtk
from pmo_nb.dates import iso_day
from pmo_nb.delivery import overview as overview
from pmo_nb.formatting import html_text, money
from pmo_nb.portfolio import Portfolio
from pmo_nb.store.core import Store
from pmo_nb.store.loading import is_workbook, load_portfolio

TILES = {"projects": "Projects", "live": "Live projects", "budget": "Budget",
         "red": "Red (latest RAG)", "worst-cpi": "Worst CPI (live)",
         "worst-spi": "Worst SPI (live)"}


def _ratio(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


class HealthDashboard:
    """Widgets and behaviour of the health dashboard; ``.widget`` is what a notebook shows."""

    def __init__(self, portfolio: Portfolio, as_of: str, as_of_line: str = ""):
        self.portfolio, self.as_of = portfolio, as_of
        self.watcher: StoreWatcher | None = None
        self._holding = False  # True while a refresh sets the filters
        self.evm_all = overview.evm_table(portfolio, as_of)
        options = overview.choices(portfolio)
        self.filters = {name: filter_dropdown(name, options[name])
                        for name in ("category", "sponsor", "stage")}
        self.tiles = {key: kpi_tile(key) for key in TILES}
        figures, values, sentences = self.build(portfolio)
        self.views = {key: charts.jupyter_chart(chart) for key, chart in figures.items()}
        boxes = [chart_box(key, view, figures[key]) for key, view in self.views.items()]
        self.story = w.HTML()
        self.story.add_class("pmo-narrative")
        self.know = what_to_know_widget()
        self.show_values(values, sentences)
        for widget in self.filters.values():
            widget.observe(self.on_filter, names="value")
        self.header = w.HTML(self._header(as_of_line))
        self.header.add_class("pmo-header")
        self.refresh_error = refresh_note()
        self.widget = w.VBox([
            self.header, self.refresh_error, self.know, w.HBox(list(self.filters.values())),
            w.HBox(list(self.tiles.values()), layout=w.Layout(flex_flow="row wrap")),
            w.GridBox(boxes, layout=w.Layout(grid_template_columns="repeat(2, 560px)")),
            self.story,
        ])

    def _header(self, as_of_line: str) -> str:
        return (KPI_STYLE + f"<p>Reporting date <b>{html_text(self.as_of)}</b> &middot; data "
                f"checksum <code>{self.portfolio.checksum()}</code><br>{as_of_line}</p>")

    def watch(self, store: Store, version, interval: float) -> StoreWatcher:
        """Redraw whenever ``store`` moves past ``version`` (looked at every ``interval`` s)."""
        def read(found):
            portfolio, record = read_portfolio_at(store, found)
            return portfolio, data_as_of(record)

        self.watcher = StoreWatcher(lambda: store.data_version(kinds=()), read,
                                    lambda found: self.refresh(*found),
                                    functools.partial(show_refresh, self.refresh_error),
                                    version, interval, url=store.url).start()
        return self.watcher

    def refresh(self, portfolio: Portfolio, as_of_line: str) -> None:
        """Show a new portfolio in place, keeping the chosen filters while they are offered."""
        self.portfolio = portfolio
        self.evm_all = overview.evm_table(portfolio, self.as_of)
        options = overview.choices(portfolio)
        self._holding = True
        try:
            for name, widget in self.filters.items():
                set_choices(widget, options[name])
        finally:
            self._holding = False
        self.header.value = self._header(as_of_line)
        self.on_filter()

    def build(self, part: Portfolio):
        """Charts, KPI texts and sentences for a (filtered) portfolio."""
        evm = self.evm_all[self.evm_all["project_id"].isin(part.projects["project_id"])]
        figures = {
            "stage": charts.stage_chart(overview.stage_counts(part), width=380, height=200),
            "budget": charts.budget_chart(overview.budget_by_category(part), width=380,
                                          height=200),
            "rag": charts.rag_chart(overview.rag_counts(part, self.as_of), width=380, height=200),
            "cpi-spi": charts.cpi_spi_chart(evm, width=380, height=240),
        }
        kpi = overview.kpis(part, self.as_of, evm)
        values = {"projects": str(kpi["projects"]), "live": str(kpi["live"]),
                  "budget": money(kpi["budget"]), "red": str(kpi["red"]),
                  "worst-cpi": _ratio(kpi["worst_cpi"]), "worst-spi": _ratio(kpi["worst_spi"])}
        self.findings = wtk.portfolio_overview(part, kpi, overview.budget_by_category(part), evm)
        return figures, values, overview.narrative(part, self.as_of, evm)

    def show_values(self, values: dict, sentences: list[str]) -> None:
        for key, label in TILES.items():
            self.tiles[key].value = (f'<div class="pmo-kpi-label">{label}</div>'
                                     f'<div class="pmo-kpi-value">{values[key]}</div>')
        self.know.value = wtk.to_html(self.findings, links=False)
        self.story.value = "<ul>" + "".join(f"<li>{html_text(s)}</li>" for s in sentences) + "</ul>"

    def on_filter(self, _change=None) -> None:
        if self._holding:
            return
        chosen = {name: widget.value or None for name, widget in self.filters.items()}
        figures, values, sentences = self.build(overview.filter(self.portfolio, **chosen))
        for key, chart in figures.items():
            self.views[key].chart = chart
        self.show_values(values, sentences)


def app(db: str = "", as_of: str = "", refresh=None) -> HealthDashboard:
    """The health dashboard on store ``db`` (default PMO_DB) at ``as_of`` (default today).

    On a store it looks for a new import every ``refresh`` seconds (see
    :func:`pmo_nb.apps.live.refresh_seconds`); a workbook is shown as read.
    """
    as_of = iso_day(as_of)
    if db and is_workbook(db):
        return HealthDashboard(load_portfolio(db), as_of)
    store = Store(db or None)
    version = store.data_version(kinds=())
    portfolio, record = read_portfolio_at(store, version)
    dashboard = HealthDashboard(portfolio, as_of, data_as_of(record))
    dashboard.watch(store, version, refresh_seconds(refresh))
    return dashboard

"""The executive dashboard: health KPIs, RAG and its trend, overrun chances, benefits,
capacity and top risks, with filters and a per-project page.

Everything is read from the store (:class:`ExecutiveSource`): the portfolio and
the forecast the forecasting report persisted; nothing is sampled. While the
page is open the store is watched (:mod:`pmo_nb.apps.live`): a new import or
forecast redraws tiles, charts and the project page in place, keeping the
viewer's filters and project, and the "data as of" line names what is shown. A filter
change masks the precomputed frames (:mod:`pmo_nb.briefings.executive`) and swaps the
charts' specs, so it answers well under half a second. Choosing a project in
the drop-down, or clicking its point on the overrun chart, opens its page
below the charts. DOM classes ``pmo-...`` name every part for tests.
"""

from __future__ import annotations

import functools

import ipywidgets as w
import pandas as pd

from pmo_nb import charts
from pmo_nb.apps.live import StoreWatcher, data_as_of, read_portfolio_at, refresh_seconds
from pmo_nb.apps.widgets import (
    KPI_STYLE,
    filter_dropdown,
    kpi_tile,
    refresh_note,
    set_choices,
    show_refresh,
    what_to_know_widget,
)
from pmo_nb.briefings import executive as executive
from pmo_nb.briefings import what_to_know as wtk
from pmo_nb.charts import benefits as bcharts
from pmo_nb.charts import capacity as ccharts
from pmo_nb.charts import executive as echarts
from pmo_nb.dates import day, is_blank, today
from pmo_nb.forecast.stored import FORECAST_KIND, latest
from pmo_nb.formatting import html_text, labelled, money
from pmo_nb.store.core import Store

STYLE = KPI_STYLE + """<style>
.pmo-note { color: #546e7a; font-style: italic; margin: 8px; }
.pmo-project-panel { border-top: 2px solid #1565c0; margin-top: 12px; padding-top: 6px; }
.pmo-project table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
.pmo-project td, .pmo-project th { padding: 2px 8px; border-bottom: 1px solid #eceff1;
                                   text-align: left; }
</style>"""
TILES = {"projects": "Projects", "live": "Live projects", "budget": "Budget",
         "red": "Red (latest RAG)", "likely-overruns": "Likely to overrun (>70%)",
         "benefits": "Benefits realised", "over": "Team-months over capacity"}
CHARTS = ("rag", "rag-trend", "overrun", "benefits", "capacity", "risks")
FILTERS = ("category", "sponsor", "objective", "stage")
NONE = ""
#: Filter choices whose view and chart specs a dashboard keeps (most recently used).
SELECTIONS_KEPT = 64


class ExecutiveSource:
    """Where the dashboard's data comes from: a store and a reporting date.

    :meth:`version` is the cheap question a watcher asks every tick (imports
    and forecasts only: a saved scenario does not redraw this page);
    :meth:`read` the full read, at exactly that import. With no ``as_of`` the
    reporting date is today, looked at on every tick too: a page left open
    (or a kernel pre-heated) overnight moves to the new day.
    """

    def __init__(self, db=None, as_of=None):
        self.store = Store(db)
        self.follows_today = is_blank(as_of)
        self.as_of = today() if self.follows_today else day(as_of)

    def version(self) -> tuple:
        """``(the store's data version, the reporting date)``."""
        return (self.store.data_version(kinds=(FORECAST_KIND,)),
                today() if self.follows_today else self.as_of)

    def read(self, version) -> tuple[executive.ExecutiveData, str]:
        """The prepared frames at ``version`` and the "data as of" line naming them."""
        data_version, self.as_of = version
        portfolio, record = read_portfolio_at(self.store, data_version)
        found = latest(self.store, FORECAST_KIND, self.as_of)
        data = executive.prepare(portfolio, self.as_of, found.table, found.describe())
        return data, data_as_of(record, found)


def load(db=None, as_of=None) -> executive.ExecutiveData:
    """Read the portfolio and the persisted forecast from the store, and prepare the frames."""
    source = ExecutiveSource(db, as_of)
    return source.read(source.version())[0]


def _note(text: str) -> w.HTML:
    widget = w.HTML(f'<div class="pmo-note">{html_text(text)}</div>')
    widget.add_class("pmo-chart-note")
    return widget


def _table(frame: pd.DataFrame, formats: dict | None = None) -> str:
    """A small HTML table; ``formats`` maps column -> format function."""
    formats = formats or {}
    head = "".join(f"<th>{html_text(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(
            f"<td>{html_text(formats.get(c, _cell)(v))}</td>" for c, v in row.items()
        ) + "</tr>" for _, row in frame.iterrows())
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _pct(value) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.0%}"


class ExecutiveDashboard:
    """The dashboard's widgets and their behaviour; ``.widget`` is what a notebook displays."""

    def __init__(self, data: executive.ExecutiveData, as_of_line: str = ""):
        self.data = data
        self.watcher: StoreWatcher | None = None
        self._holding = False  # True while a refresh sets widgets: observers wait
        choices = data.choices()
        self.filters = {}
        for name in FILTERS:
            self.filters[name] = filter_dropdown(name, choices[name], NONE)
        self.tiles = {key: kpi_tile(key) for key in TILES}
        self.views: dict = {}  # key -> offline JupyterChart
        # filter choices -> (view, {chart key: spec or note}), for this data only
        self._selections: dict[tuple, tuple[dict, dict]] = {}
        self.boxes = {}
        self.readings: dict[str, w.HTML] = {}  # each chart's how-to-read line
        self.team_names = data.portfolio.teams.set_index("team_id")["name"].astype(str)
        for key in CHARTS:
            box = w.VBox(layout=w.Layout(min_height="120px"))
            box.add_class(f"pmo-chart-{key}")
            self.boxes[key] = box
        self.project = w.Dropdown(description="Project", layout=w.Layout(width="480px"))
        self.project.add_class("pmo-project")
        self.panel = w.VBox()
        self.panel.add_class("pmo-project-panel")
        self.history = None
        self.know = what_to_know_widget()
        self.apply_filters()
        for widget in self.filters.values():
            widget.observe(self._on_filter, names="value")
        self.project.observe(self._on_project, names="value")
        self.header = w.HTML(self._header(as_of_line))
        self.header.add_class("pmo-header")
        self.refresh_error = refresh_note()
        grid = w.GridBox([self.boxes[k] for k in CHARTS],
                         layout=w.Layout(grid_template_columns="repeat(2, 600px)"))
        self.widget = w.VBox([
            self.header, self.refresh_error, self.know, w.HBox(list(self.filters.values())[:2]),
            w.HBox(list(self.filters.values())[2:]),
            w.HBox(list(self.tiles.values()), layout=w.Layout(flex_flow="row wrap")),
            grid, self.project, self.panel,
        ])

    def _header(self, as_of_line: str) -> str:
        data = self.data
        return (f"{STYLE}<p>Reporting date <b>{data.as_of:%Y-%m-%d}</b> &middot; "
                f"data checksum <code>{data.portfolio.checksum()}</code> &middot; "
                f'<span class="pmo-forecast-note">{html_text(data.forecast_note)}</span>'
                f"<br>{as_of_line}</p>")

    # -- live updates --------------------------------------------------------------------
    def watch(self, source: ExecutiveSource, version, interval: float) -> StoreWatcher:
        """Redraw whenever ``source`` moves past ``version`` (looked at every ``interval`` s)."""
        self.watcher = StoreWatcher(source.version, source.read,
                                    lambda found: self.refresh(*found),
                                    functools.partial(show_refresh, self.refresh_error),
                                    version, interval, url=source.store.url).start()
        return self.watcher

    def refresh(self, data: executive.ExecutiveData, as_of_line: str) -> None:
        """Show new data in place, keeping the filters and project the viewer chose.

        A chosen value the new data no longer offers falls back to "All" (or
        no project).
        """
        self._holding = True
        try:
            self.data = data
            self._selections.clear()  # kept for the data shown until now
            choices = data.choices()
            for name, widget in self.filters.items():
                set_choices(widget, choices[name], NONE)
            self.apply_filters()
        finally:
            self._holding = False
        self.header.value = self._header(as_of_line)
        self.show_project(self.project.value)

    # -- filters -----------------------------------------------------------------------
    def _on_filter(self, _change=None) -> None:
        if not self._holding:
            self.apply_filters()

    def _on_project(self, change) -> None:
        if not self._holding:
            self.show_project(change["new"])

    def chosen(self) -> dict[str, str | None]:
        return {name: widget.value or None for name, widget in self.filters.items()}

    def apply_filters(self, _change=None) -> None:
        """Show the view for the chosen filters: tiles, charts, project list."""
        view, specs = self._prepared(self.chosen())
        self._show_tiles(view["kpis"])
        self.know.value = wtk.to_html(wtk.executive_app(view["kpis"]), links=False)
        self._show_charts(specs)
        keep = self.project.value if self.project.value in view["projects"].index else NONE
        self.project.options = specs["options"]
        self.project.value = keep

    def _prepared(self, chosen: dict) -> tuple[dict, dict]:
        """The view of ``chosen`` and its charts' specs (or notes) and project choices.

        A choice seen (or warmed) before, going back to "All" say, reuses its
        view and specs: the frames are the same as long as the data is, so
        neither the analyses nor Altair run again (the last
        :data:`SELECTIONS_KEPT` choices are kept; new data clears them).
        """
        key = tuple(chosen.values())
        view, specs = self._selections.pop(key, None) or (
            executive.view(self.data, executive.select(self.data, **chosen)), {})
        self._selections[key] = (view, specs)  # now the most recently used
        while len(self._selections) > SELECTIONS_KEPT:
            del self._selections[next(iter(self._selections))]
        missing = [k for k in CHARTS if k not in specs]
        if missing:
            figures = self._figures(view)
            for k in missing:
                specs[k] = self._spec(k, figures[k])
        if "options" not in specs:
            names = view["projects"]["name"]
            specs["options"] = [("(choose a project)", NONE)] + [
                (labelled(pid, names), pid) for pid in names.sort_index().index]
        return view, specs

    def warm_choices(self) -> int:
        """Prepare the view of every one-filter choice ahead; return how many were made.

        A pre-heated kernel calls this while it waits for its page to be asked
        for (:func:`pmo_nb.apps.live.when_viewed`), so a viewer's first choice
        of a category, sponsor, objective or stage is shown without running the
        analyses and Altair (about 0.1 s of a filter change otherwise). Only
        the data shown now is warmed: new data clears what was prepared.
        """
        made = 0
        choices = self.data.choices()
        for name in FILTERS:
            for _label, value in choices[name]:
                chosen = dict.fromkeys(FILTERS) | {name: value or None}
                if tuple(chosen.values()) not in self._selections:
                    self._prepared(chosen)
                    made += 1
        return made

    def _show_tiles(self, kpi: dict) -> None:
        overruns = kpi["likely_overruns"]
        realised = kpi["benefits_realised"]
        values = {
            "projects": str(kpi["projects"]), "live": str(kpi["live"]),
            "budget": money(kpi["budget"]), "red": str(kpi["red"]),
            "likely-overruns": executive.NO_FORECAST if overruns is None else str(overruns),
            "benefits": "no benefits" if realised is None or pd.isna(realised)
            else f"{realised:.0%}",
            "over": str(kpi["over_team_months"]),
        }
        for key, label in TILES.items():
            self.tiles[key].value = (f'<div class="pmo-kpi-label">{label}</div>'
                                     f'<div class="pmo-kpi-value">{values[key]}</div>')

    def _figures(self, view: dict) -> dict:
        """Per chart ``(builder, args, kwargs)``, or the sentence shown instead of it."""
        out = {"rag": (charts.rag_chart, (view["rag"],), {"width": 420, "height": 200}),
               "rag-trend": (echarts.rag_trend_chart, (view["rag_trend"],),
                             {"width": 420, "height": 200})}
        forecast = view["forecast"]
        if forecast is None:
            out["overrun"] = (f"Forecast overrun probabilities: {executive.NO_FORECAST} "
                              "(run the forecast report to persist one).")
        elif forecast.empty:
            out["overrun"] = "No project in this selection has a forecast (active projects only)."
        else:
            out["overrun"] = (echarts.overrun_chart, (forecast,), {
                "threshold": executive.LIKELY_OVERRUN, "width": 420, "height": 220})
        rollup = view["benefits"]
        out["benefits"] = ("No benefits registered for these projects." if rollup is None
                           else (bcharts.rollup_chart, (rollup,), {
                               "width": 360, "title": "Benefits realisation by objective"}))
        cap = view["capacity"]
        out["capacity"] = ("No team demand from these projects around the reporting date."
                           if cap is None or cap.empty or not (cap["demand"] > 0).any()
                           else (ccharts.capacity_heatmap, (cap,),
                                 {"cell": 16, "teams": self.team_names}))
        risks = view["risks"]
        out["risks"] = ("No open risks on these projects." if risks is None or risks.empty
                        else (echarts.top_risks_chart, (risks,), {"width": 300}))
        return out

    def _show_charts(self, specs: dict) -> None:
        """Put each figure in its box: a new widget the first time, then only a new spec."""
        for key in CHARTS:
            box, figure = self.boxes[key], specs[key]
            if isinstance(figure, str):
                box.children = (_note(figure),)
                continue
            build, spec = figure
            chart_view = self.views[key]
            chart_view.spec = spec
            reading = self.readings.setdefault(key, w.HTML(charts.reading_html(build)))
            if box.children != (chart_view, reading):
                box.children = (chart_view, reading)

    def _spec(self, key: str, figure):
        """The note, or ``(builder, spec)``: the widget is built (and validated) once."""
        if isinstance(figure, str):
            return figure
        build, args, kwargs = figure
        chart_view = self.views.get(key)
        if chart_view is None:  # built and validated once
            chart_view = self.views[key] = charts.jupyter_chart(build(*args, **kwargs))
            if key == "overrun":
                chart_view.observe(self._on_pick, names="_vl_selections")
            spec = chart_view.spec
        else:  # same builder and parameters, new rows: skip re-validation
            spec = echarts.quick_spec(build, *args, **kwargs)
        # compiled to Vega here, once per view, not by the browser on every change
        return build, charts.compiled_spec(spec)

    def _on_pick(self, change) -> None:
        """A click on the overrun chart opens that project's page."""
        value = (change["new"].get(echarts.PICK) or {}).get("value") or {}
        points = value.get("vlPoint", {}).get("or", []) if isinstance(value, dict) else []
        if points and points[0].get("project_id") in dict(self.project.options).values():
            self.project.value = points[0]["project_id"]

    # -- one project ---------------------------------------------------------------------
    def show_project(self, project_id: str | None) -> None:
        """Fill the project panel (empty when ``project_id`` is empty)."""
        if not project_id:
            self.panel.children = ()
            return
        d = executive.project_detail(self.data, project_id)
        facts = d["facts"]
        head = (f'<div class="pmo-project"><h3 class="pmo-project-name">'
                f'{html_text(str(facts["name"]))}</h3><p>{html_text(project_id)} &middot; '
                f'{html_text(str(facts["category"]))} &middot; stage {facts["stage"]} &middot; '
                f'sponsor {html_text(str(facts["sponsor"]))} &middot; budget '
                f'{money(float(facts["budget"]))} &middot; latest RAG '
                f'<b class="pmo-project-rag">{d["rag"] if isinstance(d["rag"], str) else "none"}'
                f'</b></p>')
        parts = [head]
        evm = d["evm"]
        if evm is not None:
            cols = ["data_date", "percent_complete", "bac", "pv", "ev", "ac", "cpi", "spi", "eac"]
            parts.append("<h4>Earned value</h4>" + _table(evm[cols].to_frame().T))
        band = d["forecast"]
        if band is None:
            note = html_text(d["forecast_note"])
            parts.append(f'<p class="pmo-project-forecast">Forecast: {note}</p>')
        else:
            parts.append(
                f'<p class="pmo-project-forecast">Forecast final cost {money(band["cost_p10"])} to '
                f'{money(band["cost_p90"])} (p10-p90, median {money(band["cost_p50"])}); finish '
                f'{band["finish_p10"]:%Y-%m-%d} to {band["finish_p90"]:%Y-%m-%d}; chance of '
                f'overrunning budget {_pct(band["p_over_budget"])}, of finishing late '
                f'{_pct(band["p_late"])} ({html_text(d["forecast_note"])}).</p>')
        parts.append(f'<p class="pmo-project-plan">Plan: {html_text(d["plan_text"])}</p>')
        parts.append(f'<p class="pmo-project-governance">Baseline and scope: '
                     f'{html_text(d["governance_text"])}</p>')
        risks = d["risks"]
        parts.append("<h4>Open risks</h4>" + (
            "<p>None open.</p>" if risks is None or risks.empty else _table(
                risks[["risk_id", "title", "p", "expected_cost", "expected_delay"]],
                {"p": _pct, "expected_cost": lambda v: f"{v:,.0f}",
                 "expected_delay": lambda v: f"{v:.0f} days"})))
        ben = d["benefits"]
        parts.append("<h4>Benefits</h4>" + (
            "<p>None registered.</p>" if ben is None or ben.empty else _table(
                ben[["benefit_id", "name", "baseline", "target", "target_date",
                     "measured_value", "realised_share", "status"]],
                {"realised_share": _pct})))
        text = w.HTML("".join(parts) + "</div>")
        children = [text]
        if len(d["history"]):
            chart = echarts.project_history_chart(
                d["history"], float(facts["budget"]),
                None if band is None else band.to_dict(), width=520, height=200)
            if self.history is None:
                self.history = charts.jupyter_chart(chart)
                self.history_box = w.Box([self.history])
                self.history_box.add_class("pmo-chart-history")
            else:
                self.history.chart = chart
            children.append(self.history_box)
        self.panel.children = tuple(children)


def app(db=None, as_of=None, refresh=None) -> ExecutiveDashboard:
    """Build the dashboard for the store ``db`` at ``as_of`` (default today).

    It watches the store every ``refresh`` seconds (default
    :func:`pmo_nb.apps.live.refresh_seconds`: ``$PMO_REFRESH_SECONDS`` or 5;
    0 = never) on the running kernel's loop.
    """
    source = ExecutiveSource(db or None, as_of or None)
    version = source.version()
    dashboard = ExecutiveDashboard(*source.read(version))
    dashboard.watch(source, version, refresh_seconds(refresh))
    return dashboard

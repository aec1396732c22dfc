"""The scenario explorer: weight and budget sliders that re-optimise the funded portfolio.

Each objective's weight and the budget are sliders (they act when released:
``continuous_update=False``). A weight change re-scores, re-selects and
recomputes a coarse efficient frontier (:data:`FRONTIER_POINTS` budgets); a
budget change only re-selects and moves the plan's marker on the frontier,
which does not depend on the budget. Scenarios can be named, saved to the
store (the writer store of :func:`pmo_nb.prioritise.scenarios.writer_db` when set) and
compared side by side. DOM classes ``pmo-...`` name every part for tests.

It watches the store like the other dashboards (:mod:`pmo_nb.apps.live`) but
does not redraw by itself: a scenario being composed must not change under
its author's sliders. A new import is announced instead ("reload the page to
explore it"), beside the "data as of" line naming the import explored.
"""

from __future__ import annotations

import functools

import ipywidgets as w
import pandas as pd

from pmo_nb import charts
from pmo_nb.apps.live import (
    StoreWatcher,
    data_as_of,
    import_text,
    read_portfolio_at,
    refresh_seconds,
)
from pmo_nb.apps.widgets import chart_box, refresh_note, show_refresh, what_to_know_widget
from pmo_nb.briefings import what_to_know as wtk
from pmo_nb.charts import prioritisation as pcharts
from pmo_nb.errors import StoreError
from pmo_nb.formatting import html_text, labelled, whole_money
from pmo_nb.portfolio import Portfolio
from pmo_nb.prioritise.frontier import efficient_frontier
from pmo_nb.prioritise.scenarios import (
    compare,
    from_selection,
    list_scenarios,
    load_scenario,
    save_scenario,
    writer_db,
)
from pmo_nb.prioritise.scoring import score
from pmo_nb.prioritise.selection import InfeasibleSelection, Selection, select_portfolio
from pmo_nb.store.core import Store
from pmo_nb.store.loading import is_workbook, load_portfolio

#: Budgets on the explorer's frontier: coarse, so a weight change answers quickly.
FRONTIER_POINTS = 8
#: Default budget as a share of what all candidates ask for.
DEFAULT_SHARE = 0.5
CURRENT = "(current sliders)"

STYLE = """<style>
.pmo-summary { font-size: 15px; margin: 6px 0; }
.pmo-selection-list table { border-collapse: collapse; font-size: 13px; }
.pmo-selection-list td, .pmo-selection-list th { padding: 2px 8px;
  border-bottom: 1px solid #eceff1; }
.pmo-selection-list tr.pmo-funded td { font-weight: bold; }
.pmo-scenario-message { font-size: 13px; }
.pmo-scenario-compare table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
.pmo-scenario-compare td, .pmo-scenario-compare th { padding: 2px 8px;
  border-bottom: 1px solid #eceff1; }
</style>"""


def selection_html(selection: Selection) -> str:
    """Candidates as an HTML table (funded first), with the count in a findable span."""
    table = selection.table.sort_values(["selected", "rank"], ascending=[False, True])
    rows = "".join(
        f'<tr class="{"pmo-funded" if row.selected else "pmo-not-funded"}">'
        f"<td>{html_text(str(pid))}</td><td>{html_text(str(row.name))}</td>"
        f"<td style='text-align:right'>{whole_money(row.budget)}</td>"
        f"<td style='text-align:right'>{row.score:.1f}</td>"
        f"<td>{'funded' if row.selected else 'not funded'}</td>"
        f"<td>{html_text(str(row.reason))}</td></tr>"
        for pid, row in zip(table.index, table.itertuples(), strict=True)
    )
    named = selection.table["name"] if "name" in selection.table else None
    funded = html_text(", ".join(labelled(pid, named) for pid in selection.selected)) or "none"
    return (f'<p><span class="pmo-selected-count">{len(selection.selected)}</span> of '
            f"{len(table)} candidates funded: "
            f'<span class="pmo-selected-ids">{funded}</span></p>'
            "<table><tr><th>Project</th><th>Name</th><th>Budget</th><th>Score</th>"
            f"<th>Decision</th><th>Why</th></tr>{rows}</table>")


def summary_text(selection: Selection) -> str:
    """One sentence: what is funded, its value and cost, and the gain over the cut-line."""
    gain = selection.gain
    pct = f" ({gain / selection.greedy_value:.0%})" if selection.greedy_value > 0 else ""
    return (f"Optimal selection: <b>{len(selection.selected)}</b> projects, value "
            f"<b>{selection.value:,.1f}</b> for {whole_money(selection.cost)} of the "
            f"{whole_money(selection.budget)} budget. The greedy cut-line at the same budget "
            f"reaches {selection.greedy_value:,.1f}; the optimum adds {gain:,.1f}{pct}.")


class ScenarioExplorer:
    """Sliders, charts and scenario tools over one portfolio.

    Parameters
    ----------
    portfolio : Portfolio
    db : str, optional
        The store the portfolio came from; scenarios are written to
        :func:`pmo_nb.prioritise.scenarios.writer_db` (``PMO_SCENARIO_DB`` /
        ``PMO_INTAKE_DB``) when set, else to it.
    as_of : str, optional
        Recorded with saved scenarios.
    frontier_points : int
        Budgets on the frontier chart.
    """

    def __init__(self, portfolio: Portfolio, db=None, as_of: str | None = None,
                 frontier_points: int = FRONTIER_POINTS):
        self.portfolio = portfolio
        self.as_of = as_of
        self.writer = writer_db(db)
        self.frontier_points = frontier_points
        table = score(portfolio)
        self.total = float(table["budget"].sum())
        self.floor = float(table.loc[table["mandatory"], "budget"].sum())
        objectives = portfolio.objectives.set_index("objective_id")
        stated = objectives["weight"].astype(float)
        percent = (100 * stated / stated.sum()).round()
        self.weight_sliders = {}
        for oid, value in percent.items():
            # labelled with the objective's name (plain text, never markup), its id on hover
            slider = w.FloatSlider(value=float(value), min=0, max=100, step=1,
                                   description=str(objectives.at[oid, "name"]),
                                   continuous_update=False, readout_format=".0f",
                                   tooltip=f"{oid} {objectives.at[oid, 'name']}",
                                   style={"description_width": "180px"},
                                   layout=w.Layout(width="440px"))
            slider.add_class("pmo-weight")
            slider.add_class(f"pmo-weight-{oid}")
            self.weight_sliders[oid] = slider
        step = max(round(self.total / 200, -3), 1.0)
        start = max(self.floor, round(DEFAULT_SHARE * self.total, -3))
        self.budget_slider = w.FloatSlider(
            value=start, min=0.0, max=self.total, step=step, description="Budget",
            continuous_update=False, readout_format=",.0f",
            layout=w.Layout(width="520px"), style={"description_width": "70px"})
        self.budget_slider.add_class("pmo-budget")

        self.summary = self._html("pmo-summary")
        self.know = what_to_know_widget()
        self.selection_list = self._html("pmo-selection-list")
        self.scenario_name = w.Text(placeholder="scenario name", description="Name")
        self.scenario_name.add_class("pmo-scenario-name")
        self.save_button = w.Button(description="Save scenario", button_style="primary")
        self.save_button.add_class("pmo-scenario-save")
        self.message = self._html("pmo-scenario-message")
        self.first = w.Dropdown(description="Compare")
        self.first.add_class("pmo-scenario-a")
        self.second = w.Dropdown(description="with")
        self.second.add_class("pmo-scenario-b")
        self.compare_button = w.Button(description="Compare")
        self.compare_button.add_class("pmo-scenario-compare-button")
        self.comparison = self._html("pmo-scenario-compare")
        self.as_of_line = self._html("pmo-header")
        self.newer = self._html("pmo-newer-data")
        self.refresh_error = refresh_note()
        self.watcher: StoreWatcher | None = None

        self.selection: Selection | None = None
        self.frontier: pd.DataFrame | None = None
        self._recompute(frontier=True)
        self.ranking_view = charts.jupyter_chart(self._ranking_chart())
        self.frontier_view = charts.jupyter_chart(self._frontier_chart())
        self._refresh_saved()

        for slider in self.weight_sliders.values():
            slider.observe(self._on_weights, names="value")
        self.budget_slider.observe(self._on_budget, names="value")
        self.save_button.on_click(self._on_save)
        self.compare_button.on_click(self._on_compare)

    @staticmethod
    def _html(css: str) -> w.HTML:
        widget = w.HTML()
        widget.add_class(css)
        return widget

    # -- computing -----------------------------------------------------------------------

    def weights(self) -> dict[str, float]:
        """The slider weights (relative; scoring normalises them)."""
        return {oid: float(s.value) for oid, s in self.weight_sliders.items()}

    def _recompute(self, frontier: bool) -> None:
        """Re-select at the slider settings (and the frontier when weights moved)."""
        try:
            self.selection = select_portfolio(self.portfolio, self.budget_slider.value,
                                              weights=self.weights())
            if frontier or self.frontier is None:
                self.frontier = efficient_frontier(self.portfolio, self.frontier_points,
                                                   weights=self.weights())
        except (InfeasibleSelection, ValueError) as exc:
            self.selection = None
            self.summary.value = f"<b>No selection:</b> {html_text(str(exc))}"
            self.selection_list.value = ""
            return
        self.summary.value = summary_text(self.selection)
        self.know.value = wtk.to_html(
            wtk.prioritisation(self.portfolio, self.selection, self.budget_slider.value),
            links=False)
        self.selection_list.value = selection_html(self.selection)

    def _ranking_chart(self):
        if self.selection is None:
            return pcharts.ranking_chart(score(self.portfolio), width=360)
        return pcharts.ranking_chart(self.selection.table, width=360)

    def _frontier_chart(self):
        return pcharts.frontier_chart(self.frontier, self.selection, width=420, height=260)

    def _redraw(self) -> None:
        self.ranking_view.chart = self._ranking_chart()
        if self.frontier is not None:
            self.frontier_view.chart = self._frontier_chart()

    def _on_weights(self, _change=None) -> None:
        self._recompute(frontier=True)
        self._redraw()

    def _on_budget(self, _change=None) -> None:
        self._recompute(frontier=False)
        self._redraw()

    # -- scenarios -----------------------------------------------------------------------

    def _store(self):
        return Store(self.writer)

    def _on_save(self, _button=None) -> None:
        self.message.value = self.save(self.scenario_name.value)

    def save(self, name: str) -> str:
        """Save the current sliders' selection as ``name``; returns the message shown."""
        if self.selection is None:
            return "Nothing to save: there is no feasible selection at these settings."
        try:
            scenario = from_selection(name, self.selection, as_of=self.as_of,
                                      checksum=self.portfolio.checksum(),
                                      weights=self.weights())
        except ValueError as exc:
            return f"<span style='color:#c62828'>{html_text(str(exc))}.</span>"
        try:
            version = save_scenario(self._store(), scenario)
        except (StoreError, OSError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            return ("<span style='color:#c62828'>Saving is not permitted here: this "
                    "dashboard's store is read-only or unreachable "
                    f"({html_text(reason)}). Ask the PMO to set a writable store "
                    "(PMO_SCENARIO_DB) for scenarios.</span>")
        self._refresh_saved()
        self.first.value = scenario.name  # ready to compare with the sliders' next move
        self.second.value = CURRENT
        return (f"Saved scenario <b>{html_text(scenario.name)}</b> (version {version}): "
                f"{len(scenario.selected)} projects, value {scenario.value:,.1f}.")

    def _refresh_saved(self) -> None:
        try:
            names = list(list_scenarios(self._store())["name"])
        except Exception:  # noqa: BLE001 - an unreadable writer store just lists nothing
            names = []
        options = [CURRENT, *sorted(names)]
        for dropdown in (self.first, self.second):
            keep = dropdown.value if dropdown.value in options else None
            dropdown.options = options
            dropdown.value = keep or (options[1] if dropdown is self.first and
                                      len(options) > 1 else CURRENT)

    def _scenario(self, name: str):
        if name == CURRENT:
            if self.selection is None:
                raise ValueError("no feasible selection at the current settings")
            return from_selection(CURRENT, self.selection, weights=self.weights())
        return load_scenario(self._store(), name)

    def _on_compare(self, _button=None) -> None:
        self.comparison.value = self.compare_html(self.first.value, self.second.value)

    def compare_html(self, first: str, second: str) -> str:
        """The comparison of two scenarios (saved names or :data:`CURRENT`) as HTML."""
        try:
            result = compare(self._scenario(first), self._scenario(second))
        except (KeyError, ValueError) as exc:
            return f"<span style='color:#c62828'>{html_text(str(exc))}</span>"
        summary = result.summary.astype(object)
        for measure, fmt in (("value", "{:,.1f}"), ("projects", "{:,.0f}")):
            summary.loc[measure] = [fmt.format(v) for v in result.summary.loc[measure]]
        for measure in ("budget", "cost", "unspent"):
            summary.loc[measure] = [whole_money(v) for v in result.summary.loc[measure]]
        table = summary.to_html(escape=True)
        diff = result.differences.copy()
        diff["budget"] = diff["budget"].map(whole_money)
        diff_html = (diff.to_html(escape=True) if len(diff)
                     else "<p>Both fund exactly the same projects.</p>")
        text = "".join(f"<p>{html_text(s)}</p>" for s in result.sentences())
        return text + table + "<p><b>Funded in only one of them</b></p>" + diff_html

    # -- a newer import ------------------------------------------------------------------
    def watch(self, store: Store, version, interval: float) -> StoreWatcher:
        """Announce each import landing after ``version`` (no redraw: see the module notes)."""
        def announce(text: str) -> None:
            self.newer.value = f'<div class="pmo-note">{html_text(text)}</div>'

        def newer(found) -> str:
            landed = import_text(store.import_record(found.import_id))
            return (f"Newer data landed: {landed}. Reload the page to explore it; saved "
                    "scenarios are kept.")

        self.watcher = StoreWatcher(lambda: store.data_version(kinds=()), newer, announce,
                                    functools.partial(show_refresh, self.refresh_error),
                                    version, interval, url=store.url).start()
        return self.watcher

    # -- layout --------------------------------------------------------------------------

    def widget(self) -> w.Widget:
        """The whole explorer as one widget."""
        ranking = chart_box("ranking", self.ranking_view, pcharts.ranking_chart)
        frontier = chart_box("frontier", self.frontier_view, pcharts.frontier_chart)
        weights = w.VBox([w.HTML("<b>Objective weights</b> (relative)"),
                          *self.weight_sliders.values()])
        scenario_box = w.VBox([
            w.HTML("<b>Scenarios</b>"),
            w.HBox([self.scenario_name, self.save_button]), self.message,
            w.HBox([self.first, self.second, self.compare_button]), self.comparison,
        ])
        return w.VBox([
            w.HTML(STYLE), self.as_of_line, self.newer, self.refresh_error, self.know,
            w.HBox([weights, w.VBox([self.budget_slider, self.summary])]),
            w.HBox([ranking, frontier]),
            self.selection_list,
            scenario_box,
        ])


def explorer(db=None, as_of: str | None = None, refresh=None, **kwargs) -> ScenarioExplorer:
    """Load the store's current portfolio and build the explorer.

    ``as_of`` is the reporting date recorded with saved scenarios (the
    portfolio is the store's latest, as in the other dashboards); every
    ``refresh`` seconds (:func:`pmo_nb.apps.live.refresh_seconds`) it looks
    for a newer import and announces it.
    """

    if db and is_workbook(db):
        return ScenarioExplorer(load_portfolio(db), db=db, as_of=as_of, **kwargs)
    store = Store(db or None)
    version = store.data_version(kinds=())
    portfolio, record = read_portfolio_at(store, version)
    app = ScenarioExplorer(portfolio, db=db or None, as_of=as_of, **kwargs)
    app.as_of_line.value = data_as_of(record)
    app.watch(store, version, refresh_seconds(refresh))
    return app

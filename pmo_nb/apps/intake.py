"""The proposal intake form: fill in a project, see its problems, rank, cost range and
capacity impact, then save it as a ``proposed`` project.

The form's fields are those of :class:`pmo_nb.prioritise.proposal.Proposal` (and of
``templates/proposal.md``). **Check** runs the import rules
(:func:`pmo_nb.prioritise.proposal.check`) and shows every problem beside the form, or
the assessment; **Save** checks again and, only when all rules hold, writes
the project in one store transaction. The portfolio is read through the
dashboards' read-only store; proposals are written through the intake store
(``PMO_INTAKE_DB``, set by ``pmo serve --intake-db``); without one, saving is
off and the page says so. DOM classes ``pmo-intake-...`` name the parts.

The fields help against typos that would change the data: dates are date
pickers, the category is chosen from the store's (a new one only under
"other", with a warning that it starts a new reference class), sponsor and
manager offer the ``people`` table's and the projects' names (a new name is
allowed, with a warning), and the budget takes ``2.5m``, ``2,500,000`` or
``250k`` and shows the amount it read.
"""

from __future__ import annotations

import os

import ipywidgets as w
import pandas as pd

from pmo_nb.apps.widgets import ChoiceWithOther, MoneyField, NameField, what_to_know_widget
from pmo_nb.briefings import form_briefs
from pmo_nb.briefings import what_to_know as wtk
from pmo_nb.dates import day, is_blank, today
from pmo_nb.errors import StoreError
from pmo_nb.forecast.progress import outcomes
from pmo_nb.formatting import html_text, labelled, money
from pmo_nb.prioritise import proposal as pr
from pmo_nb.prioritise.frontier import default_budget
from pmo_nb.prioritise.scoring import candidates
from pmo_nb.store.core import Store

#: Environment variable naming the store proposals are written to (set by ``pmo serve``).
INTAKE_DB_ENV = "PMO_INTAKE_DB"
DIRECTIONS = ("increase", "decrease")
STYLE = """<style>
.pmo-intake-errors table, .pmo-intake-assessment table { border-collapse: collapse;
  font-size: 13px; }
.pmo-intake-errors td, .pmo-intake-errors th, .pmo-intake-assessment td,
.pmo-intake-assessment th { padding: 2px 6px; border-bottom: 1px solid #eceff1;
  text-align: left; }
.pmo-intake-errors h4 { color: #c62828; }
.pmo-intake-confirmation { color: #2e7d32; font-weight: bold; }
</style>"""


LABEL = {"description_width": "110px"}
#: Beside a category typed under "other" (``{}`` is what was typed).
NEW_CATEGORY = ("{} is a new category: it starts a new reference class, with no past "
                "projects to compare costs with")
#: Beside a sponsor or manager not in the people table or the projects.
NEW_PERSON = "{} is not a known person: saving adds a new name (check the spelling)"


def _text(key: str, description: str, placeholder: str = "", width: str = "360px") -> w.Text:
    widget = w.Text(description=description, placeholder=placeholder,
                    layout=w.Layout(width=width), style=LABEL)
    widget.add_class(f"pmo-intake-{key}")
    return widget


def _date(key: str, description: str) -> w.DatePicker:
    widget = w.DatePicker(description=description, style=LABEL)
    widget.add_class(f"pmo-intake-{key}")
    return widget


def _names(column: pd.Series) -> list[str]:
    """The distinct non-blank texts of ``column``, sorted."""
    return sorted({str(v).strip() for v in column.dropna() if str(v).strip()})


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html_text(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(
        f"<td>{'' if v is None or (not isinstance(v, str) and pd.isna(v)) else html_text(str(v))}"
        "</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


class DemandRow:
    """One demand line of the form: team, first and last month, FTE per month."""

    def __init__(self, teams: list[tuple[str, str]]):
        self.team = w.Dropdown(options=[("(team)", ""), *teams], layout=w.Layout(width="220px"))
        self.first = w.Text(placeholder="first YYYY-MM", layout=w.Layout(width="120px"))
        self.last = w.Text(placeholder="last YYYY-MM", layout=w.Layout(width="120px"))
        self.fte = w.Text(placeholder="FTE per month", layout=w.Layout(width="110px"))
        self.widget = w.HBox([self.team, self.first, self.last, self.fte])
        self.widget.add_class("pmo-intake-demand-row")

    def value(self) -> pr.DemandLine:
        return pr.DemandLine(self.team.value, self.first.value, self.last.value, self.fte.value)


class BenefitRow:
    """One benefit of the form: KPI name, objective, unit, direction, baseline, target, date."""

    def __init__(self, objectives: list[tuple[str, str]]):
        self.name = w.Text(placeholder="KPI name", layout=w.Layout(width="180px"))
        self.objective = w.Dropdown(options=[("(objective)", ""), *objectives],
                                    layout=w.Layout(width="170px"))
        self.unit = w.Text(placeholder="unit", layout=w.Layout(width="70px"))
        self.direction = w.Dropdown(options=DIRECTIONS, layout=w.Layout(width="100px"))
        self.baseline = w.Text(placeholder="baseline", layout=w.Layout(width="80px"))
        self.target = w.Text(placeholder="target", layout=w.Layout(width="80px"))
        self.target_date = w.DatePicker(layout=w.Layout(width="150px"))
        self.target_date.add_class("pmo-intake-benefit-date")
        self.widget = w.HBox([self.name, self.objective, self.unit, self.direction,
                              self.baseline, self.target, self.target_date])
        self.widget.add_class("pmo-intake-benefit-row")

    def value(self) -> pr.BenefitLine:
        return pr.BenefitLine(self.name.value, self.objective.value, self.unit.value,
                              self.direction.value, self.baseline.value, self.target.value,
                              self.target_date.value or "")


class IntakeApp:
    """The form, its checks and the save; ``.widget`` is what the notebook shows."""

    def __init__(self, reader: Store, writer: Store | None, as_of=None):
        self.reader, self.writer = reader, writer
        self.as_of = today() if is_blank(as_of) else day(as_of)
        self._model = None
        self.know = what_to_know_widget()
        self.reload()
        projects = self.portfolio.projects
        self.name = _text("name", "Name")
        self.category = ChoiceWithOther(
            "pmo-intake-category", "Category", _names(projects["category"]),
            warning=NEW_CATEGORY, style=LABEL, other_label="other (new category)")
        people = _names(self.portfolio.people["name"])
        self.sponsor = NameField("pmo-intake-sponsor", "Sponsor",
                                 people + _names(projects["sponsor"]), warning=NEW_PERSON,
                                 style=LABEL)
        self.manager = NameField("pmo-intake-manager", "Manager",
                                 people + _names(projects["manager"]), warning=NEW_PERSON,
                                 style=LABEL)
        self.start = _date("start", "Start date")
        self.finish = _date("finish", "Finish date")
        self.budget = MoneyField("pmo-intake-budget", "Budget", style=LABEL)
        objectives = self.portfolio.objectives
        self.sliders = {}
        for row in objectives.itertuples():
            # captioned with the objective's name (plain text, never markup), the id on
            # hover and beside it, as the scenario explorer's weight sliders are (issue #18)
            label = labelled(row.objective_id, {row.objective_id: row.name})
            slider = w.IntSlider(value=0, min=0, max=5, description=str(row.name),
                                 tooltip=label,
                                 style={"description_width": "220px"},
                                 layout=w.Layout(width="480px"))
            slider.add_class(f"pmo-intake-align-{row.objective_id}")
            self.sliders[row.objective_id] = w.HBox(
                [slider, w.Label(str(row.objective_id), tooltip=label)]), slider
        teams = [(f"{t.team_id} {t.name}", t.team_id) for t in self.portfolio.teams.itertuples()]
        self._teams = teams
        self._objectives = [(f"{o.objective_id} {o.name}", o.objective_id)
                            for o in objectives.itertuples()]
        self.demand_rows = [DemandRow(teams) for _ in range(2)]
        self.benefit_rows = [BenefitRow(self._objectives)]
        self.demand_box = w.VBox([r.widget for r in self.demand_rows])
        self.benefit_box = w.VBox([r.widget for r in self.benefit_rows])
        add_demand = w.Button(description="Add a team")
        add_demand.on_click(lambda _b: self._add_demand())
        add_benefit = w.Button(description="Add a benefit")
        add_benefit.on_click(lambda _b: self._add_benefit())
        self.check_button = w.Button(description="Check", button_style="info")
        self.check_button.add_class("pmo-intake-check")
        self.check_button.on_click(lambda _b: self.check())
        self.save_button = w.Button(description="Save proposal", button_style="success",
                                    disabled=writer is None)
        self.save_button.add_class("pmo-intake-save")
        self.save_button.on_click(lambda _b: self.save())
        self.errors = w.HTML()
        self.errors.add_class("pmo-intake-errors")
        self.assessment = w.HTML()
        self.assessment.add_class("pmo-intake-assessment")
        self.confirmation = w.HTML(
            "" if writer is not None else "<p>Saving is off: this server has no intake store "
            "(start it with <code>pmo serve --intake-db URL</code>).</p>")
        self.confirmation.add_class("pmo-intake-confirmation")
        form = w.VBox([
            w.HTML(f"{STYLE}<h3>Proposal</h3>"), self.name, self.category.widget,
            self.sponsor.widget, self.manager.widget, self.start, self.finish,
            self.budget.widget,
            w.HTML("<h4>Alignment with each objective (0 none to 5 decisive)</h4>"),
            *[box for box, _ in self.sliders.values()],
            w.HTML("<h4>Demand per team (FTE in each month from first to last)</h4>"),
            self.demand_box, add_demand,
            w.HTML("<h4>Benefits (direction: which way is good)</h4>"),
            self.benefit_box, add_benefit,
            w.HBox([self.check_button, self.save_button]),
        ], layout=w.Layout(width="900px"))
        side = w.VBox([self.errors, self.confirmation, self.assessment],
                      layout=w.Layout(width="520px", margin="0 0 0 16px"))
        self.widget = w.VBox([self.know, w.HBox([form, side])])

    # -- state ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the portfolio and the import it came from (what a save is based on)."""
        self.portfolio = self.reader.load()
        history = self.reader.history()
        self.based_on = int(history["import_id"].iloc[0]) if len(history) else None
        if self.writer is not None and not self._writes_what_it_reads():
            self.based_on = None  # another store: the save takes the next id free there
        self.know.value = wtk.to_html(self.findings(), links=False)

    def findings(self) -> list[wtk.Finding]:
        """What to know before proposing: the pipeline, the categories, past overruns."""
        p = self.portfolio
        return form_briefs.intake(p, candidates(p), default_budget(p), outcomes(p, self.as_of))

    def _writes_what_it_reads(self) -> bool:
        """The writer is the reader's store (maybe through another role's URL)."""
        try:
            return self.writer.store_id() == self.reader.store_id()
        except StoreError:  # the writer is unreachable: saving will say so
            return False

    def _add_demand(self) -> None:
        self.demand_rows.append(DemandRow(self._teams))
        self.demand_box.children = [r.widget for r in self.demand_rows]

    def _add_benefit(self) -> None:
        self.benefit_rows.append(BenefitRow(self._objectives))
        self.benefit_box.children = [r.widget for r in self.benefit_rows]

    def proposal(self) -> pr.Proposal:
        """The form's values as a Proposal."""
        return pr.Proposal(
            name=self.name.value, category=self.category.value, sponsor=self.sponsor.value,
            manager=self.manager.value, start_date=self.start.value or "",
            finish_date=self.finish.value or "", budget=self.budget.value,
            alignment={o: s.value for o, (_, s) in self.sliders.items()},
            demand=[r.value() for r in self.demand_rows],
            benefits=[r.value() for r in self.benefit_rows])

    # -- actions -------------------------------------------------------------------------
    def check(self) -> pr.ProposalCheck:
        """Validate the form; show the problems, or the assessment."""
        result = pr.check(self.proposal(), self.portfolio)
        self.confirmation.value = ""
        if not result.ok:
            shown = result.problems[["field", "column", "value", "rule"]]
            self.errors.value = (f"<h4>{len(shown)} problem(s): nothing was saved</h4>"
                                 + _table(shown))
            self.assessment.value = ""
            return result
        self.errors.value = ""
        self.assessment.value = self._assessment_html(result)
        return result

    def _model_or_none(self):
        if self._model is None and len(self.reader.list_results(pr.MODEL_KIND)):
            self._model = pr.load_forecast_model(self.reader)
        return self._model

    def _assessment_html(self, result: pr.ProposalCheck) -> str:
        pid = result.project_id
        merged = pr.merge(self.portfolio, result.rows)
        parts = [f"<h4>Assessment of {html_text(pid)}</h4>"]
        try:
            r = pr.rank(merged, pid)
            parts.append(f'<p class="pmo-intake-rank">Would rank <b>{r["rank"]} of {r["of"]}</b> '
                         f'candidates by weighted score ({r["score"]:.1f} {r["unit"]}).</p>')
        except ValueError as err:
            parts.append(f"<p>Rank not available: {html_text(str(err))}</p>")
        band = pr.reference_range(result.rows, self._model_or_none())
        if band is None:
            parts.append(f'<p class="pmo-intake-range">Reference-class cost range: {pr.NO_MODEL}.'
                         "</p>")
        else:
            parts.append(
                f'<p class="pmo-intake-range">Reference-class final cost {money(band["cost_p10"])}'
                f' to {money(band["cost_p90"])} (p10-p90, median {money(band["cost_p50"])}); '
                f'chance of overrunning the budget {band["p_over_budget"]:.0%}; duration '
                f'{band["duration_p10"]:.0f} to {band["duration_p90"]:.0f} days.</p>')
        impact = pr.capacity_impact(merged, pid)
        if impact.empty:
            parts.append('<p class="pmo-intake-capacity">Capacity impact: no team demand given.'
                         "</p>")
        else:
            parts.append(
                f'<p class="pmo-intake-capacity">Capacity impact: {len(impact)} team-months, '
                f'{impact.attrs["newly_over"]} tipped over capacity, '
                f'{impact.attrs["added_overload"]:.1f} FTE-months of overload added.</p>')
            teams = dict((value, label) for label, value in self._teams)  # "T01 Name"
            shown = impact.assign(utilisation_after=impact["utilisation_after"].map(
                lambda v: f"{v:.0%}"), team=impact["team_id"].map(teams).fillna(
                impact["team_id"]))
            parts.append(_table(shown[["team", "month", "added", "demand_before", "capacity",
                                       "utilisation_after", "over_after"]].round(2)))
        return "".join(parts)

    def save(self):
        """Check again and, when every rule holds, write the proposal; show the outcome."""
        result = self.check()
        if not result.ok or self.writer is None:
            return None
        try:
            summary = pr.save(result, self.writer, self.based_on)
        except StoreError as err:  # also ImportConflict: someone saved the same id first
            self.confirmation.value = f"<p>Not saved: {html_text(str(err))}</p>"
            return None
        name = result.rows.projects.at[0, "name"]
        self.confirmation.value = (
            f'<p>Saved <span class="pmo-intake-saved-id">{html_text(result.project_id)}</span>'
            f' "{html_text(str(name))}" as a proposed project (import {summary.import_id}).</p>')
        self.reload()
        return summary


def app(db: str = "", as_of: str = "", intake_db: str = "") -> IntakeApp:
    """The intake form reading store ``db`` and writing to ``intake_db`` (or PMO_INTAKE_DB)."""
    target = intake_db or os.environ.get(INTAKE_DB_ENV, "").strip()
    return IntakeApp(Store(db or None), Store(target) if target else None, as_of or None)

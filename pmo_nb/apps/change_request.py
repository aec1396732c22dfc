"""The change-request form: raise a change against a live project, see its problems or
its effect on the baselines, then save it as a ``proposed`` change.

**Check** runs the import rules (:func:`pmo_nb.governance.change_form.check`)
and shows every problem beside the form, or what approving the change would do
to the project's current baseline and the portfolio's total budget; **Save**
checks again and, only when all rules hold, writes the change in one store
transaction with the next free ``CRnnnn`` id of the store written to. The
portfolio is read through the dashboards' read-only store; changes are written
through the intake store (``PMO_INTAKE_DB``, set by ``pmo serve --intake-db``);
without one, saving is off and the page says so. DOM classes ``pmo-cr-...``
name the parts. The raised date is a date picker and the cost impact takes
``250k``, ``-40k`` or ``€1.2m`` as well as plain numbers, showing the amount
it read.
"""

from __future__ import annotations

import os

import ipywidgets as w
import pandas as pd

from pmo_nb.apps.intake import INTAKE_DB_ENV
from pmo_nb.apps.widgets import MoneyField, what_to_know_widget
from pmo_nb.briefings import form_briefs
from pmo_nb.briefings import what_to_know as wtk
from pmo_nb.dates import LIVE_STAGES, reporting_date
from pmo_nb.errors import StoreError, ValidationError
from pmo_nb.formatting import html_text, money
from pmo_nb.governance import baseline, change_summary, decisions_owed
from pmo_nb.governance import change_form as cf
from pmo_nb.store.core import Store

STYLE = """<style>
.pmo-cr-errors table { border-collapse: collapse; font-size: 13px; }
.pmo-cr-errors td, .pmo-cr-errors th { padding: 2px 6px; border-bottom: 1px solid #eceff1;
  text-align: left; }
.pmo-cr-errors h4 { color: #c62828; }
.pmo-cr-confirmation { color: #2e7d32; font-weight: bold; }
</style>"""
NO_BENEFIT = ("(no benefit)", "")
WIDE = {"description_width": "150px"}


def _tagged(widget, key: str):
    widget.add_class(f"pmo-cr-{key}")
    return widget


def _number(key: str, description: str) -> w.FloatText:
    return _tagged(w.FloatText(value=0.0, description=description, style=WIDE,
                               layout=w.Layout(width="320px")), key)


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html_text(str(value))


def _problems_html(problems: pd.DataFrame) -> str:
    shown = problems[["field", "value", "rule"]]
    head = "".join(f"<th>{html_text(c)}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for row in shown.itertuples(index=False))
    return (f"<h4>{len(shown)} problem(s): nothing was saved</h4>"
            f"<table><tr>{head}</tr>{body}</table>")


def _day(value) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _delta(now: float, after: float) -> str:
    change = after - now
    return f"{'+' if change >= 0 else '-'}{money(abs(change))}"


def _days(now, after) -> str:
    return "n/a" if pd.isna(now) or pd.isna(after) else f"{(after - now).days:+d} days"


def effect_html(got: dict, name: str) -> str:
    """The effect of approving the change (:func:`pmo_nb.governance.change_form.effect`)."""
    return (
        f"<h4>Effect on {html_text(got['project_id'])} {html_text(name)} if approved on "
        f"{_day(got['as_of'])}</h4>"
        f'<p class="pmo-cr-effect-budget">Current budget {money(got["budget_now"])}, '
        f'{money(got["budget_after"])} if approved '
        f'({_delta(got["budget_now"], got["budget_after"])}).</p>'
        f'<p class="pmo-cr-effect-finish">Current finish {_day(got["finish_now"])}, '
        f'{_day(got["finish_after"])} if approved '
        f'({_days(got["finish_now"], got["finish_after"])}).</p>'
        f'<p class="pmo-cr-effect-total">Portfolio total budget {money(got["total_now"])}, '
        f'{money(got["total_after"])} if approved '
        f'({_delta(got["total_now"], got["total_after"])}).</p>')


class ChangeRequestApp:
    """The form, its checks and the save; ``.widget`` is what the notebook shows."""

    def __init__(self, reader: Store, writer: Store | None, as_of=None):
        self.reader, self.writer = reader, writer
        self._as_of = as_of
        self.know = what_to_know_widget()
        self.reload()
        self.project = _tagged(w.Dropdown(description="Project", style=WIDE,
                                          layout=w.Layout(width="520px")), "project")
        self.title = _tagged(w.Text(description="Title", style=WIDE,
                                    layout=w.Layout(width="520px")), "title")
        self.raised = _tagged(w.DatePicker(description="Raised date", style=WIDE,
                                           value=self.as_of.date()), "raised")
        self.cost = MoneyField("pmo-cr-cost", "Cost impact", style=WIDE, width="320px",
                               value="0")
        self.days = _number("days", "Schedule impact (days)")
        self.scope = _number("scope", "Scope impact")
        self.benefit = _tagged(w.Dropdown(description="Benefit", style=WIDE,
                                          options=[NO_BENEFIT],
                                          layout=w.Layout(width="520px")), "benefit")
        self.benefit_impact = _number("benefit-impact", "Benefit impact")
        self.reason = _tagged(w.Textarea(description="Reason", style=WIDE,
                                         layout=w.Layout(width="520px")), "reason")
        self.project.observe(lambda _c: self._benefits(), names="value")
        self._projects()
        self.check_button = _tagged(w.Button(description="Check", button_style="info"), "check")
        self.check_button.on_click(lambda _b: self.check())
        self.save_button = _tagged(w.Button(description="Save change request",
                                            button_style="success", disabled=writer is None),
                                   "save")
        self.save_button.on_click(lambda _b: self.save())
        self.errors = _tagged(w.HTML(), "errors")
        self.effect = _tagged(w.HTML(), "effect")
        self.confirmation = _tagged(w.HTML(
            "" if writer is not None else "<p>Saving is off: this server has no intake store "
            "(start it with <code>pmo serve --intake-db URL</code>).</p>"), "confirmation")
        form = w.VBox([w.HTML(f"{STYLE}<h3>Change request</h3>"), self.project, self.title,
                       self.raised, self.cost.widget, self.days, self.scope, self.benefit,
                       self.benefit_impact, self.reason,
                       w.HBox([self.check_button, self.save_button])],
                      layout=w.Layout(width="560px"))
        side = w.VBox([self.errors, self.confirmation, self.effect],
                      layout=w.Layout(width="560px", margin="0 0 0 16px"))
        self.widget = w.VBox([self.know, w.HBox([form, side])])

    # -- state ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the portfolio the form checks against."""
        self.portfolio = self.reader.load()
        self.as_of = reporting_date(self.portfolio, self._as_of)
        self.know.value = wtk.to_html(self.findings(), links=False)

    def findings(self) -> list[wtk.Finding]:
        """What to know before raising a change: changes waiting, drift, decisions overdue."""
        p, when = self.portfolio, self.as_of
        return form_briefs.change_request(p, change_summary(p, when), baseline(p, when),
                                          decisions_owed(p, when))

    def _projects(self) -> None:
        live = self.portfolio.projects[self.portfolio.projects["stage"].isin(LIVE_STAGES)]
        live = live.sort_values("project_id")
        self.project.options = [("(choose a project)", ""), *(
            (f"{p.project_id} {p.name}", p.project_id) for p in live.itertuples())]

    def _benefits(self) -> None:
        benefits = self.portfolio.benefits
        mine = benefits[benefits["project_id"] == self.project.value].sort_values("benefit_id")
        self.benefit.options = [NO_BENEFIT, *(
            (f"{b.benefit_id} {b.name}", b.benefit_id) for b in mine.itertuples())]
        self.benefit.value = ""

    def form(self) -> cf.ChangeForm:
        """The form's values as a ChangeForm (a benefit impact only with a benefit)."""
        benefit = self.benefit.value or ""
        impact = self.benefit_impact.value if benefit or self.benefit_impact.value else None
        return cf.ChangeForm(
            project_id=self.project.value or "", title=self.title.value,
            raised_date=self.raised.value, cost_impact=self.cost.value,
            schedule_impact_days=self.days.value, scope_impact=self.scope.value,
            benefit_id=benefit, benefit_impact=impact, reason=self.reason.value)

    # -- actions -------------------------------------------------------------------------
    def check(self) -> cf.ChangeCheck:
        """Validate the form; show the problems, or the effect of approving it."""
        result = cf.check(self.form(), self.portfolio)
        self.confirmation.value = ""
        if not result.ok:
            self.errors.value = _problems_html(result.problems)
            self.effect.value = ""
            return result
        self.errors.value = ""
        got = cf.effect(self.portfolio, result.rows, self.as_of)
        name = self.portfolio.projects.set_index("project_id").at[got["project_id"], "name"]
        self.effect.value = effect_html(got, str(name))
        return result

    def save(self):
        """Check again and, when every rule holds, write the change; show the outcome.

        After a save the portfolio is read again and "What to know" refreshed, so
        the block counts the change just raised when the form writes what it reads.
        """
        result = self.check()
        if not result.ok or self.writer is None:
            return None
        try:
            summary = cf.save(result, self.writer)
        except (StoreError, ValidationError) as err:  # e.g. the writer lacks the project
            self.confirmation.value = f"<p>Not saved: {html_text(str(err))}</p>"
            return None
        title = result.rows.change_requests.at[0, "title"]
        self.confirmation.value = (
            f'<p>Saved <span class="pmo-cr-saved-id">{html_text(result.change_id)}</span>'
            f' "{html_text(str(title))}" as a proposed change (import {summary.import_id}).</p>')
        # read again, so "What to know" counts the change just raised (as the intake does)
        self.reload()
        return summary


def app(db: str = "", as_of: str = "", intake_db: str = "") -> ChangeRequestApp:
    """The change-request form reading store ``db`` and writing to ``intake_db``
    (or PMO_INTAKE_DB)."""
    target = intake_db or os.environ.get(INTAKE_DB_ENV, "").strip()
    return ChangeRequestApp(Store(db or None), Store(target) if target else None, as_of or None)

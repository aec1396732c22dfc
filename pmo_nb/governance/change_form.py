"""A change request raised on a form: checked by the import rules, its effect, then saved.

The change-request form (``dashboards/change_request.ipynb``) collects one
``change_requests`` row. :func:`check` builds it as text cells, adds it to
the store's tables turned back into text cells
(:func:`pmo_nb.io.plan_import.store_workbook`) and runs the importer's
:func:`pmo_nb.io.validation.validate`, so the row obeys exactly the rules a
workbook's does (the project and the benefit must exist, dates and numbers
parse). :func:`effect` says what approving it would do to the project's
current baseline (:func:`pmo_nb.governance.baselines.baseline`) and to the
portfolio's total budget. :func:`save` writes it as ``proposed`` in one import
transaction, with the next free ``CRnnnn`` id of the store written to.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from pmo_nb.dates import reporting_date
from pmo_nb.errors import PROBLEM_COLUMNS, ValidationError
from pmo_nb.governance.baselines import baseline
from pmo_nb.io.form_cells import form_text, money_text, next_free_id
from pmo_nb.io.plan_import import store_workbook, text_cells
from pmo_nb.io.reading import RawTable
from pmo_nb.io.validation import validate
from pmo_nb.portfolio import Portfolio

#: Prefix and digits of the ids the form gives new changes (CR0001, CR0002, ...).
ID_PREFIX, ID_DIGITS = "CR", 4
#: Where problems with the form's row point ("file" of a problem).
LOCATION = "change request form"
STATUS = "proposed"
TABLE = "change_requests"
#: The form's label of each column it fills.
LABELS = {
    "change_id": "Change id", "project_id": "Project", "title": "Title",
    "raised_date": "Raised date", "status": "Status", "cost_impact": "Cost impact",
    "schedule_impact_days": "Schedule impact (days)", "scope_impact": "Scope impact",
    "benefit_id": "Benefit", "benefit_impact": "Benefit impact", "reason": "Reason",
}


@dataclass
class ChangeForm:
    """The fields of a change request as the form gives them."""

    project_id: str = ""
    title: str = ""
    raised_date: object = ""
    cost_impact: object = None
    schedule_impact_days: object = None
    scope_impact: object = None
    benefit_id: str = ""
    benefit_impact: object = None
    reason: str = ""


@dataclass
class ChangeCheck:
    """The outcome of :func:`check`: the typed row, or the problems (never both)."""

    change_id: str
    rows: Portfolio | None
    problems: pd.DataFrame

    @property
    def ok(self) -> bool:
        return self.rows is not None and self.problems.empty


def next_change_id(portfolio: Portfolio) -> str:
    """The next free ``CRnnnn`` id (one more than the largest ``CR`` number in use)."""
    return next_free_id(portfolio.change_requests["change_id"], ID_PREFIX, ID_DIGITS)

def change_row(form: ChangeForm, change_id: str) -> dict[str, str | None]:
    """The form's change as one ``change_requests`` row of text cells, status proposed."""
    return {"change_id": change_id, "project_id": form_text(form.project_id),
            "title": form_text(form.title), "raised_date": form_text(form.raised_date),
            "status": STATUS, "decided_date": None, "decided_by": None,
            "cost_impact": money_text(form.cost_impact),
            "schedule_impact_days": form_text(form.schedule_impact_days),
            "scope_impact": form_text(form.scope_impact),
            "benefit_impact": form_text(form.benefit_impact),
            "benefit_id": form_text(form.benefit_id), "reason": form_text(form.reason)}


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=[*PROBLEM_COLUMNS, "field"])


def check(form: ChangeForm, portfolio: Portfolio, change_id: str | None = None) -> ChangeCheck:
    """Build the change's row and check it, with the store's tables, by the import rules.

    Parameters
    ----------
    form : ChangeForm
    portfolio : Portfolio
        The store's portfolio (what the change may reference).
    change_id : str, optional
        Default: :func:`next_change_id`.

    Returns
    -------
    ChangeCheck
        ``rows`` holds the typed ``change_requests`` row when every rule
        holds; otherwise ``problems`` lists each (the ValidationError
        columns plus ``field``, the form's label of the column).
    """
    change_id = change_id or next_change_id(portfolio)
    book = store_workbook(portfolio, LOCATION)
    cells = text_cells(portfolio.change_requests, TABLE)
    new_row = len(cells) + 2  # as a spreadsheet numbers it (header = 1)
    row = change_row(form, change_id)
    cells.loc[new_row] = [row.get(c) for c in cells.columns]
    book.tables[TABLE] = RawTable(TABLE, LOCATION, cells, stripped=True)
    try:
        typed = validate(book)
    except ValidationError as err:
        found = err.problems.copy()
        found["field"] = [LABELS.get(c, c) if t == TABLE else t
                          for t, c in zip(found["table"], found["column"], strict=True)]
        return ChangeCheck(change_id, None, found.reset_index(drop=True))
    mine = typed.change_requests[typed.change_requests["change_id"] == change_id]
    rows = Portfolio(change_requests=mine.reset_index(drop=True), source=LOCATION)
    return ChangeCheck(change_id, rows, _no_problems())


def effect(portfolio: Portfolio, rows: Portfolio, as_of=None) -> dict:
    """What approving the change on the reporting date would do to the baselines.

    Parameters
    ----------
    portfolio : Portfolio
        The store's portfolio.
    rows : Portfolio
        A checked change (:attr:`ChangeCheck.rows`).
    as_of : date-like, optional
        Reporting date; blank means the portfolio's data date.

    Returns
    -------
    dict
        ``project_id``, ``budget_now``, ``budget_after``, ``finish_now``,
        ``finish_after`` (the project's current baseline now and if the
        change were approved on ``as_of``), ``total_now`` and ``total_after``
        (the current budgets of every project summed).
    """
    when = reporting_date(portfolio, as_of)
    change = rows.change_requests.assign(status="approved", decided_date=when,
                                         decided_by="(if approved)")
    pid = str(change.at[0, "project_id"])
    merged = dataclasses.replace(portfolio, change_requests=pd.concat(
        [portfolio.change_requests, change], ignore_index=True))
    now, after = baseline(portfolio, when), baseline(merged, when)
    return {"project_id": pid, "as_of": when,
            "budget_now": float(now.at[pid, "budget_current"]),
            "budget_after": float(after.at[pid, "budget_current"]),
            "finish_now": now.at[pid, "finish_current"],
            "finish_after": after.at[pid, "finish_current"],
            "total_now": float(now["budget_current"].sum()),
            "total_after": float(after["budget_current"].sum())}


def save(result: ChangeCheck, store):
    """Write a checked change to ``store`` as ``proposed``, in one transaction.

    The id is the next free ``CRnnnn`` of ``store``, taken inside the write
    transaction (two forms saving at once get different ids); ``result``'s
    ``change_id`` and ``rows`` then say what was written. Returns the store's
    ImportSummary.

    Raises
    ------
    ValueError
        When the change did not pass :func:`check`.
    pmo_nb.ValidationError
        When ``store`` lacks the project or benefit it references.
    """
    if not result.ok:
        raise ValueError("only a change that passed check() can be saved")
    title = result.rows.change_requests.at[0, "title"]
    written = {}

    def allocate(stored: Portfolio) -> tuple[Portfolio, str]:
        written["id"] = next_change_id(stored)
        frame = result.rows.change_requests.assign(change_id=written["id"])
        written["rows"] = Portfolio(change_requests=frame, source=LOCATION)
        return written["rows"], f"{LOCATION}: {written['id']} {title}"

    summary = store.import_portfolio(result.rows, source=f"{LOCATION}: {title}",
                                     file_checksums={}, rewrite=allocate)
    result.change_id, result.rows = written["id"], written["rows"]
    return summary

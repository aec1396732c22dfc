"""A new project proposal: its rows, checked by the import rules, assessed, then saved.

The intake form (``dashboards/intake.ipynb``) and ``templates/proposal.md``
collect the same fields. :func:`check` turns them into the format's rows as
text cells and runs them through :func:`pmo_nb.io.validation.validate` (with the
store's objectives and teams, so references are checked), so a proposal
obeys exactly the rules an imported workbook does. :func:`assess` says where
the proposal would rank (:func:`pmo_nb.prioritise.scoring.score`), its reference-class
cost range when a fitted forecast model is persisted (predictive draws from
the saved posterior; nothing is fitted), and what it does to team capacity
(:func:`pmo_nb.capacity.demand.capacity` with ``scenario=[its id]``). :func:`save`
writes it to the store as a ``proposed`` project in one import transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_nb.capacity.demand import capacity
from pmo_nb.errors import PROBLEM_COLUMNS, ValidationError
from pmo_nb.forecast.forecasting import MODEL_KIND, MODEL_NAME
from pmo_nb.forecast.model import ForecastModel
from pmo_nb.forecast.progress import covariate_columns, planned_days
from pmo_nb.io.form_cells import form_text, money_text, next_free_id
from pmo_nb.io.reading import RawTable, Workbook
from pmo_nb.io.validation import validate
from pmo_nb.portfolio import Portfolio
from pmo_nb.prioritise.scoring import score
from pmo_nb.schema import TABLE_NAMES, TABLES

#: Prefix and digits of the ids the intake gives new proposals (PR0001, PR0002, ...).
ID_PREFIX, ID_DIGITS = "PR", 4
#: Where problems with the proposal's rows point ("file" of a problem).
LOCATION = "proposal form"
STAGE = "proposed"
NO_MODEL = "not available: no fitted forecast model is stored yet (run the forecast report)"


@dataclass
class DemandLine:
    """One team asked for ``fte`` in every month from ``first_month`` to ``last_month``."""

    team_id: str = ""
    first_month: str = ""
    last_month: str = ""
    fte: object = ""


@dataclass
class BenefitLine:
    """One committed benefit (a KPI moving from baseline to target by target_date)."""

    name: str = ""
    objective_id: str = ""
    unit: str = ""
    direction: str = "increase"
    baseline: object = ""
    target: object = ""
    target_date: object = ""
    owner: str = ""


@dataclass
class Proposal:
    """The fields of a proposal, as a form or the markdown template gives them."""

    name: str = ""
    category: str = ""
    sponsor: str = ""
    manager: str = ""
    start_date: object = ""
    finish_date: object = ""
    budget: object = ""
    mandatory: bool = False
    alignment: dict[str, float] = field(default_factory=dict)
    demand: list[DemandLine] = field(default_factory=list)
    benefits: list[BenefitLine] = field(default_factory=list)


@dataclass
class ProposalCheck:
    """The outcome of :func:`check`: the typed rows, or the problems (never both)."""

    project_id: str
    rows: Portfolio | None
    problems: pd.DataFrame

    @property
    def ok(self) -> bool:
        return self.rows is not None and self.problems.empty


def next_project_id(portfolio: Portfolio) -> str:
    """The next free ``PRnnnn`` id (one more than the largest in use)."""
    return next_free_id(portfolio.projects["project_id"], ID_PREFIX, ID_DIGITS)

def _months(first: str | None, last: str | None) -> list[str] | None:
    """Every ``YYYY-MM`` from first to last; None when either is not a month."""
    try:
        a, b = pd.Period(first, freq="M"), pd.Period(last, freq="M")
    except (ValueError, TypeError):
        return None
    if not (re.fullmatch(r"\d{4}-\d{2}", first or "") and re.fullmatch(r"\d{4}-\d{2}", last or "")):
        return None
    return [str(p) for p in pd.period_range(a, b, freq="M")]


def _blank(line) -> bool:
    return all(form_text(v) in (None, "increase") for v in vars(line).values())


def proposal_tables(proposal: Proposal, project_id: str) -> tuple[dict, dict, list[dict]]:
    """The proposal's rows as text cells, what each row is on the form, and form problems.

    Returns ``({table: list of row dicts}, {(table, row): label}, problems)``;
    rows are numbered as a spreadsheet would (header = 1). Demand lines expand
    to one row per month; a line whose last month precedes its first is a
    form problem (the rows cannot be built).
    """
    rows = {"projects": [{
        "project_id": project_id, "name": form_text(proposal.name),
        "category": form_text(proposal.category), "stage": STAGE,
        "sponsor": form_text(proposal.sponsor), "manager": form_text(proposal.manager),
        "start_date": form_text(proposal.start_date),
        "finish_date": form_text(proposal.finish_date),
        "budget": money_text(proposal.budget), "mandatory": form_text(bool(proposal.mandatory)),
    }], "alignment": [], "demand": [], "benefits": []}
    labels = {("projects", 2): "Project"}
    problems: list[dict] = []
    for objective_id, value in proposal.alignment.items():
        rows["alignment"].append({"project_id": project_id, "objective_id": objective_id,
                                  "score": form_text(value)})
        labels[("alignment", len(rows["alignment"]) + 1)] = f"Alignment with {objective_id}"
    lines = [d for d in proposal.demand if not _blank(d)]
    for k, line in enumerate(lines, start=1):
        first, last = form_text(line.first_month), form_text(line.last_month)
        months = _months(first, last)
        if months is None:
            months = [first] if first == last or last is None else [first, last]
        elif not months:
            problems.append({"file": LOCATION, "table": "demand", "row": None,
                             "column": "month", "value": f"{first} to {last}",
                             "rule": "the last month must not be before the first",
                             "field": f"Demand line {k}"})
            continue
        for month in months:
            rows["demand"].append({"project_id": project_id, "team_id": form_text(line.team_id),
                                   "month": month, "fte": form_text(line.fte)})
            labels[("demand", len(rows["demand"]) + 1)] = f"Demand line {k}"
    benefits = [b for b in proposal.benefits if not _blank(b)]
    for k, line in enumerate(benefits, start=1):
        rows["benefits"].append({
            "benefit_id": f"{project_id}-B{k}", "project_id": project_id,
            "objective_id": form_text(line.objective_id), "name": form_text(line.name),
            "unit": form_text(line.unit), "direction": form_text(line.direction),
            "baseline": form_text(line.baseline), "target": form_text(line.target),
            "target_date": form_text(line.target_date), "owner": form_text(line.owner)})
        labels[("benefits", k + 1)] = f"Benefit {k}"
    return rows, labels, problems


def _raw(name: str, records: list[dict], columns: list[str]) -> RawTable:
    frame = pd.DataFrame(records, columns=columns, dtype=object)
    frame = frame.astype(object).where(frame.notna(), None)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return RawTable(name=name, location=f"{LOCATION}: {name}", frame=frame)


def _reference_rows(portfolio: Portfolio) -> dict[str, list[dict]]:
    """The store's objectives and teams as text rows, so references can be checked."""
    out = {}
    for name, cols in (("objectives", ["objective_id", "name", "weight"]),
                       ("teams", ["team_id", "name", "capacity_fte"])):
        frame = getattr(portfolio, name)[cols]
        out[name] = [{c: form_text(v) for c, v in zip(cols, row, strict=True)}
                     for row in frame.itertuples(index=False)]
    return out


def check(proposal: Proposal, portfolio: Portfolio, project_id: str | None = None
          ) -> ProposalCheck:
    """Build the proposal's rows and check them with the import rules.

    Parameters
    ----------
    proposal : Proposal
    portfolio : Portfolio
        The store's portfolio: its objectives and teams are what the
        proposal may reference, and its ids decide the new project_id.
    project_id : str, optional
        Default: :func:`next_project_id`.

    Returns
    -------
    ProposalCheck
        ``rows`` holds the typed rows of the new project (projects,
        alignment, demand, benefits) when every rule holds; otherwise
        ``problems`` lists each (the ValidationError columns plus ``field``,
        the part of the form it concerns).
    """
    project_id = project_id or next_project_id(portfolio)
    rows, labels, form_problems = proposal_tables(proposal, project_id)
    rows |= _reference_rows(portfolio)
    book = Workbook(source=LOCATION, tables={
        name: _raw(name, rows[name], list(rows[name][0]) if rows[name]
                   else list(TABLES[name].column_names))
        for name in TABLE_NAMES if name in rows})
    try:
        typed = validate(book)
    except ValidationError as err:
        found = err.problems.copy()
        found["field"] = [labels.get((t, int(r)), t) if pd.notna(r) else t
                          for t, r in zip(found["table"], found["row"], strict=True)]
        extra = pd.DataFrame(form_problems, columns=[*PROBLEM_COLUMNS, "field"])
        problems = pd.concat([extra, found], ignore_index=True) if len(extra) else found
        # a demand line is many rows: say each of its problems once
        problems = problems.drop_duplicates(["field", "column", "value", "rule"])
        return ProposalCheck(project_id, None, problems.reset_index(drop=True))
    if form_problems:
        return ProposalCheck(project_id, None, pd.DataFrame(
            form_problems, columns=[*PROBLEM_COLUMNS, "field"]))
    new = Portfolio(projects=typed.projects, alignment=typed.alignment, demand=typed.demand,
                    benefits=typed.benefits, source=LOCATION)
    return ProposalCheck(project_id, new, pd.DataFrame(columns=[*PROBLEM_COLUMNS, "field"]))


def merge(portfolio: Portfolio, rows: Portfolio) -> Portfolio:
    """The portfolio with the proposal's rows added (what the store would hold)."""
    tables = {}
    for name in TABLE_NAMES:
        old, new = getattr(portfolio, name), getattr(rows, name)
        tables[name] = pd.concat([old, new], ignore_index=True) if len(new) else old
    return Portfolio(**tables, source=portfolio.source)


def rank(merged: Portfolio, project_id: str, method: str = "weighted") -> dict:
    """Where the proposal ranks among the candidates (proposed and approved projects).

    Returns ``{"rank", "of", "score", "method", "unit", "above", "below"}``;
    ``above``/``below`` name the neighbouring candidates.
    """
    table = score(merged, method=method)
    position = list(table.index).index(project_id)
    row = table.loc[project_id]
    return {"rank": int(row["rank"]), "of": len(table), "score": float(row["score"]),
            "method": method, "unit": table.attrs.get("unit"),
            "above": table.index[position - 1] if position > 0 else None,
            "below": table.index[position + 1] if position + 1 < len(table) else None}


def capacity_impact(merged: Portfolio, project_id: str) -> pd.DataFrame:
    """Team-months the proposal asks for, with the load before and after adding it.

    Returns
    -------
    pandas.DataFrame
        ``team_id``, ``month``, ``added`` (FTE), ``demand_before``, ``capacity``,
        ``utilisation_after``, ``over_before``, ``over_after`` (FTE over
        capacity): only the team-months where the proposal adds demand.
        ``attrs``: ``newly_over`` (team-months it tips over capacity) and
        ``added_overload`` (FTE-months of overload it adds).
    """
    before = capacity(merged)
    after = capacity(merged, scenario=[project_id])
    keys = ["team_id", "month"]
    both = after.merge(before[[*keys, "demand", "over"]], on=keys, how="left",
                       suffixes=("", "_before")).fillna({"demand_before": 0.0,
                                                         "over_before": 0.0})
    both["added"] = both["demand"] - both["demand_before"]
    out = both.loc[both["added"] > 1e-9, [*keys, "added", "demand_before", "capacity",
                                          "utilisation", "over_before", "over"]]
    out = out.rename(columns={"utilisation": "utilisation_after", "over": "over_after"})
    out = out.reset_index(drop=True)
    out.attrs = {"newly_over": int(((out["over_after"] > 0) & (out["over_before"] <= 0)).sum()),
                 "added_overload": float((out["over_after"] - out["over_before"]).sum())}
    return out


def load_forecast_model(store):
    """The persisted fitted forecast model, or None (never fits)."""
    found = store.load_result(MODEL_KIND, MODEL_NAME)
    if found is None or found[1] is None:
        return None

    return ForecastModel.from_bytes(found[1])


def reference_range(rows: Portfolio, model, seed: int = 0) -> dict | None:
    """Reference-class final cost and duration range of the proposal, or None without a model.

    Uses the model's predictive draws for a project like this one (category,
    budget, planned duration) that has not started: no progress signal.

    Returns
    -------
    dict or None
        ``cost_p10/p50/p90`` (money), ``duration_p10/p50/p90`` (days),
        ``p_over_budget``.
    """
    if model is None:
        return None

    projects = rows.projects.reset_index(drop=True)
    frame = projects.assign(planned_days=planned_days(projects))
    for name in covariate_columns(frame):
        frame[name] = frame[name].astype("float64")
    y_c, y_d = model.predict(frame, seed=seed)
    qc = np.quantile(y_c[0], [0.1, 0.5, 0.9])
    qd = np.quantile(y_d[0], [0.1, 0.5, 0.9])
    budget = float(frame.at[0, "budget"])
    days = float(frame.at[0, "planned_days"])
    out = {f"cost_p{q}": budget * float(np.exp(v)) for q, v in zip((10, 50, 90), qc, strict=True)}
    out |= {f"duration_p{q}": days * float(np.exp(v))
            for q, v in zip((10, 50, 90), qd, strict=True)}
    out["p_over_budget"] = float((y_c[0] > 0).mean())
    return out


def save(result: ProposalCheck, store, based_on: int | None):
    """Write a checked proposal to the store as a ``proposed`` project, in one transaction.

    ``based_on`` is the import of ``store`` the form's portfolio came from:
    if a later import wrote the same project id (two proposals at once), the
    store refuses with :class:`pmo_nb.store.rows.ImportConflict` and nothing
    is written. Without it (the form read another store), the id is the next
    free one of ``store``, taken inside the write transaction; ``result``'s
    ``project_id`` and ``rows`` then say what was written. Returns the
    store's ImportSummary.

    Raises
    ------
    ValueError
        When the proposal did not pass :func:`check`.
    """
    if not result.ok:
        raise ValueError("only a proposal that passed check() can be saved")
    name = result.rows.projects.at[0, "name"]
    if based_on is not None:
        return store.import_portfolio(result.rows, file_checksums={}, based_on=based_on,
                                      source=f"intake form: {result.project_id} {name}")
    written = {}

    def allocate(stored: Portfolio) -> tuple[Portfolio, str]:
        written["id"] = next_project_id(stored)
        written["rows"] = renumbered(result.rows, result.project_id, written["id"])
        return written["rows"], f"intake form: {written['id']} {name}"

    summary = store.import_portfolio(result.rows, source=f"intake form: {name}",
                                     file_checksums={}, rewrite=allocate)
    result.project_id, result.rows = written["id"], written["rows"]
    return summary


def renumbered(rows: Portfolio, old: str, new: str) -> Portfolio:
    """A proposal's rows with project id ``old`` (and its benefit ids) made ``new``."""
    tables = {}
    for name in ("projects", "alignment", "demand", "benefits"):
        frame = getattr(rows, name).copy()
        frame["project_id"] = frame["project_id"].replace(old, new)
        if name == "benefits":
            frame["benefit_id"] = frame["benefit_id"].str.replace(
                f"{old}-B", f"{new}-B", n=1, regex=False)
        tables[name] = frame
    return Portfolio(**tables, source=rows.source)

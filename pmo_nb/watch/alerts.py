"""Alerts: evaluate the rules of ``alerts.yml`` and record their state in the store.

:func:`evaluate` is pure (a portfolio, its reporting date and the persisted
forecast in; the conditions that hold out). :func:`run_alerts` reads the
store, evaluates, and reconciles the store's alert log in one transaction
(:meth:`pmo_nb.store.Store.record_alerts`): an alert is raised once when its
condition starts holding and cleared once when it stops, not repeated on
every run. A rule whose metric is not available this time is reported and
leaves its open alerts as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pmo_nb.dates import day, is_blank, reporting_date
from pmo_nb.errors import StoreError
from pmo_nb.forecast.stored import FORECAST_KIND, latest
from pmo_nb.portfolio import Portfolio
from pmo_nb.store.alert_log import HOLDING_COLUMNS
from pmo_nb.store.reading import LatestUpdates
from pmo_nb.store.rows import store_time
from pmo_nb.watch.metrics import (
    LABELS,
    describe_value,
    live_projects,
    metric_values,
    tables_read,
)
from pmo_nb.watch.rules import AlertRule


@dataclass
class Evaluation:
    """What the rules found at one reporting date."""

    #: one row per rule and subject whose condition holds (:data:`HOLDING_COLUMNS`)
    holding: pd.DataFrame
    #: the rules that were evaluated (their metric was available)
    evaluated: list[str]
    #: rule name -> why its metric was not available
    not_available: dict[str, str] = field(default_factory=dict)
    as_of: pd.Timestamp | None = None


@dataclass
class AlertRun:
    """An evaluation and what it did to the alert log (``events``: raised, held, cleared)."""

    evaluation: Evaluation
    events: pd.DataFrame

    def count(self, event: str) -> int:
        return int((self.events["event"] == event).sum())


def _project_ids(rule: AlertRule, live: pd.DataFrame) -> list[str]:
    keep = pd.Series(True, index=live.index)
    if rule.projects:
        keep &= live.index.isin(rule.projects)
    if rule.categories:
        keep &= live["category"].isin(rule.categories)
    if rule.owners:
        keep &= live["manager"].isin(rule.owners) | live["sponsor"].isin(rule.owners)
    return list(live.index[keep])


def _subjects(rule: AlertRule, values: pd.Series) -> pd.Series:
    if rule.subject_kind == "owner" and rule.owners:
        return values[values.index.isin(rule.owners)]
    if rule.subject_kind == "team" and rule.teams:
        return values[values.index.str.split(":").str[0].isin(rule.teams)]
    return values


def _message(rule: AlertRule, subject: str, value: float, names: dict) -> str:
    label = LABELS[rule.metric]
    if rule.subject_kind == "project":
        name = names.get(subject)
        who = f"{subject} {name}" if isinstance(name, str) and name.strip() else subject
        what = f"{label} of {who}"
    elif rule.subject_kind == "owner":
        what = f"{label} for {subject}"
    else:
        team, month = subject.split(":", 1)
        what = f"{label} of team {team} in {month}"
    limit = describe_value(rule.metric, rule.threshold)
    return (f"{what} is {describe_value(rule.metric, value)} "
            f"({rule.comparison} {limit}, rule {rule.name}).")


def evaluate(rules: list[AlertRule], portfolio: Portfolio, as_of=None, *, forecast=None
             ) -> Evaluation:
    """The conditions of ``rules`` that hold for ``portfolio`` at ``as_of``.

    Parameters
    ----------
    rules : list of AlertRule
        From :func:`pmo_nb.watch.rules.load_rules`.
    as_of : date-like, optional
        Reporting date; blank means the portfolio's data date.
    forecast : pmo_nb.forecast.stored.Persisted, optional
        The persisted forecast for the date (needed by ``p_over_budget`` and
        ``p_late``; without it those rules are not available).
    """
    when = reporting_date(portfolio, as_of)
    live = live_projects(portfolio)
    names = live["name"].to_dict()  # looked up once per alert
    rows, evaluated, missing = [], [], {}
    cache: dict = {}
    for rule in rules:
        ids = _project_ids(rule, live) if rule.subject_kind == "project" else None
        # one computation per metric for the unfiltered ones; the plan metric per rule
        # (it simulates only the projects the rule is about)
        key = (rule.metric, tuple(ids) if rule.metric == "plan_p80_slip_days" else None)
        if key not in cache:
            cache[key] = metric_values(rule.metric, portfolio, when, forecast=forecast,
                                       project_ids=ids if key[1] is not None else None)
        values = cache[key]
        if isinstance(values, str):
            missing[rule.name] = values
            continue
        evaluated.append(rule.name)
        if ids is not None:
            values = values[values.index.isin(ids)]
        for subject, value in _subjects(rule, values).items():
            if rule.holds(float(value)):
                rows.append((rule.name, subject, rule.metric, rule.severity, float(value),
                             rule.threshold, _message(rule, subject, float(value), names)))
    holding = pd.DataFrame(rows, columns=list(HOLDING_COLUMNS))
    return Evaluation(holding, evaluated, missing, when)


def run_alerts(store, rules: list[AlertRule], as_of=None) -> AlertRun:
    """Evaluate ``rules`` on the store at ``as_of`` and record the alerts' state there.

    The portfolio is the store at ``as_of`` (blank: now) and the forecast the
    latest persisted on or before it (:func:`pmo_nb.forecast.stored.latest`).
    Only the tables the rules' metrics read are loaded
    (:func:`pmo_nb.watch.metrics.tables_read`), and of the status updates only
    each project's latest on or before ``as_of``, so :func:`evaluate` finds
    what it would on the whole portfolio. The alert log is reconciled in one
    transaction.
    """
    imports = store.history()
    if not is_blank(as_of) and len(imports) and (
            imports["started_at"].min() > store_time(as_of)):
        raise StoreError(f"{store.url} has no import on or before {day(as_of):%Y-%m-%d} (the "
                         f"first is of {imports['started_at'].min():%Y-%m-%d}): nothing to "
                         "evaluate the alerts on.")
    tables = tables_read({r.metric for r in rules}, is_blank(as_of))
    latest_updates = None if tables is None else LatestUpdates(
        until=None if is_blank(as_of) else day(as_of))
    portfolio = store.load(as_of=as_of, tables=tables, latest=latest_updates)
    when = reporting_date(portfolio, as_of)
    forecast = latest(store, FORECAST_KIND, when.strftime("%Y-%m-%d"))
    evaluation = evaluate(rules, portfolio, when, forecast=forecast)
    events = store.record_alerts(evaluation.holding, rules=evaluation.evaluated, as_of=when)
    return AlertRun(evaluation, events)


def run_text(run: AlertRun) -> str:
    """What a run raised and cleared, one line each, then the counts (plain text)."""
    lines = []
    for e in run.events.itertuples(index=False):
        if e.event in ("raised", "cleared"):
            lines.append(f"{e.event} [{e.severity}] {e.rule} {e.subject}: {e.message}")
    for rule, why in run.evaluation.not_available.items():
        lines.append(f"not available: {rule}: {why} (its open alerts are kept)")
    lines.append(f"alerts on {run.evaluation.as_of:%Y-%m-%d}: {run.count('raised')} raised, "
                 f"{run.count('cleared')} cleared, {run.count('held')} still open")
    return "\n".join(lines)

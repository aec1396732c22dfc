"""The values alert rules compare: one per subject, a pure function of the portfolio.

Subjects: ``project_id`` for project metrics, the owner's name for per-owner
metrics, ``TEAM:YYYY-MM`` for capacity. A metric whose facts the portfolio
does not hold (no persisted forecast, an empty decisions table) is not
available: :func:`metric_values` returns ``None`` and says why, so an alert
is never raised or cleared on invented data.
"""

from __future__ import annotations

import pandas as pd

from pmo_nb.benefits.status import benefits_rollup, benefits_status
from pmo_nb.capacity.demand import capacity
from pmo_nb.delivery.evm import earned_value
from pmo_nb.governance.decisions import decisions_owed
from pmo_nb.governance.scope import scope_change
from pmo_nb.plans.calibration import learn
from pmo_nb.plans.schedule_risk import simulate_schedule
from pmo_nb.portfolio import Portfolio
from pmo_nb.watch.compare import CLOSED_STAGES

#: Draws and seed of the plan simulation behind ``plan_p80_slip_days`` (seeded:
#: the same data gives the same alert on every run).
PLAN_DRAWS, PLAN_SEED = 1000, 20261
#: How each metric's value reads in a message.
FORMATS = {"cpi": "{:.2f}", "spi": "{:.2f}", "p_over_budget": "{:.0%}", "p_late": "{:.0%}",
           "plan_p80_slip_days": "{:+.0f} days", "benefit_realisation": "{:.0%}",
           "scope_growth": "{:+.0%}", "decisions_overdue": "{:.0f}",
           "capacity_utilisation": "{:.0%}"}
#: What a message calls each metric.
LABELS = {"cpi": "CPI", "spi": "SPI", "p_over_budget": "P(over budget)", "p_late": "P(late)",
          "plan_p80_slip_days": "plan P80 finish against the planned finish",
          "benefit_realisation": "benefit realisation", "scope_growth": "scope growth",
          "decisions_overdue": "decisions overdue", "capacity_utilisation": "utilisation"}


#: The tables each metric reads besides ``projects`` (which every rule reads: the live
#: projects and their names). ``None``: every table (the plan simulation reads the plans,
#: the calendars and the history it learns from).
METRIC_TABLES: dict[str, tuple[str, ...] | None] = {
    "cpi": ("status_updates", "change_requests"), "spi": ("status_updates", "change_requests"),
    "p_over_budget": (), "p_late": (), "plan_p80_slip_days": None,
    "benefit_realisation": ("benefits", "benefit_measurements", "objectives"),
    "scope_growth": ("requirements",), "decisions_overdue": ("decisions",),
    "capacity_utilisation": ("teams", "demand")}
#: What the portfolio's data date reads (the reporting date when none is given).
DATA_DATE_TABLES = ("status_updates", "benefit_measurements")


def tables_read(metrics, as_of_blank: bool) -> tuple[str, ...] | None:
    """The tables :func:`metric_values` reads for ``metrics`` (None: every table).

    Of ``status_updates`` the metrics read only each project's latest update on
    or before the reporting date (CPI and SPI are that update's; the data date
    is the latest of them), unless the plan metric is among them.
    """
    found = {"projects", *(DATA_DATE_TABLES if as_of_blank else ())}
    for metric in metrics:
        if METRIC_TABLES[metric] is None:
            return None
        found.update(METRIC_TABLES[metric])
    return tuple(sorted(found))


def live_projects(portfolio: Portfolio) -> pd.DataFrame:
    """The projects an alert can be about (not completed or cancelled), by ``project_id``."""
    projects = portfolio.projects
    return projects[~projects["stage"].isin(CLOSED_STAGES)].set_index("project_id")


def _project_values(metric, portfolio, when, forecast, project_ids) -> pd.Series | str:
    if metric in ("cpi", "spi"):
        return earned_value(portfolio, when)[metric]
    if metric in ("p_over_budget", "p_late"):
        table = None if forecast is None else forecast.table
        if table is None or metric not in table.columns:
            return f"no forecast persisted on or before {when:%Y-%m-%d}"
        return table[metric]
    if metric == "plan_p80_slip_days":
        if portfolio.tasks.empty:
            return "no project has tasks (a plan)"
        out = {}
        learnt = (learn(portfolio, when),)  # once for every project, not per simulation
        for pid in sorted(set(portfolio.tasks["project_id"]) & set(project_ids)):
            try:
                s = simulate_schedule(portfolio, pid, draws=PLAN_DRAWS, seed=PLAN_SEED,
                                      as_of=when, learnt=learnt).summary().iloc[0]
            except ValueError:  # a plan the simulation cannot run has no value, not a guess
                continue
            out[pid] = (pd.Timestamp(s["finish_p80"]) - pd.Timestamp(s["planned_finish"])
                        ) / pd.Timedelta(days=1)
        return pd.Series(out, dtype="float64")
    if metric == "benefit_realisation":
        if portfolio.benefits.empty:
            return "the benefits register is empty"
        status = benefits_status(portfolio, when, forecasts=False)  # realised, not forecast
        return benefits_rollup(status, portfolio, by="project")["realised_share"]
    if portfolio.requirements.empty:
        return "the requirements table is empty"
    return scope_change(portfolio, when)["growth"]


def metric_values(metric: str, portfolio: Portfolio, when: pd.Timestamp, *, forecast=None,
                  project_ids=None) -> pd.Series | str:
    """Each subject's value of ``metric`` at the reporting date ``when``.

    Parameters
    ----------
    metric : str
        A key of :data:`pmo_nb.watch.rules.METRICS`.
    forecast : pmo_nb.forecast.stored.Persisted, optional
        The persisted forecast for ``when`` (P(over budget), P(late)).
    project_ids : iterable of str, optional
        The projects to measure (default: every live project); the plan
        metric simulates only these.

    Returns
    -------
    pandas.Series or str
        Values indexed by subject (NaN dropped), or the reason the metric is
        not available.
    """
    live = live_projects(portfolio)
    ids = list(live.index) if project_ids is None else list(project_ids)
    if metric == "decisions_overdue":
        if portfolio.decisions.empty:
            return "the decisions table is empty"
        owed = decisions_owed(portfolio, when)
        values = owed.groupby("owner").size().astype("float64")
    elif metric == "capacity_utilisation":
        if portfolio.teams.empty or portfolio.demand.empty:
            return "no teams or no demand"
        cap = capacity(portfolio)
        cap = cap[cap["month"] >= f"{when:%Y-%m}"]
        values = pd.Series(cap["utilisation"].to_numpy(),
                           index=(cap["team_id"] + ":" + cap["month"]).to_numpy())
    else:
        found = _project_values(metric, portfolio, when, forecast, ids)
        if isinstance(found, str):
            return found
        values = found.astype("float64")
        values = values[values.index.isin(ids)]
    values.index = values.index.astype("str")
    return values.dropna().sort_index()


def describe_value(metric: str, value: float) -> str:
    """``value`` as a message shows it (``0.82``, ``45%``, ``+12 days``)."""
    return FORMATS[metric].format(value)

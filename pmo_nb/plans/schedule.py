"""One project's plan as arrays, and its critical path (the deterministic schedule).

A plan is the project's ``tasks`` and ``task_links`` on its working-day
calendar (:class:`~pmo_nb.plans.calendar.WorkCalendar`). At a reporting date
a task is *done* (percent complete 100 and finished by then: its actual dates
are facts), *in progress* (started by then: its start is a fact and its
remaining duration, ``duration x (1 - percent complete)``, runs from the data
date) or *not started* (it may not start before the data date, the working
day after ``as_of``). Without ``as_of`` the plan is taken as it stands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_nb.dates import is_blank
from pmo_nb.memo import per_portfolio
from pmo_nb.plans.calendar import WorkCalendar
from pmo_nb.plans.network import Network, backward, build_network, forward, free_float
from pmo_nb.portfolio import Portfolio

#: A task is critical when its total float is at most this (working days).
CRITICAL_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Plan:
    """A plan ready for the passes: the network and each task's facts, in network order."""

    project_id: str
    tasks: pd.DataFrame          # indexed by task_id, in topological order
    network: Network
    calendar: WorkCalendar
    floor: np.ndarray            # earliest start offsets (0, or the data date)
    pinned: dict                 # position -> (ES, EF) of done tasks
    started: dict                # position -> ES of tasks in progress
    remaining: np.ndarray        # share of the duration still to run (1 for not started)
    data_date: float | None      # offset of the data date (None: no reporting date)

    @property
    def status(self) -> pd.Series:
        done = np.isin(np.arange(len(self.tasks)), list(self.pinned))
        going = np.isin(np.arange(len(self.tasks)), list(self.started))
        return pd.Series(np.where(done, "done", np.where(going, "in progress", "not started")),
                         index=self.tasks.index)


def build_plan(project_id: str, tasks: pd.DataFrame, links: pd.DataFrame, start,
               holidays=(), as_of=None) -> Plan:
    """The :class:`Plan` of ``project_id`` from its tasks and links (format columns)."""
    tasks = tasks[tasks["project_id"].astype(str) == str(project_id)]
    if tasks.empty:
        raise ValueError(f"project {project_id!r} has no plan (no tasks)")
    ids = set(tasks["task_id"].astype(str))
    links = links[links["predecessor"].astype(str).isin(ids)
                  & links["successor"].astype(str).isin(ids)]
    net = build_network(tasks["task_id"].astype(str), links)
    tasks = tasks.assign(task_id=tasks["task_id"].astype(str)).set_index("task_id").loc[
        list(net.task_ids)]
    cal = WorkCalendar(start, holidays)
    cut = None if is_blank(as_of) else pd.Timestamp(as_of).normalize()
    data_date = None if cut is None else float(cal.offset([cut + pd.Timedelta(days=1)])[0])
    pc = tasks["percent_complete"].fillna(0.0).astype("float64").to_numpy()
    a_start, a_finish = tasks["actual_start"], tasks["actual_finish"]
    seen = (lambda d: d.notna()) if cut is None else (lambda d: d.notna() & (d <= cut))
    done = (pc >= 100) & seen(a_finish).to_numpy() & seen(a_start).to_numpy()
    going = (pc > 0) & seen(a_start).to_numpy() & ~done
    pinned, started = {}, {}
    for i in np.flatnonzero(done):
        es = cal.offset([a_start.iloc[i]])[0]
        pinned[int(i)] = (es, max(cal.offset([a_finish.iloc[i]])[0] + 1.0, es))
    for i in np.flatnonzero(going):
        started[int(i)] = cal.offset([a_start.iloc[i]])[0]
    remaining = np.where(going, np.clip(1.0 - pc / 100.0, 0.0, 1.0), 1.0)
    floor = np.zeros(len(tasks)) if data_date is None else np.full(len(tasks), data_date)
    return Plan(str(project_id), tasks, net, cal, floor, pinned, started, remaining, data_date)


@per_portfolio  # a plan page asks twice: for its critical path and its simulation
def plan_of(portfolio: Portfolio, project_id: str, as_of=None) -> Plan:
    """The :class:`Plan` of a project of ``portfolio`` (its tasks, links and the holidays)."""
    projects = portfolio.projects.set_index("project_id")
    if project_id not in projects.index:
        raise ValueError(f"unknown project {project_id!r}")
    holidays = portfolio.holidays["date"] if len(portfolio.holidays) else ()
    return build_plan(project_id, portfolio.tasks, portfolio.task_links,
                      projects.at[project_id, "start_date"], holidays, as_of)


def schedule_pass(plan: Plan, dur: np.ndarray):
    """``(ES, EF, LS, LF, duration)`` for durations ``dur`` (tasks [x draws]).

    Done tasks keep their actual dates; tasks in progress start at their
    actual start and need ``remaining`` of ``dur`` from the data date on.
    """
    pinned = dict(plan.pinned)
    dur = dur.copy()
    for i, es in plan.started.items():
        left = dur[i] * plan.remaining[i]
        ef = np.maximum(plan.data_date if plan.data_date is not None else es, es) + left
        pinned[i] = (es, ef)
    for i, (es, ef) in pinned.items():
        dur[i] = np.asarray(ef) - es
    es, ef = forward(plan.network, dur, plan.floor, pinned)
    ls, lf = backward(plan.network, dur, ef)
    return es, ef, ls, lf, dur


def likely_durations(plan: Plan) -> np.ndarray:
    """Each task's most likely duration (working days)."""
    return plan.tasks["duration_likely"].astype("float64").to_numpy()


def critical_path(portfolio: Portfolio, project_id: str, as_of=None) -> pd.DataFrame:
    """The plan's critical path: early and late dates, floats and criticality per task.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``task_id`` (topological order): ``name``, ``status``,
        ``duration``, ``es``, ``ef``, ``ls``, ``lf`` (working-day offsets from
        day 0), ``total_float``, ``free_float``, ``critical`` (total float 0;
        never for done tasks), ``start`` and ``finish`` (dates on the plan's
        working-day calendar). ``attrs``: ``finish_offset``, ``finish_date``,
        ``day0``.
    """
    return critical_path_of(plan_of(portfolio, project_id, as_of))


def critical_path_of(plan: Plan) -> pd.DataFrame:
    """:func:`critical_path` of a built :class:`Plan`."""
    es, ef, ls, lf, dur = schedule_pass(plan, likely_durations(plan))
    total = ls - es
    free = free_float(plan.network, dur, es, ef)
    status = plan.status
    done = (status == "done").to_numpy()
    out = pd.DataFrame({
        "name": plan.tasks["name"], "status": status, "duration": dur, "es": es, "ef": ef,
        "ls": ls, "lf": lf, "total_float": np.where(done, np.nan, total),
        "free_float": np.where(done, np.nan, free),
        "critical": (total <= CRITICAL_TOLERANCE) & ~done,
        "start": plan.calendar.date(es), "finish": plan.calendar.finish_date(ef, dur),
    }, index=plan.tasks.index)
    out.index.name = "task_id"
    finish = float(ef.max())
    out.attrs = {"finish_offset": finish, "day0": pd.Timestamp(plan.calendar.day0),
                 "finish_date": plan.calendar.finish_date([finish], [1.0])[0]}
    return out

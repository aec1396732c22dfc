"""Project plans and the holiday calendar of the demo portfolio.

Helpers of :mod:`pmo_nb.demo.generator`, like :mod:`pmo_nb.demo.registers`
(``p`` is the same dict of per-project arrays). :func:`holidays` gives the
bank holidays of England and Wales for the demo's years; :func:`plans` gives
tasks and task links for most active and approved projects and about half
of the completed ones. Each plan runs from a kick-off milestone to a go-live
milestone through a chain of activities (every link type, some leads and
lags, three-point estimates on most activities) scaled so that its likely
critical path fills the project's planned working days. Tasks of completed
projects ran late the way real ones do: actual durations are the likely ones
times a right-skewed ratio (median about 1.2), pulled halfway towards the
project's actual length (so plans end near when projects finished, and never
after the reporting date); active projects are part-way along theirs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pmo_nb.demo.catalogue import TEAM_AFFINITY, TEAMS
from pmo_nb.demo.history import days_to_dates, expand

#: Share of projects of each stage that have a plan.
PLAN_SHARE = {"active": 0.8, "approved": 0.5, "completed": 0.5}
#: Link types and how often each joins consecutive activities.
LINK_SHARE = {"FS": 0.76, "SS": 0.12, "FF": 0.08, "SF": 0.04}
#: Median and log-scale of the actual / likely duration ratio of a task.
ACTUAL_RATIO = (1.2, 0.25)
ACTIVITIES = (
    "Requirements", "Solution design", "Supplier onboarding", "Build", "Data migration",
    "Integration", "System testing", "Security review", "User acceptance testing",
    "Training", "Cutover planning", "Deployment", "Hypercare",
)
_TEAM_IDS = np.array([t[0] for t in TEAMS], dtype=object)


def _easter(year: int) -> dt.date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (h + m - 7 * ((a + 11 * h + 22 * m) // 451) + 114)
    return dt.date(year, n // 31, n % 31 + 1)


def _monday(year: int, month: int, last: bool) -> dt.date:
    day = dt.date(year, month, 1)
    if last:
        day = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        return day - dt.timedelta(days=day.weekday())
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _weekday_substitute(day: dt.date, taken: set) -> dt.date:
    while day.weekday() >= 5 or day in taken:
        day += dt.timedelta(days=1)
    return day


#: One-off bank holidays (and the 2022 spring holiday, moved for the jubilee).
_ONE_OFF = {
    2022: (("Spring bank holiday", dt.date(2022, 6, 2)),
           ("Platinum Jubilee bank holiday", dt.date(2022, 6, 3)),
           ("State funeral of Queen Elizabeth II", dt.date(2022, 9, 19))),
    2023: (("Coronation of King Charles III", dt.date(2023, 5, 8)),),
}


def holidays(first_year: int, last_year: int) -> pd.DataFrame:
    """The bank holidays of England and Wales, ``first_year`` to ``last_year``."""
    rows = []
    for year in range(first_year, last_year + 1):
        easter = _easter(year)
        days = [("New Year's Day", _weekday_substitute(dt.date(year, 1, 1), set())),
                ("Good Friday", easter - dt.timedelta(days=2)),
                ("Easter Monday", easter + dt.timedelta(days=1)),
                ("Early May bank holiday", _monday(year, 5, last=False))]
        if year != 2022:
            days.append(("Spring bank holiday", _monday(year, 5, last=True)))
        days += [*_ONE_OFF.get(year, ()), ("Summer bank holiday", _monday(year, 8, last=True))]
        christmas = _weekday_substitute(dt.date(year, 12, 25), set())
        boxing = _weekday_substitute(dt.date(year, 12, 26), {christmas})
        days += [("Christmas Day", christmas), ("Boxing Day", boxing)]
        rows += [(pd.Timestamp(d), name) for name, d in days]
    return pd.DataFrame(rows, columns=["date", "name"]).sort_values("date", ignore_index=True)


def early_starts(pred, succ, kind, lag, dur) -> np.ndarray:
    """Early start offsets (working days) under the links; links go to later tasks."""
    es = [0.0] * len(dur)
    d = list(map(float, dur))
    order = np.argsort(succ, kind="stable")
    for a, b, t, g in zip(pred[order].tolist(), succ[order].tolist(), kind[order].tolist(),
                          lag[order].tolist(), strict=True):
        if t == "FS":
            v = es[a] + d[a] + g
        elif t == "SS":
            v = es[a] + g
        elif t == "FF":
            v = es[a] + d[a] + g - d[b]
        else:
            v = es[a] + g - d[b]
        if v > es[b]:
            es[b] = v
    return np.asarray(es)


def _makespan(first: np.ndarray, es: np.ndarray, dur: np.ndarray) -> np.ndarray:
    """Per plan (tasks contiguous from ``first``): the latest early finish, at least 1."""
    return np.maximum(np.maximum.reduceat(es + dur, first), 1.0)


def _links(rng, first: np.ndarray, count: np.ndarray, milestone: np.ndarray):
    """Global (pred, succ, type, lag): each task after the first follows the one
    before it, some also the one before that (a DAG by construction). Links
    into a milestone are finish-to-start without lag."""
    owner, k = expand(count)
    glob = first[owner] + k
    extra = (k >= 3) & (k < count[owner] - 1) & (rng.random(len(k)) < 0.3)
    pred = np.concatenate([glob[k >= 1] - 1, glob[extra] - 2])
    succ = np.concatenate([glob[k >= 1], glob[extra]])
    plain = milestone[succ]
    kind = rng.choice(list(LINK_SHARE), len(pred), p=list(LINK_SHARE.values()))
    kind = np.where(plain, "FS", kind).astype(object)
    u = rng.random(len(pred))
    lag = np.where(u < 0.12, rng.integers(1, 11, len(pred)),
                   np.where(u < 0.2, -rng.integers(1, 6, len(pred)), 0)).astype(float)
    return pred, succ, kind, np.where(plain | (kind == "SF"), 0.0, lag)


def plans(rng: np.random.Generator, p: dict, as_of_day: int, holiday_dates: np.ndarray):
    """``(tasks, task_links)`` for the planned projects (see the module docstring)."""
    share = np.array([PLAN_SHARE.get(s, 0.0) for s in p["stage"]])
    planned = np.flatnonzero(rng.random(len(share)) < share)
    if len(planned) == 0:
        empty = pd.DataFrame()
        return empty, empty
    months = p["planned_months"][planned]
    count = np.clip(4 + rng.poisson(0.35 * months), 5, 4 + len(ACTIVITIES)).astype("int64")
    first = np.cumsum(count) - count
    owner, k = expand(count)
    n = len(owner)
    project = planned[owner]
    last = k == count[owner] - 1
    milestone = (k == 0) | last | ((count[owner] >= 9) & (k == count[owner] // 2))
    cal = {"holidays": holiday_dates.astype("datetime64[D]")}
    start = np.busday_offset(p["start"][planned].astype("datetime64[D]"), 0, roll="forward",
                             **cal)
    end = p["finish"][planned].astype("datetime64[D]")
    working = np.maximum(np.busday_count(start, end, **cal), 5).astype(float)
    pred, succ, kind, lag = _links(rng, first, count, milestone)

    # likely durations whose critical path fills the planned working days
    weight = np.where(milestone, 0.0, rng.uniform(0.5, 1.5, n))
    likely = weight * (working / np.add.reduceat(weight, first))[owner]
    span = _makespan(first, early_starts(pred, succ, kind, lag, likely), likely)
    likely = np.where(milestone, 0.0, np.maximum(1.0, np.round(likely * (working / span)[owner])))
    three = ~milestone & (rng.random(n) < 0.85)
    low = np.where(three, np.floor(likely * rng.uniform(0.6, 0.9, n)), np.nan)
    high = np.where(three, np.ceil(likely * rng.uniform(1.15, 1.9, n)), np.nan)

    # actual durations: right-skewed ratios, rescaled to the project's actual length
    ratio = np.exp(np.log(ACTUAL_RATIO[0]) + ACTUAL_RATIO[1] * rng.standard_normal(n))
    ratio *= np.where(rng.random(n) < 0.08, rng.uniform(1.3, 2.0, n), 1.0)
    actual = np.where(milestone, 0.0, np.maximum(1.0, np.round(likely * ratio)))
    truth_end = (p["start"] + p["actual_days"])[planned].astype("datetime64[D]")
    truth = np.maximum(np.busday_count(start, truth_end, **cal), 1).astype(float)
    span = _makespan(first, early_starts(pred, succ, kind, lag, actual), actual)
    # halfway to the project's actual length: the plan roughly ends when it did
    pull = np.sqrt(truth / span)[owner]
    actual = np.where(milestone, 0.0, np.maximum(1.0, np.round(actual * pull)))
    es = early_starts(pred, succ, kind, lag, actual)

    stage = p["stage"][project]
    as_of = np.datetime64(int(as_of_day), "D")
    elapsed = np.busday_count(start, as_of, **cal)[owner]
    done_offset = es + np.maximum(actual, 1.0) - 1
    started = (stage == "completed") | ((stage == "active") & (es < elapsed))
    finished = (stage == "completed") | (started & (done_offset < elapsed))
    pct = np.clip(np.round(100 * (elapsed - es) / np.maximum(actual, 1.0) / 5) * 5, 5, 95)
    pct = np.where(finished, 100.0, np.where(started, pct, 0.0))
    day0 = start[owner]
    a_start = np.busday_offset(day0, es.astype("int64"), **cal)
    a_finish = np.busday_offset(day0, done_offset.astype("int64"), **cal)
    a_finish = np.minimum(a_finish, as_of)
    a_start = np.minimum(a_start, a_finish)

    affinity = TEAM_AFFINITY[p["cat"][project]]
    team = (np.cumsum(affinity / affinity.sum(axis=1, keepdims=True), axis=1)
            > rng.random(n)[:, None]).argmax(axis=1)
    names = np.where(k == 0, "Kick-off", np.where(last, "Go-live",
                     np.where(milestone, "Design signed off",
                              np.array(ACTIVITIES, dtype=object)[(k - 1) % len(ACTIVITIES)])))
    task_id = np.array([f"{pid}-T{j:02d}" for pid, j in zip(p["project_id"][project], k + 1,
                                                            strict=True)], dtype=object)
    tasks = pd.DataFrame({
        "task_id": task_id, "project_id": p["project_id"][project], "name": names,
        "duration_likely": likely, "duration_low": low, "duration_high": high,
        "team_id": np.where(milestone | (rng.random(n) < 0.15), None, _TEAM_IDS[team]),
        "percent_complete": pct,
        "actual_start": pd.Series(days_to_dates(a_start.astype("int64"))).where(started),
        "actual_finish": pd.Series(days_to_dates(a_finish.astype("int64"))).where(finished),
    })
    links = pd.DataFrame({"predecessor": task_id[pred], "successor": task_id[succ],
                          "type": kind, "lag": lag})
    return tasks, links


def risk_tasks(rng: np.random.Generator, risks: pd.DataFrame, tasks: pd.DataFrame,
               share: float = 0.35) -> pd.Series:
    """``risks.task_id``: for about ``share`` of the risks of planned projects, an
    unfinished activity of the risk's project (the one the delay would extend)."""
    out = pd.Series(None, index=risks.index, dtype=object)
    if tasks.empty:
        return out
    open_tasks = tasks[(tasks["duration_likely"] > 0) & (tasks["percent_complete"] < 100)]
    by_project = open_tasks.groupby("project_id")["task_id"].agg(list).to_dict()
    draw = rng.random(len(risks))
    for pos, (pid, u) in enumerate(zip(risks["project_id"], draw, strict=True)):
        choices = by_project.get(pid)
        if choices and u < share:
            out.iloc[pos] = choices[int(u / share * len(choices))]
    return out

"""How one project's slip knocks on to others through the dependency network.

The dependencies table is a DAG (cycles are refused at import): an edge
``A -> B`` with ``lag_days`` says B cannot start before A finishes plus the
lag (finish-to-start). Slips are pushed through it in topological order
(:mod:`graphlib`).

Rules, chosen so that "no slip" means "nothing moves":

- a slip delays the slipping project's finish by that many days (its start
  stays unless a prerequisite pushes it);
- a link absorbs a push up to its slack, ``start_B - (finish_A + lag)``; a
  link the plan already breaks (negative slack: an overlap the organisation
  accepted) has slack 0, so only new delay propagates;
- a pushed project keeps its duration, so its finish moves with its start
  (plus its own slip);
- a project already under way (stage active or completed) cannot have its
  start pushed, so a chain stops there; cancelled projects and their links
  are left out.

Default slips (``slips=None``): the forecasting module's forecast finish is
not used yet (it does not exist); instead each active project's finish is
estimated by earned schedule (:func:`pmo_nb.evm.earned_value`: forecast
duration = planned duration / SPI(t)), a completed prerequisite's by its
actual finish, and a live project past its planned finish at ``as_of`` is late by at
least ``as_of - finish``. Only lateness counts (early finishes do not pull
dependents earlier).
"""

from __future__ import annotations

from collections.abc import Mapping
from graphlib import CycleError, TopologicalSorter

import numpy as np
import pandas as pd

from .portfolio import Portfolio

#: Stages whose start is history: a prerequisite's slip cannot push it.
STARTED_STAGES = ("active", "completed")
#: Stages still expected to finish (overdue ones are late by at least as_of - finish).
LIVE_STAGES = ("approved", "active", "on_hold")

_DAY = pd.Timedelta(days=1)


def _dates(portfolio: Portfolio) -> pd.DataFrame:
    """Non-cancelled projects with the finish that counts (actual when completed)."""
    p = portfolio.projects
    p = p[p["stage"] != "cancelled"].set_index("project_id")
    done = p["stage"].eq("completed") & p["actual_finish_date"].notna()
    return pd.DataFrame({
        "stage": p["stage"],
        "start": p["start_date"],
        "finish": p["finish_date"].mask(done, p["actual_finish_date"]),
    })


def _links(portfolio: Portfolio, dates: pd.DataFrame) -> pd.DataFrame:
    """Links between non-cancelled projects with their lag and planned slack (days)."""
    d = portfolio.dependencies
    d = d[d["project_id"].isin(dates.index) & d["depends_on"].isin(dates.index)]
    lag = d["lag_days"].fillna(0.0).astype("float64").to_numpy()
    start_b = dates["start"].reindex(d["project_id"]).to_numpy()
    finish_a = dates["finish"].reindex(d["depends_on"]).to_numpy()
    slack = (start_b - finish_a) / np.timedelta64(1, "D") - lag
    return pd.DataFrame({
        "project_id": d["project_id"].to_numpy(),
        "depends_on": d["depends_on"].to_numpy(),
        "lag_days": lag,
        "slack_days": slack,
    })


def _order(dates: pd.DataFrame, links: pd.DataFrame) -> list[str]:
    """Projects in topological order (prerequisites first)."""
    graph: dict[str, list[str]] = {p: [] for p in dates.index}
    for b, a in zip(links["project_id"], links["depends_on"], strict=True):
        graph[b].append(a)
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # import refuses cycles; say so plainly if one slips in
        raise ValueError(f"dependency cycle: {' -> '.join(map(str, exc.args[1]))}") from exc


def default_slips(portfolio: Portfolio, as_of=None) -> dict[str, float]:
    """Finish delays (days, > 0 only) implied by actuals and status.

    Completed projects that others depend on: actual finish - planned finish
    (a completed project nothing waits for is history, not a knock-on). Active
    projects with a
    status update: earned schedule forecast (planned duration / SPI(t); with
    no schedule earned yet, the whole planned duration from the data date).
    Any live project still open after its planned finish at ``as_of``: at
    least ``as_of - finish``.
    """
    p = portfolio.projects.set_index("project_id")
    slip = pd.Series(0.0, index=p.index)
    # a completed project's lateness is history unless something still waits for it
    waited_for = p.index.isin(portfolio.dependencies["depends_on"])
    done = p["stage"].eq("completed") & p["actual_finish_date"].notna() & waited_for
    slip[done] = (p.loc[done, "actual_finish_date"] - p.loc[done, "finish_date"]) / _DAY
    try:
        from .evm import earned_value
    except ImportError:  # pragma: no cover - evm is part of the package
        earned_value = None
    if earned_value is not None and len(portfolio.status_updates):
        ev = earned_value(portfolio, as_of=as_of)
        ev = ev[ev["stage"] == "active"]
        proj = p.loc[ev.index]
        duration = (proj["finish_date"] - proj["start_date"]) / _DAY
        spi_t = ev["spi_t"]
        by_es = proj["start_date"] + pd.to_timedelta(duration / spi_t.where(spi_t > 0), unit="D")
        stalled = ev["data_date"] + pd.to_timedelta(duration, unit="D")
        forecast = by_es.where(spi_t > 0, stalled.where(spi_t == 0))
        est = ((forecast - proj["finish_date"]) / _DAY).round()
        slip.loc[est.index] = np.fmax(slip.loc[est.index], est.fillna(0.0))
    if as_of is not None:
        late = p["stage"].isin(LIVE_STAGES) & (p["finish_date"] < pd.Timestamp(as_of))
        overdue = (pd.Timestamp(as_of) - p.loc[late, "finish_date"]) / _DAY
        slip.loc[late] = np.fmax(slip.loc[late], overdue)
    slip = slip.clip(lower=0.0)
    return {k: float(v) for k, v in slip.items() if v > 0}


def _propagate(portfolio: Portfolio, slips: Mapping[str, float]):
    """Start/finish shifts (days) of every project, with the link that drove each."""
    dates = _dates(portfolio)
    unknown = set(slips) - set(portfolio.projects["project_id"])
    if unknown:
        raise ValueError(f"slips name unknown projects: {sorted(unknown)}")
    links = _links(portfolio, dates)
    preds: dict[str, list[tuple[str, float]]] = {}
    for b, a, s in zip(links["project_id"], links["depends_on"], links["slack_days"], strict=True):
        preds.setdefault(b, []).append((a, max(0.0, s)))
    started = set(dates.index[dates["stage"].isin(STARTED_STAGES)])
    own = {str(k): float(v) for k, v in slips.items() if k in dates.index}
    start_shift: dict[str, float] = {}
    finish_shift: dict[str, float] = {}
    driver: dict[str, str | None] = {}
    for b in _order(dates, links):
        push, by = 0.0, None
        if b not in started:
            for a, slack in sorted(preds.get(b, ())):
                need = finish_shift[a] - slack
                if need > push:
                    push, by = need, a
        start_shift[b] = push
        finish_shift[b] = push + own.get(b, 0.0)
        driver[b] = by
    return dates, links, own, start_shift, finish_shift, driver


def _chain(p: str, driver: dict[str, str | None]) -> str:
    """``"P1 -> P7 -> P9"``: the pushes that led to ``p``, root first."""
    path = [p]
    while driver.get(path[-1]):
        path.append(driver[path[-1]])
    return " -> ".join(reversed(path))


def knock_on(portfolio: Portfolio, slips: Mapping[str, float] | None = None, as_of=None):
    """Every project whose start or finish moves when the given projects slip.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``projects`` and ``dependencies``.
    slips : mapping of str to float, optional
        Finish delay in days per project. ``None``: :func:`default_slips`.
    as_of : date-like, optional
        Reporting date for the default slips.

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``slip_days`` (its own), ``start_shift_days``,
        ``finish_shift_days``, ``new_start``, ``new_finish``, ``driver`` (the
        prerequisite that pushed it, if any) and ``chain`` (e.g.
        ``"P1 -> P7 -> P9"``), largest finish shift first. Projects that do
        not move are not listed.
    """
    if slips is None:
        slips = default_slips(portfolio, as_of)
    dates, _, own, start_shift, finish_shift, driver = _propagate(portfolio, slips)
    moved = [p for p in dates.index if start_shift[p] != 0 or finish_shift[p] != 0]
    d = dates.loc[moved]
    s = np.array([start_shift[p] for p in moved], dtype="float64")
    f = np.array([finish_shift[p] for p in moved], dtype="float64")
    out = pd.DataFrame({
        "project_id": pd.Series(moved, dtype="str"),
        "slip_days": [own.get(p, 0.0) for p in moved],
        "start_shift_days": s,
        "finish_shift_days": f,
        "new_start": (d["start"] + pd.to_timedelta(s, unit="D")).to_numpy(),
        "new_finish": (d["finish"] + pd.to_timedelta(f, unit="D")).to_numpy(),
        "driver": pd.Series([driver[p] for p in moved], dtype="str"),
        "chain": [_chain(p, driver) for p in moved],
    })
    out = out.sort_values(["finish_shift_days", "project_id"], ascending=[False, True],
                          kind="stable")
    return out.reset_index(drop=True)


def critical_chain(portfolio: Portfolio, slips: Mapping[str, float] | None = None,
                   as_of=None, key: str | None = None) -> pd.DataFrame:
    """The chain of linked projects that drives the portfolio's key date.

    The key project is ``key`` or the one finishing last (after slips). From
    it, the chain walks back to the prerequisite with the least slack
    (``start - (prerequisite finish + lag)``, after slips) until a project
    with no prerequisite: the driving path. In a plan scheduled as early as
    the links allow every slack on it is 0 and it is the longest path of
    linked projects to that finish.

    Parameters
    ----------
    portfolio : Portfolio
    slips : mapping of str to float, optional
        As in :func:`knock_on` (``None``: default slips; ``{}``: the plan).
    as_of : date-like, optional
    key : str, optional
        Project whose finish is the key date (default: the latest finish).

    Returns
    -------
    pandas.DataFrame
        In chain order (first prerequisite first): ``step``, ``project_id``,
        ``stage``, ``start``, ``finish`` (after slips), ``lag_days`` and
        ``slack_days`` of the link to the next project (NaN on the last).
    """
    if slips is None:
        slips = default_slips(portfolio, as_of)
    dates, links, _, start_shift, finish_shift, _ = _propagate(portfolio, slips)
    if dates.empty:
        return pd.DataFrame(columns=["step", "project_id", "stage", "start", "finish",
                                     "lag_days", "slack_days"])
    start = dates["start"] + pd.to_timedelta(dates.index.map(start_shift), unit="D")
    finish = dates["finish"] + pd.to_timedelta(dates.index.map(finish_shift), unit="D")
    if key is None:
        key = finish.sort_index().idxmax()
    elif key not in dates.index:
        raise ValueError(f"unknown or cancelled project: {key!r}")
    by_dep = links.groupby("project_id")
    path, lags, slacks = [key], [], []
    while path[-1] in by_dep.groups:
        cand = by_dep.get_group(path[-1])
        pre_finish = finish.reindex(cand["depends_on"]).to_numpy()
        new_slack = (
            (start[path[-1]].to_datetime64() - pre_finish) / np.timedelta64(1, "D")
            - cand["lag_days"].to_numpy()
        )
        cand = cand.assign(new_slack=new_slack).sort_values(["new_slack", "depends_on"])
        best = cand.iloc[0]
        path.append(best["depends_on"])
        lags.append(float(best["lag_days"]))
        slacks.append(float(best["new_slack"]))
    path.reverse()
    lags = list(reversed(lags)) + [np.nan]
    slacks = list(reversed(slacks)) + [np.nan]
    return pd.DataFrame({
        "step": np.arange(1, len(path) + 1),
        "project_id": pd.Series(path, dtype="str"),
        "stage": dates.loc[path, "stage"].to_numpy(),
        "start": start[path].to_numpy(),
        "finish": finish[path].to_numpy(),
        "lag_days": lags,
        "slack_days": slacks,
    })

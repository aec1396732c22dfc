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

Default slips (``slips=None``): an active project's finish is the median
forecast finish (``finish_p50``) of :func:`pmo_nb.forecast.forecasting.forecast` when
a forecast table is passed (``forecast=``; nothing is sampled here), else it
is estimated by earned schedule (:func:`pmo_nb.delivery.evm.earned_value`: forecast
duration = planned duration / SPI(t)); a completed prerequisite's is its
actual finish, and a live project past its planned finish at ``as_of`` is late
by at least ``as_of - finish``. Only lateness counts (early finishes do not
pull dependents earlier). ``attrs["slip_source"]`` on the results says which
source was used.

:func:`layered_layout` places the network for drawing (pure, no Altair):
layer = longest chain of prerequisites, order within a layer by the mean
position of the prerequisites (fewer crossings).
"""

from __future__ import annotations

from collections.abc import Mapping
from graphlib import CycleError, TopologicalSorter

import numpy as np
import pandas as pd

from pmo_nb.dates import LIVE_STAGES
from pmo_nb.delivery.evm import earned_value
from pmo_nb.memo import per_portfolio
from pmo_nb.portfolio import Portfolio

#: Stages whose start is history: a prerequisite's slip cannot push it.
STARTED_STAGES = ("active", "completed")
#: Stages still expected to finish (overdue ones are late by at least as_of - finish):
#: :data:`pmo_nb.dates.LIVE_STAGES`.
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


def forecast_finishes(forecast: pd.DataFrame) -> pd.Series:
    """Median forecast finish per project from a forecast table.

    Parameters
    ----------
    forecast : pandas.DataFrame
        :func:`pmo_nb.forecast.forecasting.forecast` output (indexed by ``project_id``)
        or the same table as stored (``project_id`` a column); needs
        ``finish_p50``.

    Returns
    -------
    pandas.Series
        Naive Timestamps indexed by project id (rows without one dropped).
    """
    if not isinstance(forecast, pd.DataFrame) or "finish_p50" not in forecast.columns:
        raise ValueError("forecast must be a DataFrame with a finish_p50 column")
    f = forecast.set_index("project_id") if "project_id" in forecast.columns else forecast
    finish = pd.to_datetime(f["finish_p50"], utc=True).dt.tz_localize(None)
    finish.index = finish.index.astype("str")
    return finish.dropna().astype("datetime64[ns]")


def default_slips(portfolio: Portfolio, as_of=None,
                  forecast: pd.DataFrame | None = None) -> dict[str, float]:
    """Finish delays (days, > 0 only) implied by actuals, forecasts and status.

    Completed projects that others depend on: actual finish - planned finish
    (a completed project nothing waits for is history, not a knock-on). Active
    projects: the forecast's median finish - planned finish when ``forecast``
    has the project, else the earned schedule forecast (planned duration /
    SPI(t); with no schedule earned yet, the whole planned duration from the
    data date). Any live project still open after its planned finish at
    ``as_of``: at least ``as_of - finish``.
    """
    p = portfolio.projects.set_index("project_id")
    slip = pd.Series(0.0, index=p.index)
    # a completed project's lateness is history unless something still waits for it
    waited_for = p.index.isin(portfolio.dependencies["depends_on"])
    done = p["stage"].eq("completed") & p["actual_finish_date"].notna() & waited_for
    slip[done] = (p.loc[done, "actual_finish_date"] - p.loc[done, "finish_date"]) / _DAY
    by_forecast = pd.Series(dtype="float64")
    if forecast is not None:
        finish = forecast_finishes(forecast)
        active = p.index[p["stage"].eq("active")].intersection(finish.index)
        by_forecast = ((finish[active] - p.loc[active, "finish_date"]) / _DAY).round()
        slip.loc[active] = np.fmax(slip.loc[active], by_forecast)

    if len(portfolio.status_updates):
        ev = earned_value(portfolio, as_of=as_of)
        ev = ev[(ev["stage"] == "active") & ~ev.index.isin(by_forecast.index)]
        proj = p.loc[ev.index]
        duration = (proj["finish_date"] - proj["start_date"]) / _DAY
        spi_t = ev["spi_t"]
        by_es = proj["start_date"] + pd.to_timedelta(duration / spi_t.where(spi_t > 0), unit="D")
        stalled = ev["data_date"] + pd.to_timedelta(duration, unit="D")
        estimate = by_es.where(spi_t > 0, stalled.where(spi_t == 0))
        est = ((estimate - proj["finish_date"]) / _DAY).round()
        slip.loc[est.index] = np.fmax(slip.loc[est.index], est.fillna(0.0))
    if as_of is not None:
        late = p["stage"].isin(LIVE_STAGES) & (p["finish_date"] < pd.Timestamp(as_of))
        overdue = (pd.Timestamp(as_of) - p.loc[late, "finish_date"]) / _DAY
        slip.loc[late] = np.fmax(slip.loc[late], overdue)
    slip = slip.clip(lower=0.0)
    return {k: float(v) for k, v in slip.items() if v > 0}


def _slips(portfolio, slips, as_of, forecast) -> tuple[Mapping[str, float], str]:
    """The slips to propagate and where they came from."""
    if slips is not None:
        return slips, "given"
    source = "forecast" if forecast is not None else "status"
    return default_slips(portfolio, as_of, forecast), source


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


@per_portfolio
def knock_on(portfolio: Portfolio, slips: Mapping[str, float] | None = None, as_of=None,
             forecast: pd.DataFrame | None = None):
    """Every project whose start or finish moves when the given projects slip.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``projects`` and ``dependencies``.
    slips : mapping of str to float, optional
        Finish delay in days per project. ``None``: :func:`default_slips`.
    as_of : date-like, optional
        Reporting date for the default slips.
    forecast : pandas.DataFrame, optional
        A forecast table (:func:`pmo_nb.forecast.forecasting.forecast`, or as stored):
        with ``slips=None``, active projects slip to its ``finish_p50``.

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``slip_days`` (its own), ``start_shift_days``,
        ``finish_shift_days``, ``new_start``, ``new_finish``, ``driver`` (the
        prerequisite that pushed it, if any) and ``chain`` (e.g.
        ``"P1 -> P7 -> P9"``), largest finish shift first. Projects that do
        not move are not listed. ``attrs["slip_source"]``: ``"given"``,
        ``"forecast"`` or ``"status"`` (earned schedule and dates).
    """
    slips, source = _slips(portfolio, slips, as_of, forecast)
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
                          kind="stable").reset_index(drop=True)
    out.attrs["slip_source"] = source
    return out


def critical_chain(portfolio: Portfolio, slips: Mapping[str, float] | None = None,
                   as_of=None, key: str | None = None,
                   forecast: pd.DataFrame | None = None) -> pd.DataFrame:
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
    forecast : pandas.DataFrame, optional
        As in :func:`knock_on`.

    Returns
    -------
    pandas.DataFrame
        In chain order (first prerequisite first): ``step``, ``project_id``,
        ``stage``, ``start``, ``finish`` (after slips), ``lag_days`` and
        ``slack_days`` of the link to the next project (NaN on the last).
        ``attrs["slip_source"]`` as in :func:`knock_on`.
    """
    slips, source = _slips(portfolio, slips, as_of, forecast)
    dates, links, _, start_shift, finish_shift, _ = _propagate(portfolio, slips)
    if dates.empty:
        empty = pd.DataFrame(columns=["step", "project_id", "stage", "start", "finish",
                                      "lag_days", "slack_days"])
        empty.attrs["slip_source"] = source
        return empty
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
    out = pd.DataFrame({
        "step": np.arange(1, len(path) + 1),
        "project_id": pd.Series(path, dtype="str"),
        "stage": dates.loc[path, "stage"].to_numpy(),
        "start": start[path].to_numpy(),
        "finish": finish[path].to_numpy(),
        "lag_days": lags,
        "slack_days": slacks,
    })
    out.attrs["slip_source"] = source
    return out


def describe_chain(chain: pd.DataFrame) -> str:
    """The critical chain in one sentence, e.g. for a report."""
    if chain.empty:
        return "There are no projects, so there is no critical chain."
    last = chain.iloc[-1]
    key = f"{last['project_id']}, finishing {pd.Timestamp(last['finish']):%d %b %Y}"
    if len(chain) == 1:
        return (f"The latest key date is {key}; it waits for no other project, so no "
                "chain of dependencies drives it.")
    steps = " -> ".join(chain["project_id"])
    tight = chain["slack_days"].iloc[:-1]
    n_tight, n_overlap = int((tight <= 0).sum()), int((tight < 0).sum())
    overlap = f", {n_overlap} of them already overlapping in the plan" if n_overlap else ""
    return (f"The key date is {key}. It is driven by a chain of {len(chain)} projects "
            f"({steps}); {n_tight} of its {len(tight)} links have no slack left{overlap} "
            "(a delay there passes straight on unless the next project is under way).")


def layered_layout(nodes, edges: pd.DataFrame) -> pd.DataFrame:
    """Positions for drawing a DAG left to right (pure; no plotting library).

    Parameters
    ----------
    nodes : iterable of str
        Node ids, in the order that breaks ties.
    edges : pandas.DataFrame
        ``project_id`` (the dependent) and ``depends_on`` (its prerequisite);
        edges naming unknown nodes are ignored.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``project_id`` in layer then position order: ``layer``
        (0 for no prerequisites, else 1 + the largest prerequisite layer:
        the longest chain of prerequisites), ``order`` (0-based position in
        the layer) and ``y`` = order - (layer size - 1) / 2, so every layer is
        centred on 0. Layer 0 keeps the given order; later layers sort by the
        mean ``y`` of their prerequisites (the barycentre heuristic), ties by
        the given order.
    """
    nodes = list(dict.fromkeys(str(n) for n in nodes))
    known = set(nodes)
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for b, a in zip(edges["project_id"].astype("str"), edges["depends_on"].astype("str"),
                    strict=True):
        if b in known and a in known:
            preds[b].append(a)
    try:
        order = list(TopologicalSorter(preds).static_order())
    except CycleError as exc:
        raise ValueError(f"dependency cycle: {' -> '.join(map(str, exc.args[1]))}") from exc
    layer: dict[str, int] = {}
    for n in order:
        layer[n] = 1 + max((layer[a] for a in preds[n]), default=-1)
    rank = {n: i for i, n in enumerate(nodes)}
    y: dict[str, float] = {}
    rows = []
    for k in range(max(layer.values(), default=-1) + 1):
        members = [n for n in nodes if layer[n] == k]
        if k:
            members.sort(key=lambda n: (np.mean([y[a] for a in preds[n]]), rank[n]))
        for i, n in enumerate(members):
            y[n] = i - (len(members) - 1) / 2
            rows.append((n, k, i, y[n]))
    out = pd.DataFrame(rows, columns=["project_id", "layer", "order", "y"])
    return out.set_index("project_id")


def network_layout(portfolio: Portfolio, include=()) -> pd.DataFrame:
    """The linked projects (plus ``include``) placed by :func:`layered_layout`.

    Cancelled projects and their links are left out. Adds ``name``,
    ``stage``, ``start`` and ``finish`` (actual finish when completed), so a
    chart may put planned start on x instead of the layer.
    """
    dates = _dates(portfolio)
    links = _links(portfolio, dates)
    wanted = set(links["project_id"]) | set(links["depends_on"]) | {str(p) for p in include}
    nodes = [p for p in dates.index if p in wanted]
    out = layered_layout(nodes, links)
    names = portfolio.projects.set_index("project_id")["name"]
    return out.join(dates).assign(name=names.reindex(out.index).to_numpy())

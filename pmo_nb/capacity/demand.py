"""Team capacity against project demand, month by month.

Pure functions on a :class:`~pmo_nb.portfolio.Portfolio`. Months are carried
internally as integers (``year * 12 + month - 1``) so that shifting a project
by ``k`` months is an addition; they come back out as ``"YYYY-MM"`` labels.

``over`` is the overload in FTE, ``max(0, demand - capacity)``, not a flag: a
team-month 0.1 FTE over and one 5 FTE over are different problems, and the
leveling objective (:func:`pmo_nb.capacity.leveling.level`) is the sum of this column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from pmo_nb.portfolio import Portfolio

#: Stages whose demand counts by default: committed work.
DEFAULT_STAGES = ("active", "approved")
#: Demand above capacity by less than this (FTE) is rounding, not overload.
TOLERANCE = 1e-9


def month_index(months: pd.Series) -> np.ndarray:
    """``"YYYY-MM"`` labels -> integer months (``year * 12 + month - 1``)."""
    text = months.astype("str")
    codes, labels = pd.factorize(text)  # a demand table repeats a few dozen months
    if len(codes) and codes.min() >= 0:
        return _month_numbers(pd.Series(labels, dtype=text.dtype))[codes]
    return _month_numbers(text)


def _month_numbers(text: pd.Series) -> np.ndarray:
    year = text.str.slice(0, 4).astype("int64").to_numpy()
    month = text.str.slice(5, 7).astype("int64").to_numpy()
    return year * 12 + month - 1


def month_label(index: np.ndarray | Iterable[int]) -> list[str]:
    """Integer months -> ``"YYYY-MM"`` labels (inverse of :func:`month_index`)."""
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in np.asarray(index, dtype="int64")]


def included_projects(
    portfolio: Portfolio, stages: Iterable[str] = DEFAULT_STAGES, scenario=None
) -> tuple[list[str], dict[str, int]]:
    """The projects whose demand counts, and their month shifts.

    Parameters
    ----------
    portfolio : Portfolio
    stages : iterable of str
        Projects in these stages count.
    scenario : iterable of str or mapping of str to int, optional
        Project ids to add (e.g. a candidate selection from prioritisation),
        or ``{project_id: months}`` shifts; a shifted project is included
        whatever its stage (shifting it means considering it).

    Returns
    -------
    (list of str, dict)
        Included project ids (projects-table order) and the non-zero shifts.
    """
    projects = portfolio.projects
    wanted = set(projects.loc[projects["stage"].isin(list(stages)), "project_id"])
    shifts: dict[str, int] = {}
    if scenario is not None:
        if isinstance(scenario, Mapping):
            shifts = {str(k): int(v) for k, v in scenario.items() if int(v) != 0}
            wanted |= {str(k) for k in scenario}
        elif isinstance(scenario, str):
            raise ValueError("scenario must be an iterable of project ids or a dict of shifts")
        else:
            wanted |= {str(k) for k in scenario}
    unknown = (wanted | set(shifts)) - set(projects["project_id"])
    if unknown:
        raise ValueError(f"scenario names unknown projects: {sorted(unknown)}")
    ordered = [p for p in projects["project_id"] if p in wanted]
    return ordered, shifts


def demand_rows(
    portfolio: Portfolio, project_ids: Iterable[str], shifts: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """Demand of the given projects with integer months, shifted as asked.

    Returns
    -------
    pandas.DataFrame
        Columns ``project_id``, ``team_id``, ``m`` (integer month, shifted) and ``fte``.
    """
    demand = portfolio.demand
    demand = demand[demand["project_id"].isin(set(project_ids))]
    out = pd.DataFrame({
        "project_id": demand["project_id"].to_numpy(),
        "team_id": demand["team_id"].to_numpy(),
        "m": month_index(demand["month"]) if len(demand) else np.zeros(0, dtype="int64"),
        "fte": demand["fte"].to_numpy(dtype="float64"),
    })
    if shifts:
        out["m"] += out["project_id"].map(shifts).fillna(0).astype("int64").to_numpy()
    return out


def _horizon(portfolio: Portfolio, rows: pd.DataFrame) -> np.ndarray:
    """Every month from the first to the last in the demand table or ``rows``."""
    bounds = []
    if len(portfolio.demand):
        all_months = month_index(portfolio.demand["month"])
        bounds += [all_months.min(), all_months.max()]
    if len(rows):
        bounds += [rows["m"].min(), rows["m"].max()]
    if not bounds:
        return np.zeros(0, dtype="int64")
    return np.arange(min(bounds), max(bounds) + 1, dtype="int64")


def capacity(
    portfolio: Portfolio, scenario=None, stages: Iterable[str] = DEFAULT_STAGES
) -> pd.DataFrame:
    """Demand against capacity for every team and month of the demand horizon.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``projects``, ``teams`` and ``demand``.
    scenario : iterable of str or mapping of str to int, optional
        Extra project ids to include (a candidate selection), or
        ``{project_id: months}`` to shift those projects' demand (what-if).
    stages : iterable of str
        Stages whose demand counts (default: active and approved).

    Returns
    -------
    pandas.DataFrame
        One row per team x month (teams in table order, months ascending) from
        the first to the last month of the demand table (extended when a shift
        moves demand past it): ``team_id``, ``month`` ("YYYY-MM"), ``demand``
        and ``capacity`` (FTE), ``utilisation`` = demand / capacity (NaN when
        capacity is 0), ``over`` = max(0, demand - capacity). ``attrs`` keeps
        the included projects and shifts for :func:`over_allocations`.
    """
    stages = tuple(stages)
    ids, shifts = included_projects(portfolio, stages, scenario)
    rows = demand_rows(portfolio, ids, shifts)
    months = _horizon(portfolio, rows)
    teams = portfolio.teams
    team_ids = list(dict.fromkeys(list(teams["team_id"]) + sorted(set(rows["team_id"]))))
    cap_by_team = dict(zip(teams["team_id"], teams["capacity_fte"].astype("float64"), strict=True))

    grid = np.zeros((len(team_ids), len(months)))
    if len(rows):
        t_pos = pd.Index(team_ids).get_indexer(rows["team_id"])
        m_pos = rows["m"].to_numpy() - months[0]
        np.add.at(grid, (t_pos, m_pos), rows["fte"].to_numpy())
    cap = np.array([cap_by_team.get(t, 0.0) for t in team_ids], dtype="float64")
    cap_grid = np.repeat(cap[:, None], len(months), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(cap_grid > 0, grid / np.where(cap_grid > 0, cap_grid, 1.0), np.nan)
    over = grid - cap_grid
    over = np.where(over > TOLERANCE, over, 0.0)

    out = pd.DataFrame({
        "team_id": np.repeat(np.asarray(team_ids, dtype=object), len(months)).astype("str"),
        # text even when there are no months (an empty list would become float64)
        "month": np.asarray(month_label(months) * len(team_ids), dtype=object).astype("str"),
        "demand": grid.ravel(),
        "capacity": cap_grid.ravel(),
        "utilisation": util.ravel(),
        "over": over.ravel(),
    })
    out.attrs.update({"projects": ids, "shifts": shifts, "stages": stages})
    return out


def over_allocations(cap: pd.DataFrame, portfolio: Portfolio) -> pd.DataFrame:
    """The over-allocated team-months and the projects whose demand makes them.

    Parameters
    ----------
    cap : pandas.DataFrame
        A :func:`capacity` result (its ``attrs`` say which projects and shifts
        it used; without them, active and approved projects unshifted).
    portfolio : Portfolio
        The same portfolio the capacity table came from.

    Returns
    -------
    pandas.DataFrame
        One row per over team-month and contributing project: ``team_id``,
        ``month``, ``demand``, ``capacity``, ``over``, ``project_id``,
        ``project_fte`` and ``share`` (of the team-month's demand). Team-months
        are sorted by overload (largest first), projects within one by their
        demand (largest first).
    """
    stages = cap.attrs.get("stages", DEFAULT_STAGES)
    ids = cap.attrs.get("projects")
    if ids is None:
        ids, _ = included_projects(portfolio, stages)
    shifts = cap.attrs.get("shifts", {})
    hot = cap.loc[cap["over"] > 0, ["team_id", "month", "demand", "capacity", "over"]]
    rows = demand_rows(portfolio, ids, shifts)
    rows = rows[rows["fte"] > 0]
    contrib = (
        rows.assign(month=month_label(rows["m"]))
        .groupby(["team_id", "month", "project_id"], as_index=False)["fte"].sum()
        .rename(columns={"fte": "project_fte"})
    )
    out = hot.merge(contrib, on=["team_id", "month"], how="left")
    out["share"] = out["project_fte"] / out["demand"]
    out = out.sort_values(
        ["over", "team_id", "month", "project_fte", "project_id"],
        ascending=[False, True, True, False, True],
        kind="stable",
    )
    return out.reset_index(drop=True)


def describe_capacity(cap: pd.DataFrame, over: pd.DataFrame) -> list[str]:
    """A few sentences on over-allocation, from :func:`capacity` and :func:`over_allocations`."""
    hot = cap[cap["over"] > 0]
    teams = cap["team_id"].nunique()
    if hot.empty:
        return [f"No team is over-allocated: {teams} teams, {cap['month'].nunique()} months, "
                "demand within capacity everywhere."]
    out = [f"{len(hot)} of {len(cap)} team-months are over capacity ({hot['team_id'].nunique()}"
           f" of {teams} teams), {hot['over'].sum():.1f} FTE-months of overload in all."]
    worst = hot.sort_values(["over", "team_id", "month"], ascending=[False, True, True]).iloc[0]
    top = over[(over["team_id"] == worst["team_id"]) & (over["month"] == worst["month"])]
    causes = ", ".join(f"{r.project_id} ({r.project_fte:.1f} FTE)"
                       for r in top.head(3).itertuples())
    out.append(f"The worst is team {worst['team_id']} in {worst['month']}: {worst['demand']:.1f} "
               f"FTE asked of {worst['capacity']:.1f}, mostly by {causes}.")
    by_project = over.groupby("project_id")["project_fte"].sum().sort_values(ascending=False)
    if len(by_project):
        out.append(f"{len(by_project)} projects ask for time in over-allocated team-months; "
                   f"{by_project.index[0]} most ({by_project.iloc[0]:.1f} FTE-months there).")
    return out

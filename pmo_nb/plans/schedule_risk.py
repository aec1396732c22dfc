"""The plan's schedule risk for a project, and how it compares with the top-down forecast."""

from __future__ import annotations

import pandas as pd

from pmo_nb.plans import calibration as history
from pmo_nb.plans.schedule import plan_of
from pmo_nb.plans.simulation import ScheduleSimulation, run
from pmo_nb.portfolio import Portfolio

#: Where a normal's P80 sits between its P50 and P90 (z 0.84 of 1.28): used to read a
#: P80 off a forecast that states only P10 / P50 / P90.
P80_BETWEEN_P50_AND_P90 = 0.6568


def simulate_schedule(portfolio: Portfolio, project_id: str, draws: int = 10_000,
                      seed=None, calibrate: bool | None = None, as_of=None, *,
                      learnt=None) -> ScheduleSimulation:
    """Monte Carlo of a project's plan: finish quantiles, criticality, P80 drivers.

    Parameters
    ----------
    portfolio : Portfolio
        Needs the project's ``tasks`` (and ``task_links``, ``holidays``,
        ``risks`` with ``task_id`` where it has them).
    project_id : str
    draws : int
        Simulated futures.
    seed : int, optional
        Seeds the draws (the same seed gives the same result).
    calibrate : bool, optional
        Correct the remaining estimates by how the organisation's completed
        tasks ran (:mod:`pmo_nb.plans.calibration`). ``None``: on when at
        least :data:`~pmo_nb.plans.calibration.MIN_TASKS` completed tasks exist.
    as_of : date-like, optional
        The reporting date: done work is a fact, the rest starts after it.
    learnt : tuple, optional
        ``(learn(portfolio, as_of),)``: the calibration already learnt from this
        portfolio at ``as_of`` (None inside when there is nothing to learn
        from), when the caller simulates many projects: learning reads every
        completed task of the portfolio, so it is done once, not per project.

    Raises
    ------
    ValueError
        For an unknown project, one without tasks, or ``draws < 1``.
    """
    if int(draws) < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    plan = plan_of(portfolio, project_id, as_of)
    learnt = history.learn(portfolio, as_of) if learnt is None else learnt[0]
    use = (learnt is not None and learnt.n_tasks >= history.MIN_TASKS) if calibrate is None \
        else bool(calibrate) and learnt is not None
    finish = portfolio.projects.set_index("project_id").at[project_id, "finish_date"]
    return run(plan, int(draws), seed, finish, risks=portfolio.risks,
               calibration=learnt if use else None)


def two_views(simulation: ScheduleSimulation, forecast_row: pd.Series | None) -> dict:
    """The plan's P50/P80 finish beside the reference-class forecast's P10/P50/P90, in words.

    They disagree when one's P80 lies outside the other's P10-P90 (the
    forecast's P80 is read between its P50 and P90 as for a normal).
    """
    s = simulation.summary().iloc[0]
    out = {"plan_p50": s["finish_p50"], "plan_p80": s["finish_p80"], "plan_p10": s["finish_p10"],
           "plan_p90": s["finish_p90"], "forecast_p10": None, "forecast_p50": None,
           "forecast_p90": None, "disagree": None}
    if forecast_row is None or pd.isna(forecast_row.get("finish_p50")):
        out["sentence"] = ("No reference-class forecast covers this project, so the plan's view "
                           f"(P80 finish {s['finish_p80']:%Y-%m-%d}) stands alone.")
        return out
    f10, f50, f90 = (pd.Timestamp(forecast_row[f"finish_p{q}"]) for q in (10, 50, 90))
    f80 = f50 + (f90 - f50) * P80_BETWEEN_P50_AND_P90
    plan_out = not f10 <= s["finish_p80"] <= f90
    forecast_out = not s["finish_p10"] <= f80 <= s["finish_p90"]
    out |= {"forecast_p10": f10, "forecast_p50": f50, "forecast_p90": f90,
            "disagree": bool(plan_out or forecast_out)}
    view = (f"The plan's P80 finish is {s['finish_p80']:%Y-%m-%d} "
            f"(P50 {s['finish_p50']:%Y-%m-%d}); "
            f"the reference-class forecast puts the finish between {f10:%Y-%m-%d} and "
            f"{f90:%Y-%m-%d} (P10-P90, median {f50:%Y-%m-%d}).")
    if not out["disagree"]:
        out["sentence"] = view + " The two views agree."
    elif s["finish_p80"] < f10 or f80 < s["finish_p10"]:
        out["sentence"] = view + (" They disagree: the plan is more optimistic than what usually "
                                  "happened to projects like this one." if s["finish_p80"] < f10
                                  else " They disagree: the plan expects a later finish than "
                                  "projects like this one usually had.")
    else:
        out["sentence"] = view + (" They disagree: the plan expects a later finish than projects "
                                  "like this one usually had.")
    return out

"""A plan's results as the small tables charts and pages show, and in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.plans.simulation import ScheduleSimulation


def gantt_data(critical_path: pd.DataFrame) -> pd.DataFrame:
    """One row per task: ``task`` (id and name), ``start``, ``end``, ``kind``, ``total_float``.

    ``end`` is the day after the last working day, so a bar covers its days.
    """
    cp = critical_path
    kind = np.where(cp["status"] == "done", "done", np.where(cp["critical"], "critical",
                                                             "other"))
    return pd.DataFrame({
        "task": [f"{tid} {name}" for tid, name in zip(cp.index, cp["name"], strict=True)],
        "start": cp["start"].to_numpy(), "end": (cp["finish"] + pd.Timedelta(days=1)).to_numpy(),
        "kind": kind, "total_float": cp["total_float"].to_numpy()})


def finish_markers(simulation: ScheduleSimulation) -> pd.DataFrame:
    """The planned finish and the simulated P50 and P80, as chart markers."""
    s = simulation.summary().iloc[0]
    return pd.DataFrame({"label": ["planned", "P50", "P80"],
                         "date": [s["planned_finish"], s["finish_p50"], s["finish_p80"]]})


def finish_curve(simulation: ScheduleSimulation, points: int = 60) -> pd.DataFrame:
    """The chance of finishing by each date (calibrated, and raw when calibrated)."""
    rows = []
    series = [("plan", simulation.finish)]
    if simulation.raw_finish is not None:
        series = [("calibrated by history", simulation.finish),
                  ("team's estimates", simulation.raw_finish)]
    for name, finish in series:
        q = np.linspace(0.0, 1.0, points)
        days = np.quantile(finish, q)
        dates = simulation.plan.calendar.finish_date(days, np.ones(len(days)))
        rows.append(pd.DataFrame({"date": dates, "probability": q, "series": name}))
    return pd.concat(rows, ignore_index=True)


def tornado_data(criticality: pd.DataFrame, limit: int = 15) -> pd.DataFrame:
    """Long table (``task``, ``measure``, ``value``) of the tasks driving the P80 most."""
    top = criticality.head(limit)
    label = [f"{tid} {name}" for tid, name in zip(top.index, top["name"], strict=True)]
    return pd.concat([
        pd.DataFrame({"task": label, "measure": "criticality", "value": top["criticality"]}),
        pd.DataFrame({"task": label, "measure": "cruciality", "value": top["cruciality"]}),
    ], ignore_index=True)


def describe_simulation(simulation: ScheduleSimulation, n: int = 3) -> list[str]:
    """Plain sentences: the finish quantiles, the chance of being on time, the drivers."""
    s = simulation.summary().iloc[0]
    crit = simulation.criticality()
    out = [f"The plan finishes by {s['finish_p50']:%Y-%m-%d} in half of {len(simulation.finish):,} "
           f"simulated futures and by {s['finish_p80']:%Y-%m-%d} in 80% of them (P80); the "
           f"planned finish is {s['planned_finish']:%Y-%m-%d}, met in {s['p_on_time']:.0%} "
           "(schedule simulation)."]
    drivers = crit[crit["p80_criticality"] > 0].head(n)
    if len(drivers):
        named = "; ".join(f"{tid} {row['name']} (critical in {row['p80_criticality']:.0%} of "
                          f"the late futures)" for tid, row in drivers.iterrows())
        out.append(f"The tasks that drive the P80 finish: {named}.")
    if simulation.calibration is not None and "finish_p80_raw" in s:
        out.append(f"{simulation.calibration.describe()} On the team's own estimates the P80 "
                   f"would be {s['finish_p80_raw']:%Y-%m-%d}; corrected by that history it is "
                   f"{s['finish_p80']:%Y-%m-%d}.")
    if len(simulation.risks):
        out.append(f"{len(simulation.risks)} open risk(s) on tasks add their delays in the "
                   "futures where they occur (risk register).")
    return out

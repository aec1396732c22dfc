"""A plan in two lines for other pages: its P80 finish and the tasks that drive it, or "no plan"."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pmo_nb.plans.schedule_risk import simulate_schedule
from pmo_nb.portfolio import Portfolio

#: What pages say for a project without tasks.
NO_PLAN = "no plan"
#: Draws of the quick simulation behind a status page or a dashboard's project page.
BRIEF_DRAWS = 2000


@dataclass
class PlanBrief:
    """The plan's P50 / P80 finish, its chance of meeting the planned finish, its drivers."""

    project_id: str
    p50: pd.Timestamp
    p80: pd.Timestamp
    planned_finish: pd.Timestamp
    p_on_time: float
    drivers: list[tuple[str, str]]  # (task_id, name), most driving first
    calibrated: bool

    def sentence(self) -> str:
        named = ", ".join(f"{tid} {name}" for tid, name in self.drivers) or "none"
        how = "calibrated by the organisation's completed tasks" if self.calibrated \
            else "on the team's estimates"
        return (f"The plan's P80 finish is {self.p80:%Y-%m-%d} (P50 {self.p50:%Y-%m-%d}; "
                f"planned {self.planned_finish:%Y-%m-%d}, met in {self.p_on_time:.0%} of "
                f"futures); the tasks that drive it: {named} (schedule simulation of the "
                f"plan, {how}).")


def plan_brief(portfolio: Portfolio, project_id: str, as_of=None, *, draws: int = BRIEF_DRAWS,
               seed: int = 0) -> PlanBrief | None:
    """The :class:`PlanBrief` of a project, or None when it has no plan."""
    if not (portfolio.tasks["project_id"].astype(str) == str(project_id)).any():
        return None
    sim = simulate_schedule(portfolio, project_id, draws=draws, seed=seed, as_of=as_of)
    s = sim.summary().iloc[0]
    top = sim.drivers(3)
    names = sim.plan.tasks["name"]
    return PlanBrief(str(project_id), s["finish_p50"], s["finish_p80"], s["planned_finish"],
                     float(s["p_on_time"]), [(t, str(names[t])) for t in top],
                     sim.calibration is not None)

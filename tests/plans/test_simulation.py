"""Schedule risk: known answers of the Monte Carlo and the calibration, seeded."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pmo_nb.plans.calendar import WorkCalendar
from pmo_nb.plans.calibration import learn
from pmo_nb.plans.schedule import build_plan
from pmo_nb.plans.simulation import run
from pmo_nb.risks.pert import LAMBDA, pert_mean

START = "2026-03-02"


def _tasks(rows):
    out = pd.DataFrame(rows, columns=["task_id", "duration_low", "duration_likely",
                                      "duration_high"])
    return out.assign(project_id="P", name=out["task_id"], percent_complete=0.0,
                      actual_start=pd.NaT, actual_finish=pd.NaT)


def _links(rows):
    return pd.DataFrame(rows, columns=["predecessor", "successor", "type", "lag"])


def _pert(low, likely, high):
    r = (likely - low) / (high - low)
    return stats.beta(1 + LAMBDA * r, 1 + LAMBDA * (1 - r), loc=low, scale=high - low)


def test_two_identical_paths_into_a_milestone():
    tasks = _tasks([("A", 4, 6, 12), ("B", 4, 6, 12), ("M", np.nan, 0, np.nan)])
    links = _links([("A", "M", "FS", 0), ("B", "M", "FS", 0)])
    sim = run(build_plan("P", tasks, links, START), 40_000, 3, "2026-12-31")
    dist = _pert(4, 6, 12)
    for q in (0.1, 0.5, 0.8, 0.9):  # the max of two: F^-1(sqrt(q))
        assert np.quantile(sim.finish, q) == pytest.approx(dist.ppf(np.sqrt(q)), abs=0.05)
    crit = sim.criticality()
    assert crit.loc["A", "criticality"] == pytest.approx(0.5, abs=0.01)
    assert crit.loc["B", "criticality"] == pytest.approx(0.5, abs=0.01)
    assert crit.loc["M", "criticality"] == 1.0
    assert crit.loc["A", "cruciality"] > 0.5


def test_a_chain_sums_the_pert_means_and_is_reproducible():
    tasks = _tasks([("A", 2, 3, 10), ("B", 1, 5, 6), ("C", 3, 3.5, 4)])
    links = _links([("A", "B", "FS", 0), ("B", "C", "FS", 0)])
    plan = build_plan("P", tasks, links, START)
    sim = run(plan, 20_000, 11, "2026-12-31")
    mean = float(pert_mean([2, 1, 3], [3, 5, 3.5], [10, 6, 4]).sum())
    se = sim.finish.std() / np.sqrt(len(sim.finish))
    assert abs(sim.finish.mean() - mean) < 4 * se
    assert (sim.criticality()["criticality"] == 1.0).all()
    again = run(plan, 20_000, 11, "2026-12-31")
    np.testing.assert_array_equal(sim.finish, again.finish)


def test_a_fixed_task_with_a_risk_event_is_an_exact_two_point_distribution():
    tasks = _tasks([("T", np.nan, 10, np.nan)])
    risks = pd.DataFrame({"risk_id": ["R"], "task_id": ["T"], "probability": [0.3],
                          "delay_low": [5.0], "delay_likely": [5.0], "delay_high": [5.0],
                          "status": ["open"]})
    sim = run(build_plan("P", tasks, _links([]), START), 20_000, 5, "2026-03-13", risks=risks)
    assert set(np.unique(sim.finish)) == {10.0, 15.0}
    share = (sim.finish == 15.0).mean()
    assert share == pytest.approx(0.3, abs=4 * np.sqrt(0.3 * 0.7 / 20_000))
    # planned finish 13 March = end of day 9 (offset 10): on time exactly when the risk misses
    assert sim.summary()["p_on_time"].iloc[0] == pytest.approx(1 - share)
    assert len(sim.risks) == 1


def test_summary_dates_follow_the_working_day_calendar():
    tasks = _tasks([("T", np.nan, 5, np.nan)])
    summary = run(build_plan("P", tasks, _links([]), START), 100, 1, "2026-03-06").summary()
    row = summary.iloc[0]
    assert row["days_p50"] == 5 and row["finish_p50"] == pd.Timestamp("2026-03-06")
    assert row["p_on_time"] == 1.0


def _history(ratio, n: int, seed: int, noise: float = 0.15, longest: int = 20
             ) -> SimpleNamespace:
    """Completed one-project plans whose tasks took ``ratio`` x their likely duration
    (``ratio`` may be a function of the likely duration)."""
    rng = np.random.default_rng(seed)
    cal = WorkCalendar("2025-01-06")
    likely = rng.integers(3, longest, n).astype(float)
    factor = ratio(likely) if callable(ratio) else ratio
    actual = np.maximum(np.round(likely * factor * np.exp(rng.normal(0, noise, n))), 1)
    starts = np.arange(n) * (longest * 2.5)
    tasks = pd.DataFrame({
        "task_id": [f"H{i}" for i in range(n)], "project_id": "H", "name": "done",
        "duration_likely": likely, "duration_low": np.nan, "duration_high": np.nan,
        "percent_complete": 100.0, "actual_start": cal.date(starts),
        "actual_finish": cal.date(starts + actual - 1)})
    projects = pd.DataFrame({"project_id": ["H"], "category": ["IT"],
                             "start_date": [pd.Timestamp("2025-01-06")]})
    return SimpleNamespace(tasks=tasks, projects=projects,
                           holidays=pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]")}))


def test_calibration_recovers_a_known_overrun_ratio():
    learnt = learn(_history(1.3, 400, 2))
    assert learnt.n_tasks == 400
    # rounding to whole days biases the ratio a little; the geometric mean is within 3%
    assert learnt.ratio == pytest.approx(1.3, rel=0.03)
    mu, se = learnt.for_category("IT")
    assert se < 0.02  # many tasks: a tight correction
    few = learn(_history(1.3, 8, 4))
    assert few.for_category("IT")[1] > se  # few tasks: honestly wider
    assert "400 completed tasks" in learnt.describe()


def test_calibration_tells_long_tasks_that_overrun_more_from_short_ones():
    learnt = learn(_history(lambda likely: np.where(likely > 20, 1.5, 1.1), 600, 6,
                            longest=40))
    sizes = learnt.by_size["ratio"]
    assert sizes["long (over 20 days)"] > 1.15 > sizes["short (up to 5 days)"]
    mu_long, _ = learnt.for_size([30.0])
    mu_short, _ = learnt.for_size([4.0])
    cat_mu, _ = learnt.for_category("IT")
    # category and size together recover each size's own ratio
    assert np.exp(cat_mu + mu_long[0]) == pytest.approx(1.5, rel=0.05)
    assert np.exp(cat_mu + mu_short[0]) == pytest.approx(1.1, rel=0.06)

"""Knock-on of slips through finish-to-start links: chains, diamonds, critical chain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_nb.capacity.dependencies import critical_chain, default_slips, knock_on
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types


def make(**tables) -> Portfolio:
    """A Portfolio from lists of row dicts, typed as the store would type them."""
    return Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})


def project(pid, start, finish, stage="approved", **kw):
    return dict(project_id=pid, name=pid, category="IT", stage=stage, start_date=start,
                finish_date=finish, budget=100.0, **kw)


def link(b, a, lag=0.0):
    return dict(project_id=b, depends_on=a, lag_days=lag)


@pytest.fixture
def chain() -> Portfolio:
    """P1 -> P7 (lag 5: 10 days apart, slack 5) -> P9 (slack 1 day); X unrelated."""
    return make(
        projects=[project("P1", "2026-01-01", "2026-03-31"),
                  project("P7", "2026-04-10", "2026-06-30"),
                  project("P9", "2026-07-01", "2026-09-30"),
                  project("X", "2026-01-01", "2026-02-28")],
        dependencies=[link("P7", "P1", 5.0), link("P9", "P7")],
    )


@pytest.fixture
def diamond() -> Portfolio:
    """A -> B (slack 0) -> D (slack 10); A -> C (slack 15) -> D (slack 0)."""
    return make(
        projects=[project("A", "2026-01-01", "2026-01-31"),
                  project("B", "2026-01-31", "2026-03-31"),
                  project("C", "2026-02-15", "2026-04-10"),
                  project("D", "2026-04-10", "2026-06-30")],
        dependencies=[link("B", "A"), link("C", "A"), link("D", "B"), link("D", "C")],
    )


def test_chain_absorbs_slack_and_names_the_path(chain):
    out = knock_on(chain, slips={"P1": 30}).set_index("project_id")
    assert list(out.index) == ["P1", "P7", "P9"]  # X does not move
    assert out["start_shift_days"].to_dict() == {"P1": 0.0, "P7": 25.0, "P9": 24.0}
    assert out["finish_shift_days"].to_dict() == {"P1": 30.0, "P7": 25.0, "P9": 24.0}
    assert out.loc["P9", "chain"] == "P1 -> P7 -> P9"
    assert out.loc["P1", "chain"] == "P1"
    assert out.loc["P9", "new_start"] == pd.Timestamp("2026-07-25")
    assert out.loc["P7", "new_finish"] == pd.Timestamp("2026-07-25")
    # a slip smaller than the first slack stops there
    small = knock_on(chain, slips={"P1": 5})
    assert small["project_id"].tolist() == ["P1"]
    assert knock_on(chain, slips={}).empty
    with pytest.raises(ValueError):
        knock_on(chain, slips={"nope": 3})


def test_diamond_takes_the_binding_branch(diamond):
    out = knock_on(diamond, slips={"A": 20, "D": 3}).set_index("project_id")
    assert out["start_shift_days"].to_dict() == {"A": 0.0, "B": 20.0, "C": 5.0, "D": 10.0}
    assert out["finish_shift_days"].to_dict() == {"A": 20.0, "B": 20.0, "C": 5.0, "D": 13.0}
    assert out.loc["D", "chain"] == "A -> B -> D"
    assert out.loc["D", "driver"] == "B"
    assert out.loc["D", "slip_days"] == 3.0
    assert list(out.index) == ["A", "B", "D", "C"]  # largest finish shift first


def test_started_cancelled_and_accepted_overlap():
    pf = make(
        projects=[project("A", "2026-01-01", "2026-03-31"),
                  project("Run", "2026-03-01", "2026-05-31", stage="active"),
                  project("Next", "2026-06-01", "2026-06-30"),
                  project("Overlap", "2026-03-01", "2026-04-30"),
                  project("Gone", "2026-04-01", "2026-04-30", stage="cancelled")],
        dependencies=[link("Run", "A"), link("Next", "Run"), link("Overlap", "A"),
                      link("Gone", "A")],
    )
    out = knock_on(pf, slips={"A": 10}).set_index("project_id")
    # Run is under way: not pushed, so neither is Next; Gone is cancelled;
    # Overlap already overlapped A by 30 days (accepted), so only the new 10 days push it
    assert out["start_shift_days"].to_dict() == {"A": 0.0, "Overlap": 10.0}


def test_critical_chain_plan_and_after_slip(diamond, chain):
    plan = critical_chain(diamond, slips={})
    assert plan["project_id"].tolist() == ["A", "C", "D"]
    assert plan["slack_days"].tolist()[:2] == [15.0, 0.0] and np.isnan(plan["slack_days"].iloc[-1])
    after = critical_chain(diamond, slips={"A": 20})
    assert after["project_id"].tolist() == ["A", "B", "D"]
    assert after["slack_days"].tolist()[:2] == [0.0, 0.0]
    assert after["finish"].iloc[-1] == pd.Timestamp("2026-07-10")
    c = critical_chain(chain, slips={})
    assert c["project_id"].tolist() == ["P1", "P7", "P9"]
    assert c["lag_days"].tolist()[:2] == [5.0, 0.0]
    assert c["slack_days"].tolist()[:2] == [5.0, 1.0]
    assert critical_chain(chain, slips={}, key="X")["project_id"].tolist() == ["X"]


def test_default_slips_from_status_actuals_and_overdue():
    pf = make(
        projects=[
            project("Slow", "2026-01-01", "2026-12-31", stage="active"),
            project("Done", "2025-01-01", "2025-12-31", stage="completed",
                    actual_finish_date="2026-01-10", actual_cost=100.0),
            project("Quiet", "2025-01-01", "2025-12-31", stage="completed",
                    actual_finish_date="2026-02-10", actual_cost=100.0),
            project("Overdue", "2026-01-01", "2026-06-01"),
            project("After", "2027-01-01", "2027-03-31"),
            project("Later", "2026-09-01", "2026-12-31"),
        ],
        status_updates=[dict(project_id="Slow", as_of="2026-07-02", percent_complete=25.0,
                             actual_cost=30.0)],
        dependencies=[link("After", "Slow"), link("Later", "Done")],
    )
    slips = default_slips(pf, as_of="2026-07-02")
    # Slow: ES = 0.25 * 364 = 91 days at AT = 182: SPI(t) 0.5, duration 728 instead of 364;
    # Quiet finished late too, but nothing waits for it
    assert slips == {"Slow": 364.0, "Done": 10.0, "Overdue": 31.0}
    out = knock_on(pf, as_of="2026-07-02").set_index("project_id")
    assert out.loc["After", "start_shift_days"] == 363.0  # one day of slack absorbed
    assert out.loc["After", "chain"] == "Slow -> After"

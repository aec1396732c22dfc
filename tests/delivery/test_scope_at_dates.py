"""Known answers: scope growth and approved changes of a project at several dates of its own."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.delivery.changes import approved_count_at
from pmo_nb.delivery.scope import growth_at
from pmo_nb.schema import coerce_types


def _requirements() -> pd.DataFrame:
    rows = [  # P1: baseline 10 (two items), +2 in March, +3 in May, baseline item of 4 gone in June
        ("R1", "P1", 6.0, "done", True, "2026-01-01", None),
        ("R2", "P1", 4.0, "removed", True, "2026-01-01", "2026-06-01"),
        ("R3", "P1", 2.0, "in_progress", False, "2026-03-01", None),
        ("R4", "P1", 3.0, "baselined", False, "2026-05-01", None),
        ("R5", "P1", 9.0, "proposed", False, "2026-02-01", None),  # proposed: never counts
        ("R6", "P2", 5.0, "done", True, "2026-01-01", None),
    ]
    frame = pd.DataFrame(rows, columns=["requirement_id", "project_id", "size", "status",
                                        "baseline", "added_date", "removed_date"])
    return coerce_types("requirements", frame.assign(title="item"))


def _changes() -> pd.DataFrame:
    rows = [
        ("C1", "P1", "2026-01-10", "approved", "2026-02-01"),
        ("C2", "P1", "2026-03-10", "approved", "2026-04-15"),
        ("C3", "P1", "2026-03-10", "rejected", "2026-03-20"),
        ("C4", "P1", "2026-05-10", "proposed", None),
        ("C5", "P2", "2026-05-10", "approved", "2026-07-01"),
    ]
    frame = pd.DataFrame(rows, columns=["change_id", "project_id", "raised_date", "status",
                                        "decided_date"])
    return coerce_types("change_requests", frame.assign(title="change"))


def test_growth_counts_only_what_was_recorded_by_each_date():
    ids = ["P1", "P1", "P1", "P1", "P2", "P3"]
    dates = pd.to_datetime(["2026-02-15", "2026-03-01", "2026-05-15", "2026-06-30",
                            "2026-06-30", "2026-06-30"])
    got = growth_at(_requirements(), ids, dates)
    # baseline 10 throughout; current 10, 12, 15, then 11 once R2 (4) is removed
    np.testing.assert_allclose(got[:5], [0.0, 0.2, 0.5, 0.1, 0.0])
    assert np.isnan(got[5])  # no requirements: no growth to speak of
    assert np.isnan(growth_at(_requirements(), ["P1"], pd.to_datetime(["2025-12-31"]))[0])


def test_approved_changes_count_decisions_taken_by_each_date():
    ids = ["P1", "P1", "P1", "P2", "P2", "P3"]
    dates = pd.to_datetime(["2026-01-31", "2026-02-01", "2026-06-30", "2026-06-30",
                            "2026-07-01", "2026-07-01"])
    assert approved_count_at(_changes(), ids, dates).tolist() == [0, 1, 2, 0, 1, 0]

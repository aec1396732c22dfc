"""pmo_nb.changes on a hand-made pair of imports: the exact list of changes."""

from __future__ import annotations

import pandas as pd
import pytest
from watch_support import two_imports

import pmo_nb
from pmo_nb.store.core import Store
from pmo_nb.watch import CHANGE_COLUMNS

#: (kind, project_id, subject, owner, before, after, delta): every change of week two
EXPECTED = [
    ("forecast_budget", "P1", "P1", "Ann", 20.0, 45.0, 25.0),
    ("forecast_time", "P2", "P2", "Sam", 30.0, 10.0, -20.0),
    ("rag", "P1", "P1", "Ann", "green", "red", None),
    ("rebaselined_budget", "P1", "P1", "Ann", 1000.0, 1200.0, 200.0),
    ("rebaselined_finish", "P2", "P2", "Sam", "2026-12-31", "2027-01-30", 30.0),
    ("risk_new", "P2", "R5", "Sam", None, "open", None),
    ("risk_closed", "P1", "R2", "Ann", "open", "closed", None),
    ("risk_escalated", "P1", "R1", "Rita", 20.0, 60.0, 40.0),
    ("risk_escalated", "P2", "R3", "Rob", "open", "occurred", None),
    ("benefit_off_track", "P1", "B1", "Ben", "at_risk", "off_track", None),
    ("decision_overdue", "P1", "D1", "Dee", None, 4, 4.0),
    ("capacity_over", None, "T1:2027-01", None, 75.0, 125.0, 50.0),
    ("project_new", "P4", "P4", "Ann", None, "proposed", None),
    ("project_closed", "P3", "P3", "Ann", "active", "completed", None),
]


def _rows(frame: pd.DataFrame) -> list[tuple]:
    def plain(v):  # floats to 9 places: 0.3 * 100 is 30.000000000000004
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return None
        return round(float(v), 9) if isinstance(v, float) else v

    return [tuple(plain(v) for v in r) for r in frame[
        ["kind", "project_id", "subject", "owner", "before", "after", "delta"]].itertuples(
        index=False)]


@pytest.fixture
def store(tmp_path, clock):
    found = Store(tmp_path / "portfolio.db")
    two_imports(found, clock)
    yield found
    found.close()


def test_changes_lists_every_change_with_numbers_and_source(store):
    found = pmo_nb.changes(store, 1, 2)
    assert list(found.columns) == list(CHANGE_COLUMNS)
    assert _rows(found) == EXPECTED
    sentences = dict(zip(found["subject"] + "/" + found["kind"], found["sentence"], strict=True))
    assert sentences["P1/forecast_budget"] == (
        "P(over budget) of P1 Project P1 rose from 20% to 45% (+25 points).")
    assert sentences["P2/rebaselined_finish"] == (
        "Finish of P2 Project P2 re-baselined from 2026-12-31 to 2027-01-30 "
        "(+30 days; approved change requests).")
    assert sentences["B1/benefit_off_track"] == (
        "Benefit B1 'Calls handled' of P1 Project P1 slipped from at_risk to off_track: "
        "55% realised against 86% planned by 2026-11-09.")
    assert sentences["D1/decision_overdue"] == (
        "Decision D1 'Go live' (Board) became overdue: due 2026-11-05, 4 days late on "
        "2026-11-09.")
    assert sentences["T1:2027-01/capacity_over"] == (
        "Team T1 Data is over capacity in 2027-01: demand 2.5 FTE against 2.0 FTE "
        "(125%, was 75%).")
    imports = "imports 1 -> 2 (2026-11-02 -> 2026-11-09)"
    assert set(found.loc[found["kind"].str.startswith("forecast"), "source"]) == {
        f"{imports}; forecast 2026-11-03 v1 -> 2026-11-10 v1"}
    assert set(found.loc[~found["kind"].str.startswith("forecast"), "source"]) == {imports}
    assert found.attrs["since_import"] == 1 and found.attrs["until_import"] == 2
    assert found.attrs["since_forecast"] == "2026-11-03 v1"
    assert found.attrs["until_forecast"] == "2026-11-10 v1"
    assert found.attrs["not_available"] == []


def test_points_threshold_and_dates_name_the_same_imports(store):
    # a date means the last import on or before its end; until=None is the latest
    by_date = pmo_nb.changes(store, "2026-11-05", points=22.0)
    assert by_date.attrs["since_import"] == 1 and by_date.attrs["until_import"] == 2
    kinds = by_date.loc[by_date["kind"].str.startswith("forecast"), "subject"].tolist()
    assert kinds == ["P1"]  # P2's 20-point move is under 22 points
    # the forecast a report dated 2026-11-05 shows is the one named 2026-11-03
    assert by_date.attrs["since_forecast"] == "2026-11-03 v1"
    same = pmo_nb.changes(store, 2, 2)
    assert same.empty and same.attrs["since_import"] == 2


def test_not_available_facts_give_no_rows(tmp_path, clock):
    store = Store(tmp_path / "bare.db")
    two_imports(store, clock, forecasts=False)
    found = pmo_nb.changes(store, 1, 2)
    assert found.attrs["since_forecast"] is None and found.attrs["until_forecast"] is None
    assert found.attrs["not_available"] == ["forecast_budget", "forecast_time"]
    assert not found["kind"].str.startswith("forecast").any()
    assert len(found) == len(EXPECTED) - 2


@pytest.mark.parametrize(("since", "until", "message"), [
    (7, None, "since=7: the store has no import 7 (see pmo history)"),
    ("2026-10-01", None, "since='2026-10-01': no import started on or before it"),
    ("soon", None, "since='soon': not an import id or a date (use YYYY-MM-DD)"),
    (2, 1, "since (import 2) is later than until (import 1)"),
])
def test_bad_points_are_named(store, since, until, message):
    with pytest.raises(ValueError) as err:
        pmo_nb.changes(store, since, until)
    assert str(err.value).startswith(message)

"""The store's alert log: raised once, held, cleared once, re-raised as a new row.

Runs on SQLite and PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import store_fixtures

from pmo_nb.store.alert_log import ALERT_COLUMNS, HOLDING_COLUMNS
from pmo_nb.store.tables import ALERT_LOG

db, pg, store = store_fixtures.db, store_fixtures.pg, store_fixtures.store  # fixtures


def _holding(*rows) -> pd.DataFrame:
    return pd.DataFrame([(rule, subject, "cpi", "warning", value, 0.9, f"{subject} {value}")
                         for rule, subject, value in rows], columns=list(HOLDING_COLUMNS))


def _events(frame: pd.DataFrame) -> list[tuple]:
    return list(zip(frame["event"], frame["rule"], frame["subject"], strict=True))


def test_alert_episodes_over_a_sequence_of_runs(store):
    assert list(store.alert_log().columns) == list(ALERT_COLUMNS) == [c.name for c in ALERT_LOG.c]
    assert store.alert_log().empty
    first = store.record_alerts(_holding(("low_cpi", "P1", 0.8), ("low_cpi", "P2", 0.7)),
                                rules=["low_cpi"], as_of="2026-11-02")
    assert _events(first) == [("raised", "low_cpi", "P1"), ("raised", "low_cpi", "P2")]
    second = store.record_alerts(_holding(("low_cpi", "P1", 0.75)), rules=["low_cpi"],
                                 as_of="2026-11-09")
    assert _events(second) == [("cleared", "low_cpi", "P2"), ("held", "low_cpi", "P1")]
    # a rule not evaluated (its metric not available) keeps its open alerts
    third = store.record_alerts(_holding(), rules=[], as_of="2026-11-16")
    assert third.empty
    fourth = store.record_alerts(_holding(("low_cpi", "P2", 0.6)), rules=["low_cpi"],
                                 as_of="2026-11-23")
    assert _events(fourth) == [("raised", "low_cpi", "P2"), ("cleared", "low_cpi", "P1")]

    log = store.alert_log().sort_values("alert_id")
    assert log["alert_id"].tolist() == [1, 2, 3]
    assert log["subject"].tolist() == ["P1", "P2", "P2"]
    assert log["value"].tolist() == [0.8, 0.7, 0.6]  # the value when raised
    assert log["last_value"].tolist() == [0.75, 0.7, 0.6]
    assert log["raised_as_of"].tolist() == [dt.date(2026, 11, 2), dt.date(2026, 11, 2),
                                            dt.date(2026, 11, 23)]
    assert log["cleared_as_of"].tolist() == [dt.date(2026, 11, 23), dt.date(2026, 11, 9), None]
    assert log["cleared_at"].isna().tolist() == [False, False, True]
    open_now = store.alert_log(open_only=True)
    assert open_now["alert_id"].tolist() == [3]

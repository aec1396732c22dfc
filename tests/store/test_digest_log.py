"""The digest log: one row per person, period and channel; sent is final, failures count."""

from __future__ import annotations

import pytest
import store_fixtures

db, pg, store = store_fixtures.db, store_fixtures.pg, store_fixtures.store  # fixtures


def test_failures_count_attempts_and_a_sent_digest_is_final(store):
    assert store.digest_log().empty and store.last_digest("Ana") is None
    assert store.record_digest("Ana", "2026-W27", "email", status="failed", items=3,
                               error="connection refused") == 1
    assert store.record_digest("Ana", "2026-W27", "email", status="failed", items=3,
                               error="timed out") == 2
    assert store.last_digest("Ana") is None
    assert store.record_digest("Ana", "2026-W27", "email", status="sent", items=3,
                               message_id="<m1@example.org>") == 3
    assert store.record_digest("Ana", "2026-W27", "webhook", status="sent", items=3) == 1
    log = store.digest_log("Ana")
    assert log[["channel", "status", "attempts", "items", "last_error", "message_id"]
               ].astype(object).where(log.notna(), None).values.tolist() == [
        ["email", "sent", 3, 3, None, "<m1@example.org>"],
        ["webhook", "sent", 1, 3, None, None]]
    assert store.last_digest("Ana") == log["sent_at"].max()
    with pytest.raises(ValueError, match="never sent twice"):
        store.record_digest("Ana", "2026-W27", "email", status="sent", items=3)
    with pytest.raises(ValueError, match="status"):
        store.record_digest("Ana", "2026-W28", "email", status="bounced")
    assert store.digest_log("Ben").empty


def test_a_claim_keeps_a_second_run_away_until_it_goes_stale(store):
    from pmo_nb.store import digest_log

    assert store.claim_digest("Ben", "2026-06-30", "email") == 1
    assert store.claim_digest("Ben", "2026-06-30", "email") is None  # another run: hands off
    assert store.record_digest("Ben", "2026-06-30", "email", status="failed", items=1,
                               error="timed out") == 1  # the claim counted the attempt
    assert store.claim_digest("Ben", "2026-06-30", "email") == 2  # a failure is retried
    digest_log.STALE_CLAIM, saved = digest_log.dt.timedelta(0), digest_log.STALE_CLAIM
    try:
        assert store.claim_digest("Ben", "2026-06-30", "email") == 3  # a dead run's claim
    finally:
        digest_log.STALE_CLAIM = saved
    assert store.record_digest("Ben", "2026-06-30", "email", status="sent", items=1) == 3
    assert store.claim_digest("Ben", "2026-06-30", "email") is None  # sent: final

"""The digest log: which "what needs you" digest went to whom, for which period, how.

Part of :class:`pmo_nb.store.Store` (a mixin). One row per person, period
(``2026-W48``, ``2026-11-25``) and channel (``email``, ``webhook``): a
delivery that succeeded is never repeated for its period, one that failed
keeps its error and its count of attempts and is tried again by the next run.

A sender first claims a row (:meth:`DigestLogMixin.claim_digest`, status
``sending``) in a write transaction, then delivers, then records the
outcome; writers are serialised, so two runs at once (cron overlapping a
manual run, two machines on one PostgreSQL store) never both deliver one
digest. A claim left by a run killed mid-send goes stale after
:data:`STALE_CLAIM` and is retried.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from pmo_nb.store.tables import DIGEST_LOG

#: Columns of :meth:`DigestLogMixin.digest_log`, in order.
DIGEST_LOG_COLUMNS = ["person", "period", "channel", "status", "attempts", "items",
                      "last_error", "built_at", "sent_at", "message_id"]
#: ``status`` of a delivery that arrived / that failed (and will be retried) / under way.
SENT, FAILED, SENDING = "sent", "failed", "sending"
#: A claim older than this is taken to be a run that died mid-send: the digest is retried.
STALE_CLAIM = dt.timedelta(minutes=15)


class DigestLogMixin:
    """:meth:`digest_log`, :meth:`claim_digest`, :meth:`record_digest`, :meth:`last_digest`."""

    def digest_log(self, person: str | None = None) -> pd.DataFrame:
        """The digest deliveries (:data:`DIGEST_LOG_COLUMNS`), oldest built first."""
        query = sa.select(*(DIGEST_LOG.c[c] for c in DIGEST_LOG_COLUMNS)).order_by(
            DIGEST_LOG.c.built_at, DIGEST_LOG.c._rowid)
        if person is not None:
            query = query.where(DIGEST_LOG.c.person == person)
        with self._read() as conn:
            found = [] if conn is None else conn.execute(query).all()
        frame = pd.DataFrame.from_records(found, columns=DIGEST_LOG_COLUMNS)
        for column in ("built_at", "sent_at"):
            frame[column] = pd.to_datetime(frame[column])
        frame["attempts"] = frame["attempts"].astype("int64")
        frame["items"] = frame["items"].astype("Int64")
        return frame

    def claim_digest(self, person: str, period: str, channel: str) -> int | None:
        """Claim a delivery for this run; its attempt number, or None when not to send.

        None when it was sent already, or another run claimed it less than
        :data:`STALE_CLAIM` ago.
        """
        key = (DIGEST_LOG.c.person == person, DIGEST_LOG.c.period == period,
               DIGEST_LOG.c.channel == channel)
        with self._write() as (conn, now):
            row = conn.execute(sa.select(DIGEST_LOG.c.status, DIGEST_LOG.c.attempts,
                                         DIGEST_LOG.c.built_at).where(*key)).first()
            if row is None:
                conn.execute(DIGEST_LOG.insert().values(
                    person=person, period=period, channel=channel, status=SENDING, attempts=1,
                    built_at=now))
                return 1
            if row.status == SENT or (row.status == SENDING
                                      and now - row.built_at < STALE_CLAIM):
                return None
            conn.execute(DIGEST_LOG.update().where(*key).values(
                status=SENDING, attempts=row.attempts + 1, built_at=now))
            return row.attempts + 1

    def record_digest(self, person: str, period: str, channel: str, *, status: str,
                      items: int | None = None, error: str | None = None,
                      message_id: str | None = None) -> int:
        """Record the outcome of a delivery; returns how many attempts the row has now.

        The attempt a :meth:`claim_digest` counted is not counted again. A
        ``sent`` row is final: recording it again (which the sender never
        does) raises, so one period can never be sent twice by mistake.
        """
        if status not in (SENT, FAILED):
            raise ValueError(f"digest status must be {SENT!r} or {FAILED!r}, got {status!r}")
        key = (DIGEST_LOG.c.person == person, DIGEST_LOG.c.period == period,
               DIGEST_LOG.c.channel == channel)
        with self._write() as (conn, now):
            row = conn.execute(sa.select(DIGEST_LOG.c.status, DIGEST_LOG.c.attempts)
                               .where(*key)).first()
            values = {"status": status, "items": items, "built_at": now,
                      "last_error": None if status == SENT else error,
                      "sent_at": now if status == SENT else None, "message_id": message_id}
            if row is None:
                conn.execute(DIGEST_LOG.insert().values(
                    person=person, period=period, channel=channel, attempts=1, **values))
                return 1
            if row.status == SENT:
                raise ValueError(f"the {channel} digest of {person!r} for {period} was sent "
                                 "already; it is never sent twice")
            attempts = row.attempts + (row.status != SENDING)
            conn.execute(DIGEST_LOG.update().where(*key).values(attempts=attempts, **values))
            return attempts

    def last_digest(self, person: str) -> pd.Timestamp | None:
        """When ``person``'s latest digest was delivered on any channel (None: never)."""
        query = sa.select(sa.func.max(DIGEST_LOG.c.sent_at)).where(
            DIGEST_LOG.c.person == person, DIGEST_LOG.c.status == SENT)
        with self._read() as conn:
            found = None if conn is None else conn.execute(query).scalar()
        return None if found is None else pd.Timestamp(found)

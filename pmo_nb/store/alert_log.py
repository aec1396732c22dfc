"""The alert log of a store (``pmo alerts run``), as part of :class:`pmo_nb.store.Store`.

One row per alert episode: a rule's condition that starts holding for a
subject opens a row (raised once), one that keeps holding only moves its
``last_value``, one that stops holding closes the row (cleared once). A later
return of the condition opens a new row, so the log reads as the history of
each alert.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa

from pmo_nb.store.tables import ALERT_LOG

#: Columns of :meth:`AlertLogMixin.alert_log`, in order (those of the table).
ALERT_COLUMNS = tuple(c.name for c in ALERT_LOG.c)
#: Columns of the frame :meth:`AlertLogMixin.record_alerts` takes.
HOLDING_COLUMNS = ("rule", "subject", "metric", "severity", "value", "threshold", "message")
#: Columns of the frame :meth:`AlertLogMixin.record_alerts` returns.
EVENT_COLUMNS = ("event", "alert_id", *HOLDING_COLUMNS)


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _open_alerts(conn: sa.Connection, rules: list[str]) -> dict[tuple[str, str], sa.Row]:
    """The open alerts of ``rules``, by (rule, subject)."""
    if not rules:
        return {}
    found = conn.execute(sa.select(ALERT_LOG).where(
        ALERT_LOG.c.cleared_at.is_(None), ALERT_LOG.c.rule.in_(rules))).all()
    return {(r.rule, r.subject): r for r in found}


class AlertLogMixin:
    """:meth:`record_alerts` and :meth:`alert_log` of a Store."""

    def record_alerts(self, holding: pd.DataFrame, *, rules: Iterable[str], as_of
                      ) -> pd.DataFrame:
        """Reconcile the alert log with the conditions that hold now, in one transaction.

        Parameters
        ----------
        holding : pandas.DataFrame
            One row per rule and subject whose condition holds
            (:data:`HOLDING_COLUMNS`).
        rules : iterable of str
            The rules that were evaluated. Open alerts of these rules whose
            subject is not in ``holding`` are cleared; open alerts of other
            rules (removed from the file, or their metric not available this
            time) are left as they are: no data is not a cleared condition.
        as_of : date-like
            The reporting date of the evaluation (``raised_as_of`` /
            ``cleared_as_of``).

        Returns
        -------
        pandas.DataFrame
            :data:`EVENT_COLUMNS`: one row per ``raised``, ``held`` or
            ``cleared`` alert (cleared rows carry the log's last value).
        """
        day = pd.Timestamp(as_of).date()
        rules = sorted({str(r) for r in rules})
        wanted = {(str(r.rule), str(r.subject)): r
                  for r in holding.loc[:, list(HOLDING_COLUMNS)].itertuples(index=False)}
        with self._write() as (conn, now):
            found = _open_alerts(conn, rules)
            new = [r for key, r in wanted.items() if key not in found]
            held = [(found[key], r) for key, r in wanted.items() if key in found]
            gone = [row for key, row in found.items() if key not in wanted]
            # executemany and IN lists: thousands of alerts are a few statements, not one each
            if new:
                conn.execute(ALERT_LOG.insert(), [{
                    "rule": r.rule, "subject": r.subject, "metric": r.metric,
                    "severity": r.severity, "value": _float(r.value),
                    "threshold": _float(r.threshold), "message": r.message, "raised_at": now,
                    "raised_as_of": day, "last_value": _float(r.value)} for r in new])
            if held:
                conn.execute(ALERT_LOG.update().where(
                    ALERT_LOG.c.alert_id == sa.bindparam("b_id")).values(
                    last_value=sa.bindparam("b_value")),
                    [{"b_id": row.alert_id, "b_value": _float(r.value)} for row, r in held])
            ids = [row.alert_id for row in gone]
            for start in range(0, len(ids), 500):
                conn.execute(ALERT_LOG.update().where(
                    ALERT_LOG.c.alert_id.in_(ids[start:start + 500])).values(
                    cleared_at=now, cleared_as_of=day))
            raised = _open_alerts(conn, sorted({r.rule for r in new})) if new else {}
        events = [("raised", raised[(r.rule, r.subject)].alert_id, *r) for r in new]
        events += [("held", row.alert_id, *r) for row, r in held]
        events += [("cleared", row.alert_id, row.rule, row.subject, row.metric, row.severity,
                    row.last_value, row.threshold, row.message) for row in gone]
        order = {"raised": 0, "cleared": 1, "held": 2}
        events.sort(key=lambda e: (order[e[0]], e[2], e[3]))
        return pd.DataFrame(events, columns=list(EVENT_COLUMNS))

    def alert_log(self, open_only: bool = False) -> pd.DataFrame:
        """The alert log (:data:`ALERT_COLUMNS`), newest raised first.

        ``open_only``: only the alerts not cleared yet. An empty or new store
        gives an empty frame with the same columns.
        """
        query = sa.select(ALERT_LOG).order_by(ALERT_LOG.c.raised_at.desc(),
                                               ALERT_LOG.c.alert_id.desc())
        if open_only:
            query = query.where(ALERT_LOG.c.cleared_at.is_(None))
        with self._read() as conn:
            present = conn is not None and sa.inspect(conn).has_table(ALERT_LOG.name)
            rows = conn.execute(query).all() if present else []
        frame = pd.DataFrame.from_records(rows, columns=list(ALERT_COLUMNS))
        for col in ("raised_at", "cleared_at"):
            frame[col] = pd.to_datetime(frame[col])
        for col in ("raised_as_of", "cleared_as_of"):  # datetime.date or None, as stored
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
        for col in ("value", "threshold", "last_value"):
            frame[col] = frame[col].astype("float64")
        frame["alert_id"] = frame["alert_id"].astype("int64")
        return frame

"""Results of analyses kept in the store: forecasts, fitted models, scenarios, scorecards.

Part of :class:`pmo_nb.store.Store` (a mixin, so the class stays one API while its
parts stay small). Results are versioned: saving a name again adds a version.
"""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from pmo_nb.store.rows import frame_from_json, frame_to_json, json_default
from pmo_nb.store.tables import RESULTS


class ResultsMixin:
    """:meth:`save_result`, :meth:`load_result`, :meth:`list_results` of a Store."""

    def save_result(self, kind: str, name: str, frame: pd.DataFrame | None = None,
                    payload: bytes | None = None, attrs: dict | None = None) -> int:
        """Keep an analysis result (forecast, scenario, fitted model) as a new version.

        ``frame`` is stored as pandas JSON (orient="table", dtypes kept),
        ``payload`` as bytes (e.g. a NetCDF InferenceData), ``attrs`` as JSON
        (how it was made). Returns the new version number; older versions stay.
        """
        text = None if frame is None else frame_to_json(frame)
        attrs_text = json.dumps(attrs or {}, sort_keys=True, default=json_default)
        with self._write() as (conn, now):
            last = conn.execute(sa.select(sa.func.max(RESULTS.c.version)).where(
                RESULTS.c.kind == kind, RESULTS.c.name == name)).scalar() or 0
            conn.execute(RESULTS.insert().values(
                kind=kind, name=name, version=last + 1, saved_at=now, frame=text,
                payload=None if payload is None else bytes(payload), attrs=attrs_text))
        return last + 1

    def load_result(self, kind: str, name: str, version: int | None = None
                    ) -> tuple[pd.DataFrame | None, bytes | None, dict] | None:
        """``(frame, payload, attrs)`` of the latest (or given) version, or None."""
        query = sa.select(RESULTS.c.frame, RESULTS.c.payload, RESULTS.c.attrs).where(
            RESULTS.c.kind == kind, RESULTS.c.name == name)
        query = (query.where(RESULTS.c.version == version) if version is not None
                 else query.order_by(RESULTS.c.version.desc()).limit(1))
        with self._read() as conn:
            row = None if conn is None else conn.execute(query).first()
        if row is None:
            return None
        frame = None if row.frame is None else frame_from_json(row.frame)
        return frame, None if row.payload is None else bytes(row.payload), json.loads(row.attrs)

    def list_results(self, kind: str | None = None) -> pd.DataFrame:
        """The saved results, one row per kind and name (latest version), newest first."""
        columns = ["kind", "name", "version", "saved_at", "has_frame", "payload_bytes", "attrs"]
        query = sa.select(RESULTS.c.kind, RESULTS.c.name, RESULTS.c.version,
                          RESULTS.c.saved_at, RESULTS.c.frame.is_not(None).label("has_frame"),
                          sa.func.length(RESULTS.c.payload).label("payload_bytes"),
                          RESULTS.c.attrs)
        if kind is not None:
            query = query.where(RESULTS.c.kind == kind)
        with self._read() as conn:
            found = [] if conn is None else conn.execute(query).all()
        frame = pd.DataFrame.from_records(found, columns=columns)
        frame = frame.sort_values("version").drop_duplicates(["kind", "name"], keep="last")
        frame["attrs"] = [json.loads(a) for a in frame["attrs"]]
        frame["has_frame"] = frame["has_frame"].astype(bool)
        frame["saved_at"] = pd.to_datetime(frame["saved_at"])
        return frame.sort_values(["saved_at", "kind", "name"], ascending=[False, True, True]
                                 ).reset_index(drop=True)


# --- helpers of import -----------------------------------------------------------------

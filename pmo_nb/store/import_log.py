"""The import log of a store (``pmo history``), as part of :class:`pmo_nb.store.Store`."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from pmo_nb.store.rows import COUNT_KINDS
from pmo_nb.store.tables import IMPORT_LOG


class ImportLogMixin:
    """:meth:`history` of a Store."""

    def history(self) -> pd.DataFrame:
        """The import log, newest first, with counts summed over tables.

        ``details`` spells out the non-zero counts per table; ``based_on`` is
        the import a workbook said it was exported from (None if it did not).
        """
        columns = ["import_id", "started_at", "finished_at", "source", *COUNT_KINDS,
                   "details", "data_checksum", "file_checksums", "based_on"]
        with self._read() as conn:
            if conn is None:
                rows_ = []
            else:
                present = {c["name"] for c in sa.inspect(conn).get_columns(IMPORT_LOG.name)}
                rows_ = conn.execute(sa.select(
                    *(c for c in IMPORT_LOG.c if c.name in present)).order_by(
                    IMPORT_LOG.c.import_id.desc())).mappings().all()
        out = []
        for r in rows_:
            counts = json.loads(r["row_counts"] or "{}")
            rec = {k: r[k] for k in ("import_id", "started_at", "finished_at", "source")}
            for k in COUNT_KINDS:
                rec[k] = sum(c[k] for c in counts.values())
            moved = ("inserted", "changed", "retired")
            rec["details"] = "; ".join(
                f"{n}: " + ", ".join(f"{c[k]} {k}" for k in moved if c[k])
                for n, c in counts.items() if any(c[k] for k in moved))
            rec["data_checksum"] = r["data_checksum"]
            rec["file_checksums"] = json.loads(r["file_checksums"] or "{}")
            rec["based_on"] = r.get("based_on_import")
            out.append(rec)
        frame = pd.DataFrame(out, columns=columns)
        for k in COUNT_KINDS:
            frame[k] = frame[k].astype("int64")
        for k in ("started_at", "finished_at"):
            frame[k] = pd.to_datetime(frame[k])
        frame["based_on"] = frame["based_on"].astype("Int64")
        return frame

"""The alert log as a page of a run folder: ``OUT/<as_of>/alerts.html``.

Written by ``pmo alerts run --out`` (and so by ``pmo report run --due``)
from the store's alert log, and linked from the run folder's index. Every
value comes from the store and is escaped by the template's autoescape
(MarkupSafe, as :func:`pmo_nb.formatting.html_text`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pmo_nb.atomic import write_atomic
from pmo_nb.dates import utc_now
from pmo_nb.reports.index import report_env

#: The page's file name in a run folder.
ALERTS_PAGE = "alerts.html"
#: Cleared episodes shown (newest first); the store keeps them all.
CLEARED_SHOWN = 200


def _rows(frame: pd.DataFrame) -> list[dict]:
    out = []
    for r in frame.itertuples(index=False):
        out.append({"alert_id": r.alert_id, "severity": r.severity, "rule": r.rule,
                    "subject": r.subject,
                    "value": "" if pd.isna(r.last_value) else f"{r.last_value:.4g}",
                    "threshold": "" if pd.isna(r.threshold) else f"{r.threshold:.4g}",
                    "message": r.message, "raised_as_of": r.raised_as_of,
                    "cleared_as_of": r.cleared_as_of})
    return out


def write_alerts_page(folder: str | Path, log: pd.DataFrame, *, as_of: str, raised: int = 0,
                      cleared: int = 0, not_available: list[str] = ()) -> Path:
    """Write ``folder/alerts.html`` from ``log`` (:meth:`pmo_nb.store.Store.alert_log`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    open_ = log[log["cleared_at"].isna()]
    done = log[log["cleared_at"].notna()].head(CLEARED_SHOWN)
    page = report_env().get_template("alerts.html.j2").render(
        title=f"Alerts as of {as_of}", as_of=as_of, open_rows=_rows(open_),
        cleared_rows=_rows(done), raised=raised, cleared=cleared,
        not_available=list(not_available), generated_at=utc_now())
    path = folder / ALERTS_PAGE
    write_atomic(path, page)
    return path

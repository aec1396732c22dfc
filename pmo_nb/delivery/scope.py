"""Scope at a date from the requirements list (shared with governance and the forecast).

The rules are the format's (``requirements``): scope at a date is the size of
the items added on or before it and not removed on or before it; proposed
items do not count. Growth = (scope - baseline scope) / baseline scope; churn
= (size of the items added outside the baseline + size of the baseline items
removed) / baseline scope. :mod:`pmo_nb.governance` reports them and the
forecast uses growth as a covariate, so the rule lives here, in the lower
layer, once (like :mod:`pmo_nb.delivery.changes`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def counted(requirements: pd.DataFrame, when) -> pd.DataFrame:
    """The requirements that count at ``when``, with ``size`` filled, ``gone`` and ``in_baseline``.

    ``when`` is one date, or an array of dates aligned with the rows of
    ``requirements`` (each row judged at its own date).
    """
    at = when if np.ndim(when) == 0 else np.asarray(when, dtype="datetime64[ns]")
    keep = ((requirements["status"] != "proposed") & (requirements["added_date"] <= at)).to_numpy()
    req = requirements[keep].copy()
    at = at if np.ndim(at) == 0 else at[keep]
    req["size"] = req["size"].fillna(1.0).astype("float64")
    req["gone"] = (req["removed_date"] <= at).fillna(False).astype(bool)
    req["in_baseline"] = req["baseline"].fillna(False).astype(bool)
    return req


def sizes(req: pd.DataFrame, by: str = "project_id") -> pd.DataFrame:
    """Baseline size, current size, added, removed and items per ``by`` (of :func:`counted`)."""
    parts = pd.DataFrame({
        by: req[by],
        "baseline_size": req["size"].where(req["in_baseline"], 0.0),
        "current_size": req["size"].where(~req["gone"], 0.0),
        "added": req["size"].where(~req["in_baseline"], 0.0),
        "removed": req["size"].where(req["in_baseline"] & req["gone"], 0.0),
        "items": 1,
    })
    return parts.groupby(by).sum()


def with_growth(out: pd.DataFrame) -> pd.DataFrame:
    """:func:`sizes` output with ``growth`` and ``churn`` (NaN without baseline scope)."""
    base = out["baseline_size"].where(out["baseline_size"] > 0)
    return out.assign(growth=(out["current_size"] - out["baseline_size"]) / base,
                      churn=(out["added"] + out["removed"]) / base)


def growth_at(requirements: pd.DataFrame, project_ids, dates) -> np.ndarray:
    """Scope growth of each ``project_ids[k]`` as it stood at ``dates[k]``.

    One value per position (NaN where the project had no baseline scope by
    then); a project may appear at several dates. Nothing added after a
    position's date counts for it, so a forecast made at that date sees only
    what was known then.
    """
    keys = pd.DataFrame({"project_id": np.asarray(project_ids, dtype=object),
                         "date": pd.to_datetime(np.asarray(dates))})
    keys["key"] = np.arange(len(keys))
    rows = keys.merge(requirements, on="project_id", how="inner")
    if rows.empty:
        return np.full(len(keys), np.nan)
    req = counted(rows, rows["date"].to_numpy())
    growth = with_growth(sizes(req, by="key"))["growth"]
    return growth.reindex(keys["key"]).to_numpy("float64")

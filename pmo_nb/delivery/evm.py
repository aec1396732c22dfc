"""Earned value management (PMBOK) and earned schedule (Lipke) per project.

One pure, vectorised function, :func:`earned_value`, turns the status update
history into the standard indicators at each project's data date (its latest
status update on or before the reporting date). Divisions by zero give NaN,
never ``inf`` or an error, so a project that has spent nothing yet simply has
no CPI.

Times (``es``, ``at``, ``sv_t``) are in days since the project's planned
start; the ratio ``spi_t`` has no unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.delivery.changes import current_baseline
from pmo_nb.memo import per_portfolio
from pmo_nb.portfolio import Portfolio

#: What :func:`earned_value` measures against.
BASELINES = ("current", "original")

#: Columns of the table :func:`earned_value` returns, in order.
COLUMNS = (
    "stage", "data_date", "percent_complete", "rag",
    "bac", "pv", "ev", "ac", "cv", "sv", "cpi", "spi",
    "eac", "etc", "vac", "tcpi",
    "es", "at", "spi_t", "sv_t",
)

_DAY = np.timedelta64(1, "D")


def _div(num, den) -> np.ndarray:
    """``num / den`` as floats, NaN wherever ``den`` is zero or missing."""
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[~np.isfinite(out)] = np.nan
    return out


def _empty() -> pd.DataFrame:
    """The result for a portfolio with no status update in range."""
    dtypes = {"stage": "str", "rag": "str", "data_date": "datetime64[ns]"}
    frame = pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "float64")) for c in COLUMNS})
    frame.index = pd.Index([], dtype="str", name="project_id")
    return frame


def _linear_fraction(elapsed: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Share of the planned duration elapsed, clamped to 0..1.

    A zero-length plan is all-or-nothing: 0 before its date, 1 on or after.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip(elapsed / duration, 0.0, 1.0)
    return np.where(duration > 0, frac, (elapsed >= 0).astype("float64"))


def _earned_schedule(history: pd.DataFrame, latest: pd.DataFrame) -> np.ndarray:
    """Earned schedule (days) per row of ``latest``, Lipke's ES = C + I.

    The planned value curve of a project is its status history up to the data
    date (``planned_value`` where reported, else the linear baseline) plus
    the baseline's end points (start, 0) and (planned finish, BAC). Following
    Lipke, C is the last curve point whose PV does not exceed EV and I the
    linear interpolation towards the next point; ES is clamped to
    0..planned duration.
    """
    anchors = pd.DataFrame({
        "project_id": np.concatenate([latest["project_id"].to_numpy()] * 2),
        "t": np.concatenate([np.zeros(len(latest)), latest["duration"].to_numpy()]),
        "pv": np.concatenate([np.zeros(len(latest)), latest["bac"].to_numpy()]),
    })
    curve = pd.concat([history[["project_id", "t", "pv"]], anchors], ignore_index=True)
    curve = curve.sort_values(["project_id", "t"], kind="stable", ignore_index=True)
    curve["pv"] = curve.groupby("project_id", sort=False)["pv"].cummax()
    ev = latest.set_index("project_id")["ev"]
    curve["ev"] = curve["project_id"].map(ev).to_numpy()

    below = curve["pv"] <= curve["ev"]
    lo = curve[below].groupby("project_id", sort=False)[["t", "pv"]].last()
    hi = curve[~below].groupby("project_id", sort=False)[["t", "pv"]].first()
    pids = latest["project_id"]
    t_lo = pids.map(lo["t"]).to_numpy(dtype="float64")
    pv_lo = pids.map(lo["pv"]).to_numpy(dtype="float64")
    t_hi = pids.map(hi["t"]).to_numpy(dtype="float64")
    pv_hi = pids.map(hi["pv"]).to_numpy(dtype="float64")
    ev_now = latest["ev"].to_numpy(dtype="float64")
    step = _div(ev_now - pv_lo, pv_hi - pv_lo) * (t_hi - t_lo)
    es = np.where(np.isnan(t_hi), t_lo, t_lo + step)
    es = np.clip(es, 0.0, np.maximum(latest["duration"].to_numpy(dtype="float64"), 0.0))
    return np.where(np.isnan(ev_now), np.nan, es)


@per_portfolio
def earned_value(portfolio: Portfolio, as_of=None, baseline: str = "current") -> pd.DataFrame:
    """Earned value indicators per project at its data date.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``projects`` (budget, planned dates, stage) and ``status_updates``.
    as_of : date-like, optional
        Reporting date: only status updates on or before it count. ``None``
        uses all the data (each project's latest update).
    baseline : {"current", "original"}
        ``"current"`` (default) measures against the current baseline at
        ``as_of`` (blank: the data date): BAC is the approved budget plus the
        cost impacts of the change requests approved on or before it, and the
        linear planned value runs to the finish moved by their schedule
        impacts (:func:`pmo_nb.delivery.changes.current_baseline`).
        ``"original"`` uses the approved ``budget`` and ``finish_date``. The two
        agree for a project without approved changes.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``project_id`` (sorted), one row per project with at least
        one status update on or before ``as_of``. Columns: ``stage``,
        ``data_date`` (the update used), ``percent_complete``, ``rag``,
        ``bac`` (budget on the chosen baseline), ``pv`` (reported planned value, else the linear
        baseline), ``ev`` (reported earned value, else percent complete x
        BAC), ``ac``, ``cv`` = EV - AC, ``sv`` = EV - PV, ``cpi`` = EV / AC,
        ``spi`` = EV / PV, ``eac`` = BAC / CPI, ``etc`` = EAC - AC,
        ``vac`` = BAC - EAC, ``tcpi`` = (BAC - EV) / (BAC - AC) (NaN once
        AC has reached BAC: the budget can no longer be met at any efficiency,
        and the formula's negative or infinite value would read as a target), and the
        earned schedule ``es`` (days from start at which the planned value
        curve reached EV), ``at`` (days from start to the data date),
        ``spi_t`` = ES / AT and ``sv_t`` = ES - AT (days).
    """
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}, got {baseline!r}")
    updates = portfolio.status_updates
    if as_of is not None and not (isinstance(as_of, str) and not as_of.strip()):
        updates = updates[updates["as_of"] <= pd.Timestamp(as_of)]
    projects = portfolio.projects[
        ["project_id", "stage", "start_date", "finish_date", "budget"]
    ]
    if baseline == "current" and len(portfolio.change_requests):
        current = current_baseline(portfolio, as_of)
        projects = projects.assign(
            budget=projects["project_id"].map(current["budget_current"]).to_numpy(),
            finish_date=projects["project_id"].map(current["finish_current"]).to_numpy())
    hist = updates.merge(projects, on="project_id", how="inner")
    if hist.empty:
        return _empty()

    hist = hist.sort_values(["project_id", "as_of"], kind="stable", ignore_index=True)
    hist["bac"] = hist["budget"].astype("float64")
    hist["t"] = (hist["as_of"] - hist["start_date"]) / _DAY
    hist["duration"] = (hist["finish_date"] - hist["start_date"]) / _DAY
    linear = hist["bac"].to_numpy() * _linear_fraction(
        hist["t"].to_numpy(dtype="float64"), hist["duration"].to_numpy(dtype="float64")
    )
    hist["pv"] = hist["planned_value"].fillna(pd.Series(linear, index=hist.index))

    latest = hist.drop_duplicates("project_id", keep="last").reset_index(drop=True)
    derived_ev = latest["percent_complete"] / 100.0 * latest["bac"]
    latest["ev"] = latest["earned_value"].fillna(derived_ev)

    bac = latest["bac"].to_numpy(dtype="float64")
    pv = latest["pv"].to_numpy(dtype="float64")
    ev = latest["ev"].to_numpy(dtype="float64")
    ac = latest["actual_cost"].to_numpy(dtype="float64")
    cpi = _div(ev, ac)
    eac = _div(bac, cpi)
    es = _earned_schedule(hist, latest)
    at = latest["t"].to_numpy(dtype="float64")

    out = pd.DataFrame({
        "stage": latest["stage"],
        "data_date": latest["as_of"],
        "percent_complete": latest["percent_complete"],
        "rag": latest["rag"],
        "bac": bac,
        "pv": pv,
        "ev": ev,
        "ac": ac,
        "cv": ev - ac,
        "sv": ev - pv,
        "cpi": cpi,
        "spi": _div(ev, pv),
        "eac": eac,
        "etc": eac - ac,
        "vac": bac - eac,
        "tcpi": np.where(np.asarray(bac - ac, dtype="float64") > 0,
                         _div(bac - ev, bac - ac), np.nan),
        "es": es,
        "at": at,
        "spi_t": _div(es, at),
        "sv_t": es - at,
    })
    out.index = pd.Index(latest["project_id"], name="project_id")
    return out

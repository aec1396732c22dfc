"""Views of benefits realisation for reports: who needs to act, in words, and burn-up data.

Built on :func:`pmo_nb.benefits.status.benefits_status` and
:func:`pmo_nb.benefits.status.benefits_rollup`; pure functions, no plotting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.benefits.status import STATUSES, planned_fraction
from pmo_nb.benefits.trend import trend_band
from pmo_nb.dates import today
from pmo_nb.portfolio import Portfolio

_DAY = pd.Timedelta(days=1)


#: Order in which benefits needing attention are listed.
ATTENTION = ("off_track", "at_risk", "not_measured")


def needing_attention(status: pd.DataFrame, top_n: int | None = None) -> pd.DataFrame:
    """Benefits off track, at risk, not measured or late in their first measurement.

    Worst first: by status in :data:`ATTENTION` order (a late first
    measurement alone comes last), then by variance share. ``reason`` says
    why in words. ``top_n`` keeps the first rows.
    """
    flag = status["status"].isin(ATTENTION) | status["late_first_measurement"]
    s = status[flag].copy()
    s["rank"] = s["status"].map({k: i for i, k in enumerate(ATTENTION)}).fillna(len(ATTENTION))
    s = s.sort_values(["rank", "variance_share"], kind="stable")
    s["reason"] = [_reason(r) for r in s.itertuples()]
    cols = ["project_id", "name", "owner", "status", "late_first_measurement",
            "planned_share", "realised_share", "forecast_share", "p_target_met",
            "measured_date", "reason"]
    return s[cols] if top_n is None else s[cols].head(int(top_n))


def _reason(r) -> str:
    """Why one benefit needs attention, in words."""
    if r.status in ("off_track", "at_risk"):
        text = (f"{r.realised_share:.0%} of the improvement realised against {r.planned_share:.0%}"
                f" planned (last measured {pd.Timestamp(r.measured_date):%Y-%m-%d})")
        if pd.notna(r.p_target_met):
            chance = "<1%" if r.p_target_met < 0.005 else f"{r.p_target_met:.0%}"
            text += f"; {chance} chance of meeting the target"
    elif r.status == "not_measured":
        text = (f"no measurement since realisation started on "
                f"{pd.Timestamp(r.realisation_start):%Y-%m-%d}")
    else:
        text = f"{r.status.replace('_', ' ')}"
    if r.late_first_measurement:
        text += "; project completed but not measured within 90 days of realisation start"
    return text


def describe_benefits(status: pd.DataFrame, rollup: pd.DataFrame) -> list[str]:
    """A few sentences on where benefits stand, computed from the tables.

    ``rollup`` is :func:`benefits_rollup` by objective (its ``attrs["total"]``).
    """
    if status.empty:
        return ["The portfolio has no benefits registered."]
    n = status["status"].value_counts()
    parts = [f"{n.get(k, 0)} {k.replace('_', ' ')}" for k in STATUSES]
    out = [f"Of {len(status)} benefits: {', '.join(parts)}."]
    total = rollup.attrs.get("total", {})
    if pd.notna(total.get("realised_share", np.nan)):
        text = (f"Weighted by objective, {total['realised_share']:.0%} of the committed "
                f"improvement is realised against {total['planned_share']:.0%} planned by now")
        if pd.notna(total.get("forecast_share", np.nan)):
            text += (f"; the measured trends point to {total['forecast_share']:.0%} at the "
                     "target dates")
        out.append(text + ".")
    gap = (rollup["planned_share"] - rollup["realised_share"]).dropna()
    if len(gap) and gap.max() > 0:
        worst = gap.idxmax()
        label = rollup.loc[worst, "objective"] if "objective" in rollup else worst
        out.append(f"Furthest behind plan: {label} ({rollup.loc[worst, 'realised_share']:.0%} "
                   f"realised against {rollup.loc[worst, 'planned_share']:.0%} planned).")
    late = status.index[status["late_first_measurement"]]
    if len(late):
        out.append(f"{len(late)} benefit(s) of completed projects had no measurement within "
                   f"90 days of realisation start: {', '.join(late)}.")
    return out


def burnup_data(status: pd.DataFrame, portfolio: Portfolio, benefit_ids=None,
                *, points: int = 13) -> pd.DataFrame:
    """Long table for burn-up charts: the plan, the measurements, the forecast band.

    Parameters
    ----------
    status : pandas.DataFrame
        From :func:`benefits_status` (its ``attrs`` give as_of, profile, level).
    portfolio : Portfolio
        For the measurements.
    benefit_ids : iterable of str, optional
        Which benefits (default: all), in the order to draw them.
    points : int
        Points on the plan path and along the forecast band.

    Returns
    -------
    pandas.DataFrame
        ``benefit_id``, ``label`` ("id name (unit)"), ``series`` (``plan``:
        baseline to target over realisation_start..target_date; ``actual``:
        measurements up to as_of; ``forecast``: the trend's mean and its
        ``level`` interval from the last measurement to target_date),
        ``date``, ``value``, ``low``, ``high`` (NaN outside the forecast).
    """
    ids = list(status.index if benefit_ids is None else benefit_ids)
    unknown = set(ids) - set(status.index)
    if unknown:
        raise ValueError(f"unknown benefit ids: {sorted(unknown)}")
    cut = pd.Timestamp(status.attrs.get("as_of", today()))
    profile = status.attrs.get("profile", "linear")
    level = status.attrs.get("level", 0.8)
    m = portfolio.benefit_measurements
    m = m[m["date"] <= cut]
    groups = dict(tuple(m.groupby("benefit_id", sort=False)))
    frames = []
    for bid in ids:
        r = status.loc[bid]
        frames += [f.assign(benefit_id=bid, label=f"{bid} {r['name']} ({r['unit']})")
                   for f in _burnup_one(r, groups.get(bid), profile, level, points)]
    cols = ["benefit_id", "label", "series", "date", "value", "low", "high"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True).reindex(columns=cols)
    out["date"] = pd.to_datetime(out["date"])
    return out


def _burnup_one(r, g, profile, level, points) -> list[pd.DataFrame]:
    """Plan, actual and forecast rows of one benefit (see :func:`burnup_data`)."""
    start, end = pd.Timestamp(r["realisation_start"]), pd.Timestamp(r["target_date"])
    gain = r["target"] - r["baseline"]
    dates = (pd.date_range(start, end, periods=points) if end > start
             else pd.DatetimeIndex([start, end]))
    frac = np.array([planned_fraction(d, [start], [end], profile)[0] for d in dates])
    out = [pd.DataFrame({"series": "plan", "date": dates, "value": r["baseline"] + frac * gain})]
    if g is None:
        return out
    out.append(pd.DataFrame({"series": "actual", "date": g["date"].to_numpy(),
                             "value": g["value"].to_numpy(dtype="float64")}))
    g = g[g["date"] >= start]
    if g.empty or gain == 0:
        return out
    span = max((end - start) / _DAY, 1.0)
    tau = ((g["date"] - start) / _DAY).to_numpy(dtype="float64") / span
    z = (g["value"].to_numpy(dtype="float64") - r["baseline"]) / gain
    first = min(tau.max(), 1.0)  # the band starts at the last reading (one point when past)
    at = np.linspace(first, 1.0, points) if first < 1.0 else np.array([1.0])
    band = r["baseline"] + trend_band(tau, z, at, level) * gain
    out.append(pd.DataFrame({
        "series": "forecast",
        "date": (start + pd.to_timedelta(at * span, unit="D")).round("D"),
        "value": band[:, 0], "low": band[:, 1:].min(axis=1), "high": band[:, 1:].max(axis=1),
    }))
    return out

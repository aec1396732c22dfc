"""Benefits realisation: plan vs measured vs forecast, per benefit and rolled up.

Shares make KPIs comparable. The *realised share* of a benefit is

    (value - baseline) / (target - baseline)

the fraction of the committed improvement achieved. It is direction-aware
without a special case: the target lies on the good side of the baseline, so
for a "decrease" KPI both numerator and denominator are negative when the KPI
falls (progress gives a positive share) and a rise gives a negative share.
Variance is always good-is-positive: actual minus planned improvement, with
the sign flipped for decrease KPIs.

Status thresholds compare realised with planned share (defaults: >= 90% of
plan is on track, >= 70% at risk, else off track); they are parameters. The
plan is taken at ``as_of`` and the latest reading on or before it, so a stale
reading shows as slippage (``measured_date`` says how old it is): the PMO
should re-measure, not be reassured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.benefits.trend import trend_forecast
from pmo_nb.dates import reporting_date
from pmo_nb.memo import per_portfolio
from pmo_nb.portfolio import Portfolio

STATUSES = ("on_track", "at_risk", "off_track", "not_measured", "not_started")
PROFILES = ("linear", "s_curve")
_DAY = pd.Timedelta(days=1)


def planned_fraction(as_of, start, target_date, profile: str = "linear") -> np.ndarray:
    """Planned share of the improvement at ``as_of``: 0 before start, 1 from target_date.

    ``"linear"`` rises evenly; ``"s_curve"`` is the smoothstep ``3t^2 - 2t^3``
    (slow adoption, then fast, then levelling off) with the same end points.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, not {profile!r}")
    start = pd.to_datetime(pd.Series(start)).reset_index(drop=True)
    end = pd.to_datetime(pd.Series(target_date)).reset_index(drop=True)
    span = ((end - start) / _DAY).to_numpy(dtype="float64")
    elapsed = ((pd.Timestamp(as_of) - start) / _DAY).to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(span > 0, np.clip(elapsed / span, 0.0, 1.0), (elapsed >= span) * 1.0)
    return t if profile == "linear" else t * t * (3.0 - 2.0 * t)


@per_portfolio
def benefits_status(
    portfolio: Portfolio,
    as_of=None,
    profile: str = "linear",
    *,
    on_track: float = 0.9,
    at_risk: float = 0.7,
    first_measurement_days: int = 90,
    level: float = 0.8,
    forecasts: bool = True,
) -> pd.DataFrame:
    """Where every benefit stands at ``as_of`` against its plan, and where it is heading.

    Parameters
    ----------
    portfolio : Portfolio
        Needs ``benefits``, ``benefit_measurements`` and ``projects``.
    as_of : date-like, optional
        Reporting date (default: today). Measurements after it are ignored.
    profile : {"linear", "s_curve"}
        Shape of the planned path from baseline to target.
    on_track, at_risk : float
        A measured, started benefit is ``on_track`` when realised share >=
        ``on_track`` x planned share, ``at_risk`` when >= ``at_risk`` x
        planned share, else ``off_track``.
    first_measurement_days : int
        A completed project's benefit is flagged ``late_first_measurement``
        when no measurement falls within this many days of realisation_start
        (only once that window has passed).
    level : float
        Probability of the forecast interval (0.8: 10th-90th percentile).
    forecasts : bool
        ``False`` leaves the forecast columns NaN, for callers that need only
        where benefits stand (the trend fit per benefit is most of the cost).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``benefit_id``, every benefit (none dropped), with
        ``project_id``, ``objective_id``, ``name``, ``unit``, ``direction``,
        ``owner``, ``baseline``, ``target``, ``realisation_start`` (the
        project's finish when not given), ``target_date``, ``planned_value``,
        ``planned_share``, ``measured_value``, ``measured_date`` (latest on or
        before as_of), ``n_measurements``, ``realised_share``, ``variance``
        (KPI units, good is positive), ``variance_share``, ``status``,
        ``forecast_value``, ``forecast_low``, ``forecast_high`` (the value at
        target_date, ``level`` interval), ``forecast_share``,
        ``p_target_met`` and ``late_first_measurement``.
    """
    cut = reporting_date(portfolio, as_of)
    b = portfolio.benefits.copy()
    projects = portfolio.projects.set_index("project_id")
    finish = projects["finish_date"].reindex(b["project_id"]).to_numpy()
    b["realisation_start"] = b["realisation_start"].fillna(pd.Series(finish, index=b.index))
    sign = np.where(b["direction"].eq("decrease"), -1.0, 1.0)
    gain = (b["target"] - b["baseline"]).to_numpy(dtype="float64")
    frac = planned_fraction(cut, b["realisation_start"], b["target_date"], profile)
    base = b["baseline"].to_numpy(dtype="float64")
    planned_value = base + frac * gain

    m = portfolio.benefit_measurements
    m = m[m["date"] <= cut].sort_values(["benefit_id", "date"], kind="stable")
    latest = m.drop_duplicates("benefit_id", keep="last").set_index("benefit_id")
    value = b["benefit_id"].map(latest["value"]).to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        realised = np.where(gain != 0, (value - base) / gain, np.nan)
    measured = ~np.isnan(value)
    started = (cut >= b["realisation_start"]).to_numpy()

    status = np.where(realised >= on_track * frac - 1e-12, "on_track",
                      np.where(realised >= at_risk * frac - 1e-12, "at_risk", "off_track"))
    status = np.where(measured, status, np.where(started, "not_measured", "not_started"))

    fc = _forecasts(b, m, level) if forecasts else pd.DataFrame(
        np.nan, index=range(len(b)), columns=list(FORECAST_COLUMNS))
    with np.errstate(divide="ignore", invalid="ignore"):
        fc_share = (fc["forecast_value"].to_numpy() - base) / gain

    out = pd.DataFrame({
        "project_id": b["project_id"].to_numpy(),
        "objective_id": b["objective_id"].to_numpy(),
        "name": b["name"].to_numpy(),
        "unit": b["unit"].to_numpy(),
        "direction": b["direction"].to_numpy(),
        "owner": b["owner"].to_numpy(),
        "baseline": base,
        "target": b["target"].to_numpy(dtype="float64"),
        "realisation_start": b["realisation_start"].to_numpy(),
        "target_date": b["target_date"].to_numpy(),
        "planned_value": planned_value,
        "planned_share": frac,
        "measured_value": value,
        "measured_date": latest["date"].reindex(b["benefit_id"]).to_numpy(),
        "n_measurements": b["benefit_id"].map(m.groupby("benefit_id").size())
        .fillna(0).astype("int64").to_numpy(),
        "realised_share": realised,
        "variance": sign * (value - planned_value),
        "variance_share": realised - frac,
        "status": status.astype(object),
        **{k: fc[k].to_numpy() for k in ("forecast_value", "forecast_low", "forecast_high")},
        "forecast_share": fc_share,
        "p_target_met": fc["p_target_met"].to_numpy(),
        "late_first_measurement": _late_first(b, m, projects, cut, first_measurement_days),
    }, index=pd.Index(b["benefit_id"].astype("str"), name="benefit_id"))
    out["status"] = out["status"].astype("str")
    out.attrs.update({"as_of": cut, "profile": profile, "on_track": on_track,
                      "at_risk": at_risk, "level": level})
    return out


#: Columns of the trend forecast per benefit.
FORECAST_COLUMNS = ("forecast_value", "forecast_low", "forecast_high", "p_target_met")


def _forecasts(b: pd.DataFrame, m: pd.DataFrame, level: float) -> pd.DataFrame:
    """Trend forecast at target_date per benefit, from measurements since realisation_start."""
    rows = []
    groups = dict(tuple(m.groupby("benefit_id", sort=False)))
    for row in b.itertuples(index=False):
        gain = row.target - row.baseline
        start, end = row.realisation_start, row.target_date
        g = groups.get(row.benefit_id)
        if g is not None and pd.notna(start):
            g = g[g["date"] >= start]
        if g is None or g.empty or gain == 0 or pd.isna(start):
            rows.append((np.nan,) * 4)
            continue
        span = max((end - start) / _DAY, 1.0)
        tau = ((g["date"] - start) / _DAY).to_numpy(dtype="float64") / span
        z = (g["value"].to_numpy(dtype="float64") - row.baseline) / gain
        mean, lo, hi, p = trend_forecast(tau, z, at=1.0, level=level)
        v_lo, v_hi = row.baseline + lo * gain, row.baseline + hi * gain
        rows.append((row.baseline + mean * gain, min(v_lo, v_hi), max(v_lo, v_hi), p))
    return pd.DataFrame(rows, columns=list(FORECAST_COLUMNS), dtype="float64")


def _late_first(b, m, projects, cut, days) -> np.ndarray:
    """Completed project, window past, and no measurement in [start, start + days]."""
    window_end = b["realisation_start"] + pd.Timedelta(days=days)
    first = (
        m.merge(b[["benefit_id", "realisation_start"]], on="benefit_id")
        .query("date >= realisation_start")
        .groupby("benefit_id")["date"].min()
    )
    first_date = pd.Series(first.reindex(b["benefit_id"]).to_numpy(), index=b.index)
    completed = b["project_id"].map(projects["stage"]).eq("completed")
    on_time = first_date.notna() & (first_date <= window_end)
    return (completed & (window_end < cut) & ~on_time).to_numpy(dtype=bool)


ROLLUPS = ("objective", "project", "sponsor")
#: Group label for benefits without an objective / projects without a sponsor.
UNASSIGNED = "(unassigned)"


def benefits_rollup(status: pd.DataFrame, portfolio: Portfolio, by: str = "objective"):
    """How much of the committed benefit is realised, forecast and at risk, per group.

    Every benefit counts as one unit of committed improvement (its own KPI's
    target - baseline), so benefits measured in different units add up:

    - ``committed``: number of benefits;
    - ``realised``: sum of realised shares, each capped at 1 (over-delivery on
      one KPI does not hide a shortfall on another); a benefit not yet
      measured counts 0, a KPI that moved the wrong way counts negative;
    - ``realised_share`` = realised / committed, ``planned_share`` the mean
      planned share: compare the two;
    - ``forecast_share``: mean forecast share at target date (capped at 1)
      over the benefits that have a forecast (``forecasted`` of them);
      ``p_target_met`` their mean probability of meeting target (the
      expected fraction of those benefits that will);
    - ``at_risk`` / ``off_track`` / ``not_measured`` / ``not_started``: counts.

    Parameters
    ----------
    status : pandas.DataFrame
        From :func:`benefits_status`.
    portfolio : Portfolio
        For objective weights and names and project sponsors.
    by : {"objective", "project", "sponsor"}
        By objective every objective is listed (also those without benefits)
        with its ``weight``; benefits with no objective form an
        ``"(unassigned)"`` group.

    Returns
    -------
    pandas.DataFrame
        One row per group, indexed by ``objective_id`` / ``project_id`` /
        ``sponsor``. ``attrs["total"]`` is the portfolio figure: by objective
        the objectives' shares averaged with their weights (objectives with
        benefits and weight > 0; unassigned benefits left out), otherwise
        every benefit counting equally.
    """
    if by not in ROLLUPS:
        raise ValueError(f"by must be one of {ROLLUPS}, not {by!r}")
    s = status.copy()
    if by == "objective":
        key = s["objective_id"].fillna(UNASSIGNED)
    elif by == "project":
        key = s["project_id"]
    else:
        sponsors = portfolio.projects.set_index("project_id")["sponsor"]
        key = s["project_id"].map(sponsors).fillna(UNASSIGNED)
    s["group"] = key.astype("str").to_numpy()
    s["realised_c"] = s["realised_share"].fillna(0.0).clip(upper=1.0)
    s["forecast_c"] = s["forecast_share"].clip(upper=1.0)
    for st in ("at_risk", "off_track", "not_measured", "not_started"):
        s[st] = s["status"].eq(st)
    g = s.groupby("group", sort=True)
    out = pd.DataFrame({
        "committed": g.size(),
        "measured": g["measured_value"].count(),
        "realised": g["realised_c"].sum(),
        "planned_share": g["planned_share"].mean(),
        "forecast_share": g["forecast_c"].mean(),
        "forecasted": g["forecast_c"].count(),
        "p_target_met": g["p_target_met"].mean(),
        **{st: g[st].sum() for st in ("at_risk", "off_track", "not_measured", "not_started")},
    })
    out["realised_share"] = out["realised"] / out["committed"]
    name = {"objective": "objective_id", "project": "project_id", "sponsor": "sponsor"}[by]
    if by == "objective":
        obj = portfolio.objectives.set_index("objective_id")
        order = list(obj.index) + sorted(set(out.index) - set(obj.index))
        out = out.reindex(order)
        ints = ["committed", "measured", "forecasted", "at_risk", "off_track",
                "not_measured", "not_started"]
        out[ints] = out[ints].fillna(0)
        out["realised"] = out["realised"].fillna(0.0)
        out.insert(0, "weight", obj["weight"].reindex(out.index).astype("float64"))
        out.insert(0, "objective", obj["name"].reindex(out.index))
    counts = ["committed", "measured", "forecasted", "at_risk", "off_track",
              "not_measured", "not_started"]
    out[counts] = out[counts].astype("int64")
    cols = [c for c in ("objective", "weight") if c in out] + [
        "committed", "measured", "realised", "realised_share", "planned_share",
        "forecast_share", "forecasted", "p_target_met",
        "at_risk", "off_track", "not_measured", "not_started"]
    out = out[cols]
    out.index.name = name
    out.attrs["total"] = _total(out, s, by)
    return out


def _total(out: pd.DataFrame, s: pd.DataFrame, by: str) -> dict:
    """Portfolio-level shares: objective-weighted by objective, else per benefit."""
    if by == "objective":
        use = out[(out["committed"] > 0) & (out["weight"] > 0)]
        w = use["weight"]

        def avg(col):
            ok = use[col].notna()
            return float((use.loc[ok, col] * w[ok]).sum() / w[ok].sum()) if ok.any() else np.nan

        return {"committed": int(use["committed"].sum()),
                **{c: avg(c) for c in ("realised_share", "planned_share",
                                       "forecast_share", "p_target_met")}}
    return {
        "committed": len(s),
        "realised_share": float(s["realised_c"].mean()) if len(s) else np.nan,
        "planned_share": float(s["planned_share"].mean()) if len(s) else np.nan,
        "forecast_share": float(s["forecast_c"].mean()) if s["forecast_c"].notna().any()
        else np.nan,
        "p_target_met": float(s["p_target_met"].mean()) if s["p_target_met"].notna().any()
        else np.nan,
    }

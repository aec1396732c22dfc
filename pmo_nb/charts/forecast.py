"""Charts of the Bayesian forecast: fan charts, drivers forest, predictive checks, scorecard.

Builders take the tables :mod:`pmo_nb.forecast.forecasting`, :mod:`pmo_nb.forecast.convergence`
and :mod:`pmo_nb.forecast.calibration` return. Heavy-tailed ratios have no useful
mean, so every chart shows quantiles (p10 / p50 / p90, 80 % and 95 %
intervals) and never an average.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import reads as _reads
from pmo_nb.forecast.calibration import COVERAGE_BAND

#: Colours: the forecast band and median, the plan (budget, planned finish).
FAN_COLOURS = {"forecast": "#1565c0", "plan": "#616161", "to date": "#212121"}
#: Colours of the backtest's methods.
METHOD_COLOURS = {"bayes": "#1565c0", "bac_cpi": "#ef6c00", "uplift": "#8e24aa",
                  "bayes_no_governance": "#90caf9"}
METHOD_LABELS = {"bayes": "Bayesian forecast", "bac_cpi": "BAC/CPI (EVM)",
                 "uplift": "category median uplift",
                 "bayes_no_governance": "Bayesian, without scope/change covariates"}
#: The target band of the 80 % interval's coverage.
_FAN_COLUMNS = ["cost_p10", "cost_p50", "cost_p90", "finish_p10", "finish_p50", "finish_p90",
                "budget", "finish_date"]


def fan_data(table: pd.DataFrame, as_of) -> pd.DataFrame:
    """The rows of :func:`fan_chart`: each project's cone from today to completion.

    The cost cone starts at the cost to date (``cost_to_date``, 0 when the
    table lacks it) on ``as_of`` and opens to the p10-p90 cost at the median
    finish date.
    """
    _check(table, _FAN_COLUMNS, "fan_data")
    t = table.reset_index() if "project_id" not in table.columns else table.copy()
    as_of = pd.Timestamp(as_of)
    start = t["cost_to_date"] if "cost_to_date" in t else pd.Series(0.0, index=t.index)
    label = t["project_id"].astype(str)
    if "name" in t:
        label = label + " " + t["name"].astype(str).str.slice(0, 28)
    rows = []
    for i, r in t.iterrows():
        rows.append({"project_id": r["project_id"], "label": label[i], "date": as_of,
                     "low": float(start[i]), "mid": float(start[i]), "high": float(start[i])})
        rows.append({"project_id": r["project_id"], "label": label[i],
                     "date": max(pd.Timestamp(r["finish_p50"]), as_of),
                     "low": r["cost_p10"], "mid": r["cost_p50"], "high": r["cost_p90"]})
    cone = pd.DataFrame(rows)
    plan = t.assign(label=label)[["project_id", "label", "budget", "finish_date", "cost_p50",
                                  "finish_p10", "finish_p50", "finish_p90"]]
    cone = cone.merge(plan, on=["project_id", "label"])
    cone["p_over_budget"] = cone["project_id"].map(t.set_index("project_id")["p_over_budget"]) \
        if "p_over_budget" in t else np.nan
    return cone


@_reads
def fan_chart(table: pd.DataFrame, as_of, *, columns: int = 3, width: int = 230,
              height: int = 150) -> alt.FacetChart:
    """Small multiples of cost and finish forecasts against budget and planned finish.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of :func:`pmo_nb.forecast` (indexed by or with ``project_id``)
        for the projects to draw (e.g. :func:`pmo_nb.forecast.forecasting.most_at_risk`);
        panels follow its order.
    as_of : date-like
        The reporting date, where each cone starts.

    In each panel the blue cone is the p10-p90 cost from the cost to date
    to completion (median as a line); the blue horizontal bar is the p10-p90
    finish date at the median cost; the grey dashed lines are the budget
    (horizontal) and the planned finish (vertical).
    """
    _size(width, height)
    if columns < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    data = fan_data(table, as_of)
    if data.empty:
        raise ValueError("fan_chart: no rows to draw")
    order = list(dict.fromkeys(data["label"]))
    blue, grey = FAN_COLOURS["forecast"], FAN_COLOURS["plan"]
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0, tickCount=3))
    y = alt.Y("mid:Q", title="cost", axis=alt.Axis(format="~s"), scale=alt.Scale(zero=True))
    tip = [alt.Tooltip("label:N", title="project"), alt.Tooltip("budget:Q", format=",.0f"),
           alt.Tooltip("cost_p50:Q", title="median cost", format=",.0f"),
           alt.Tooltip("finish_date:T", title="planned finish", format="%Y-%m-%d"),
           alt.Tooltip("finish_p10:T", format="%Y-%m-%d"),
           alt.Tooltip("finish_p50:T", format="%Y-%m-%d"),
           alt.Tooltip("finish_p90:T", format="%Y-%m-%d")]
    base = alt.Chart()
    band = base.mark_area(opacity=0.25, color=blue).encode(x=x, y=alt.Y("low:Q"), y2="high:Q")
    median = base.mark_line(color=blue).encode(x=x, y=y, tooltip=tip)
    ends = base.transform_filter("datum.mid == datum.cost_p50")
    finish = ends.mark_rule(color=blue, strokeWidth=3).encode(
        x=alt.X("finish_p10:T"), x2="finish_p90:T", y=alt.Y("cost_p50:Q"), tooltip=tip)
    dot = ends.mark_point(color=blue, filled=True, size=30).encode(
        x=alt.X("finish_p50:T"), y=alt.Y("cost_p50:Q"), tooltip=tip)
    budget = ends.mark_rule(color=grey, strokeDash=[4, 3]).encode(y=alt.Y("budget:Q"))
    planned = ends.mark_rule(color=grey, strokeDash=[4, 3]).encode(x=alt.X("finish_date:T"))
    return (
        alt.layer(band, median, budget, planned, finish, dot, data=data)
        .properties(width=width, height=height)
        .facet(facet=alt.Facet("label:N", title=None, sort=order,
                               header=alt.Header(labelLimit=width + 40, labelFontSize=11)),
               columns=columns)
        .resolve_scale(y="independent", x="independent")
        .properties(title="Forecast cost (p10-p90 cone) and finish (p10-p90 bar) "
                          "against budget and planned finish (dashed)")
    )


@_reads
def drivers_chart(table: pd.DataFrame, *, width: int = 260, height: int | None = None
                  ) -> alt.HConcatChart:
    """Forest chart of the drivers: medians with 80 % (thick) and 95 % (thin) intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`pmo_nb.drivers`: ``kind, effect, target, median, ci80_low,
        ci80_high, ci95_low, ci95_high``.

    One panel per target (cost, duration) on a ratio (log) scale with 1 (no
    overrun / no effect) marked. Category rows are the category's median
    ratio for a typical project; covariate rows are multipliers.
    """
    cols = ["kind", "effect", "target", "median", "ci80_low", "ci80_high", "ci95_low",
            "ci95_high"]
    _check(table, cols, "drivers_chart")
    if table.empty:
        raise ValueError("drivers_chart: no rows to draw")
    vals = table[cols[3:]].to_numpy("float64")
    if not np.isfinite(vals).all() or (vals <= 0).any():
        raise ValueError("drivers_chart: ratios must be positive and finite")
    df = table[cols].copy()
    df["row"] = np.where(df["kind"] == "category", "category: " + df["effect"].astype(str),
                         df["effect"].astype(str))
    order = list(dict.fromkeys(df["row"]))
    lo = float(np.min(vals)) / 1.1
    hi = float(np.max(vals)) * 1.1
    height = height or max(120, 18 * len(order))
    _size(width, height)
    panels = []
    for k, target in enumerate(("cost", "duration")):
        part = df[df["target"] == target]
        if part.empty:
            continue
        scale = alt.Scale(type="log", domain=[lo, hi])
        x = alt.X("median:Q", title=f"{target} ratio (log scale)", scale=scale,
                  axis=alt.Axis(format="~r"))
        y = alt.Y("row:N", sort=order, title=None,
                  axis=alt.Axis(labels=k == 0, labelLimit=220))
        tip = ["effect:N", "target:N"] + [alt.Tooltip(f"{c}:Q", format=".2f") for c in cols[3:]]
        base = alt.Chart(part)
        wide = base.mark_rule(color="#90a4ae").encode(x=alt.X("ci95_low:Q", scale=scale),
                                                        x2="ci95_high:Q", y=y)
        narrow = base.mark_rule(color="#1565c0", strokeWidth=5).encode(
            x=alt.X("ci80_low:Q", scale=scale), x2="ci80_high:Q", y=y)
        dot = base.mark_point(color="#0d47a1", filled=True, size=40).encode(x=x, y=y,
                                                                             tooltip=tip)
        one = alt.Chart(pd.DataFrame({"v": [1.0]})).mark_rule(color="#9e9e9e",
                                                               strokeDash=[4, 3]).encode(
            x=alt.X("v:Q", scale=scale))
        panels.append(alt.layer(one, wide, narrow, dot).properties(
            width=width, height=height, title=target))
    return alt.hconcat(*panels).properties(
        title="What predicts overruns: median with 80% (thick) and 95% (thin) credible "
              "intervals; 1 = on plan")


def predictive_data(observed: dict, simulated: dict, *, low: float = 0.25, high: float = 4.0,
                    bins: int = 30) -> pd.DataFrame:
    """Binned shares of observed and simulated ratios, for :func:`predictive_chart`.

    ``observed`` and ``simulated`` map a target ("cost", "duration") to log
    ratios (any shape). Ratios are binned on a log grid from ``low`` to
    ``high``; values outside are counted in the end bins, so heavy tails show
    as piles at the edges rather than disappear.
    """
    edges = np.linspace(np.log(low), np.log(high), bins + 1)
    mids = np.exp((edges[:-1] + edges[1:]) / 2)
    rows = []
    for source, values in (("observed", observed), ("simulated", simulated)):
        for target, v in values.items():
            v = np.asarray(v, dtype="float64").ravel()
            v = v[np.isfinite(v)]
            if not len(v):
                continue
            counts = np.bincount(np.clip(np.searchsorted(edges, v) - 1, 0, bins - 1),
                                 minlength=bins)
            rows.append(pd.DataFrame({"target": target, "source": source, "ratio": mids,
                                      "share": counts / len(v)}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["target", "source", "ratio", "share"])


@_reads
def predictive_chart(data: pd.DataFrame, *, title: str, width: int = 220,
                     height: int = 120) -> alt.HConcatChart:
    """Observed ratios (grey bars) against the model's simulated ratios (blue line).

    ``data`` from :func:`predictive_data`. A prior check should cover the
    observed values broadly; a posterior check should match them closely.
    """
    _check(data, ["target", "source", "ratio", "share"], "predictive_chart")
    _size(width, height)
    if data.empty:
        raise ValueError("predictive_chart: no rows to draw")
    panels = []
    for target in dict.fromkeys(data["target"]):
        part = data[data["target"] == target]
        x = alt.X("ratio:Q", scale=alt.Scale(type="log"), title=f"{target} ratio (log scale)",
                  axis=alt.Axis(format="~r"))
        y = alt.Y("share:Q", title="share", axis=alt.Axis(format="%"))
        bars = alt.Chart(part[part["source"] == "observed"]).mark_bar(
            color="#bdbdbd", width=4).encode(x=x, y=y)
        line = alt.Chart(part[part["source"] == "simulated"]).mark_line(
            color="#1565c0", interpolate="step-after").encode(x=x, y=y)
        panels.append(alt.layer(bars, line).properties(width=width, height=height))
    return alt.hconcat(*panels).properties(title=title)


@_reads
def scorecard_chart(card: pd.DataFrame, *, width: int = 200, height: int = 150
                    ) -> alt.HConcatChart:
    """The calibration scorecard: coverage vs the target band, p50 error, Brier score.

    Parameters
    ----------
    card : pandas.DataFrame
        From :func:`pmo_nb.forecast.calibration.backtest` (indexed by ``at, method`` or
        with them as columns).

    Three panels by elapsed share of planned duration: the 80 % interval's
    coverage of cost and duration (Bayesian forecast) against the 72-88 %
    band; the median absolute log error of the p50 cost for each method;
    the Brier score of p_over_budget for each method (lower is better).
    """
    _size(width, height)
    c = card.reset_index() if "method" not in card.columns else card.copy()
    _check(c, ["at", "method", "coverage_cost", "coverage_duration", "p50_error_cost",
               "brier_over_budget"], "scorecard_chart")
    if c.empty:
        raise ValueError("scorecard_chart: no rows to draw")
    c["at_label"] = c["at"].map(lambda v: f"{v:.0%}")
    c["method_label"] = c["method"].map(METHOD_LABELS).fillna(c["method"])
    at_order = [f"{v:.0%}" for v in sorted(c["at"].unique())]
    x = alt.X("at_label:N", sort=at_order, title="at share of planned duration",
              axis=alt.Axis(labelAngle=0))
    cov = c[c["method"] == "bayes"].melt(id_vars=["at_label"],
                                         value_vars=["coverage_cost", "coverage_duration"],
                                         var_name="measure", value_name="coverage")
    cov["measure"] = cov["measure"].str.replace("coverage_", "", regex=False)
    lo, hi = COVERAGE_BAND
    band = alt.Chart(pd.DataFrame({"lo": [lo], "hi": [hi]})).mark_rect(
        color="#c8e6c9", opacity=0.6).encode(y=alt.Y("lo:Q"), y2="hi:Q")
    target = alt.Chart(pd.DataFrame({"v": [0.8]})).mark_rule(
        color="#2e7d32", strokeDash=[4, 3]).encode(y="v:Q")
    points = alt.Chart(cov).mark_line(point=True).encode(
        x=x, y=alt.Y("coverage:Q", title="80% interval coverage", axis=alt.Axis(format="%"),
                     scale=alt.Scale(domain=[0.5, 1.0], clamp=True)),
        color=alt.Color("measure:N", title="coverage of",
                        scale=alt.Scale(range=["#1565c0", "#00897b"])),
        tooltip=["at_label:N", "measure:N", alt.Tooltip("coverage:Q", format=".0%")])
    coverage = alt.layer(band, target, points).properties(
        width=width, height=height, title=f"Coverage (target {lo:.0%}-{hi:.0%})")
    shown = [m for m in METHOD_COLOURS if m in set(c["method"])]  # a legend of what is drawn
    colour = alt.Color("method_label:N", title="method", scale=alt.Scale(
        domain=[METHOD_LABELS[m] for m in shown], range=[METHOD_COLOURS[m] for m in shown]))
    offset = alt.XOffset("method_label:N", sort=[METHOD_LABELS[m] for m in shown])
    error = alt.Chart(c).mark_bar().encode(
        x=x, xOffset=offset, color=colour,
        y=alt.Y("p50_error_cost:Q", title="median |log error| of p50 cost"),
        tooltip=["at_label:N", "method_label:N",
                 alt.Tooltip("p50_error_cost:Q", format=".3f")],
    ).properties(width=width, height=height, title="p50 cost error (lower is better)")
    brier = alt.Chart(c.dropna(subset=["brier_over_budget"])).mark_bar().encode(
        x=x, xOffset=offset, color=colour,
        y=alt.Y("brier_over_budget:Q", title="Brier score, over budget"),
        tooltip=["at_label:N", "method_label:N",
                 alt.Tooltip("brier_over_budget:Q", format=".3f")],
    ).properties(width=width, height=height, title="Brier score (lower is better)")
    return alt.hconcat(coverage, error, brier).resolve_scale(color="independent").properties(
        title="Calibration backtest: forecasts re-made from each closed project's past")


__all__ = ["COVERAGE_BAND", "FAN_COLOURS", "METHOD_COLOURS", "drivers_chart", "fan_chart",
           "fan_data", "predictive_chart", "predictive_data", "scorecard_chart"]

"""Charts of benefits realisation: burn-up per benefit and roll-up by group."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.charts.base import WIDTH as _WIDTH
from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import reads as _reads

#: Series of a burn-up chart and their colours.
BURNUP_COLOURS = {"plan": "#757575", "actual": "#212121", "forecast": "#1565c0"}
#: Measures of the roll-up chart and their colours (at risk in red).
ROLLUP_COLOURS = {"committed": "#bdbdbd", "realised": "#2e7d32",
                  "forecast at target": "#1565c0", "at risk or off track": "#c62828"}


@_reads
def burnup_chart(data: pd.DataFrame, *, columns: int = 3, width: int = 220,
                 height: int = 140) -> alt.FacetChart:
    """Small multiples of burn-up: plan vs measurements vs forecast band, one per benefit.

    Parameters
    ----------
    data : pandas.DataFrame
        From :func:`pmo_nb.benefits.views.burnup_data`: ``benefit_id``,
        ``label``, ``series`` (plan / actual / forecast), ``date``, ``value``,
        ``low``, ``high``. Panels follow the order of first appearance.
    columns : int
        Panels per row.

    Each panel has its own value axis (KPIs differ in units). The plan is the
    grey line from baseline to target, measurements are black points, the
    forecast is the blue dashed line with its shaded interval, and the
    interval at the target date is drawn as a bar (also when that date has
    passed).
    """
    _check(data, ["benefit_id", "label", "series", "date", "value", "low", "high"],
           "burnup_chart")
    _size(width, height)
    if columns < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    if data.empty:
        raise ValueError("burnup_chart: no rows to draw")
    unknown = set(data["series"]) - set(BURNUP_COLOURS)
    if unknown:
        raise ValueError(f"burnup_chart: unknown series {sorted(unknown)}")
    df = data.copy()
    fc = df["series"].eq("forecast")
    last = df[fc].groupby("benefit_id")["date"].transform("max")
    df["at_target"] = False
    df.loc[fc, "at_target"] = df.loc[fc, "date"].eq(last)
    order = list(dict.fromkeys(df["label"]))
    colour = alt.Color("series:N", title=None, scale=alt.Scale(
        domain=list(BURNUP_COLOURS), range=list(BURNUP_COLOURS.values())))
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0, tickCount=4))
    y = alt.Y("value:Q", title=None, scale=alt.Scale(zero=False))
    tip = [alt.Tooltip("label:N", title="benefit"), "series:N",
           alt.Tooltip("date:T", format="%Y-%m-%d"),
           alt.Tooltip("value:Q", format=",.4~g"), alt.Tooltip("low:Q", format=",.4~g"),
           alt.Tooltip("high:Q", format=",.4~g")]
    base = alt.Chart()
    band = (base.transform_filter("datum.series == 'forecast'")
            .mark_area(opacity=0.2, color=BURNUP_COLOURS["forecast"])
            .encode(x=x, y=alt.Y("low:Q"), y2="high:Q"))
    end = (base.transform_filter("datum.at_target")
           .mark_rule(strokeWidth=3, color=BURNUP_COLOURS["forecast"])
           .encode(x=x, y=alt.Y("low:Q"), y2="high:Q", tooltip=tip))
    plan = (base.transform_filter("datum.series == 'plan'")
            .mark_line().encode(x=x, y=y, color=colour))
    trend = (base.transform_filter("datum.series == 'forecast'")
             .mark_line(strokeDash=[5, 3]).encode(x=x, y=y, color=colour))
    actual = (base.transform_filter("datum.series == 'actual'")
              .mark_line(point=True).encode(x=x, y=y, color=colour, tooltip=tip))
    return (
        alt.layer(band, end, plan, trend, actual, data=df)
        .properties(width=width, height=height)
        .facet(facet=alt.Facet("label:N", title=None, sort=order,
                               header=alt.Header(labelLimit=width + 40, labelFontSize=11)),
               columns=columns)
        .resolve_scale(y="independent", x="independent")
        .properties(title="Benefit burn-up: plan, measurements and forecast")
    )


@_reads
def rollup_chart(rollup: pd.DataFrame, *, width: int = _WIDTH, height: int | None = None,
                 title: str = "Benefits by objective") -> alt.Chart:
    """Grouped bars per group: committed, realised, forecast at target, at risk.

    Every benefit counts as one unit of committed improvement (as in
    :func:`pmo_nb.benefits.status.benefits_rollup`): *committed* is the number of
    benefits, *realised* the sum of their realised shares, *forecast at
    target* the sum of forecast shares of the benefits with measurements
    (``forecast_share x forecasted``), *at risk or off track* a count.

    Parameters
    ----------
    rollup : pandas.DataFrame
        From :func:`pmo_nb.benefits.status.benefits_rollup` (any ``by``); the group
        label is the ``objective`` column when present, else the index.
    """
    cols = ["committed", "realised", "forecast_share", "forecasted", "at_risk", "off_track"]
    _check(rollup, cols, "rollup_chart")
    height = height or max(120, 44 * len(rollup))
    _size(width, height)
    label = rollup["objective"].fillna(pd.Series(rollup.index, index=rollup.index)) \
        if "objective" in rollup else pd.Series(rollup.index, index=rollup.index)
    label = label.astype("str")
    values = {
        "committed": rollup["committed"],
        "realised": rollup["realised"],
        "forecast at target": (rollup["forecast_share"] * rollup["forecasted"]).fillna(0.0),
        "at risk or off track": rollup["at_risk"] + rollup["off_track"],
    }
    long = pd.concat([pd.DataFrame({"group": label.to_numpy(), "measure": k,
                                    "benefits": v.to_numpy(dtype="float64")})
                      for k, v in values.items()], ignore_index=True)
    order = list(ROLLUP_COLOURS)
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=None, sort=list(label), axis=alt.Axis(labelLimit=200)),
            yOffset=alt.YOffset("measure:N", sort=order),
            x=alt.X("benefits:Q", title="Benefits (one unit of committed improvement each)"),
            color=alt.Color("measure:N", title=None, sort=order, scale=alt.Scale(
                domain=order, range=[ROLLUP_COLOURS[k] for k in order])),
            tooltip=["group:N", "measure:N", alt.Tooltip("benefits:Q", format=".2f")],
        )
        .properties(width=width, height=height)
    )

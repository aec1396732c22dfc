"""Charts of the quantified risk register: S-curves, tail drivers, mitigation.

Builders take what :class:`pmo_nb.risks.register.RiskSimulation` returns
(``s_curve``, ``drivers``, ``compare``) and the forecast's portfolio cost
curve. Quantiles are marked (P50 / P80 / P90), never a mean of a ratio.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import reads as _reads

#: Colours of the S-curve series, in drawing order (unknown series get the rest).
SERIES_COLOURS = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00"]
#: Colours of pre- and post-mitigation.
MITIGATION_COLOURS = {"pre-mitigation": "#c62828", "post-mitigation": "#2e7d32"}
MARKS = (0.5, 0.8, 0.9)


def short(value: float) -> str:
    """A number in three significant figures with k / M / B (12.3M)."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.3g}"


@_reads
def s_curve_chart(curves: pd.DataFrame, *, title: str, value_title: str = "cost",
                  marks=MARKS, width: int = 420, height: int = 220) -> alt.LayerChart:
    """Cumulative distribution (S-curve) of one or more series, with P50/P80/P90 marked.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``series, probability, value``: each series' quantiles, e.g.
        ``RiskSimulation.s_curve()`` with a ``series`` column, or
        :func:`pmo_nb.forecast.forecasting.portfolio_cost_curve`.
    marks : sequence of float
        Probabilities to mark with a point and a label (values read off the
        series' own quantiles, interpolated).
    """
    _check(curves, ["series", "probability", "value"], "s_curve_chart")
    _size(width, height)
    if curves.empty:
        raise ValueError("s_curve_chart: no rows to draw")
    if not all(0.0 < m < 1.0 for m in marks):
        raise ValueError(f"marks must lie in (0, 1), got {marks}")
    order = list(dict.fromkeys(curves["series"]))
    colour = alt.Color("series:N", title=None, sort=order, scale=alt.Scale(
        domain=order, range=(SERIES_COLOURS * (1 + len(order) // len(SERIES_COLOURS)))
        [:len(order)]), legend=alt.Legend(orient="bottom", labelLimit=320))
    rows = []
    for name, g in curves.groupby("series", sort=False):
        g = g.sort_values("probability")
        for m in marks:
            value = float(np.interp(m, g["probability"], g["value"]))
            rows.append({"series": name, "probability": m, "value": value,
                         "label": f"P{round(m * 100)} {short(value)}"})
    points = pd.DataFrame(rows)
    x = alt.X("value:Q", title=value_title, axis=alt.Axis(format="~s"))
    y = alt.Y("probability:Q", title="probability not exceeded", axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[0, 1]))
    line = alt.Chart(curves).mark_line().encode(x=x, y=y, color=colour, detail="series:N")
    rules = alt.Chart(pd.DataFrame({"probability": list(marks)})).mark_rule(
        color="#bdbdbd", strokeDash=[3, 3]).encode(y="probability:Q")
    dots = alt.Chart(points).mark_point(filled=True, size=45).encode(
        x=x, y=y, color=colour,
        tooltip=["series:N", alt.Tooltip("probability:Q", format=".0%"),
                 alt.Tooltip("value:Q", format=",.0f")])
    text = alt.Chart(points).mark_text(align="left", dx=5, dy=-6, fontSize=10).encode(
        x=x, y=y, color=colour, text="label:N")
    return alt.layer(rules, line, dots, text).properties(width=width, height=height,
                                                        title=title)


@_reads
def tail_drivers_chart(drivers: pd.DataFrame, *, top: int = 15, width: int = 360,
                       height: int | None = None) -> alt.Chart:
    """Risks ranked by their contribution to the tail beyond P80 (not a tornado).

    ``drivers`` from ``RiskSimulation.drivers()``: ``risk_id, title,
    tail_contribution, share, expected, p_in_tail``. The bar is the risk's
    mean cost in the tail draws; the tick is its mean over all draws
    (expected), so a risk whose bar far exceeds its tick matters mostly in bad
    outcomes.
    """
    _check(drivers, ["risk_id", "title", "tail_contribution", "share", "expected",
                     "p_in_tail"], "tail_drivers_chart")
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    if drivers.empty:
        raise ValueError("tail_drivers_chart: no rows to draw")
    df = drivers.head(top).copy()
    df["label"] = df["risk_id"].astype(str) + " " + df["title"].astype(str).str.slice(0, 36)
    height = height or max(80, 18 * len(df))
    _size(width, height)
    order = list(df["label"])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    tip = ["risk_id:N", "title:N", alt.Tooltip("tail_contribution:Q", format=",.0f"),
           alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("expected:Q", format=",.0f"),
           alt.Tooltip("p_in_tail:Q", title="occurs in tail", format=".0%")]
    bars = alt.Chart(df).mark_bar(color="#c62828").encode(
        x=alt.X("tail_contribution:Q", title="mean cost in the tail (bar) / overall (tick)",
                axis=alt.Axis(format="~s")), y=y, tooltip=tip)
    ticks = alt.Chart(df).mark_tick(color="#212121", thickness=2).encode(
        x="expected:Q", y=y, tooltip=tip)
    share = alt.Chart(df).mark_text(align="left", dx=4, fontSize=10).encode(
        x="tail_contribution:Q", y=y, text=alt.Text("share:Q", format=".0%"))
    threshold = drivers.attrs.get("confidence", 0.8)
    return alt.layer(bars, ticks, share).properties(
        width=width, height=height,
        title=f"Drivers of the P{round(threshold * 100)} tail (share of the tail mean)")


@_reads
def mitigation_chart(compare: pd.DataFrame, *, top: int = 12, quantile: str = "p80",
                     width: int = 360, height: int | None = None) -> alt.Chart:
    """Risk cost at a quantile before and after mitigation, per project (largest first).

    ``compare`` from ``RiskSimulation.compare`` / :func:`pmo_nb.mitigation_effect`
    (columns ``cost_<quantile>_pre`` and ``_post``). The total row is left
    out (its scale would hide the projects); say it in words.
    """
    pre, post = f"cost_{quantile}_pre", f"cost_{quantile}_post"
    _check(compare, [pre, post], "mitigation_chart")
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    df = compare.reset_index() if "project_id" not in compare.columns else compare.copy()
    df = df[df["project_id"] != "(total)"].sort_values(pre, ascending=False).head(top)
    if df.empty:
        raise ValueError("mitigation_chart: no rows to draw")
    df["label"] = df["project_id"].astype(str)
    long = df.melt(id_vars=["label"], value_vars=[pre, post], var_name="when",
                   value_name="cost")
    long["when"] = long["when"].map({pre: "pre-mitigation", post: "post-mitigation"})
    height = height or max(90, 26 * len(df))
    _size(width, height)
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("label:N", sort=list(df["label"]), title=None),
        yOffset=alt.YOffset("when:N", sort=list(MITIGATION_COLOURS)),
        x=alt.X("cost:Q", title=f"risk cost {quantile.upper()}", axis=alt.Axis(format="~s")),
        color=alt.Color("when:N", title=None, scale=alt.Scale(
            domain=list(MITIGATION_COLOURS), range=list(MITIGATION_COLOURS.values())),
            legend=alt.Legend(orient="bottom")),
        tooltip=["label:N", "when:N", alt.Tooltip("cost:Q", format=",.0f")],
    ).properties(width=width, height=height,
                 title=f"Risk cost {quantile.upper()} per project, before and after mitigation")


__all__ = ["MITIGATION_COLOURS", "SERIES_COLOURS", "mitigation_chart", "s_curve_chart", "short",
           "tail_drivers_chart"]

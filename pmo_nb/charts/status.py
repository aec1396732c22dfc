"""Charts of the written reports: a project's cost estimates, ranked insights, alignment."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.charts.base import HEIGHT as _HEIGHT
from pmo_nb.charts.base import WIDTH as _WIDTH
from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import reads as _reads

#: What the alignment chart compares, in drawing order.
SHARES = {"weight_share": "board weight", "spend_share": "money", "benefit_share":
          "forecast benefit"}
SHARE_COLOURS = ["#616161", "#1565c0", "#2e7d32"]


@_reads
def cost_band_chart(bands: pd.DataFrame, *, width: int = _WIDTH, height: int | None = None,
                    title: str = "Cost at completion") -> alt.LayerChart:
    """Budget, EAC and the forecast's P10-P90 band (median marked) on one money axis.

    Parameters
    ----------
    bands : pandas.DataFrame
        :func:`pmo_nb.briefings.status_report.cost_band_data`: ``estimate``, ``low``,
        ``value``, ``high``.
    """
    _check(bands, ["estimate", "low", "value", "high"], "cost_band_chart")
    if bands.empty:
        raise ValueError("cost_band_chart: no estimate to draw")
    height = height or 40 * len(bands) + 30
    _size(width, height)
    order = list(bands["estimate"])
    base = alt.Chart(bands).encode(
        y=alt.Y("estimate:N", sort=order, title=None),
        tooltip=["estimate:N", alt.Tooltip("low:Q", format=",.0f"),
                 alt.Tooltip("value:Q", format=",.0f"), alt.Tooltip("high:Q", format=",.0f")])
    band = base.mark_rule(strokeWidth=6, color="#90caf9").encode(
        x=alt.X("low:Q", title="Cost", axis=alt.Axis(format="~s")), x2="high:Q")
    point = base.mark_point(filled=True, size=90, color="#0d47a1").encode(x="value:Q")
    return (band + point).properties(width=width, height=height, title=title)


@_reads
def importance_chart(table: pd.DataFrame, *, width: int = _WIDTH, limit: int = 12,
                     title: str = "Insights by importance") -> alt.Chart:
    """Importance (money x probability x strategic factor) of the top insights, by kind.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`pmo_nb.briefings.insights.Insights.table`: ``rank``, ``kind``, ``importance``.
    """
    _check(table, ["rank", "kind", "importance"], "importance_chart")
    if table.empty:
        raise ValueError("importance_chart: no insight to draw")
    df = table.head(limit)[["rank", "kind", "importance"]].copy()
    df["insight"] = "#" + df["rank"].astype("str")
    height = 18 * len(df) + 20
    _size(width, height)
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("insight:N", sort=list(df["insight"]), title=None),
        x=alt.X("importance:Q", title="Importance (money at stake)", axis=alt.Axis(format="~s")),
        color=alt.Color("kind:N", title="Kind"),
        tooltip=["insight:N", "kind:N", alt.Tooltip("importance:Q", format=",.0f")],
    ).properties(width=width, height=height, title=title)


@_reads
def alignment_chart(table: pd.DataFrame, *, width: int = _WIDTH, height: int = _HEIGHT,
                    title: str = "Objectives: weight, money and forecast benefit") -> alt.Chart:
    """Each objective's board weight beside its share of money and of forecast benefit.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`pmo_nb.briefings.review_pack.alignment`: ``objective``, ``weight_share``,
        ``spend_share``, ``benefit_share``.
    """
    _check(table, ["objective", *SHARES], "alignment_chart")
    _size(width, height)
    if table.empty:
        raise ValueError("alignment_chart: no objective to draw")
    long = table[["objective", *SHARES]].melt("objective", var_name="measure", value_name="share")
    long["measure"] = long["measure"].map(SHARES)
    long = long.dropna(subset=["share"])
    order = list(table["objective"])
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("objective:N", sort=order, title=None),
        yOffset=alt.YOffset("measure:N", sort=list(SHARES.values())),
        x=alt.X("share:Q", title="Share", axis=alt.Axis(format="%")),
        color=alt.Color("measure:N", title=None, sort=list(SHARES.values()),
                        scale=alt.Scale(domain=list(SHARES.values()), range=SHARE_COLOURS)),
        tooltip=["objective:N", "measure:N", alt.Tooltip("share:Q", format=".0%")],
    ).properties(width=width, height=height, title=title)

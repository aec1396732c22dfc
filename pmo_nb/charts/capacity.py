"""Charts of team capacity: utilisation heatmap and overload before/after leveling."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pmo_nb.charts.base import HEIGHT as _HEIGHT
from pmo_nb.charts.base import WIDTH as _WIDTH
from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import reads as _reads

#: Utilisation shown at the top of the colour scale (higher is clamped to it).
UTILISATION_CAP = 1.5
#: Outline of an over-allocated cell.
OVER_COLOUR = "#000000"
#: Before / after leveling.
PLAN_COLOURS = {"before": "#c62828", "after": "#1565c0"}


@_reads
def capacity_heatmap(cap: pd.DataFrame, *, cell: int = 14, title: str | None = None,
                     teams: pd.Series | None = None) -> alt.LayerChart:
    """Team x month utilisation, over-allocated cells outlined.

    Colour runs from white (idle) through blue (up to full) to red (over
    capacity, clamped at 150%); every over-allocated team-month (``over`` > 0)
    also gets a black outline, so overload reads without colour vision. A team
    with no capacity but some demand shows as fully red.

    Parameters
    ----------
    cap : pandas.DataFrame
        From :func:`pmo_nb.capacity.demand.capacity`: ``team_id``, ``month``,
        ``demand``, ``capacity``, ``utilisation``, ``over``.
    cell : int
        Side of one cell in pixels (14 keeps 50 teams x 36 months on a page).
    teams : pandas.Series, optional
        Team names by ``team_id``: rows are labelled "T01 Name" (ids alone otherwise).
    """
    _check(cap, ["team_id", "month", "demand", "capacity", "utilisation", "over"],
           "capacity_heatmap")
    _size(cell, cell)
    if cap.empty:
        raise ValueError("capacity_heatmap: no team-months to draw")
    df = cap[["team_id", "month", "demand", "capacity", "utilisation", "over"]].copy()
    util = df["utilisation"].to_numpy(dtype="float64")
    no_cap = np.isnan(util)
    df["shown"] = np.where(no_cap, np.where(df["demand"] > 0, UTILISATION_CAP, 0.0),
                           np.minimum(util, UTILISATION_CAP))
    df["is_over"] = df["over"] > 0
    names = df["team_id"].map(teams).fillna("") if teams is not None else ""
    df["team"] = (df["team_id"].astype(str) + " " + names).str.strip() \
        if teams is not None else df["team_id"].astype(str)
    team_order = list(dict.fromkeys(df["team"]))
    months = sorted(set(df["month"]))
    x = alt.X("month:O", title=None, sort=months,
              axis=alt.Axis(labelAngle=-90, labelExpr=_month_labels(months)))
    y = alt.Y("team:N", title="Team", sort=team_order)
    tip = ["team:N", "month:O", alt.Tooltip("demand:Q", format=".1f"),
           alt.Tooltip("capacity:Q", format=".1f"), alt.Tooltip("utilisation:Q", format=".0%"),
           alt.Tooltip("over:Q", format=".1f", title="over (FTE)")]
    colour = alt.Color("shown:Q", title="Utilisation", scale=alt.Scale(
        domain=[0, 0.8, 1.0, 1.0001, UTILISATION_CAP],
        range=["#ffffff", "#90caf9", "#1565c0", "#ef9a9a", "#b71c1c"], clamp=True,
        interpolate="rgb"),
        legend=alt.Legend(format=".0%", gradientLength=160))
    heat = alt.Chart().mark_rect().encode(x=x, y=y, color=colour, tooltip=tip)
    outline = (alt.Chart().transform_filter("datum.is_over")
               .mark_rect(fill=None, stroke=OVER_COLOUR, strokeWidth=1.2)
               .encode(x=x, y=y, tooltip=tip))
    n_over = int(df["is_over"].sum())
    return alt.layer(heat, outline, data=df).properties(
        width=alt.Step(cell), height=alt.Step(cell),
        title=title or f"Team utilisation by month ({n_over} team-months over capacity, outlined)",
    )


def _month_labels(months: list[str]) -> str:
    """Vega expression: label January and the first month with the year, others by month."""
    first = months[0] if months else ""
    return (f"slice(datum.value, 5) == '01' || datum.value == '{first}' ? datum.value : "
            "slice(datum.value, 5)")


@_reads
def overload_chart(before: pd.DataFrame, after: pd.DataFrame, *, width: int = _WIDTH,
                   height: int = _HEIGHT) -> alt.Chart:
    """Total overload per month (FTE over capacity, summed over teams) before and after leveling.

    Months run from the first to the last with any overload (the whole
    horizon when there is none); the title gives both totals.

    Parameters
    ----------
    before, after : pandas.DataFrame
        :func:`pmo_nb.capacity.demand.capacity` tables without and with the
        leveling shifts (``month`` and ``over``).
    """
    _check(before, ["month", "over"], "overload_chart")
    _check(after, ["month", "over"], "overload_chart")
    _size(width, height)
    parts = []
    for plan, cap in (("before", before), ("after", after)):
        per = cap.groupby("month", as_index=False)["over"].sum()
        parts.append(per.assign(plan=plan))
    long = pd.concat(parts, ignore_index=True)
    months = sorted(set(long["month"]))
    long = (long.set_index(["plan", "month"])["over"]
            .reindex(pd.MultiIndex.from_product([list(PLAN_COLOURS), months],
                                                names=["plan", "month"]), fill_value=0.0)
            .reset_index())
    total = {p: long.loc[long["plan"] == p, "over"].sum() for p in PLAN_COLOURS}
    busy = sorted(set(long.loc[long["over"] > 0, "month"]))
    if busy:  # the months from the first to the last overload, not the whole horizon
        months = [m for m in months if busy[0] <= m <= busy[-1]]
        long = long[long["month"].isin(months)]
    order = list(PLAN_COLOURS)
    return (
        alt.Chart(long, title=f"Overload before leveling {total['before']:.1f} FTE-months, "
                              f"after {total['after']:.1f}")
        .mark_bar()
        .encode(
            x=alt.X("month:O", title=None, sort=months, axis=alt.Axis(labelAngle=-90)),
            xOffset=alt.XOffset("plan:N", sort=order),
            y=alt.Y("over:Q", title="FTE over capacity"),
            color=alt.Color("plan:N", title=None, sort=order, scale=alt.Scale(
                domain=order, range=[PLAN_COLOURS[p] for p in order])),
            tooltip=["plan:N", "month:O", alt.Tooltip("over:Q", format=".1f")],
        )
        .properties(width=width, height=height)
    )

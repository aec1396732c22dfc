"""Charts of the governance report: baseline drift, scope growth and the scope burn-up."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.charts.base import WIDTH as _WIDTH
from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import reads as _reads

#: The burn-up's series and their colours, in drawing order.
BURNUP_COLOURS = {"scope": "#1565c0", "baseline": "#9e9e9e", "done": "#2e7d32"}


@_reads
def drift_chart(drift: pd.DataFrame, *, width: int = _WIDTH, limit: int = 15,
                title: str = "Budget drift from approved changes") -> alt.Chart:
    """Current minus original budget of the projects whose baseline moved, largest first.

    Parameters
    ----------
    drift : pandas.DataFrame
        :func:`pmo_nb.governance.drift_table`: indexed by ``project_id``, with
        ``drift_money`` and ``drift_days``.
    """
    _check(drift, ["drift_money", "drift_days"], "drift_chart")
    if drift.empty:
        raise ValueError("drift_chart: no drift to draw")
    df = drift.head(limit)[["drift_money", "drift_days"]].rename_axis("project_id").reset_index()
    height = 18 * len(df) + 20
    _size(width, height)
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("project_id:N", sort=list(df["project_id"]), title=None),
        x=alt.X("drift_money:Q", title="Budget drift", axis=alt.Axis(format="~s")),
        color=alt.condition("datum.drift_money > 0", alt.value("#c62828"), alt.value("#2e7d32")),
        tooltip=["project_id:N", alt.Tooltip("drift_money:Q", format=",.0f"),
                 alt.Tooltip("drift_days:Q", format=",.0f", title="drift (days)")],
    ).properties(width=width, height=height, title=title)


@_reads
def growth_chart(scope: pd.DataFrame, *, width: int = _WIDTH, limit: int = 15,
                 title: str = "Scope growth and churn") -> alt.Chart:
    """Growth and churn (shares of the baseline scope) of the ``limit`` top projects.

    Parameters
    ----------
    scope : pandas.DataFrame
        :func:`pmo_nb.governance.league_table`: indexed by ``project_id``,
        with ``growth`` and ``churn``; rows without a baseline are dropped.
    """
    _check(scope, ["growth", "churn"], "growth_chart")
    df = scope.dropna(subset=["growth"]).head(limit)[["growth", "churn"]]
    if df.empty:
        raise ValueError("growth_chart: no project with a baseline scope to draw")
    order = list(df.index)
    long = df.rename_axis("project_id").reset_index().melt(
        "project_id", var_name="measure", value_name="share")
    height = 30 * len(df) + 20
    _size(width, height)
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("project_id:N", sort=order, title=None),
        yOffset=alt.YOffset("measure:N", sort=["growth", "churn"]),
        x=alt.X("share:Q", title="Share of the baseline scope", axis=alt.Axis(format="%")),
        color=alt.Color("measure:N", title=None, sort=["growth", "churn"],
                        scale=alt.Scale(domain=["growth", "churn"],
                                        range=["#1565c0", "#f9a825"])),
        tooltip=["project_id:N", "measure:N", alt.Tooltip("share:Q", format=".0%")],
    ).properties(width=width, height=height, title=title)


@_reads
def scope_burnup_chart(series: pd.DataFrame, *, columns: int = 3, width: int = 220,
                       height: int = 140) -> alt.FacetChart:
    """Small multiples of scope, baseline scope and done over time, one per project.

    Parameters
    ----------
    series : pandas.DataFrame
        :func:`pmo_nb.governance.burnup`: ``project_id``, ``date``, ``scope``,
        ``baseline``, ``done``. Panels follow the order of first appearance;
        each has its own scale (projects size their scope in their own units).
    """
    _check(series, ["project_id", "date", *BURNUP_COLOURS], "scope_burnup_chart")
    _size(width, height)
    if columns < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    if series.empty:
        raise ValueError("scope_burnup_chart: no rows to draw")
    order = list(dict.fromkeys(series["project_id"]))
    long = series.melt(["project_id", "date"], value_vars=list(BURNUP_COLOURS),
                       var_name="series", value_name="size")
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0, tickCount=4)),
        y=alt.Y("size:Q", title=None),
        color=alt.Color("series:N", title=None, scale=alt.Scale(
            domain=list(BURNUP_COLOURS), range=list(BURNUP_COLOURS.values()))),
        strokeDash=alt.condition("datum.series == 'baseline'", alt.value([4, 3]),
                                 alt.value([1, 0])),
        tooltip=["project_id:N", "series:N", alt.Tooltip("date:T", format="%Y-%m-%d"),
                 alt.Tooltip("size:Q", format=",.4~g")],
    ).properties(width=width, height=height).facet(
        facet=alt.Facet("project_id:N", title=None, sort=order), columns=columns,
    ).resolve_scale(y="independent").properties(title="Scope burn-up: scope, baseline and done")

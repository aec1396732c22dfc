"""Charts of the governance report: baseline drift, scope growth and the scope burn-up."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.charts.base import WIDTH as _WIDTH
from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import id_labels
from pmo_nb.charts.base import reads as _reads

#: The burn-up's series and their colours, in drawing order.
BURNUP_COLOURS = {"scope": "#1565c0", "baseline": "#9e9e9e", "done": "#2e7d32"}


def _names(frame: pd.DataFrame, names):
    """Project names by id: the frame's ``name`` column when it has one, else ``names``."""
    return frame["name"] if "name" in frame.columns else names


@_reads
def drift_chart(drift: pd.DataFrame, *, width: int = _WIDTH, limit: int = 15,
                title: str = "Budget drift from approved changes", names=None) -> alt.Chart:
    """Current minus original budget of the projects whose baseline moved, largest first.

    Parameters
    ----------
    drift : pandas.DataFrame
        :func:`pmo_nb.governance.drift_table`: indexed by ``project_id``, with
        ``drift_money`` and ``drift_days`` (and ``name``, which labels the bars).
    names : mapping, optional
        Project names by id, when ``drift`` has no ``name`` column.
    """
    _check(drift, ["drift_money", "drift_days"], "drift_chart")
    if drift.empty:
        raise ValueError("drift_chart: no drift to draw")
    top = drift.head(limit)
    df = top[["drift_money", "drift_days"]].rename_axis("project_id").reset_index()
    df["project"] = id_labels(df["project_id"], _names(top, names)).to_numpy()
    height = 18 * len(df) + 20
    _size(width, height)
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("project:N", sort=list(df["project"]), title=None,
                axis=alt.Axis(labelLimit=240)),
        x=alt.X("drift_money:Q", title="Budget drift", axis=alt.Axis(format="~s")),
        color=alt.condition("datum.drift_money > 0", alt.value("#c62828"), alt.value("#2e7d32")),
        tooltip=["project:N", alt.Tooltip("drift_money:Q", format=",.0f"),
                 alt.Tooltip("drift_days:Q", format=",.0f", title="drift (days)")],
    ).properties(width=width, height=height, title=title)


@_reads
def growth_chart(scope: pd.DataFrame, *, width: int = _WIDTH, limit: int = 15,
                 title: str = "Scope growth and churn", names=None) -> alt.Chart:
    """Growth and churn (shares of the baseline scope) of the ``limit`` top projects.

    Parameters
    ----------
    scope : pandas.DataFrame
        :func:`pmo_nb.governance.league_table`: indexed by ``project_id``,
        with ``growth`` and ``churn``; rows without a baseline are dropped.
    names : mapping, optional
        Project names by id: the bars read "P0042 Name" (ids alone otherwise).
    """
    _check(scope, ["growth", "churn"], "growth_chart")
    df = scope.dropna(subset=["growth"]).head(limit)[["growth", "churn"]]
    if df.empty:
        raise ValueError("growth_chart: no project with a baseline scope to draw")
    labels = id_labels(df.index, _names(scope, names))
    order = list(labels)
    long = df.set_axis(order).rename_axis("project").reset_index().melt(
        "project", var_name="measure", value_name="share")
    height = 30 * len(df) + 20
    _size(width, height)
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("project:N", sort=order, title=None, axis=alt.Axis(labelLimit=240)),
        yOffset=alt.YOffset("measure:N", sort=["growth", "churn"]),
        x=alt.X("share:Q", title="Share of the baseline scope", axis=alt.Axis(format="%")),
        color=alt.Color("measure:N", title=None, sort=["growth", "churn"],
                        scale=alt.Scale(domain=["growth", "churn"],
                                        range=["#1565c0", "#f9a825"])),
        tooltip=["project:N", "measure:N", alt.Tooltip("share:Q", format=".0%")],
    ).properties(width=width, height=height, title=title)


@_reads
def scope_burnup_chart(series: pd.DataFrame, *, columns: int = 3, width: int = 220,
                       height: int = 140, names=None) -> alt.FacetChart:
    """Small multiples of scope, baseline scope and done over time, one per project.

    Parameters
    ----------
    series : pandas.DataFrame
        :func:`pmo_nb.governance.burnup`: ``project_id``, ``date``, ``scope``,
        ``baseline``, ``done``. Panels follow the order of first appearance;
        each has its own scale (projects size their scope in their own units).
    names : mapping, optional
        Project names by id: panels are titled "P0042 Name" (ids alone otherwise).
    """
    _check(series, ["project_id", "date", *BURNUP_COLOURS], "scope_burnup_chart")
    _size(width, height)
    if columns < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    if series.empty:
        raise ValueError("scope_burnup_chart: no rows to draw")
    series = series.assign(project=id_labels(series["project_id"], names).to_numpy())
    order = list(dict.fromkeys(series["project"]))
    long = series.melt(["project", "date"], value_vars=list(BURNUP_COLOURS),
                       var_name="series", value_name="size")
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0, tickCount=4)),
        y=alt.Y("size:Q", title=None),
        color=alt.Color("series:N", title=None, scale=alt.Scale(
            domain=list(BURNUP_COLOURS), range=list(BURNUP_COLOURS.values()))),
        strokeDash=alt.condition("datum.series == 'baseline'", alt.value([4, 3]),
                                 alt.value([1, 0])),
        tooltip=["project:N", "series:N", alt.Tooltip("date:T", format="%Y-%m-%d"),
                 alt.Tooltip("size:Q", format=",.4~g")],
    ).properties(width=width, height=height).facet(
        facet=alt.Facet("project:N", title=None, sort=order), columns=columns,
    ).resolve_scale(y="independent").properties(title="Scope burn-up: scope, baseline and done")

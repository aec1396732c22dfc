"""Charts of a project plan: the Gantt with its critical path, the finish S-curve, the tornado."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.charts.base import WIDTH as _WIDTH
from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import reads as _reads

CRITICAL, OTHER, DONE = "#c62828", "#1565c0", "#9e9e9e"


@_reads
def gantt_chart(tasks: pd.DataFrame, markers: pd.DataFrame | None = None, *,
                width: int = _WIDTH, limit: int = 60, title: str = "Plan") -> alt.LayerChart:
    """Bars from start to finish per task, the critical path in red, done work grey.

    Parameters
    ----------
    tasks : pandas.DataFrame
        :func:`pmo_nb.plans.gantt_data`: ``task``, ``start``, ``end``, ``kind``
        (critical, other, done), ``total_float``.
    markers : pandas.DataFrame, optional
        ``label``, ``date``: vertical rules (planned finish, P50, P80).
    """
    _check(tasks, ["task", "start", "end", "kind"], "gantt_chart")
    if tasks.empty:
        raise ValueError("gantt_chart: the plan has no task to draw")
    tasks = tasks.head(limit)
    height = 16 * len(tasks) + 30
    _size(width, height)
    order = list(tasks["task"])
    bars = alt.Chart(tasks).mark_bar(height=11).encode(
        y=alt.Y("task:N", sort=order, title=None),
        x=alt.X("start:T", title=None), x2="end:T",
        color=alt.Color("kind:N", title=None, scale=alt.Scale(
            domain=["critical", "other", "done"], range=[CRITICAL, OTHER, DONE])),
        tooltip=["task:N", alt.Tooltip("start:T", format="%Y-%m-%d"),
                 alt.Tooltip("end:T", format="%Y-%m-%d"), "kind:N",
                 alt.Tooltip("total_float:Q", format=".1f", title="total float (days)")])
    layers = [bars]
    if markers is not None and len(markers):
        rules = alt.Chart(markers).mark_rule(strokeDash=[4, 3], color="#424242").encode(
            x="date:T", tooltip=["label:N", alt.Tooltip("date:T", format="%Y-%m-%d")])
        text = alt.Chart(markers).mark_text(align="left", dx=3, dy=-4, fontSize=10).encode(
            x="date:T", y=alt.value(0), text="label:N")
        layers += [rules, text]
    return alt.layer(*layers).properties(width=width, height=height, title=title)


@_reads
def finish_curve_chart(curve: pd.DataFrame, planned_finish=None, *, width: int = _WIDTH,
                       height: int = 220, title: str = "Chance of finishing by each date"
                       ) -> alt.LayerChart:
    """The simulated finish as an S-curve (``date``, ``probability``, ``series``)."""
    _check(curve, ["date", "probability", "series"], "finish_curve_chart")
    if curve.empty:
        raise ValueError("finish_curve_chart: no simulated finish to draw")
    _size(width, height)
    line = alt.Chart(curve).mark_line().encode(
        x=alt.X("date:T", title="Finish date"),
        y=alt.Y("probability:Q", title="Chance of finishing by then", axis=alt.Axis(format="%")),
        color=alt.Color("series:N", title=None),
        tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d"),
                 alt.Tooltip("probability:Q", format=".0%"), "series:N"])
    layers = [line]
    if planned_finish is not None:
        planned = pd.DataFrame({"date": [pd.Timestamp(planned_finish)], "label": ["planned"]})
        layers.append(alt.Chart(planned).mark_rule(color="#424242", strokeDash=[4, 3]).encode(
            x="date:T", tooltip=["label:N", alt.Tooltip("date:T", format="%Y-%m-%d")]))
    return alt.layer(*layers).properties(width=width, height=height, title=title)


@_reads
def tornado_chart(table: pd.DataFrame, *, width: int = _WIDTH, limit: int = 15,
                  title: str = "What drives the finish") -> alt.Chart:
    """Criticality and cruciality of the tasks that drive the finish most (a tornado).

    ``table``: :func:`pmo_nb.plans.tornado_data`: ``task``, ``measure``, ``value``.
    """
    _check(table, ["task", "measure", "value"], "tornado_chart")
    if table.empty:
        raise ValueError("tornado_chart: no task to draw")
    tasks = list(dict.fromkeys(table["task"]))[:limit]
    table = table[table["task"].isin(tasks)]
    height = 22 * len(tasks) + 30
    _size(width, height)
    return alt.Chart(table).mark_bar().encode(
        y=alt.Y("task:N", sort=tasks, title=None),
        x=alt.X("value:Q", title=None, scale=alt.Scale(domain=[-1, 1])),
        color=alt.Color("measure:N", title=None),
        yOffset="measure:N",
        tooltip=["task:N", "measure:N", alt.Tooltip("value:Q", format=".2f")],
    ).properties(width=width, height=height, title=title)

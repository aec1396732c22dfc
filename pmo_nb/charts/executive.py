"""Charts of the executive dashboard: RAG trend, overrun chances, top risks, a project's history."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.charts.base import HEIGHT as _HEIGHT
from pmo_nb.charts.base import RAG_COLOURS, id_labels
from pmo_nb.charts.base import WIDTH as _WIDTH
from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import reads as _reads
from pmo_nb.schema import RAGS

#: Name of the click selection on the overrun chart (the dashboard drills down on it).
PICK = "pick"
#: Series of a project's history chart and their colours.
HISTORY_COLOURS = {"planned value": "#90a4ae", "earned value": "#2e7d32",
                   "actual cost": "#c62828"}


@_reads
def rag_trend_chart(trend: pd.DataFrame, *, width: int = _WIDTH, height: int = _HEIGHT
                    ) -> alt.Chart:
    """Stacked bars: projects by the last RAG they reported in each month.

    Parameters
    ----------
    trend : pandas.DataFrame
        Columns ``month`` ("YYYY-MM"), ``rag`` and ``projects`` (see
        :func:`pmo_nb.briefings.executive.view`).
    """
    _check(trend, ["month", "rag", "projects"], "rag_trend_chart")
    _size(width, height)
    order = list(RAGS)
    return (
        alt.Chart(trend, title="RAG reported by month")
        .mark_bar()
        .encode(
            x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-90)),
            y=alt.Y("projects:Q", title="Projects reporting", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("rag:N", title="RAG", sort=order, scale=alt.Scale(
                domain=order, range=[RAG_COLOURS[r] for r in order])),
            order=alt.Order("rag_order:Q"),
            tooltip=["month:O", "rag:N", "projects:Q"],
        )
        .transform_calculate(rag_order="indexof(['green', 'amber', 'red'], datum.rag)")
        .properties(width=width, height=height)
    )


@_reads
def overrun_chart(forecast: pd.DataFrame, *, threshold: float = 0.7, width: int = _WIDTH,
                  height: int = _HEIGHT) -> alt.LayerChart:
    """Each forecast project's chance of overrunning its budget against finishing late.

    A click on a point selects it (selection ``pick`` on ``project_id``), so
    a dashboard can open that project's page; a dashed line marks
    ``threshold``.

    Parameters
    ----------
    forecast : pandas.DataFrame
        A persisted forecast table indexed by ``project_id`` with ``name``,
        ``category``, ``budget``, ``p_over_budget`` and ``p_late``.
    """
    _check(forecast, ["name", "category", "budget", "p_over_budget", "p_late"], "overrun_chart")
    _size(width, height)
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
    data = forecast.rename_axis("project_id").reset_index()[
        ["project_id", "name", "category", "budget", "p_over_budget", "p_late"]]
    likely = int((data["p_over_budget"] > threshold).sum())
    pick = alt.selection_point(name=PICK, fields=["project_id"], on="click", empty=False)
    pct = alt.Axis(format="%")
    points = (
        alt.Chart(data)
        .mark_circle(opacity=0.75, stroke="#263238")
        .encode(
            x=alt.X("p_late:Q", title="Chance of finishing late", axis=pct,
                    scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("p_over_budget:Q", title="Chance of overrunning budget", axis=pct,
                    scale=alt.Scale(domain=[0, 1])),
            size=alt.Size("budget:Q", title="Budget", legend=None),
            color=alt.Color("category:N", title="Category"),
            strokeWidth=alt.condition(pick, alt.value(2.5), alt.value(0)),
            tooltip=["project_id:N", "name:N", "category:N",
                     alt.Tooltip("p_over_budget:Q", format=".0%", title="P(over budget)"),
                     alt.Tooltip("p_late:Q", format=".0%", title="P(late)")],
        )
        .add_params(pick)
    )
    rule = alt.Chart(pd.DataFrame({"y": [threshold]})).mark_rule(
        strokeDash=[4, 4], color="#c62828").encode(y="y:Q")
    title = (f"Overrun chances of {len(data)} forecast projects "
             f"({likely} above {threshold:.0%}); click one to open it")
    return alt.layer(points, rule, title=title).properties(width=width, height=height)


@_reads
def top_risks_chart(risks: pd.DataFrame, *, width: int = _WIDTH, height: int | None = None
                    ) -> alt.Chart:
    """Horizontal bars of the open risks' expected cost (probability x mean impact).

    Parameters
    ----------
    risks : pandas.DataFrame
        ``risk_id``, ``title``, ``bucket`` (project or portfolio), ``p``,
        ``expected_cost`` (see :func:`pmo_nb.risks.model.open_risks`); with
        ``name`` (the project's), the tooltip names the project beside its id.
    """
    _check(risks, ["risk_id", "title", "bucket", "p", "expected_cost"], "top_risks_chart")
    height = height or max(60, 22 * len(risks))
    _size(width, height)
    data = risks[["risk_id", "title", "bucket", "p", "expected_cost"]].copy()
    data["label"] = data["risk_id"] + " " + data["title"].astype("str").str.slice(0, 40)
    if "name" in risks.columns:
        data["bucket"] = id_labels(data["bucket"], dict(zip(risks["bucket"], risks["name"],
                                                            strict=True))).to_numpy()
    return (
        alt.Chart(data, title="Top open risks by expected cost")
        .mark_bar(color="#ef6c00")
        .encode(
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("expected_cost:Q", title="Expected cost (probability x mean impact)",
                    axis=alt.Axis(format="~s")),
            tooltip=["risk_id:N", "title:N", alt.Tooltip("bucket:N", title="project"),
                     alt.Tooltip("p:Q", format=".0%", title="probability"),
                     alt.Tooltip("expected_cost:Q", format=",.0f")],
        )
        .properties(width=width, height=height)
    )


@_reads
def project_history_chart(history: pd.DataFrame, budget: float, band: dict | None = None, *,
                          width: int = _WIDTH, height: int = _HEIGHT) -> alt.LayerChart:
    """A project's cumulative planned value, earned value and actual cost, with its budget.

    Parameters
    ----------
    history : pandas.DataFrame
        Status updates: ``as_of``, ``planned_value``, ``earned_value``, ``actual_cost``.
    budget : float
        Drawn as a dashed line.
    band : dict, optional
        ``cost_p10``, ``cost_p90`` and ``finish_p90`` of a persisted forecast:
        drawn as a shaded final-cost band up to the late finish.
    """
    _check(history, ["as_of", "planned_value", "earned_value", "actual_cost"],
           "project_history_chart")
    _size(width, height)
    series = {"planned value": "planned_value", "earned value": "earned_value",
              "actual cost": "actual_cost"}
    long = pd.concat([pd.DataFrame({"as_of": history["as_of"], "series": label,
                                    "value": history[col].astype("float64")})
                      for label, col in series.items()], ignore_index=True).dropna()
    order = list(HISTORY_COLOURS)
    lines = alt.Chart(long).mark_line().encode(
        x=alt.X("as_of:T", title=None),
        y=alt.Y("value:Q", title="Cumulative", axis=alt.Axis(format="~s")),
        color=alt.Color("series:N", title=None, sort=order, scale=alt.Scale(
            domain=order, range=[HISTORY_COLOURS[s] for s in order])),
        tooltip=["as_of:T", "series:N", alt.Tooltip("value:Q", format=",.0f")],
    )
    layers = [lines, alt.Chart(pd.DataFrame({"budget": [float(budget)]})).mark_rule(
        strokeDash=[4, 4], color="#263238").encode(y="budget:Q")]
    if band is not None:
        start = history["as_of"].max() if len(history) else band["finish_p90"]
        area = pd.DataFrame({"x": [start], "x2": [band["finish_p90"]],
                             "low": [band["cost_p10"]], "high": [band["cost_p90"]]})
        layers.insert(0, alt.Chart(area).mark_rect(opacity=0.2, color="#c62828").encode(
            x="x:T", x2="x2:T", y="low:Q", y2="high:Q",
            tooltip=[alt.Tooltip("low:Q", format=",.0f", title="final cost p10"),
                     alt.Tooltip("high:Q", format=",.0f", title="final cost p90")]))
    title = "Earned value history" + (" and forecast final cost (p10-p90)" if band else "")
    return alt.layer(*layers, title=title).properties(width=width, height=height)


def quick_spec(build, *args, **kwargs) -> dict:
    """The Vega-Lite spec of ``build(*args, **kwargs)``, built without schema validation.

    For a dashboard that swaps data into a chart it already validated once
    (same builder, same parameters, new rows): skipping jsonschema checks
    makes a filter change several times cheaper.
    """
    from altair.utils.schemapi import debug_mode  # lazy: Altair internals only when needed

    with debug_mode(False):
        return build(*args, **kwargs).to_dict(validate=False)

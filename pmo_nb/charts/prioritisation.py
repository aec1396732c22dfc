"""Charts of prioritisation: ranking, efficient frontier, decision confidence, AHP weights.

Builders take the frames :func:`pmo_nb.score`, :func:`pmo_nb.select_portfolio`
(``.table``), :func:`pmo_nb.efficient_frontier`, :func:`pmo_nb.decision_confidence`
and :func:`pmo_nb.ahp_weights` return, and raise ``ValueError`` on bad input.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from pmo_nb.charts.base import HEIGHT as _HEIGHT
from pmo_nb.charts.base import WIDTH as _WIDTH
from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import id_labels
from pmo_nb.charts.base import reads as _reads

#: Decision-confidence classes and their colours (green in, amber unsure, grey out).
CONFIDENCE_COLOURS = {"safe bet": "#2e7d32", "coin flip": "#f9a825", "never funded": "#9e9e9e"}
SELECTED_COLOURS = {"funded": "#1565c0", "not funded": "#b0bec5"}
#: Rows drawn by the per-project charts unless told otherwise (readable at a glance).
TOP = 30


def _labels(frame: pd.DataFrame, names=None) -> pd.DataFrame:
    """project_id as a column and ``project`` ("P-001 Name") for axes and tooltips.

    The names are the frame's ``name`` column, else ``names`` (id -> name).
    """
    out = frame.reset_index()
    if "project_id" not in out.columns:
        raise ValueError("expected the frame to be indexed by project_id")
    if "name" in out.columns:
        names = dict(zip(out["project_id"], out["name"], strict=True))
    out["project"] = id_labels(out["project_id"], names).to_numpy()
    return out


@_reads
def ranking_chart(table: pd.DataFrame, *, top: int | None = TOP, title: str | None = None,
                  width: int = _WIDTH, bar_height: int = 14) -> alt.Chart:
    """Horizontal bars of score, best first; funded projects highlighted.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by project_id with ``score`` and ``rank`` (and optionally
        ``name`` and ``selected``, as in ``Selection.table``).
    top : int, optional
        Draw only the best ``top`` projects (None: all).
    """
    _check(table, ["score", "rank"], "ranking_chart")
    _size(width, bar_height)
    if top is not None and top < 1:
        raise ValueError(f"ranking_chart: top must be >= 1, got {top}")
    data = _labels(table.sort_values("rank").head(top) if top else table.sort_values("rank"))
    if "selected" in data.columns:
        data["status"] = data["selected"].map({True: "funded", False: "not funded"})
        colour = alt.Color("status:N", title="Optimal selection",
                           scale=alt.Scale(domain=list(SELECTED_COLOURS),
                                           range=list(SELECTED_COLOURS.values())))
    else:
        data["status"] = "candidate"
        colour = alt.value(SELECTED_COLOURS["funded"])
    shown = f"top {len(data)} of {len(table)}" if len(data) < len(table) else f"{len(data)}"
    return (
        alt.Chart(data, title=title or f"Ranking by score ({shown} candidates)")
        .mark_bar()
        .encode(
            y=alt.Y("project:N", sort=alt.SortField("rank"), title=None),
            x=alt.X("score:Q", title="Score"),
            color=colour,
            tooltip=["project:N", "rank:Q", alt.Tooltip("score:Q", format=".1f"), "status:N"],
        )
        .properties(width=width, height=alt.Step(bar_height))
    )


def _plan_point(plan) -> dict | None:
    if plan is None:
        return None
    if isinstance(plan, Mapping):
        budget, value = plan.get("budget"), plan.get("value")
    else:
        budget, value = getattr(plan, "budget", None), getattr(plan, "value", None)
    if budget is None or value is None:
        raise ValueError("frontier_chart: plan needs a budget and a value "
                         "(a Selection or a mapping with those keys)")
    return {"budget": float(budget), "value": float(value), "what": "current plan"}


@_reads
def frontier_chart(frontier: pd.DataFrame, plan=None, *, width: int = _WIDTH,
                   height: int = _HEIGHT) -> alt.LayerChart:
    """Best attainable value per budget, the cut-line's value beside it, the plan marked.

    Parameters
    ----------
    frontier : pandas.DataFrame
        From :func:`pmo_nb.efficient_frontier`: ``budget``, ``value``,
        ``greedy_value`` (infeasible budgets, NaN value, are left out).
    plan : Selection or mapping, optional
        The current plan, marked as a red point at its budget and value.
    """
    _check(frontier, ["budget", "value", "greedy_value"], "frontier_chart")
    _size(width, height)
    rows = frontier.dropna(subset=["value"])
    if rows.empty:
        raise ValueError("frontier_chart: no feasible budget in the frontier")
    long = pd.concat([
        pd.DataFrame({"budget": rows["budget"], "value": rows["value"],
                      "line": "optimal selection"}),
        pd.DataFrame({"budget": rows["budget"], "value": rows["greedy_value"],
                      "line": "greedy cut-line"}),
    ], ignore_index=True)
    x = alt.X("budget:Q", title="Budget", axis=alt.Axis(format="~s"))
    lines = (
        alt.Chart(long)
        .mark_line(point=True, interpolate="step-after")  # the value holds until a step up
        .encode(
            x=x,
            y=alt.Y("value:Q", title="Total score"),
            color=alt.Color("line:N", title=None,
                            scale=alt.Scale(domain=["optimal selection", "greedy cut-line"],
                                            range=["#1565c0", "#90a4ae"])),
            strokeDash=alt.StrokeDash("line:N", legend=None,
                                      scale=alt.Scale(domain=["optimal selection",
                                                              "greedy cut-line"],
                                                      range=[[1, 0], [5, 3]])),
            tooltip=[alt.Tooltip("budget:Q", format=",.0f"), "line:N",
                     alt.Tooltip("value:Q", format=",.1f")],
        )
    )
    layers = [lines]
    point = _plan_point(plan)
    if point is not None:
        marked = alt.Chart(pd.DataFrame([point]))
        layers.append(marked.mark_point(shape="diamond", size=160, filled=True,
                                        color="#c62828").encode(
            x=x, y="value:Q", tooltip=["what:N", alt.Tooltip("budget:Q", format=",.0f"),
                                       alt.Tooltip("value:Q", format=",.1f")]))
        layers.append(marked.mark_text(align="left", dx=8, dy=-8, color="#c62828").encode(
            x=x, y="value:Q", text="what:N"))
    return alt.layer(*layers, title="Efficient frontier: best value at each budget").properties(
        width=width, height=height)


@_reads
def confidence_chart(confidence: pd.DataFrame, *, top: int | None = TOP,
                     width: int = _WIDTH, row_height: int = 14,
                     names=None) -> alt.LayerChart:
    """P(selected) per candidate, highest first, coloured safe bet / coin flip / never funded.

    The band between 0.1 and 0.9 (the coin flips) is shaded, so a reader sees
    at once which projects are funded whatever the judgement noise, which
    depend on it, and which never make it.

    Parameters
    ----------
    confidence : pandas.DataFrame
        From :func:`pmo_nb.decision_confidence` (index project_id,
        ``p_selected``, ``label``, ``rank``).
    top : int, optional
        Draw the ``top`` candidates most likely funded (None: all).
    names : mapping, optional
        Project names by id (when the frame has no ``name``): rows read "P0042 Name".
    """
    _check(confidence, ["p_selected", "label", "rank"], "confidence_chart")
    _size(width, row_height)
    unknown = set(confidence["label"]) - set(CONFIDENCE_COLOURS)
    if unknown:
        raise ValueError(f"confidence_chart: unknown label(s) {sorted(unknown)}")
    ordered = confidence.sort_values(["p_selected", "rank"], ascending=[False, True])
    data = _labels(ordered.head(top) if top else ordered, names)
    data["order"] = range(len(data))
    y = alt.Y("project:N", sort=alt.SortField("order"), title=None)
    band = alt.Chart(pd.DataFrame({"lo": [0.1], "hi": [0.9]})).mark_rect(
        color="#fff8e1").encode(x="lo:Q", x2="hi:Q")
    rules = alt.Chart(pd.DataFrame({"p": [0.1, 0.9]})).mark_rule(
        color="#bdbdbd", strokeDash=[3, 3]).encode(x="p:Q")
    dots = (
        alt.Chart(data)
        .mark_circle(size=90, opacity=1)
        .encode(
            y=y,
            x=alt.X("p_selected:Q", title="Probability of being funded",
                    scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color("label:N", title=None,
                            scale=alt.Scale(domain=list(CONFIDENCE_COLOURS),
                                            range=list(CONFIDENCE_COLOURS.values()))),
            tooltip=["project:N", "label:N", alt.Tooltip("p_selected:Q", format=".0%"),
                     "rank:Q"],
        )
    )
    return alt.layer(band, rules, dots, title="Decision confidence: how often each project "
                     "is funded when the judgements vary").properties(
        width=width, height=alt.Step(row_height))


@_reads
def weights_chart(weights: pd.Series, cr: float | None = None, *, width: int = _WIDTH,
                  height: int = _HEIGHT, names=None) -> alt.Chart:
    """Bars of objective weights (e.g. from AHP), with the consistency ratio in the title.

    Parameters
    ----------
    weights : pandas.Series
        Weight per objective (index = objective), as :func:`pmo_nb.ahp_weights` returns.
    cr : float, optional
        Consistency ratio; above 0.10 the title says the judgements are inconsistent.
    names : mapping, optional
        Objective names by id: the bars read "OBJ-01 Name" (ids alone otherwise).
    """
    if not isinstance(weights, pd.Series) or weights.empty:
        raise ValueError("weights_chart: expected a non-empty pandas Series of weights")
    if (weights < 0).any() or weights.isna().any():
        raise ValueError("weights_chart: weights must be >= 0")
    _size(width, height)
    data = pd.DataFrame({"objective": id_labels(weights.index, names).to_numpy(),
                         "weight": weights.to_numpy()})
    title = "Objective weights"
    if cr is not None:
        flag = "inconsistent, revisit" if cr > 0.10 else "consistent"
        title += f" (consistency ratio {cr:.2f}: {flag})"
    return (
        alt.Chart(data, title=title)
        .mark_bar(color="#6a1b9a")
        .encode(
            y=alt.Y("objective:N", sort="-x", title=None),
            x=alt.X("weight:Q", title="Weight", axis=alt.Axis(format="%")),
            tooltip=["objective:N", alt.Tooltip("weight:Q", format=".1%")],
        )
        .properties(width=width, height=height)
    )

"""Charts of the portfolio overview: stages, budget, RAG, CPI vs SPI."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.charts.base import HEIGHT as _HEIGHT
from pmo_nb.charts.base import RAG_COLOURS
from pmo_nb.charts.base import WIDTH as _WIDTH
from pmo_nb.charts.base import check_frame as _check
from pmo_nb.charts.base import check_size as _size
from pmo_nb.charts.base import reads as _reads
from pmo_nb.schema import RAGS, STAGES


@_reads
def stage_chart(counts: pd.DataFrame, *, width: int = _WIDTH, height: int = _HEIGHT) -> alt.Chart:
    """Bar chart of projects per stage, in lifecycle order.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``stage`` and ``projects`` (see :func:`pmo_nb.delivery.overview.stage_counts`).
    """
    _check(counts, ["stage", "projects"], "stage_chart")
    _size(width, height)
    order = [s for s in STAGES if s in set(counts["stage"])]
    return (
        alt.Chart(counts, title="Projects by stage")
        .mark_bar(color="#1565c0")
        .encode(
            x=alt.X("stage:N", sort=order, title="Stage", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("projects:Q", title="Projects", axis=alt.Axis(tickMinStep=1)),
            tooltip=["stage:N", "projects:Q"],
        )
        .properties(width=width, height=height)
    )


@_reads
def budget_chart(
    budgets: pd.DataFrame, *, width: int = _WIDTH, height: int = _HEIGHT
) -> alt.Chart:
    """Horizontal bars of budget per category, largest on top.

    Parameters
    ----------
    budgets : pandas.DataFrame
        Columns ``category`` and ``budget`` (see
        :func:`pmo_nb.delivery.overview.budget_by_category`).
    """
    _check(budgets, ["category", "budget"], "budget_chart")
    _size(width, height)
    return (
        alt.Chart(budgets, title="Budget by category")
        .mark_bar(color="#6a1b9a")
        .encode(
            y=alt.Y("category:N", sort="-x", title="Category"),
            x=alt.X("budget:Q", title="Budget", axis=alt.Axis(format="~s")),
            tooltip=["category:N", alt.Tooltip("budget:Q", format=",.0f")],
        )
        .properties(width=width, height=height)
    )


@_reads
def rag_chart(rag: pd.DataFrame, *, width: int = _WIDTH, height: int = _HEIGHT) -> alt.Chart:
    """Bars of live projects per latest RAG, coloured green/amber/red.

    Parameters
    ----------
    rag : pandas.DataFrame
        Columns ``rag`` and ``projects`` (see :func:`pmo_nb.delivery.overview.rag_counts`).
    """
    _check(rag, ["rag", "projects"], "rag_chart")
    _size(width, height)
    unknown = set(rag["rag"]) - set(RAG_COLOURS)
    if unknown:
        raise ValueError(f"rag_chart: unknown RAG value(s) {sorted(unknown)}")
    order = [r for r in (*RAGS, "unreported") if r in set(rag["rag"])]
    scale = alt.Scale(domain=order, range=[RAG_COLOURS[r] for r in order])
    return (
        alt.Chart(rag, title="Latest RAG of live projects")
        .mark_bar()
        .encode(
            x=alt.X("rag:N", sort=order, title="RAG", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("projects:Q", title="Projects", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("rag:N", scale=scale, legend=None),
            tooltip=["rag:N", "projects:Q"],
        )
        .properties(width=width, height=height)
    )


@_reads
def cpi_spi_chart(evm: pd.DataFrame, *, width: int = _WIDTH, height: int = 300) -> alt.Chart:
    """Scatter of CPI against SPI per project, with the 1.0 lines drawn.

    Points below and left of the lines are over cost and behind schedule.

    Parameters
    ----------
    evm : pandas.DataFrame
        Columns ``project_id``, ``cpi``, ``spi`` (see
        :func:`pmo_nb.delivery.overview.evm_table`); ``name`` and ``category`` are used
        when present. Rows with a missing CPI or SPI are left out.
    """
    _check(evm, ["project_id", "cpi", "spi"], "cpi_spi_chart")
    _size(width, height)
    cols = [c for c in ("project_id", "name", "category", "cpi", "spi") if c in evm.columns]
    data = evm[cols].dropna(subset=["cpi", "spi"])
    tooltip = [c for c in ("project_id", "name", "category") if c in cols]
    colour = (
        alt.Color("category:N", title="Category")
        if "category" in cols
        else alt.value("#1565c0")
    )
    points = (
        alt.Chart(data)
        .mark_circle(size=60, opacity=0.8)
        .encode(
            x=alt.X("spi:Q", title="SPI (schedule)", scale=alt.Scale(zero=False)),
            y=alt.Y("cpi:Q", title="CPI (cost)", scale=alt.Scale(zero=False)),
            color=colour,
            tooltip=[
                *tooltip,
                alt.Tooltip("cpi:Q", format=".2f"),
                alt.Tooltip("spi:Q", format=".2f"),
            ],
        )
    )
    ones = pd.DataFrame({"one": [1.0]})
    vline = alt.Chart(ones).mark_rule(strokeDash=[4, 4], color="#757575").encode(x="one:Q")
    hline = alt.Chart(ones).mark_rule(strokeDash=[4, 4], color="#757575").encode(y="one:Q")
    return (points + vline + hline).properties(
        width=width, height=height, title="Cost and schedule performance (CPI vs SPI)"
    )

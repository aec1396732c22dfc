"""The portfolio at a glance: counts, money, RAG, earned value and the words for them.

Pure functions on a :class:`~pmo_nb.portfolio.Portfolio` and a reporting date;
no files, no database, no charts. The overview notebook, the health dashboard
and the tests all call these, so a number shown in a report is the number a
test checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from pmo_nb.dates import LIVE_STAGES, cut_off, latest_status
from pmo_nb.delivery.evm import earned_value
from pmo_nb.formatting import money
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import RAGS, STAGES

#: RAG label for a live project that has no status update on or before as_of.
UNREPORTED = "unreported"


_as_of = cut_off


def live_projects(portfolio: Portfolio) -> pd.DataFrame:
    """The projects in a live stage (approved, active or on hold)."""
    projects = portfolio.projects
    return projects[projects["stage"].isin(LIVE_STAGES)]


def stage_counts(portfolio: Portfolio) -> pd.DataFrame:
    """Projects and budget per stage, every stage listed in lifecycle order.

    Returns
    -------
    pandas.DataFrame
        Columns ``stage``, ``projects`` (int), ``budget`` (float).
    """
    projects = portfolio.projects
    grouped = projects.groupby("stage", observed=True).agg(
        projects=("project_id", "size"), budget=("budget", "sum")
    )
    out = grouped.reindex(list(STAGES), fill_value=0)
    out.index.name = "stage"
    out = out.reset_index()
    out["projects"] = out["projects"].astype(int)
    out["budget"] = out["budget"].astype(float)
    return out


def budget_by_category(portfolio: Portfolio, stages: Iterable[str] | None = None) -> pd.DataFrame:
    """Budget per category, largest first, with its share of the total.

    Parameters
    ----------
    portfolio : Portfolio
    stages : iterable of str, optional
        Only count projects in these stages (default: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``category``, ``projects``, ``budget``, ``share`` (0-1).
    """
    projects = portfolio.projects
    if stages is not None:
        projects = projects[projects["stage"].isin(list(stages))]
    out = (
        projects.groupby("category")
        .agg(projects=("project_id", "size"), budget=("budget", "sum"))
        .reset_index()
        .sort_values(["budget", "category"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    total = out["budget"].sum()
    out["projects"] = out["projects"].astype(int)
    out["budget"] = out["budget"].astype(float)
    out["share"] = out["budget"] / total if total > 0 else 0.0
    return out


def rag_counts(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """Live projects by the RAG of their latest status update.

    Live projects with no update (or an update without a RAG) on or before
    ``as_of`` are counted as ``"unreported"`` so the counts add up to the
    number of live projects.

    Returns
    -------
    pandas.DataFrame
        Columns ``rag`` (green, amber, red, unreported) and ``projects``.
    """
    live = live_projects(portfolio)[["project_id"]]
    latest = latest_status(portfolio, as_of)[["project_id", "rag"]]
    merged = live.merge(latest, on="project_id", how="left")
    rag = merged["rag"].where(merged["rag"].isin(RAGS), UNREPORTED)
    order = [*RAGS, UNREPORTED]
    counts = rag.value_counts().reindex(order, fill_value=0)
    return pd.DataFrame({"rag": order, "projects": counts.to_numpy().astype(int)})


def evm_table(portfolio: Portfolio, as_of=None) -> pd.DataFrame:
    """Earned value per project (from :func:`pmo_nb.delivery.evm.earned_value`), worst CPI first.

    Adds the project's ``name``, ``category`` and ``stage`` when the EVM table
    does not carry them, so the table reads on its own.
    """

    table = earned_value(portfolio, as_of=_as_of(as_of))
    if "project_id" not in table.columns:
        table = table.rename_axis("project_id").reset_index()
    extra = [c for c in ("name", "category", "stage") if c not in table.columns]
    if extra and "project_id" in table.columns:
        table = table.merge(
            portfolio.projects[["project_id", *extra]], on="project_id", how="left"
        )
    sort = [c for c in ("cpi", "spi") if c in table.columns]
    if sort:
        table = table.sort_values(sort, kind="stable", na_position="last")
    return table.reset_index(drop=True)


#: The EVM columns a reader needs to judge a project at a glance.
EVM_SUMMARY = ("project_id", "name", "category", "stage", "rag", "bac", "pv", "ev", "ac",
               "cpi", "spi", "eac", "vac")


def worst(evm: pd.DataFrame, metric: str = "cpi", n: int = 5,
          columns: Iterable[str] | None = EVM_SUMMARY, live_only: bool = True) -> pd.DataFrame:
    """The ``n`` projects with the lowest ``metric`` (e.g. ``"cpi"`` or ``"spi"``).

    ``columns`` picks the columns shown (those present; ``None`` keeps all);
    ``live_only`` leaves out projects that are not in a live stage.

    Raises
    ------
    ValueError
        When ``metric`` is not a column of ``evm`` or ``n`` < 1.
    """
    if metric not in evm.columns:
        raise ValueError(f"metric {metric!r} is not a column of the EVM table")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if live_only and "stage" in evm.columns:
        evm = evm[evm["stage"].isin(LIVE_STAGES)]
    out = evm.dropna(subset=[metric]).nsmallest(n, metric, keep="first").reset_index(drop=True)
    if columns is not None:
        out = out[[c for c in columns if c in out.columns]]
    return out


def _as_set(value) -> set[str] | None:
    """``None``/empty -> None (no filter); a string -> {it}; an iterable -> its set."""
    if value is None:
        return None
    if isinstance(value, str):
        return {value} if value else None
    values = {str(v) for v in value}
    return values or None


def filter(portfolio: Portfolio, category=None, sponsor=None, stage=None) -> Portfolio:  # noqa: A001
    """The portfolio restricted to the projects matching every given criterion.

    Each criterion is a string, an iterable of strings (any of them matches) or
    ``None``/empty (no restriction). Tables owned by projects (status updates,
    alignment, risks, benefits and their measurements, demand, dependencies)
    keep only the rows of the remaining projects; portfolio-level risks (no
    project) are dropped once any criterion applies. Objectives and teams are
    kept whole.

    Raises
    ------
    ValueError
        When ``stage`` names a stage the format does not know.
    """
    criteria = {"category": _as_set(category), "sponsor": _as_set(sponsor),
                "stage": _as_set(stage)}
    unknown = (criteria["stage"] or set()) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}; expected one of {list(STAGES)}")
    if all(v is None for v in criteria.values()):
        return portfolio
    projects = portfolio.projects
    keep = pd.Series(True, index=projects.index)
    for column, values in criteria.items():
        if values is not None:
            keep &= projects[column].isin(values)
    kept = projects[keep].reset_index(drop=True)
    ids = set(kept["project_id"])

    def own(frame: pd.DataFrame, column: str = "project_id") -> pd.DataFrame:
        return frame[frame[column].isin(ids)].reset_index(drop=True)

    benefits = own(portfolio.benefits)
    measurements = portfolio.benefit_measurements
    measurements = measurements[
        measurements["benefit_id"].isin(set(benefits["benefit_id"]))
    ].reset_index(drop=True)
    dependencies = own(own(portfolio.dependencies), "depends_on")
    return replace(
        portfolio,
        projects=kept,
        alignment=own(portfolio.alignment),
        status_updates=own(portfolio.status_updates),
        risks=own(portfolio.risks),
        benefits=benefits,
        benefit_measurements=measurements,
        demand=own(portfolio.demand),
        dependencies=dependencies,
        notices=list(portfolio.notices),
    )


def choices(portfolio: Portfolio) -> dict[str, list[str]]:
    """The values a filter can take: sorted categories and sponsors, stages in order."""
    projects = portfolio.projects
    present = set(projects["stage"].dropna())
    return {
        "category": sorted(projects["category"].dropna().unique().tolist()),
        "sponsor": sorted(projects["sponsor"].dropna().unique().tolist()),
        "stage": [s for s in STAGES if s in present],
    }


def _ratio(evm: pd.DataFrame, metric: str) -> pd.Series:
    return evm[metric].dropna() if metric in evm.columns else pd.Series(dtype=float)


def kpis(portfolio: Portfolio, as_of=None, evm: pd.DataFrame | None = None) -> dict:
    """The headline numbers of the overview, as plain Python values.

    Parameters
    ----------
    portfolio : Portfolio
    as_of : date-like, optional
        Reporting date: status updates after it are ignored.
    evm : pandas.DataFrame, optional
        A precomputed :func:`evm_table` (computed when omitted).

    Returns
    -------
    dict
        ``projects``, ``live``, ``budget``, ``live_budget``, ``red``, ``amber``,
        ``green``, ``unreported``, ``worst_cpi``, ``worst_cpi_project``,
        ``worst_spi``, ``worst_spi_project``, ``cpi_below_1``, ``spi_below_1``,
        ``evm_projects`` (live projects with a CPI). The CPI/SPI figures cover
        live projects only: a closed project's overrun is history, not health.
    """
    if evm is None:
        evm = evm_table(portfolio, as_of)
    live = live_projects(portfolio)
    evm = evm[evm["project_id"].isin(set(live["project_id"]))]
    rag = rag_counts(portfolio, as_of).set_index("rag")["projects"]
    out = {
        "projects": len(portfolio.projects),
        "live": len(live),
        "budget": float(portfolio.projects["budget"].sum()),
        "live_budget": float(live["budget"].sum()),
        **{k: int(rag[k]) for k in (*RAGS, UNREPORTED)},
    }
    for metric in ("cpi", "spi"):
        values = _ratio(evm, metric)
        out[f"{metric}_below_1"] = int((values < 1).sum())
        if values.empty:
            out[f"worst_{metric}"] = None
            out[f"worst_{metric}_project"] = None
        else:
            idx = values.idxmin()
            out[f"worst_{metric}"] = float(values[idx])
            out[f"worst_{metric}_project"] = str(evm.at[idx, "project_id"])
    out["evm_projects"] = int(len(_ratio(evm, "cpi")))
    return out


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


def narrative(portfolio: Portfolio, as_of=None, evm: pd.DataFrame | None = None) -> list[str]:
    """Sentences that state the overview's key numbers and where each comes from.

    Every sentence carries its number and its source (the table or analysis
    it was computed from) so a reader can check it.

    Examples
    --------
    ``"12 of 180 live projects (7%) reported red in their latest status update."``
    """
    if evm is None:
        evm = evm_table(portfolio, as_of)
    k = kpis(portfolio, as_of, evm)
    stages = stage_counts(portfolio)
    cats = budget_by_category(portfolio)
    sentences = []
    if k["projects"] == 0:
        return ["The portfolio holds no projects (projects table is empty)."]
    active = int(stages.loc[stages["stage"] == "active", "projects"].iloc[0])
    sentences.append(
        f"The portfolio holds {k['projects']} projects, of which {k['live']} are live "
        f"(approved, active or on hold) and {active} active (projects table)."
    )
    if len(cats):
        top = cats.iloc[0]
        sentences.append(
            f"{top['category']} has the largest budget: {money(top['budget'])} of "
            f"{money(k['budget'])} ({top['share']:.0%}) across {int(top['projects'])} "
            f"projects (projects.budget by category)."
        )
    if k["live"]:
        sentences.append(
            f"{k['red']} of {k['live']} live projects ({_pct(k['red'], k['live'])}) reported "
            f"red in their latest status update (status_updates)."
        )
        if k[UNREPORTED]:
            sentences.append(
                f"{k[UNREPORTED]} of {k['live']} live projects have no status update with a "
                f"RAG on or before the reporting date (status_updates)."
            )
    if k["evm_projects"]:
        sentences.append(
            f"{k['cpi_below_1']} of {k['evm_projects']} live projects with earned value "
            f"({_pct(k['cpi_below_1'], k['evm_projects'])}) are over cost (CPI < 1); the worst "
            f"is {k['worst_cpi_project']} at CPI {k['worst_cpi']:.2f} (earned value analysis)."
        )
    if k["worst_spi"] is not None:
        sentences.append(
            f"{k['spi_below_1']} live projects are behind schedule (SPI < 1); the worst is "
            f"{k['worst_spi_project']} at SPI {k['worst_spi']:.2f} (earned value analysis)."
        )
    return sentences


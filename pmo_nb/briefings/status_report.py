"""One project's status report: the facts and a narrative that states its numbers.

Pure: :func:`status_facts` takes a :class:`~pmo_nb.portfolio.Portfolio`, the
project, the reporting date and (optionally) a forecast table that a
forecasting run persisted (read by :mod:`pmo_nb.forecast.stored`; nothing is
sampled here), and gathers earned value, the forecast band, the top risks,
the benefits and the dependency knock-ons. :func:`narrative` turns them into
sentences, each a :class:`Sentence` that carries the number it states and
its source, both verbatim in the text, so a reader can check every claim.

No invented RAG: the RAG shown is the one reported in the latest status
update that has one. The report says explicitly when the forecast disagrees
with it (:func:`rag_disagreement`):

- reported **green** while the forecast gives more than :data:`PESSIMISTIC`
  (50%) chance of going over budget or of finishing late;
- reported **red** while the forecast gives less than :data:`OPTIMISTIC`
  (20%) chance of both.

Amber signals concern without a claim about the odds, so it never
"disagrees". Top risks are ranked by expected cost, probability x the PERT
mean of the cost if the risk occurs (exact, no sampling).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_nb.benefits.status import benefits_status
from pmo_nb.capacity.dependencies import knock_on
from pmo_nb.dates import latest_status, reporting_date
from pmo_nb.delivery.evm import earned_value
from pmo_nb.formatting import money, project_names
from pmo_nb.plans import PlanBrief, plan_brief
from pmo_nb.portfolio import Portfolio
from pmo_nb.risks.model import open_risks

#: Green disagrees with the forecast when P(over budget) or P(late) exceeds this.
PESSIMISTIC = 0.5
#: Red disagrees with the forecast when P(over budget) and P(late) are both below this.
OPTIMISTIC = 0.2
#: Phrase that opens every disagreement statement (tests and readers look for it).
DISAGREES = "disagrees with the forecast"
#: The statement made when the store holds no forecast (never a made-up band).
NO_FORECAST = "No forecast has been run yet"


@dataclass(frozen=True)
class Sentence:
    """One narrative sentence with the number it states and its source, both in ``text``."""

    text: str
    number: str
    source: str

    def __post_init__(self):
        if self.number not in self.text or self.source not in self.text:
            raise ValueError(f"sentence must contain its number and source: {self}")
        if not any(ch.isdigit() for ch in self.number):
            raise ValueError(f"a sentence's number must hold a digit: {self.number!r}")

    def __str__(self) -> str:
        return self.text


@dataclass
class StatusFacts:
    """Everything the status report shows about one project at ``as_of``.

    Attributes
    ----------
    project : pandas.Series
        The project's row (name, stage, sponsor, dates, budget, ...).
    evm : pandas.Series or None
        :func:`pmo_nb.delivery.evm.earned_value` row at the latest update (None: no
        update), against the current baseline (approved changes included).
    evm_original : pandas.Series or None
        The same against the original approved baseline, so a re-baseline never
        hides an overrun.
    rag, rag_date, commentary
        The latest reported RAG, the date of that update and its commentary.
    forecast : pandas.Series or None
        The project's row of the persisted forecast, if any.
    forecast_name : str or None
        The persisted forecast's name (its as-of date); None when none was run.
    risks : pandas.DataFrame
        The project's open risks, largest expected cost first.
    benefits : pandas.DataFrame
        :func:`pmo_nb.benefits.status.benefits_status` rows of the project's benefits.
    knock : pandas.DataFrame
        :func:`pmo_nb.capacity.dependencies.knock_on` rows of this project and of the
        projects it pushes (``attrs["slip_source"]`` kept).
    prerequisites, dependents : list of str
        Direct links in the dependencies table.
    disagreement : str or None
        How the forecast disagrees with the reported RAG, or None.
    plan : pmo_nb.plans.PlanBrief or None
        The plan's P80 finish and its top driving tasks; None: the project has no plan.
    names : dict
        project id -> name of the portfolio's projects, so a sentence about a
        prerequisite or a dependent names it beside its id.
    """

    project_id: str
    as_of: pd.Timestamp
    project: pd.Series
    evm: pd.Series | None
    rag: str | None
    rag_date: pd.Timestamp | None
    commentary: str | None
    forecast: pd.Series | None
    forecast_name: str | None
    forecast_projects: int
    risks: pd.DataFrame
    benefits: pd.DataFrame
    knock: pd.DataFrame
    prerequisites: list = field(default_factory=list)
    dependents: list = field(default_factory=list)
    disagreement: str | None = None
    plan: PlanBrief | None = None
    evm_original: pd.Series | None = None
    names: dict = field(default_factory=dict)


def choose_project(portfolio: Portfolio, project_id: str = "") -> str:
    """``project_id``, checked; empty means the first active project (by id).

    Raises
    ------
    ValueError
        Unknown project, or no id given and no active project.
    """
    projects = portfolio.projects
    pid = (project_id or "").strip()
    if pid:
        if pid not in set(projects["project_id"].astype("str")):
            raise ValueError(f"no project {pid!r} in the portfolio")
        return pid
    active = sorted(projects.loc[projects["stage"] == "active", "project_id"].astype("str"))
    if not active:
        raise ValueError("no project_id given and the portfolio has no active project")
    return active[0]


def rag_disagreement(rag: str | None, p_over_budget: float, p_late: float,
                     pessimistic: float = PESSIMISTIC, optimistic: float = OPTIMISTIC
                     ) -> str | None:
    """How a forecast's odds contradict a reported RAG, in words, or None.

    Green with ``max(P(over budget), P(late)) > pessimistic`` and red with
    both below ``optimistic`` disagree; amber and a missing RAG never do.
    """
    if rag is None or pd.isna(p_over_budget) or pd.isna(p_late):
        return None
    worst = max(p_over_budget, p_late)
    if rag == "green" and worst > pessimistic:
        what = ("going over budget" if p_over_budget >= p_late else "finishing late")
        return (f"reported green, but the forecast gives a {worst:.0%} chance of {what} "
                f"(more than {pessimistic:.0%})")
    if rag == "red" and worst < optimistic:
        return (f"reported red, but the forecast gives only {p_over_budget:.0%} chance of going "
                f"over budget and {p_late:.0%} of finishing late (both under {optimistic:.0%})")
    return None


def _latest_rag(portfolio: Portfolio, pid: str, as_of: pd.Timestamp):
    u = latest_status(portfolio, as_of, require="rag")
    u = u[u["project_id"] == pid]
    if u.empty:
        return None, None, None
    row = u.iloc[-1]
    text = row.get("commentary")
    return str(row["rag"]), pd.Timestamp(row["as_of"]), (None if pd.isna(text) else str(text))


def top_risks(portfolio: Portfolio, project_id: str, n: int | None = None) -> pd.DataFrame:
    """The project's open risks by expected cost (probability x PERT mean cost), then delay."""
    reg = open_risks(portfolio, None, mitigated=False)
    reg = reg[reg["bucket"] == project_id]
    cols = ["risk_id", "title", "category", "p", "mean_cost_if_occurs", "expected_cost",
            "mean_delay_if_occurs", "expected_delay"]
    reg = reg.sort_values(["expected_cost", "expected_delay", "risk_id"],
                          ascending=[False, False, True], kind="stable")[cols]
    reg = reg.reset_index(drop=True)
    return reg if n is None else reg.head(int(n))


def status_facts(portfolio: Portfolio, project_id: str = "", as_of=None, *,
                 forecast: pd.DataFrame | None = None, forecast_name: str | None = None,
                 n_risks: int | None = None) -> StatusFacts:
    """Gather one project's status at ``as_of`` from the data (and a persisted forecast).

    Parameters
    ----------
    portfolio : Portfolio
    project_id : str
        The project; empty means the first active one (:func:`choose_project`).
    as_of : date-like, optional
        Reporting date (default: the latest status update in the portfolio).
    forecast : pandas.DataFrame, optional
        A persisted forecast table (:func:`pmo_nb.forecast.stored.stored_forecast`);
        None means no forecast has been run and none is shown.
    forecast_name : str, optional
        Its name (the as-of date it was made for), quoted as the source.
    n_risks : int, optional
        Keep only the first ``n_risks`` risks (all open risks by default).
    """
    pid = choose_project(portfolio, project_id)
    as_of = reporting_date(portfolio, as_of)
    project = portfolio.projects.set_index("project_id").loc[pid]
    ev = earned_value(portfolio, as_of)
    rag, rag_date, commentary = _latest_rag(portfolio, pid, as_of)

    row = None
    n_fc = 0
    if forecast is not None:
        table = forecast.set_index("project_id") if "project_id" in forecast.columns else forecast
        n_fc = len(table)
        if pid in table.index:
            row = table.loc[pid]
    benefits = benefits_status(portfolio, as_of)
    benefits = benefits[benefits["project_id"] == pid]

    knock = knock_on(portfolio, as_of=as_of, forecast=forecast)
    involved = [pid in str(c).split(" -> ") for c in knock["chain"]]
    mine = knock[np.asarray(involved, dtype=bool)].reset_index(drop=True)
    mine.attrs = dict(knock.attrs)
    deps = portfolio.dependencies
    facts = StatusFacts(
        project_id=pid, as_of=as_of, project=project,
        evm=ev.loc[pid] if pid in ev.index else None,
        rag=rag, rag_date=rag_date, commentary=commentary,
        forecast=row, forecast_name=forecast_name if forecast is not None else None,
        forecast_projects=n_fc,
        risks=top_risks(portfolio, pid, n_risks), benefits=benefits, knock=mine,
        prerequisites=sorted(deps.loc[deps["project_id"] == pid, "depends_on"].astype("str")),
        dependents=sorted(deps.loc[deps["depends_on"] == pid, "project_id"].astype("str")),
        names=project_names(portfolio),
    )
    facts.plan = plan_brief(portfolio, pid, as_of)
    original = earned_value(portfolio, as_of, baseline="original")
    facts.evm_original = original.loc[pid] if pid in original.index else None
    if row is not None:
        facts.disagreement = rag_disagreement(rag, float(row["p_over_budget"]),
                                              float(row["p_late"]))
    return facts


def _evm_rows(e: pd.Series) -> dict:
    rows = {"Data date": f"{pd.Timestamp(e['data_date']):%Y-%m-%d}",
            "Percent complete": f"{e['percent_complete']:.0f}%"}
    rows |= {k.upper(): money(e[k]) for k in ("bac", "pv", "ev", "ac", "eac", "vac")
             if pd.notna(e[k])}
    rows |= {k.upper(): f"{e[k]:.2f}" for k in ("cpi", "spi", "tcpi", "spi_t")
             if pd.notna(e[k]) and np.isfinite(e[k])}
    return rows


def evm_table(facts: StatusFacts) -> pd.DataFrame:
    """Earned value against the current and the original baseline (figure, value, original).

    ``value`` is against the current baseline (approved changes included),
    ``original`` against the budget and finish the project was approved with.
    """
    if facts.evm is None:
        return pd.DataFrame(columns=["figure", "value", "original"])
    current = _evm_rows(facts.evm)
    original = {} if facts.evm_original is None else _evm_rows(facts.evm_original)
    return pd.DataFrame({"figure": list(current), "value": list(current.values()),
                         "original": [original.get(k, "") for k in current]})


def cost_band_data(facts: StatusFacts) -> pd.DataFrame:
    """Cost estimates to draw side by side: budget, EAC at today's CPI, the forecast band.

    Columns ``estimate``, ``low``, ``value``, ``high`` (low/high equal value
    for point estimates). The forecast row appears only with a forecast.
    """
    rows = [("Budget (BAC)", *(float(facts.project["budget"]),) * 3)]
    if facts.evm is not None and pd.notna(facts.evm["eac"]):
        rows.append(("EAC = BAC / CPI", *(float(facts.evm["eac"]),) * 3))
    if facts.forecast is not None:
        r = facts.forecast
        rows.append((f"Forecast P10-P90 ({facts.forecast_name})", float(r["cost_p10"]),
                     float(r["cost_p50"]), float(r["cost_p90"])))
    return pd.DataFrame(rows, columns=["estimate", "low", "value", "high"])

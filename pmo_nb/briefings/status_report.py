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
from pmo_nb.formatting import money
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
        :func:`pmo_nb.delivery.evm.earned_value` row at the latest update (None: no update).
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
    )
    if row is not None:
        facts.disagreement = rag_disagreement(rag, float(row["p_over_budget"]),
                                              float(row["p_late"]))
    return facts


def _day(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def _evm_sentences(f: StatusFacts) -> list[Sentence]:
    e = f.evm
    src = f"status update of {_day(e['data_date'])}"
    out = []
    if pd.notna(e["cpi"]):
        num = f"{e['cpi']:.2f}"
        out.append(Sentence(f"CPI is {num} (EV {money(e['ev'])} / AC {money(e['ac'])}, {src}).",
                            num, src))
        eac = f"{money(e['eac'])}"
        out.append(Sentence(
            f"At that CPI the estimate at completion is {eac} against a budget of "
            f"{money(e['bac'])}, a variance of {money(e['vac'])} (BAC / CPI, {src}).", eac, src))
    else:
        out.append(Sentence(f"CPI is not defined yet: actual cost is {money(e['ac'])} ({src}).",
                            money(e["ac"]), src))
    if pd.notna(e["spi"]):
        num = f"{e['spi']:.2f}"
        out.append(Sentence(f"SPI is {num} (EV {money(e['ev'])} / PV {money(e['pv'])}, {src}).",
                            num, src))
    if pd.notna(e["sv_t"]) and pd.notna(e["at"]) and e["at"] > 0:
        days = f"{abs(e['sv_t']):.0f} days"
        way = "behind" if e["sv_t"] < 0 else "ahead of"
        out.append(Sentence(
            f"Earned schedule is {e['es']:.0f} days against {e['at']:.0f} days elapsed: "
            f"{days} {way} plan (SV(t), {src}).", days, src))
    return out


def forecast_sentences(f: StatusFacts) -> list[Sentence]:
    if f.forecast_name is None:
        day = _day(f.as_of)
        return [Sentence(f"{NO_FORECAST} on or before {day} (no forecast table in the store), "
                         "so no forecast band is shown.", day, "no forecast table in the store")]
    src = f"Bayesian forecast of {f.forecast_name}"
    r = f.forecast
    if r is None:
        n = str(f.forecast_projects)
        return [Sentence(f"The forecast covers {n} active projects but not this one, so no "
                         f"forecast band is shown ({src}).", n, src)]
    budget = money(f.project["budget"])
    p10, p50, p90 = (money(r[f"cost_p{q}"]) for q in (10, 50, 90))
    out = [Sentence(f"The forecast puts the final cost between {p10} and {p90} (P10-P90, median "
                    f"{p50}) against a budget of {budget} ({src}).", p50, src)]
    over, late = f"{r['p_over_budget']:.0%}", f"{r['p_late']:.0%}"
    out.append(Sentence(
        f"The chance of going over budget is {over} and of finishing late {late}; median finish "
        f"{_day(r['finish_p50'])} against the planned {_day(f.project['finish_date'])} ({src}).",
        over, src))
    if f.disagreement:
        both = f"status update of {_day(f.rag_date)}; {src}"
        out.append(Sentence(f"The reported RAG {DISAGREES}: {f.disagreement} ({both}).",
                            f"{max(r['p_over_budget'], r['p_late']):.0%}", both))
    return out


def _risk_sentences(f: StatusFacts) -> list[Sentence]:
    src = "risk register"
    n = len(f.risks)
    if n == 0:
        return [Sentence("No open risk is recorded for this project (0 open risks in the risk "
                         "register).", "0", src)]
    total = money(f.risks["expected_cost"].sum())
    verb = "risks carry" if n > 1 else "risk carries"
    out = [Sentence(f"{n} open {verb} an expected cost of {total} "
                    f"(probability x PERT mean cost, {src}).", total, src)]
    top = f.risks.iloc[0]
    if top["expected_cost"] > 0:
        exp = money(top["expected_cost"])
        out.append(Sentence(
            f"The largest is {top['risk_id']} \"{top['title']}\": {top['p']:.0%} chance of "
            f"{money(top['mean_cost_if_occurs'])} if it occurs, expected {exp} ({src}).",
            exp, src))
    return out


_BENEFIT_WORDS = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track"}


def _benefit_sentences(f: StatusFacts, limit: int = 5) -> list[Sentence]:
    src = "benefits register"
    if f.benefits.empty:
        return [Sentence("No benefit is registered for this project (0 benefits in the benefits "
                         "register).", "0", src)]
    out = []
    for bid, b in f.benefits.head(limit).iterrows():
        label = f"Benefit {bid} \"{b['name']}\""
        if b["status"] in _BENEFIT_WORDS:
            real = f"{b['realised_share']:.0%}"
            s = f"measurement of {_day(b['measured_date'])}, {src}"
            out.append(Sentence(
                f"{label} is {_BENEFIT_WORDS[b['status']]}: {real} of the improvement realised "
                f"against {b['planned_share']:.0%} planned ({s}).", real, s))
        else:
            day = _day(b["realisation_start"])
            verb = "starts" if b["status"] == "not_started" else "started"
            out.append(Sentence(
                f"{label} has no measurement yet; realisation {verb} on {day} "
                f"({b['n_measurements']} measurements, {src}).", day, src))
    if len(f.benefits) > limit:
        n = str(len(f.benefits) - limit)
        out.append(Sentence(f"{n} more benefits are listed in the table ({src}).", n, src))
    return out


def _knock_sentences(f: StatusFacts) -> list[Sentence]:
    source = f.knock.attrs.get("slip_source", "status")
    slips = (f"slips from the Bayesian forecast of {f.forecast_name}" if source == "forecast"
             else "slips from status updates and dates")
    src = f"knock-on through dependencies, {slips}"
    n_pre, n_dep = len(f.prerequisites), len(f.dependents)
    if not n_pre and not n_dep:
        return [Sentence("It has 0 prerequisites and 0 dependents in the dependencies table.",
                         "0", "dependencies table")]
    out = []
    own = f.knock[f.knock["project_id"] == f.project_id]
    if len(own) and own.iloc[0]["start_shift_days"] > 0:
        r = own.iloc[0]
        days = f"{r['start_shift_days']:.0f} days"
        out.append(Sentence(f"Prerequisite {r['driver']} pushes this project's start by {days} "
                            f"(chain {r['chain']}; {src}).", days, src))
    pushed = f.knock[(f.knock["project_id"] != f.project_id)
                     & (f.knock["start_shift_days"] > 0)]
    slip = float(own.iloc[0]["finish_shift_days"]) if len(own) else 0.0
    if len(pushed):
        names = ", ".join(f"{r.project_id} by {r.start_shift_days:.0f} days"
                          for r in pushed.itertuples())
        days = f"{slip:.0f} days"
        out.append(Sentence(f"This project's finish moving {days} pushes {len(pushed)} "
                            f"dependent project(s): {names} ({src}).", days, src))
    elif n_dep:
        if len(own) and own.iloc[0]["slip_days"] > 0:
            days = f"{own.iloc[0]['slip_days']:.0f} days"
            out.append(Sentence(f"Its own finish is estimated {days} late ({src}).", days, src))
        n = str(n_dep)
        out.append(Sentence(f"None of its {n} dependent project(s) ({', '.join(f.dependents)}) "
                            f"is pushed ({src}).", n, src))
    if n_pre and not (len(own) and own.iloc[0]["start_shift_days"] > 0):
        n = str(n_pre)
        out.append(Sentence(f"None of its {n} prerequisite(s) ({', '.join(f.prerequisites)}) "
                            f"pushes its start ({src}).", n, src))
    return out


def narrative(facts: StatusFacts) -> list[Sentence]:
    """The report's narrative: every sentence states a number and its source.

    Order: reported status, earned value, forecast (or the plain statement
    that none has been run) with any disagreement with the RAG, risks,
    benefits, dependency knock-ons.
    """
    f = facts
    out = []
    if f.evm is None:
        day = _day(f.as_of)
        out.append(Sentence(f"No status update is recorded on or before {day} (status updates "
                            "table), so there is no reported RAG and no earned value.",
                            day, "status updates table"))
    else:
        src = f"status update of {_day(f.evm['data_date'])}"
        pc = f"{f.evm['percent_complete']:.0f}% complete"
        if f.rag is not None and f.rag_date == f.evm["data_date"]:
            out.append(Sentence(f"Reported RAG is {f.rag}, at {pc} ({src}).", pc, src))
        else:
            out.append(Sentence(f"The project is {pc} ({src}).", pc, src))
            if f.rag is not None:
                rsrc = f"status update of {_day(f.rag_date)}"
                out.append(Sentence(f"The latest reported RAG is {f.rag} ({rsrc}); the later "
                                    "update gives none.", _day(f.rag_date), rsrc))
            else:
                out.append(Sentence(f"No RAG has been reported up to {_day(f.as_of)} "
                                    "(status updates table).", _day(f.as_of),
                                    "status updates table"))
        out += _evm_sentences(f)
    out += forecast_sentences(f)
    out += _risk_sentences(f)
    out += _benefit_sentences(f)
    out += _knock_sentences(f)
    return out


def evm_table(facts: StatusFacts) -> pd.DataFrame:
    """The earned value figures as a two-column table (figure, value) for the report."""
    e = facts.evm
    if e is None:
        return pd.DataFrame(columns=["figure", "value"])
    rows = [("Data date", _day(e["data_date"])), ("Percent complete",
                                                   f"{e['percent_complete']:.0f}%")]
    rows += [(k.upper(), money(e[k])) for k in ("bac", "pv", "ev", "ac", "eac", "vac")
             if pd.notna(e[k])]
    rows += [(k.upper(), f"{e[k]:.2f}") for k in ("cpi", "spi", "tcpi", "spi_t")
             if pd.notna(e[k]) and np.isfinite(e[k])]
    return pd.DataFrame(rows, columns=["figure", "value"])


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

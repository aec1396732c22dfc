"""The status report's narrative: every sentence with its number and its source.

Each builder reads the :class:`~pmo_nb.briefings.status_report.StatusFacts`
of one project and says one thing in plain words, naming where it comes
from (the status update, the forecast, the registers, the plan). Sentences
are plain text; pages escape them where they meet markup.
"""

from __future__ import annotations

import pandas as pd

from pmo_nb.briefings.status_report import (
    DISAGREES,
    NO_FORECAST,
    Sentence,
    StatusFacts,
)
from pmo_nb.formatting import labelled, labelled_list, money


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
        out.append(Sentence(f"Prerequisite {labelled(r['driver'], f.names)} pushes this "
                            f"project's start by {days} "
                            f"(chain {r['chain']}; {src}).", days, src))
    pushed = f.knock[(f.knock["project_id"] != f.project_id)
                     & (f.knock["start_shift_days"] > 0)]
    slip = float(own.iloc[0]["finish_shift_days"]) if len(own) else 0.0
    if len(pushed):
        names = labelled_list(pushed["project_id"], f.names,
                              [f"by {d:.0f} days" for d in pushed["start_shift_days"]])
        days = f"{slip:.0f} days"
        out.append(Sentence(f"This project's finish moving {days} pushes {len(pushed)} "
                            f"dependent project(s): {names} ({src}).", days, src))
    elif n_dep:
        if len(own) and own.iloc[0]["slip_days"] > 0:
            days = f"{own.iloc[0]['slip_days']:.0f} days"
            out.append(Sentence(f"Its own finish is estimated {days} late ({src}).", days, src))
        n = str(n_dep)
        out.append(Sentence(f"None of its {n} dependent project(s) "
                            f"({labelled_list(f.dependents, f.names)}) "
                            f"is pushed ({src}).", n, src))
    if n_pre and not (len(own) and own.iloc[0]["start_shift_days"] > 0):
        n = str(n_pre)
        out.append(Sentence(f"None of its {n} prerequisite(s) "
                            f"({labelled_list(f.prerequisites, f.names)}) "
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
    out += plan_sentences(f)
    return out


def plan_sentences(f: StatusFacts) -> list[Sentence]:
    """The plan's P80 finish and its drivers, or that the project has no plan."""
    if f.plan is None:
        return [Sentence("No plan: 0 tasks are recorded for this project (tasks table), so no "
                         "bottom-up finish is shown.", "0 tasks", "tasks table")]
    return [Sentence(f.plan.sentence(), f"{f.plan.p80:%Y-%m-%d}", "schedule simulation")]

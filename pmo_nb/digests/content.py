"""What needs one person: the items of their digest, most important first.

Pure: :func:`build_digest` takes the portfolio, the alert log and the changes
as frames (the watch layer's ``Store.alert_log()`` and ``pmo_nb.watch.changes``;
``None`` when they are not available, which the digest then says) and returns a
:class:`Digest`. Nothing is read from the store here; the only file system
access is checking which report pages exist, so that a link never points to a
page that is not there.

What a person owns
------------------
The projects they sponsor or manage (``projects.sponsor`` / ``manager``), and
everything that names them as its owner (risks, benefits, decisions, alerts on
a per-owner metric). Names are compared as written, surrounding spaces aside.

The items and their order
-------------------------
First what asks the person to act, then what they should watch:

1. ``alert``: alerts still open on their projects, on them, or on a team month
   their projects ask capacity of; by severity (:data:`SEVERITIES`), newest first.
2. ``decision``: decisions they owe (:func:`pmo_nb.governance.decisions_owed`),
   most days late first.
3. ``forecast_vs_rag``, ``risk``, ``benefit_behind``, ranked together on the
   executive insights' money scale (money at stake x probability x
   (1 + strategic weight), :mod:`pmo_nb.briefings.insights`): projects they
   sponsor or manage whose forecast disagrees with their reported RAG
   (:func:`pmo_nb.briefings.rag_disagreement`; stake: the forecast's P90 cost
   over budget), their open risks (owned, or on their projects; stake: the
   PERT mean cost if it occurs), their benefits behind plan
   (:func:`pmo_nb.briefings.insights.benefits_behind`).

The changes since their last digest (:attr:`Digest.changes`) open the
message; they are the watch layer's rows about the person's projects, naming
them as owner, or about a team month their projects ask capacity of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pmo_nb.benefits.status import benefits_status
from pmo_nb.briefings.insights import (
    benefits_behind,
    evidence_link,
    project_page,
    strategic_weights,
)
from pmo_nb.briefings.status_report import rag_disagreement
from pmo_nb.dates import latest_status, reporting_date
from pmo_nb.formatting import labelled, money, project_names
from pmo_nb.governance.decisions import decisions_owed
from pmo_nb.portfolio import Portfolio
from pmo_nb.risks.model import open_risks
from pmo_nb.watch.rules import SEVERITIES as RULE_SEVERITIES

#: Alert severities, most severe first (those of :data:`pmo_nb.watch.rules.SEVERITIES`).
SEVERITIES = tuple(reversed(RULE_SEVERITIES))
#: Item kinds in the order of their section (the last three share one ranking).
KINDS = ("alert", "decision", "forecast_vs_rag", "risk", "benefit_behind")
#: Columns of :attr:`Digest.items`.
ITEM_COLUMNS = ["rank", "kind", "subject", "project_id", "text", "link", "importance"]
#: Report page of the decisions owed (governance notebook heading).
DECISIONS_PAGE = "governance.html#Decisions-owed"


@dataclass
class Digest:
    """One person's digest.

    Attributes
    ----------
    person, email : str
        Who it is for (``email`` None when the people table gives none).
    as_of : pandas.Timestamp
        The reporting date.
    items : pandas.DataFrame
        :data:`ITEM_COLUMNS`, every item, most important first. ``link`` is
        relative to the reports folder (``2026-06-29/benefits.html#...``),
        None when the page it would point to is not published.
    changes : pandas.DataFrame or None
        The person's changes since ``since`` (the watch layer's columns), or
        None when changes are not available.
    since : pandas.Timestamp or None
        Their last digest (None: never sent one).
    run : str or None
        The report run folder the links point into (None: none published).
    unavailable : list of str
        What could not be looked at, and why.
    """

    person: str
    email: str | None
    as_of: pd.Timestamp
    items: pd.DataFrame
    changes: pd.DataFrame | None = None
    since: pd.Timestamp | None = None
    run: str | None = None
    unavailable: list = field(default_factory=list)


def latest_run(reports_dir, as_of) -> str | None:
    """The newest report run folder (``YYYY-MM-DD``) dated on or before ``as_of``."""
    if reports_dir is None or not Path(reports_dir).is_dir():
        return None
    cut = pd.Timestamp(as_of).strftime("%Y-%m-%d")
    runs = sorted(p.name for p in Path(reports_dir).iterdir()
                  if p.is_dir() and _is_day(p.name) and p.name <= cut)
    return runs[-1] if runs else None


def _is_day(name: str) -> bool:
    try:
        return len(name) == 10 and pd.Timestamp(name).strftime("%Y-%m-%d") == name
    except ValueError:
        return False


def _name(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def owned_projects(portfolio: Portfolio, person: str) -> list[str]:
    """The projects ``person`` sponsors or manages, in project order."""
    p = portfolio.projects
    mine = (p["sponsor"].map(_name) == person) | (p["manager"].map(_name) == person)
    return p.loc[mine, "project_id"].astype("str").tolist()


def open_alerts(alerts: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The alerts raised for a date on or before ``as_of`` and not cleared by then."""
    raised = pd.to_datetime(alerts["raised_as_of"])
    cleared = pd.to_datetime(alerts["cleared_as_of"])
    return alerts[(raised <= as_of) & (cleared.isna() | (cleared > as_of))]


@dataclass
class Facts:
    """What every digest of one date reads, computed once for all people (:func:`digest_facts`).

    The portfolio-wide tables, so a run over many people filters them per
    person instead of recomputing the analyses each time.
    """

    as_of: pd.Timestamp
    labels: pd.Series      # project_id -> "P001 Name"
    weights: pd.Series     # project_id -> strategic weight
    owed: pd.DataFrame     # decisions_owed
    risks: pd.DataFrame    # open risks with expected cost > 0, and their owner
    benefits: pd.DataFrame  # benefits_behind, indexed by benefit_id
    disagree: pd.DataFrame  # projects whose forecast disagrees with their RAG
    forecast_available: bool
    active: set


def digest_facts(portfolio: Portfolio, as_of=None, *, forecast: pd.DataFrame | None = None,
                 forecast_name: str | None = None) -> Facts:
    """The facts of :func:`build_digest` for every person at ``as_of`` (blank: the data date)."""
    as_of = reporting_date(portfolio, as_of)
    projects = portfolio.projects
    names = project_names(portfolio)
    labels = pd.Series([labelled(p, names) for p in names], index=list(names), dtype=object)
    weights = strategic_weights(portfolio)
    reg = open_risks(portfolio, None, mitigated=False)
    owner = portfolio.risks.set_index("risk_id")["owner"].map(_name)
    reg = reg[reg["expected_cost"] > 0].assign(owner=lambda r: r["risk_id"].map(owner))
    reg = reg.assign(importance=reg["expected_cost"]
                     * (1 + reg["bucket"].map(weights).fillna(0.0)))
    behind = benefits_behind(portfolio, benefits_status(portfolio, as_of))
    behind = behind.assign(owner=behind["owner"].map(_name), importance=(
        behind["stake"] * behind["prob"] * (1 + behind["project_id"].map(weights).fillna(0.0))))
    rows = []
    available = forecast is not None and len(forecast) > 0
    if available:
        f = forecast.set_index("project_id") if "project_id" in forecast.columns else forecast
        latest = latest_status(portfolio, as_of, require="rag").set_index("project_id")["rag"]
        for pid in sorted(set(latest.index) & set(f.index.astype("str"))):
            po, pl = f.at[pid, "p_over_budget"], f.at[pid, "p_late"]
            words = rag_disagreement(latest[pid], po, pl)
            if words is None:
                continue
            stake = max(float(f.at[pid, "cost_p90"] - f.at[pid, "budget"]), 0.0)
            rows.append({"project_id": pid, "words": f"{words} (forecast of {forecast_name})",
                         "importance": stake * float(max(po, pl))
                         * (1 + weights.get(pid, 0.0))})
    return Facts(as_of=as_of, labels=labels, weights=weights, owed=decisions_owed(portfolio, as_of),
                 risks=reg, benefits=behind, forecast_available=available,
                 disagree=pd.DataFrame(rows, columns=["project_id", "words", "importance"]),
                 active=set(projects.loc[projects["stage"] == "active", "project_id"]))


def _team_months(portfolio: Portfolio, projects: set) -> set:
    """``TEAM:YYYY-MM`` subjects the person's projects ask capacity of."""
    mine = portfolio.demand[portfolio.demand["project_id"].isin(projects)]
    return {f"{t}:{m}" for t, m in zip(mine["team_id"], mine["month"], strict=True)}


def _alerts(alerts: pd.DataFrame, person: str, projects: set, asked: set,
            as_of: pd.Timestamp) -> list:
    rows = []
    for a in open_alerts(alerts, as_of).itertuples(index=False):
        subject = str(a.subject)
        if subject in projects:
            pid, link = subject, project_page(subject)
        elif subject == person:
            pid, link = None, None
        elif subject in asked:
            pid, link = None, evidence_link("capacity")
        else:
            continue
        severity = str(a.severity).strip().lower()
        raised = pd.Timestamp(a.raised_as_of)
        rows.append({"kind": "alert", "subject": subject, "project_id": pid, "link": link,
                     "text": f"[{severity}] {a.message} (alert {a.rule}, raised "
                             f"{raised:%Y-%m-%d})",
                     "_order": (SEVERITIES.index(severity) if severity in SEVERITIES
                                else len(SEVERITIES), -raised.value)})
    return rows


def _decisions(facts: Facts, person: str) -> list:
    owed = facts.owed[facts.owed["owner"].map(_name) == person]
    return [{"kind": "decision", "subject": d.decision_id,
             "project_id": d.project_id if isinstance(d.project_id, str) else None,
             "link": DECISIONS_PAGE, "_order": (-d.days_late, d.decision_id),
             "text": f"Decision {d.decision_id} \"{d.title}\""
                     + (f" for {d.forum}" if isinstance(d.forum, str) and d.forum else "")
                     + f" is {d.days_late} days late (due {d.due_date:%Y-%m-%d})"}
            for d in owed.itertuples()]


def _watch(facts: Facts, person: str, projects: set) -> list:
    """Forecast against RAG, risks and benefits of the person, on one money scale."""
    label = facts.labels
    d = facts.disagree[facts.disagree["project_id"].isin(projects)]
    rows = [{"kind": "forecast_vs_rag", "subject": r.project_id, "project_id": r.project_id,
             "link": evidence_link("forecast", r.project_id), "importance": r.importance,
             "text": f"Project {label.get(r.project_id, r.project_id)} is {r.words}"}
            for r in d.itertuples()]
    reg = facts.risks[(facts.risks["owner"] == person) | facts.risks["bucket"].isin(projects)]
    rows += [{"kind": "risk", "subject": r.risk_id, "project_id": r.bucket,
              "link": evidence_link("risks", r.bucket) if r.bucket in facts.active else None,
              "text": f"Risk {r.risk_id} \"{r.title}\" on {label.get(r.bucket, r.bucket)}: "
                      f"{r.p:.0%} chance of {money(r.mean_cost_if_occurs)}, expected "
                      f"{money(r.expected_cost)}", "importance": r.importance}
             for r in reg.itertuples()]
    b = facts.benefits
    b = b[(b["owner"] == person) | b["project_id"].isin(projects)]
    rows += [{"kind": "benefit_behind", "subject": bid, "project_id": r["project_id"],
              "link": evidence_link("benefits"), "importance": r["importance"],
              "text": f"Benefit \"{r['name']}\" ({bid}, project "
                      f"{label.get(r['project_id'], r['project_id'])}) is {r['behind']:.0%} "
                      f"behind plan: {r['realised_share']:.0%} realised against "
                      f"{r['planned_share']:.0%} planned"}
             for bid, r in b.iterrows()]
    return sorted(rows, key=lambda r: (-r["importance"], KINDS.index(r["kind"]),
                                       str(r["subject"])))


def _changes(changes: pd.DataFrame, person: str, projects: set, asked: set) -> pd.DataFrame:
    mine = (changes["project_id"].isin(projects) | (changes["owner"].map(_name) == person)
            | changes["subject"].isin(asked))
    return changes[mine].reset_index(drop=True)


def build_digest(portfolio: Portfolio, person: str, *, alerts: pd.DataFrame | None,
                 changes: pd.DataFrame | None, as_of=None, forecast: pd.DataFrame | None = None,
                 forecast_name: str | None = None, reports_dir=None,
                 since: pd.Timestamp | None = None, facts: Facts | None = None) -> Digest:
    """Every item that needs ``person`` at ``as_of``, most important first (module docstring).

    Parameters
    ----------
    portfolio : Portfolio
    person : str
        A name of the ``people`` table (its e-mail is taken from there).
    alerts : pandas.DataFrame or None
        The alert log (``Store.alert_log()``; only those open at ``as_of``
        count, :func:`open_alerts`), or None when alerts are not available.
    changes : pandas.DataFrame or None
        ``pmo_nb.watch.changes(store, since, as_of)``, or None when not available.
    as_of : date-like, optional
        Reporting date (blank: the portfolio's data date).
    forecast, forecast_name : optional
        The persisted forecast table on or before ``as_of`` and its name;
        without one the forecast-against-RAG items are left out, and said so.
    reports_dir : path, optional
        The published reports folder; links point into its newest run folder
        on or before ``as_of``, and only to pages that exist there.
    since : pandas.Timestamp, optional
        The person's last digest, quoted with the changes.
    facts : Facts, optional
        :func:`digest_facts` of the same portfolio, date and forecast, when
        building many digests (it then replaces ``as_of`` and ``forecast``).
    """
    if facts is None:
        facts = digest_facts(portfolio, as_of, forecast=forecast, forecast_name=forecast_name)
    as_of = facts.as_of
    person = _name(person)
    people = portfolio.people.assign(_n=portfolio.people["name"].map(_name))
    found = people.loc[people["_n"] == person, "email"]
    email = found.iloc[0] if len(found) and isinstance(found.iloc[0], str) else None
    projects = set(owned_projects(portfolio, person))
    asked = _team_months(portfolio, projects)
    unavailable = []
    rows = []
    if alerts is None:
        unavailable.append("alerts: not available")
    else:
        rows += _alerts(alerts, person, projects, asked, as_of)
    rows += _decisions(facts, person)
    rows.sort(key=lambda r: (KINDS.index(r["kind"]), r["_order"]))
    if not facts.forecast_available:
        unavailable.append(f"forecast against RAG: no forecast persisted on or before "
                           f"{as_of:%Y-%m-%d}")
    items = pd.DataFrame(rows + _watch(facts, person, projects), columns=ITEM_COLUMNS[1:])
    run = latest_run(reports_dir, as_of)
    items["link"] = [_published(reports_dir, run, link) for link in items["link"]]
    items.insert(0, "rank", range(1, len(items) + 1))
    if changes is None:
        unavailable.append("changes: not available")
    mine = None if changes is None else _changes(changes, person, projects, asked)
    return Digest(person=person, email=email, as_of=as_of, items=items, changes=mine,
                  since=since, run=run, unavailable=unavailable)


def _published(reports_dir, run, link) -> str | None:
    """``run/link`` when that page exists in ``reports_dir`` (anchor aside), else None."""
    if run is None or not isinstance(link, str):
        return None
    page = link.split("#")[0]
    return f"{run}/{link}" if (Path(reports_dir) / run / page).is_file() else None

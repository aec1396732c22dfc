"""The comparisons behind :func:`pmo_nb.watch.changes`: one function per kind of change.

Each takes the two :class:`~pmo_nb.watch.points.Point` and returns row dicts
(``kind``, ``project_id``, ``subject``, ``owner``, ``before``, ``after``,
``delta``, ``sentence``), or ``None`` when the fact is not available at
either point (then the kind is listed in ``attrs["not_available"]``).
Sentences are plain text with their numbers; pages escape them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.benefits.status import benefits_status
from pmo_nb.capacity.demand import capacity
from pmo_nb.dates import latest_status
from pmo_nb.delivery.changes import approved_impacts, current_baseline
from pmo_nb.formatting import labelled, money
from pmo_nb.governance.decisions import NO_OWNER, decisions_owed
from pmo_nb.watch.points import Point

#: Stages after which a project is closed.
CLOSED_STAGES = ("completed", "cancelled")


def _text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _day(value) -> str:
    return "n/a" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%"


class People:
    """Who owns a project's things: its manager, else its sponsor (both points' tables)."""

    def __init__(self, before: Point, after: Point):
        frames = [after.portfolio.projects, before.portfolio.projects]
        projects = pd.concat(frames).drop_duplicates("project_id").set_index("project_id")
        # dicts: looked up once or twice per change, 20,000 times on a large portfolio
        self.names = projects["name"].to_dict()
        self.owner = projects["manager"].map(_text).fillna(
            projects["sponsor"].map(_text)).to_dict()

    def project(self, project_id) -> str | None:
        return _text(self.owner.get(project_id)) if _text(project_id) else None

    def name(self, project_id) -> str:
        pid = _text(project_id)
        if pid is None:
            return "the portfolio"
        return labelled(pid, self.names)

    def of(self, owner, project_id) -> str | None:
        """``owner`` when given, else the project's owner (so a digest can route it)."""
        found = _text(owner)
        return found if found and found != NO_OWNER else self.project(project_id)


def _row(kind, project_id, subject, owner, before, after, delta, sentence) -> dict:
    return {"kind": kind, "project_id": _text(project_id), "subject": str(subject),
            "owner": owner, "before": before, "after": after,
            "delta": np.nan if delta is None else float(delta), "sentence": sentence}


def forecasts(before: Point, after: Point, people: People, points: float
              ) -> dict[str, list[dict] | None]:
    """P(over budget) and P(late) that moved by more than ``points`` percentage points."""
    if not (before.forecast.available and after.forecast.available):
        return {"forecast_budget": None, "forecast_time": None}
    out = {}
    for kind, column, words in (("forecast_budget", "p_over_budget", "P(over budget)"),
                                ("forecast_time", "p_late", "P(late)")):
        a, b = before.forecast.table, after.forecast.table
        if column not in a.columns or column not in b.columns:
            out[kind] = None
            continue
        both = pd.concat([a[column].rename("was"), b[column].rename("now")], axis=1,
                         join="inner").dropna()
        moved = both[(both["now"] - both["was"]).abs() * 100 > points]
        rows = []
        moved = moved.sort_index()
        for pid, was, now in zip(moved.index, moved["was"], moved["now"], strict=True):
            delta = 100 * (now - was)
            way = "rose" if delta > 0 else "fell"
            rows.append(_row(kind, pid, pid, people.project(pid), 100 * was, 100 * now,
                             delta, f"{words} of {people.name(pid)} {way} from {_pct(was)} "
                             f"to {_pct(now)} ({delta:+.0f} points)."))
        out[kind] = rows
    return out


def rag(before: Point, after: Point, people: People) -> list[dict] | None:
    """Projects whose latest reported RAG changed."""
    a = latest_status(before.portfolio, require="rag").set_index("project_id")
    b = latest_status(after.portfolio, require="rag").set_index("project_id")
    if a.empty and b.empty:
        return None
    both = a[["rag", "as_of"]].join(b[["rag", "as_of"]], how="inner", suffixes=("_was", ""))
    rows = []
    moved = both[both["rag_was"] != both["rag"]].sort_index()
    for pid, r in zip(moved.index, moved.itertuples(index=False), strict=True):
        rows.append(_row("rag", pid, pid, people.project(pid), r.rag_was, r.rag, None,
                         f"RAG of {people.name(pid)} went from {r.rag_was} to {r.rag} "
                         f"(status updates of {_day(r.as_of_was)} and {_day(r.as_of)})."))
    return rows


def _moved(was: pd.Series, now: pd.Series) -> pd.Series:
    """Where a value changed (blank to blank is no change)."""
    return (was != now) & ~(was.isna() & now.isna())


def _baseline(point: Point) -> pd.DataFrame:
    """The columns of :func:`pmo_nb.governance.baselines.baseline` that :func:`rebaselined`
    reads (the current budget and finish, the approved changes), without the pending ones."""
    impacts = approved_impacts(point.portfolio, point.as_of)
    current = current_baseline(point.portfolio, point.as_of)
    return current.assign(approved_changes=impacts["approved_changes"]).sort_index()


def rebaselined(before: Point, after: Point, people: People) -> dict[str, list[dict]]:
    """Budgets and finishes re-baselined: the governance baseline (approved changes
    included) where change requests exist, which is the projects table's otherwise."""
    a, b = _baseline(before), _baseline(after)
    both = a.join(b, how="inner", suffixes=("_was", ""))
    budget, finish = [], []
    money_moved = _moved(both["budget_current_was"], both["budget_current"])
    for pid, r in both[money_moved].iterrows():
        was, now = r["budget_current_was"], r["budget_current"]
        delta = now - was
        sign = "+" if delta >= 0 else "-"
        budget.append(_row("rebaselined_budget", pid, pid, people.project(pid), was, now,
                           delta, f"Budget of {people.name(pid)} re-baselined from "
                           f"{money(was)} to {money(now)} ({sign}{money(abs(delta))}; "
                           f"{_why(r)})."))
    for pid, r in both[_moved(both["finish_current_was"], both["finish_current"])].iterrows():
        was, now = r["finish_current_was"], r["finish_current"]
        days = (now - was) / pd.Timedelta(days=1) if pd.notna(was) and pd.notna(now) else None
        said = "" if days is None else f" ({days:+.0f} days; {_why(r)})"
        finish.append(_row("rebaselined_finish", pid, pid, people.project(pid), _day(was),
                           _day(now), days, f"Finish of {people.name(pid)} re-baselined "
                           f"from {_day(was)} to {_day(now)}{said}."))
    return {"rebaselined_budget": budget, "rebaselined_finish": finish}


def _why(r) -> str:
    return ("approved change requests" if r["approved_changes"] != r["approved_changes_was"]
            else "projects table")


def _risk_words(r) -> str:
    cost = r["probability"] * r["cost_likely"] if pd.notna(r["cost_likely"]) else np.nan
    said = f"probability {_pct(r['probability'])}"
    return said + (f", expected cost {money(cost)}" if pd.notna(cost) else "")


def risks(before: Point, after: Point, people: People) -> dict[str, list[dict] | None]:
    """New, closed and escalated risks (probability up, or the risk occurred)."""
    a = before.portfolio.risks.set_index("risk_id")
    b = after.portfolio.risks.set_index("risk_id")
    if a.empty and b.empty:
        return dict.fromkeys(("risk_new", "risk_closed", "risk_escalated"))
    new, closed, escalated = [], [], []
    status_a, status_b = a["status"].fillna("open"), b["status"].fillna("open")
    for rid, r in b[~b.index.isin(a.index) & (status_b != "closed")].iterrows():
        new.append(_row("risk_new", _text(r["project_id"]), rid,
                        people.of(r["owner"], r["project_id"]), None, status_b[rid], None,
                        f"New risk {rid} '{r['title']}' on {people.name(r['project_id'])}: "
                        f"{_risk_words(r)}."))
    gone = a[~a.index.isin(b.index) & (status_a != "closed")]
    kept = a.index.intersection(b.index)
    was_s, now_s = status_a[kept], status_b[kept]
    up = (now_s == "open") & (b.loc[kept, "probability"] > a.loc[kept, "probability"])
    for rid, was in a.loc[gone.index.union(kept[((was_s != "closed") & (now_s == "closed"))
                                                | ((was_s == "open") & (now_s == "occurred"))
                                                | up])].iterrows():
        r = b.loc[rid] if rid in b.index else was
        pid, owner = _text(r["project_id"]), people.of(r["owner"], r["project_id"])
        head = f"Risk {rid} '{r['title']}' on {people.name(pid)}"
        if rid not in b.index:
            closed.append(_row("risk_closed", pid, rid, owner, status_a[rid], None, None,
                               f"{head} was removed from the register "
                               f"(was {status_a[rid]}, {_risk_words(was)})."))
        elif status_b[rid] == "closed":
            closed.append(_row("risk_closed", pid, rid, owner, status_a[rid], "closed", None,
                               f"{head} closed (was {status_a[rid]}, {_risk_words(was)})."))
        elif status_b[rid] == "occurred":
            escalated.append(_row("risk_escalated", pid, rid, owner, "open", "occurred", None,
                                  f"{head} occurred (was open, {_risk_words(was)})."))
        else:
            delta = 100 * (r["probability"] - was["probability"])
            escalated.append(_row(
                "risk_escalated", pid, rid, owner, 100 * was["probability"],
                100 * r["probability"], delta, f"{head}: probability rose from "
                f"{_pct(was['probability'])} to {_pct(r['probability'])} ({delta:+.0f} points)."))
    return {"risk_new": new, "risk_closed": closed, "risk_escalated": escalated}


def benefits(before: Point, after: Point, people: People) -> list[dict] | None:
    """Benefits whose status became ``off_track``."""
    if before.portfolio.benefits.empty and after.portfolio.benefits.empty:
        return None
    a = benefits_status(before.portfolio, before.as_of, forecasts=False)
    b = benefits_status(after.portfolio, after.as_of, forecasts=False)
    was = a["status"].reindex(b.index)
    rows = []
    for bid, r in b[(b["status"] == "off_track") & (was != "off_track")].sort_index().iterrows():
        then = was[bid] if pd.notna(was[bid]) else "not in the register"
        rows.append(_row(
            "benefit_off_track", r["project_id"], bid, people.of(r["owner"], r["project_id"]),
            then, "off_track", None,
            f"Benefit {bid} '{r['name']}' of {people.name(r['project_id'])} slipped from "
            f"{then} to off_track: {_pct(r['realised_share'])} realised against "
            f"{_pct(r['planned_share'])} planned by {_day(after.as_of)}."))
    return rows


def decisions(before: Point, after: Point, people: People) -> list[dict] | None:
    """Decisions overdue at the later point that were not overdue at the earlier one."""
    if before.portfolio.decisions.empty and after.portfolio.decisions.empty:
        return None
    a = set(decisions_owed(before.portfolio, before.as_of)["decision_id"])
    b = decisions_owed(after.portfolio, after.as_of)
    rows = []
    for r in b[~b["decision_id"].isin(a)].sort_values("decision_id").itertuples(index=False):
        rows.append(_row(
            "decision_overdue", r.project_id, r.decision_id, people.of(r.owner, r.project_id),
            None, int(r.days_late), r.days_late,
            f"Decision {r.decision_id} '{r.title}' ({r.forum}) became overdue: due "
            f"{_day(r.due_date)}, {r.days_late} days late on {_day(after.as_of)}."))
    return rows


def _capacity(point: Point) -> pd.DataFrame:
    cap = capacity(point.portfolio)
    return cap.assign(subject=cap["team_id"] + ":" + cap["month"]).set_index("subject")


def capacity_over(before: Point, after: Point) -> list[dict] | None:
    """Team-months whose demand went over 100% of capacity."""
    if all(p.portfolio.demand.empty or p.portfolio.teams.empty for p in (before, after)):
        return None
    a, b = _capacity(before), _capacity(after)
    names = after.portfolio.teams.set_index("team_id")["name"]
    was = a["over"].reindex(b.index).fillna(0.0)
    hot = b[(b["over"] > 0) & (was <= 0)]
    rows = []
    for subject, r in hot.sort_index().iterrows():
        then = a["utilisation"].get(subject, np.nan)
        team = f"{r['team_id']} {_text(names.get(r['team_id'])) or ''}".strip()
        said = "" if pd.isna(then) else f", was {_pct(then)}"
        rows.append(_row(
            "capacity_over", None, subject, None, None if pd.isna(then) else 100 * then,
            100 * r["utilisation"], None if pd.isna(then) else 100 * (r["utilisation"] - then),
            f"Team {team} is over capacity in {r['month']}: demand {r['demand']:.1f} FTE against "
            f"{r['capacity']:.1f} FTE ({_pct(r['utilisation'])}{said})."))
    return rows


def projects(before: Point, after: Point, people: People) -> dict[str, list[dict]]:
    """Projects new in the register, and those that closed (completed, cancelled, removed)."""
    a = before.portfolio.projects.set_index("project_id")
    b = after.portfolio.projects.set_index("project_id")
    new, closed = [], []
    for pid, r in b[~b.index.isin(a.index)].sort_index().iterrows():
        new.append(_row("project_new", pid, pid, people.project(pid), None, r["stage"], None,
                        f"New project {people.name(pid)} ({r['stage']}, budget "
                        f"{money(r['budget'])}, finish {_day(r['finish_date'])})."))
    live = a[~a["stage"].isin(CLOSED_STAGES)]
    now = b["stage"].reindex(live.index)
    for pid, r in live[now.isna() | now.isin(CLOSED_STAGES)].sort_index().iterrows():
        if pid not in b.index:
            closed.append(_row("project_closed", pid, pid, people.project(pid), r["stage"], None,
                               None, f"Project {people.name(pid)} was removed from the register "
                               f"(was {r['stage']})."))
        else:
            closed.append(_row("project_closed", pid, pid, people.project(pid), r["stage"],
                               b.at[pid, "stage"], None, f"Project {people.name(pid)} "
                               f"became {b.at[pid, 'stage']} (was {r['stage']})."))
    return {"project_new": new, "project_closed": closed}

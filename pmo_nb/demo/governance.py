"""Scope, change requests, decisions and people of the demo portfolio.

Helpers of :mod:`pmo_nb.demo.generator`, like :mod:`pmo_nb.demo.registers`
(``p`` is the same dict of per-project arrays, day numbers included).

- :func:`scope_and_changes`: requirements and change requests. Scope grows
  on the projects that later overrun (``p["actual_days"]`` against
  ``p["planned_days"]``, the hidden truth), through approved change requests
  and informally; some baseline items are removed. Change requests take
  every status and carry cost, schedule and scope impacts (some a benefit's).
- :func:`decisions`: gate decisions for the stage changes of recent
  projects (with ``stage_to``), the open gates of proposals and approved
  projects (some overdue) and the decisions of the quarterly reviews.
- :func:`people`: every sponsor, manager and owner named anywhere, with an
  address at example.org and a digest cadence.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pmo_nb.demo.history import days_to_dates
from pmo_nb.demo.registers import ids

#: Share of projects of each stage that keep a requirements list.
SCOPE_SHARE = {"approved": 0.9, "active": 0.9, "on_hold": 0.9, "cancelled": 0.6,
               "completed": 0.4}
CHANGE_STATUS_SHARE = {"approved": 0.55, "rejected": 0.15, "withdrawn": 0.1, "proposed": 0.2}
REASONS = {
    "scope": ("Regulator asked for an additional report", "Users asked for the feature in UAT",
              "Second business unit joins the rollout", "Integration with the new CRM"),
    "descope": ("Feature moved to the next release", "Low take-up expected: dropped"),
    "cost": ("Supplier day rates increased", "Extra licences needed",
             "Cheaper hosting option found"),
    "schedule": ("Key supplier delivered late", "Test environment unavailable for a month",
                 "Change freeze over year end"),
}
TITLES = {"scope": "Add", "descope": "Descope", "cost": "Re-estimate cost of",
          "schedule": "Move the finish of"}
#: Informal scope growth (items per baseline item) per unit of overrun: with the approved
#: scope changes, completed projects' growth has a median near 15% and a tail past 60%.
GROWTH_PER_OVERRUN = 0.6
SIZES = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 13.0])
FEATURES = ("Single sign-on", "Reporting dashboard", "Data export", "Audit trail",
            "Mobile view", "Customer notifications", "Bulk upload", "Role-based access",
            "Search", "Archive and retention", "Payment step", "Self-service portal",
            "API for partners", "Translation", "Accessibility fixes", "Management report")


def _window(p: dict, i: int, as_of_day: int) -> tuple[int, int]:
    """The days within which project ``i``'s scope and changes moved (none after as_of)."""
    end = p["actual_finish"][i] if p["completed"][i] else (
        p["history_end"][i] if p["history_end"][i] >= 0 else as_of_day)
    lo = min(int(p["start"][i]), as_of_day - 30)
    return lo, max(lo + 1, min(int(end), as_of_day))


def _progress(stage: str, frac: float, n: int, rng) -> np.ndarray:
    """Statuses of ``n`` scope items in delivery order."""
    if stage == "completed":
        return np.full(n, "done", dtype=object)
    if stage == "approved":
        return np.full(n, "baselined", dtype=object)
    done = int(round(frac * n))
    out = np.full(n, "baselined", dtype=object)
    out[:done] = "done"
    out[done:done + 2] = "in_progress"
    return out


def scope_and_changes(rng: np.random.Generator, p: dict, as_of_day: int,
                      benefits: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(requirements, change_requests)`` (see the module docstring)."""
    share = np.array([SCOPE_SHARE.get(s, 0.0) for s in p["stage"]])
    chosen = np.flatnonzero(rng.random(len(share)) < share)
    benefit_of = benefits.groupby("project_id")["benefit_id"].first().to_dict() if len(
        benefits) else {}
    gain = (benefits.set_index("benefit_id")["target"] - benefits.set_index("benefit_id")[
        "baseline"]).to_dict() if len(benefits) else {}
    reqs, crs = [], []
    for i in chosen.tolist():
        pid, stage = p["project_id"][i], p["stage"][i]
        lo, hi = _window(p, i, as_of_day)
        # the hidden truth: how far the project overran, in time and money together
        over = max(0.0, 0.5 * (p["actual_days"][i] / p["planned_days"][i]
                               + p["true_cost"][i] / p["budget"][i]) - 1.0)
        frac = min(1.0, max(0.0, (as_of_day - p["start"][i]) / max(p["actual_days"][i], 1)))
        k = int(np.clip(6 + rng.poisson(0.5 * p["planned_months"][i]), 6, 30))
        added = int(min(p["start"][i], as_of_day)) - int(rng.integers(0, 30))
        size = SIZES[rng.integers(0, len(SIZES), k)]
        priority = rng.choice(["must", "should", "could", "wont"], k, p=[0.45, 0.3, 0.2, 0.05])
        base = [dict(project_id=pid, size=s, priority=pr, baseline=True, added=added)
                for s, pr in zip(size.tolist(), priority.tolist(), strict=True)]
        for item, status in zip(base, _progress(stage, frac, k, rng), strict=True):
            item["status"] = status
        # change requests: more on the projects that overrun
        n_cr = int(rng.poisson(0.8 + 4.0 * over))
        growth = int(rng.poisson(k * over * GROWTH_PER_OVERRUN + 0.3))
        grown = []
        for _ in range(n_cr):
            raised = int(rng.integers(lo, hi))
            kind = rng.choice(["scope", "descope", "cost", "schedule"], p=[0.45, 0.1, 0.25, 0.2])
            status = rng.choice(list(CHANGE_STATUS_SHARE), p=list(CHANGE_STATUS_SHARE.values()))
            decided = raised + int(rng.integers(3, 45))
            if status in ("approved", "rejected") and decided > as_of_day:
                status = "proposed"
            if status == "proposed" and stage in ("completed", "cancelled"):
                status = "withdrawn"
            cr = dict(project_id=pid, raised=raised, status=status, kind=kind,
                      title=f"{TITLES[kind]} {rng.choice(FEATURES).lower()}",
                      reason=rng.choice(REASONS[kind]), sponsor=p["sponsor"][i],
                      decided=decided if status in ("approved", "rejected") else None,
                      cost=max(1000.0, float(np.round(
                          p["budget"][i] * rng.lognormal(np.log(0.04), 0.6), -3)))
                      * (-1 if kind == "cost" and rng.random() < 0.2 else 1),
                      days=float(rng.integers(5, 61)) if kind != "cost" else 0.0, scope=0.0)
            if kind == "scope" and status == "approved":
                items = [dict(project_id=pid, size=float(rng.choice(SIZES)), baseline=False,
                              priority=rng.choice(["must", "should", "could"]),
                                      added=decided, cr=len(crs))
                         for _ in range(int(rng.integers(1, 4)))]
                cr["scope"] = sum(it["size"] for it in items)
                grown += items
            elif kind == "scope":
                cr["scope"] = float(rng.choice(SIZES) * rng.integers(1, 3))
            elif kind == "descope" and status == "approved":
                keep = [it for it in base if it["status"] != "done" and "removed" not in it]
                for it in keep[: int(rng.integers(1, 3))]:
                    it.update(status="removed", removed=max(decided, it["added"]), cr=len(crs))
                    cr["scope"] -= it["size"]
            if benefit_of.get(pid) and rng.random() < 0.15:
                bid = benefit_of[pid]
                impact = float(np.round(gain[bid] * rng.uniform(-0.2, 0.2), 2))
                cr.update(benefit=bid, benefit_impact=impact + 0.0)  # never -0.0
            crs.append(cr)
        # informal growth, some still proposed, and removals without a change request
        for _ in range(growth):
            day = int(rng.integers(lo, hi))
            grown.append(dict(project_id=pid, size=float(rng.choice(SIZES)), baseline=False,
                              priority=rng.choice(["should", "could"]), added=day,
                              proposed=stage not in ("completed", "cancelled")
                              and day > as_of_day - 45 and rng.random() < 0.5))
        statuses = _progress(stage, frac, len(grown), rng)
        for it, status in zip(sorted(grown, key=lambda it: it["added"]), statuses, strict=True):
            it["status"] = "proposed" if it.pop("proposed", False) else status
        for it in base:
            if it["status"] != "removed" and it["status"] != "done" and rng.random() < 0.06:
                day = it["added"] + 1 + int(rng.integers(0, max(1, hi - it["added"])))
                it.update(status="removed", removed=min(day, as_of_day))
        reqs += base + grown
    return _requirements(reqs, crs), _change_requests(crs, len(crs))


def _requirements(items: list[dict], crs: list[dict]) -> pd.DataFrame:
    n = len(items)
    if n == 0:
        return pd.DataFrame()
    cr_ids = ids("CR", len(crs))
    rng = np.random.default_rng(n)  # titles only
    frame = pd.DataFrame(items)
    removed = frame.get("removed", pd.Series(np.nan, index=frame.index))
    cr = frame.get("cr", pd.Series(np.nan, index=frame.index))
    return pd.DataFrame({
        "requirement_id": ids("RQ", n, 6),
        "project_id": frame["project_id"],
        "title": np.array(FEATURES, dtype=object)[rng.integers(0, len(FEATURES), n)],
        "size": frame["size"], "priority": frame["priority"], "status": frame["status"],
        "baseline": frame["baseline"],
        "added_date": days_to_dates(frame["added"].to_numpy("int64")),
        "removed_date": pd.Series(days_to_dates(removed.fillna(0).to_numpy("int64"))).where(
            removed.notna()),
        "change_id": pd.Series([cr_ids[int(c)] if pd.notna(c) else None for c in cr],
                               dtype=object),
    })


def _change_requests(crs: list[dict], n: int) -> pd.DataFrame:
    if n == 0:
        return pd.DataFrame()
    frame = pd.DataFrame(crs)
    decided = frame["decided"]
    return pd.DataFrame({
        "change_id": ids("CR", n), "project_id": frame["project_id"], "title": frame["title"],
        "raised_date": days_to_dates(frame["raised"].to_numpy("int64")),
        "status": frame["status"],
        "decided_date": pd.Series(days_to_dates(decided.fillna(0).to_numpy("int64"))).where(
            decided.notna()),
        "decided_by": frame["sponsor"].where(decided.notna(), None),
        "cost_impact": frame["cost"], "schedule_impact_days": frame["days"],
        "scope_impact": frame["scope"].where(frame["kind"].isin(["scope", "descope"])),
        "benefit_impact": frame.get("benefit_impact"),
        "benefit_id": frame.get("benefit"),
        "reason": frame["reason"],
    })


#: Decision outcomes of the quarterly reviews, and how often each is taken.
OUTCOME_SHARE = {"approved": 0.5, "deferred": 0.2, "rejected": 0.1, "noted": 0.2}
REVIEW_TOPICS = (("funding", "Release contingency"), ("funding", "Approve extra budget"),
                 ("risk", "Accept the residual risk"), ("benefit", "Re-baseline the benefit"),
                 ("reprioritisation", "Move to the next funding cycle"),
                 ("other", "Agree the supplier change"))


def _row(date, forum, title, pid, kind, owner, outcome=None, stage_to=None, due=None,
         decided=None):
    return dict(date=date, forum=forum, title=title, project_id=pid, kind=kind,
                outcome=outcome, stage_to=stage_to, owner=owner, due=due, decided=decided,
                status="open" if outcome is None else "closed")


def decisions(rng: np.random.Generator, p: dict, as_of_day: int) -> pd.DataFrame:
    """Gate, stage-change and quarterly-review decisions (see the module docstring)."""
    rows = []
    recent = np.flatnonzero(p["start"] >= as_of_day - 3 * 365)
    for i in recent.tolist():
        pid, stage, owner = p["project_id"][i], p["stage"][i], p["sponsor"][i]
        start, name = int(p["start"][i]), p["name"][i]
        gate1 = start - int(rng.integers(20, 60))
        if stage == "proposed":
            if rng.random() < 0.6:
                date = as_of_day - int(rng.integers(0, 90))
                rows.append(_row(date, "Gate 1", f"Approve {name}", pid, "gate", owner,
                                 stage_to="approved", due=date + int(rng.integers(14, 45))))
            continue
        if gate1 <= as_of_day:
            rows.append(_row(gate1, "Gate 1", f"Approve {name}", pid, "gate", owner, "approved",
                             "approved", gate1 + 14, gate1 + int(rng.integers(0, 8))))
        if stage == "approved":
            date = min(as_of_day, start - 10) - int(rng.integers(0, 20))
            rows.append(_row(date, "Gate 2", f"Start delivery of {name}", pid, "gate", owner,
                             stage_to="active", due=max(date, start)))
            continue
        gate2 = start - int(rng.integers(0, 10))
        rows.append(_row(gate2, "Gate 2", f"Start delivery of {name}", pid, "gate", owner,
                         "approved", "active", gate2 + 10, gate2))
        end = int(p["actual_finish"][i]) if p["completed"][i] else int(p["history_end"][i])
        if stage == "completed" and end + 14 <= as_of_day:
            rows.append(_row(end + 7, "Gate 5", f"Close {name}", pid, "gate", owner,
                             "approved", "completed", end + 21, end + 7 + int(rng.integers(0, 7))))
        elif stage in ("on_hold", "cancelled") and end <= as_of_day:
            verb = "Pause" if stage == "on_hold" else "Stop"
            rows.append(_row(end, "Portfolio board", f"{verb} {name}", pid, "reprioritisation",
                             owner, "approved", stage, end + 7, end))
    live = np.flatnonzero(np.isin(p["stage"], ("active", "on_hold", "approved")))
    quarter = pd.Period(days_to_dates(np.array([as_of_day]))[0], "Q")
    for back in range(6, 0, -1):
        q = quarter - back
        held = int((q.end_time.normalize() + pd.Timedelta(days=10)).to_datetime64().astype(
            "datetime64[D]").astype("int64"))
        if held > as_of_day or len(live) == 0:
            continue
        for i in rng.choice(live, min(len(live), 2 + len(live) // 25), replace=False).tolist():
            kind, title = REVIEW_TOPICS[int(rng.integers(0, len(REVIEW_TOPICS)))]
            due = held + int(rng.integers(14, 60))
            closed = rng.random() < (0.9 if back > 2 else 0.5)
            decided = min(as_of_day, held + int(rng.integers(0, 30)))
            outcome = rng.choice(list(OUTCOME_SHARE), p=list(OUTCOME_SHARE.values()))
            rows.append(_row(held, f"Quarterly review {q.year}-Q{q.quarter}",
                             f"{title}: {p['name'][i]}", p["project_id"][i], kind,
                             p["manager"][i] if kind == "risk" else p["sponsor"][i],
                             outcome if closed else None, None, due,
                             decided if closed else None))
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows).sort_values("date", kind="stable", ignore_index=True)
    frame["decided"] = frame["decided"].clip(upper=as_of_day)  # nothing decided after as_of

    def dates(col):
        return pd.Series(days_to_dates(frame[col].fillna(0).to_numpy("int64"))).where(
            frame[col].notna())

    return pd.DataFrame({
        "decision_id": ids("D", len(frame)), "date": dates("date"), "forum": frame["forum"],
        "title": frame["title"], "project_id": frame["project_id"], "kind": frame["kind"],
        "outcome": frame["outcome"], "stage_to": frame["stage_to"], "owner": frame["owner"],
        "due_date": dates("due"), "decided_date": dates("decided"), "status": frame["status"],
    })


def people(rng: np.random.Generator, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Everyone named as sponsor, manager, owner or decider, with address and digest."""
    named = {
        "sponsor": tables["projects"]["sponsor"], "project manager": tables["projects"]["manager"],
        "risk owner": tables["risks"]["owner"], "benefit owner": tables["benefits"]["owner"],
    }
    for table, col in (("decisions", "owner"), ("change_requests", "decided_by")):
        if col in tables[table]:
            named["decision owner"] = pd.concat([named.get("decision owner", pd.Series(
                dtype=object)), tables[table][col]])
    role = {}
    for r, names in named.items():
        for name in pd.Series(names).dropna().unique().tolist():
            role.setdefault(name, r)
    names = sorted(role)
    n = len(names)
    sponsor = np.array([role[x] == "sponsor" for x in names])
    digest = np.where(sponsor, rng.choice(["weekly", "none"], n, p=[0.75, 0.25]),
                      rng.choice(["weekly", "daily", "none"], n, p=[0.6, 0.3, 0.1]))
    email = [re.sub(r"[^a-z0-9.]", "", x.lower().replace(" ", ".")) + "@example.org"
             for x in names]
    return pd.DataFrame({"name": names, "email": email, "role": [role[x] for x in names],
                         "digest": digest})

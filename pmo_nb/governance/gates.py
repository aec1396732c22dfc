"""The gate audit: every stage change between imports, and the gate decision behind it.

This module reads the store (its import log and the portfolio at each
import); the other governance analyses are pure functions of a Portfolio.
A stage change is allowed by a gate decision of the same project with kind
``gate``, ``stage_to`` the new stage and outcome ``approved``, decided on or
before the day of the import that brought the change. The decisions are read
as the store holds them now, so a decision recorded late still counts.
"""

from __future__ import annotations

import pandas as pd

from pmo_nb.dates import day, is_blank
from pmo_nb.store.core import Store

#: Columns of :func:`gate_audit`, in order.
AUDIT_COLUMNS = ("import_id", "imported_at", "source", "project_id", "name", "stage_from",
                 "stage_to", "decision_id", "decided_date", "forum", "gate")

#: What :func:`gate_audit` says of a stage change without a gate decision.
NO_GATE = "no gate decision recorded"


def stage_changes(store: Store, as_of=None) -> pd.DataFrame:
    """Every project stage change between consecutive imports, oldest first.

    Only the imports started on or before ``as_of`` (a bare date: the end of
    that day; blank: every import) count.

    Columns ``import_id``, ``imported_at`` (the import's start, UTC),
    ``source``, ``project_id``, ``name``, ``stage_from``, ``stage_to``.
    """
    log = store.history().sort_values("import_id", kind="stable")
    if not is_blank(as_of):
        log = log[log["started_at"] <= day(as_of) + pd.Timedelta(days=1)
                  - pd.Timedelta(microseconds=1)]
    rows, before = [], None
    for imp in log.itertuples():
        projects = store.load(as_of=imp.started_at).projects.set_index("project_id")
        if before is not None:
            common = projects.index.intersection(before.index)
            moved = common[(projects.loc[common, "stage"]
                            != before.loc[common, "stage"]).to_numpy()]
            for pid in sorted(moved):
                rows.append((imp.import_id, imp.started_at, imp.source, pid,
                             projects.loc[pid, "name"], before.loc[pid, "stage"],
                             projects.loc[pid, "stage"]))
        before = projects
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS[:7]))


def match_gates(changes: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """``changes`` with the latest gate decision that allowed each, or :data:`NO_GATE`."""
    gates = decisions[(decisions["kind"] == "gate") & (decisions["outcome"] == "approved")]
    gates = gates.sort_values(["decided_date", "decision_id"], kind="stable")
    found = []
    for change in changes.itertuples():
        day = pd.Timestamp(change.imported_at).normalize()
        allowed = gates[(gates["project_id"] == change.project_id)
                        & (gates["stage_to"] == change.stage_to)
                        & (gates["decided_date"] <= day)]
        if allowed.empty:
            found.append((None, pd.NaT, None, NO_GATE))
        else:
            last = allowed.iloc[-1]
            found.append((last["decision_id"], last["decided_date"], last["forum"],
                          f"{last['decision_id']} ({last['forum']}, "
                          f"{last['decided_date']:%Y-%m-%d})"))
    extra = pd.DataFrame(found, columns=list(AUDIT_COLUMNS[7:]), index=changes.index)
    extra["decided_date"] = pd.to_datetime(extra["decided_date"])
    return pd.concat([changes, extra], axis=1)


def gate_audit(store: Store, as_of=None) -> pd.DataFrame:
    """Each stage change between imports with the gate decision that allowed it.

    Parameters
    ----------
    store : Store
        A store with at least one import.
    as_of : date-like, optional
        Only the imports started on or before it (a bare date: by the end of
        that day); blank means every import.

    Returns
    -------
    pandas.DataFrame
        One row per stage change, oldest import first: ``import_id``,
        ``imported_at``, ``source``, ``project_id``, ``name``, ``stage_from``,
        ``stage_to``, then the allowing decision's ``decision_id``,
        ``decided_date`` and ``forum`` (empty when none) and ``gate`` (the
        decision in words, or ``"no gate decision recorded"``).
    """
    changes = stage_changes(store, as_of)
    return match_gates(changes, store.load().decisions)

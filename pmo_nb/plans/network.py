"""A plan's precedence network and the critical-path passes over it, for one or many draws.

The passes follow the format's rules exactly (``docs/portfolio-format.md``,
task_links): with durations ``d`` and early starts ``ES`` (``EF = ES + d``),
FS means ``ES(succ) >= EF(pred) + lag``, SS ``ES(succ) >= ES(pred) + lag``,
FF ``EF(succ) >= EF(pred) + lag`` and SF ``EF(succ) >= ES(pred) + lag``; no
task starts before day 0. The backward pass mirrors each rule against the
plan's finish (the latest early finish), as Microsoft Project does.

Durations may be a vector (one plan) or a matrix (tasks x draws): the same
code runs the deterministic critical path and the Monte Carlo, vectorised
over draws and looping only over tasks in topological order. Why our own:
networkx's DAG longest path knows only finish-to-start links without lags.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

import numpy as np
import pandas as pd

#: Link types, as the format spells them, and their codes in the arrays.
LINK_TYPES = {"FS": 0, "SS": 1, "FF": 2, "SF": 3}


@dataclass(frozen=True)
class Network:
    """Tasks in topological order and the links between them as index arrays."""

    task_ids: np.ndarray          # in topological order
    pred: np.ndarray              # link i: predecessor's position
    succ: np.ndarray              # link i: successor's position
    kind: np.ndarray              # link i: LINK_TYPES code
    lag: np.ndarray               # link i: working days (negative = a lead)
    incoming: tuple               # per task: the link positions that end at it
    outgoing: tuple               # per task: the link positions that start at it

    @property
    def size(self) -> int:
        return len(self.task_ids)


def build_network(task_ids, links: pd.DataFrame) -> Network:
    """The network of ``task_ids`` and their ``links`` (predecessor, successor, type, lag).

    Raises
    ------
    ValueError
        When a link names an unknown task or the links form a cycle (its
        members named in order).
    """
    ids = [str(t) for t in task_ids]
    known = set(ids)
    graph = {t: set() for t in ids}
    rows = []
    for row in links.itertuples(index=False):
        p, s = str(row.predecessor), str(row.successor)
        if p not in known or s not in known:
            raise ValueError(f"link {p} -> {s} names a task that is not in the plan")
        kind = getattr(row, "type", None)
        kind = "FS" if kind is None or pd.isna(kind) or not str(kind).strip() else str(kind)
        lag = getattr(row, "lag", 0.0)
        rows.append((p, s, LINK_TYPES[kind.upper()], 0.0 if pd.isna(lag) else float(lag)))
        graph[s].add(p)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise ValueError(f"the task links form a cycle: {' -> '.join(map(str, exc.args[1]))}"
                         ) from None
    pos = {t: i for i, t in enumerate(order)}
    pred = np.array([pos[r[0]] for r in rows], dtype=np.int64)
    succ = np.array([pos[r[1]] for r in rows], dtype=np.int64)
    by_succ, by_pred = np.argsort(succ, kind="stable"), np.argsort(pred, kind="stable")
    cuts_in = np.searchsorted(succ[by_succ], np.arange(len(order) + 1))
    cuts_out = np.searchsorted(pred[by_pred], np.arange(len(order) + 1))
    incoming = tuple(by_succ[cuts_in[i]:cuts_in[i + 1]] for i in range(len(order)))
    outgoing = tuple(by_pred[cuts_out[i]:cuts_out[i + 1]] for i in range(len(order)))
    return Network(np.array(order, dtype=object), pred, succ,
                   np.array([r[2] for r in rows], dtype=np.int64),
                   np.array([r[3] for r in rows], dtype="float64"), incoming, outgoing)


def _links_of(net: Network, side: tuple) -> list:
    """Per task, its links as plain ``(other end, kind, lag)`` tuples (no NumPy scalars)."""
    other = net.pred if side is net.incoming else net.succ
    return [[(int(other[k]), int(net.kind[k]), float(net.lag[k])) for k in ks] for ks in side]


def forward(net: Network, dur: np.ndarray, floor: np.ndarray | None = None,
            pinned: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Early starts and finishes: ``(ES, EF)``, shaped like ``dur`` (tasks [x draws]).

    ``floor``: the earliest start of each task (0, or the data date for work
    not yet started). ``pinned``: position -> (ES, EF) of tasks whose dates
    are facts (completed work); the links do not move them. One task at a
    time in topological order, each link one in-place NumPy operation on a
    row of draws (a row stays in the CPU cache; whole-generation matrices did
    not, and were 5x slower).
    """
    shape = dur.shape
    d = dur.reshape(shape[0], -1)
    es = np.zeros_like(d) if floor is None else np.broadcast_to(
        np.asarray(floor, dtype=d.dtype).reshape(-1, 1), d.shape).copy()
    ef = np.empty_like(es)
    buf = np.empty(d.shape[1], dtype=d.dtype)
    pinned = pinned or {}
    for t, links in enumerate(_links_of(net, net.incoming)):
        if t in pinned:
            es[t], ef[t] = pinned[t]
            continue
        start = es[t]
        for p, kind, lag in links:
            np.add(ef[p] if kind in (0, 2) else es[p], lag, out=buf)
            if kind >= 2:
                buf -= d[t]
            np.maximum(start, buf, out=start)
        np.add(start, d[t], out=ef[t])
    return es.reshape(shape), ef.reshape(shape)


def backward(net: Network, dur: np.ndarray, ef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Late starts and finishes ``(LS, LF)`` against the plan's finish (the latest EF)."""
    shape = dur.shape
    d = dur.reshape(shape[0], -1)
    lf = np.broadcast_to(ef.reshape(shape[0], -1).max(axis=0), d.shape).copy()
    ls = np.empty_like(lf)
    buf = np.empty(d.shape[1], dtype=d.dtype)
    outgoing = _links_of(net, net.outgoing)
    for t in range(net.size - 1, -1, -1):
        late = lf[t]
        for s, kind, lag in outgoing[t]:
            np.subtract(ls[s] if kind in (0, 1) else lf[s], lag, out=buf)
            if kind in (1, 3):
                buf += d[t]
            np.minimum(late, buf, out=late)
        np.subtract(late, d[t], out=ls[t])
    return ls.reshape(shape), lf.reshape(shape)


def free_float(net: Network, dur: np.ndarray, es: np.ndarray, ef: np.ndarray) -> np.ndarray:
    """How far each task can slip before it delays any successor's early dates."""
    finish = ef.max(axis=0)
    out = np.broadcast_to(finish, dur.shape).astype("float64") - ef
    for t in range(net.size):
        for k in net.outgoing[t]:
            s, lag, kind = net.succ[k], net.lag[k], net.kind[k]
            if kind == 0:
                room = es[s] - lag - ef[t]
            elif kind == 1:
                room = es[s] - lag - es[t]
            elif kind == 2:
                room = ef[s] - lag - ef[t]
            else:
                room = ef[s] - lag - es[t]
            out[t] = np.minimum(out[t], room)
    return np.maximum(out, 0.0)

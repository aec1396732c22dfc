"""Named funding scenarios: save a selection to the store, load it back, compare two.

A scenario is one answer to "what would we fund with these weights and this
money?": the optimal selection with its settings. Scenarios are kept as
store results (kind ``"scenario"``, versioned, never overwritten), so a board
can go back to "the growth-heavy option we looked at in March". The
comparison is pure: what is in one and not the other, and the value and cost
of each.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

#: The store result kind under which scenarios are saved.
KIND = "scenario"
#: Environment variables naming a writable store for scenarios, tried in order
#: (a dashboard may read from a read-only store and write somewhere else).
WRITER_ENVS = ("PMO_SCENARIO_DB", "PMO_INTAKE_DB")
#: Columns of a selection table kept in a saved scenario.
COLUMNS = ["name", "score", "rank", "budget", "mandatory", "selected", "reason"]


@dataclass
class Scenario:
    """One saved (or about to be saved) funding scenario.

    Attributes
    ----------
    name : str
    budget : float
        The money available.
    method : str
        Scoring method maximised.
    weights : dict
        objective_id -> normalised weight used (empty for non-weighted methods).
    selected : list of str
        project_ids funded, best rank first.
    value, cost : float
        Total score and total budget of ``selected``.
    table : pandas.DataFrame
        Every candidate (index project_id) with ``name``, ``score``, ``rank``,
        ``budget``, ``selected`` and ``reason``.
    attrs : dict
        Anything else recorded (as_of, data checksum, cut-line value).
    version : int or None
        Store version once saved or loaded.
    """

    name: str
    budget: float
    method: str
    weights: dict
    selected: list[str]
    value: float
    cost: float
    table: pd.DataFrame
    attrs: dict = field(default_factory=dict)
    version: int | None = None


def from_selection(name: str, selection, **attrs) -> Scenario:
    """A :class:`Scenario` from a :class:`pmo_nb.Selection` (``attrs`` are recorded too).

    Raises
    ------
    ValueError
        When ``name`` is blank.
    """
    name = (name or "").strip()
    if not name:
        raise ValueError("a scenario needs a name")
    table = selection.table
    weights = dict(table.attrs.get("weights") or attrs.pop("weights", None) or {})
    return Scenario(
        name=name, budget=float(selection.budget), method=selection.method,
        weights={str(k): float(v) for k, v in weights.items()},
        selected=list(selection.selected), value=float(selection.value),
        cost=float(selection.cost),
        table=table[[c for c in COLUMNS if c in table.columns]].copy(),
        attrs={"greedy_value": float(selection.greedy_value), **attrs},
    )


def writer_db(default=None):
    """Where scenarios go: ``PMO_SCENARIO_DB``, else ``PMO_INTAKE_DB``, else ``default``."""
    for env in WRITER_ENVS:
        value = os.environ.get(env, "").strip()
        if value:
            return value
    return default


def save_scenario(store, scenario: Scenario) -> int:
    """Save ``scenario`` as a new version under its name; returns the version number."""
    attrs = {**scenario.attrs, "budget": scenario.budget, "method": scenario.method,
             "weights": scenario.weights, "selected": scenario.selected,
             "value": scenario.value, "cost": scenario.cost}
    version = store.save_result(KIND, scenario.name, frame=scenario.table, attrs=attrs)
    scenario.version = version
    return version


def load_scenario(store, name: str, version: int | None = None) -> Scenario:
    """The latest (or given) version of the scenario called ``name``.

    Raises
    ------
    KeyError
        When no such scenario was saved.
    """
    found = store.load_result(KIND, name, version)
    if found is None:
        raise KeyError(f"no scenario named {name!r} in {store.url}")
    frame, _, attrs = found
    attrs = dict(attrs)
    core = {key: attrs.pop(key) for key in
            ("budget", "method", "weights", "selected", "value", "cost")}
    return Scenario(name=name, table=frame, attrs=attrs, version=version, **core)


def list_scenarios(store) -> pd.DataFrame:
    """Saved scenarios (latest version each), newest first: name, version, saved_at,
    budget, value, cost, n_selected."""
    found = store.list_results(KIND)
    out = pd.DataFrame({
        "name": found["name"], "version": found["version"], "saved_at": found["saved_at"],
        "budget": [a.get("budget") for a in found["attrs"]],
        "value": [a.get("value") for a in found["attrs"]],
        "cost": [a.get("cost") for a in found["attrs"]],
        "n_selected": [len(a.get("selected", [])) for a in found["attrs"]],
    })
    return out.reset_index(drop=True)


@dataclass
class Comparison:
    """Two scenarios side by side.

    Attributes
    ----------
    summary : pandas.DataFrame
        Rows budget, value, cost, projects, unspent; columns the two scenario
        names and ``difference`` (second minus first).
    differences : pandas.DataFrame
        The projects funded in only one of them (index project_id): ``name``,
        ``budget``, ``funded_in`` (the scenario's name), sorted by that then budget.
    only_first, only_second, both : list of str
        project_ids.
    """

    first: str
    second: str
    summary: pd.DataFrame
    differences: pd.DataFrame
    only_first: list[str]
    only_second: list[str]
    both: list[str]

    def sentences(self) -> list[str]:
        """The comparison in a few plain sentences."""
        s = self.summary
        dv = s.at["value", "difference"]
        dc = s.at["cost", "difference"]
        return [
            f"{self.first} funds {len(self.only_first)} project(s) that {self.second} does not; "
            f"{self.second} funds {len(self.only_second)} that {self.first} does not; "
            f"{len(self.both)} are in both.",
            f"{self.second} has {abs(dv):,.1f} points {'more' if dv >= 0 else 'less'} value "
            f"for {abs(dc):,.0f} {'more' if dc >= 0 else 'less'} money than {self.first}.",
        ]


def _label(a: Scenario, b: Scenario) -> tuple[str, str]:
    if a.name != b.name:
        return a.name, b.name
    if a.version is not None and b.version is not None and a.version != b.version:
        return f"{a.name} (v{a.version})", f"{b.name} (v{b.version})"
    return f"{a.name} (1)", f"{b.name} (2)"


def compare(a: Scenario, b: Scenario) -> Comparison:
    """What is in one scenario and not the other, with value and cost of each."""
    first, second = _label(a, b)
    in_a, in_b = set(a.selected), set(b.selected)
    summary = pd.DataFrame({
        first: [a.budget, a.value, a.cost, len(in_a), a.budget - a.cost],
        second: [b.budget, b.value, b.cost, len(in_b), b.budget - b.cost],
    }, index=pd.Index(["budget", "value", "cost", "projects", "unspent"], name="measure"))
    summary["difference"] = summary[second] - summary[first]
    info = pd.concat([b.table, a.table])
    info = info[~info.index.duplicated()]
    only_a = [p for p in a.selected if p not in in_b]
    only_b = [p for p in b.selected if p not in in_a]
    rows = [(p, first) for p in only_a] + [(p, second) for p in only_b]
    diff = pd.DataFrame({
        "name": [info.at[p, "name"] if p in info.index else "" for p, _ in rows],
        "budget": [float(info.at[p, "budget"]) if p in info.index else float("nan")
                   for p, _ in rows],
        "funded_in": [w for _, w in rows],
    }, index=pd.Index([p for p, _ in rows], name="project_id"))
    diff = diff.sort_values(["funded_in", "budget"], ascending=[True, False], kind="stable")
    return Comparison(first, second, summary, diff, only_a, only_b,
                      [p for p in a.selected if p in in_b])


def weights_text(weights: Mapping[str, float]) -> str:
    """``OBJ-01 40%, OBJ-02 25%`` (largest first) for captions."""
    items = sorted(weights.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v:.0%}" for k, v in items)

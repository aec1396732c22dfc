"""Cross-table rules: every reference resolves, the dependencies have no cycle."""

from __future__ import annotations

import graphlib

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from pmo_nb.io.problems import Rules, problem, problem_frame
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLES


def check_references(portfolio: Portfolio) -> pd.DataFrame:
    """Problems with cross-table references and dependency cycles.

    Works on a typed Portfolio (from a workbook or the store's merged view);
    ``file`` is the table name and ``row`` is empty. Empty optional references
    (``risks.project_id``, ``benefits.objective_id``) are allowed.
    """
    return reference_problems(portfolio, rows=None, locations=None)


def reference_problems(portfolio: Portfolio, rows: dict | None,
                        locations: dict | None) -> pd.DataFrame:
    problems: list[dict] = []
    tables = portfolio.tables()

    def where(table, position):
        file = locations.get(table, table) if locations else table
        row = int(rows[table][position]) if rows and table in rows else None
        return file, row

    for name, frame in tables.items():
        rules = Rules()
        columns = {}
        for c in TABLES[name].columns:
            if c.references is None or c.name not in frame:
                continue
            target, target_col = c.references
            allowed = set(tables[target][target_col].dropna())
            columns[c.name] = pa.Column(
                checks=rules.check(lambda s, a=allowed: s.isin(a),
                                   f"must exist in {target}.{target_col}", c.name),
                nullable=True,
            )
        try:
            pa.DataFrameSchema(columns, strict=False).validate(frame, lazy=True)
        except SchemaErrors as err:
            for case in err.failure_cases.itertuples(index=False):
                rule = rules.by_id[case.check]
                file, row = where(name, int(case.index))
                problems.append(problem(file, name, row, rule.column, case.failure_case,
                                         rule.text))
    for cycle, position in _cycles(tables["dependencies"]):
        file, row = where("dependencies", position)
        problems.append(problem(file, "dependencies", row, "depends_on", cycle[1],
                                 "dependency cycle: " + " -> ".join(cycle)))
    return problem_frame(problems)


def _cycles(deps: pd.DataFrame) -> list[tuple[list[str], int]]:
    """Each dependency cycle in order (``A -> B`` = A depends on B), with the
    position of the row that opens it. Self-dependencies are a separate rule."""
    edges = deps[["project_id", "depends_on"]].dropna()
    edges = edges[edges["project_id"] != edges["depends_on"]]
    first_row = {}
    graph: dict[str, set[str]] = {}
    for pos, (a, b) in zip(edges.index, edges.itertuples(index=False, name=None), strict=True):
        graph.setdefault(a, set()).add(b)
        first_row.setdefault((a, b), pos)
    found = []
    while True:
        try:
            graphlib.TopologicalSorter(graph).prepare()
            return found
        except graphlib.CycleError as err:
            members = list(err.args[1][:-1])
        if members[1] not in graph.get(members[0], ()):
            members.reverse()
        # start at the edge that comes first in the table, so the report is stable
        starts = [first_row[(m, members[(i + 1) % len(members)])] for i, m in enumerate(members)]
        k = starts.index(min(starts))
        members = members[k:] + members[:k]
        found.append((members + [members[0]], min(starts)))
        for m in members:
            graph.pop(m, None)
        graph = {a: bs - set(members) for a, bs in graph.items()}

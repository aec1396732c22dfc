"""Cross-table rules: every reference resolves, dependencies and task links have no cycle.

Also: a task link joins two tasks of one project, and a risk's task belongs
to the risk's project.
"""

from __future__ import annotations

import graphlib

import numpy as np
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
            allowed = tables[target][target_col].dropna().unique()  # isin hashes them
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
    for cycle, position in _cycles(tables["dependencies"], "project_id", "depends_on"):
        file, row = where("dependencies", position)
        problems.append(problem(file, "dependencies", row, "depends_on", cycle[1],
                                 "dependency cycle: " + " -> ".join(cycle)))
    for table, position, column, value, rule in _plan_problems(tables):
        file, row = where(table, position)
        problems.append(problem(file, table, row, column, value, rule))
    return problem_frame(problems)


def _plan_problems(tables: dict[str, pd.DataFrame]) -> list[tuple]:
    """(table, position, column, value, rule) for the task links and risks' tasks."""
    found = []
    # tasks of a project that does not exist are reported as that already
    tasks = tables["tasks"].drop_duplicates("task_id")
    tasks = tasks[tasks["project_id"].isin(tables["projects"]["project_id"])]
    project_of = tasks.set_index("task_id")["project_id"]
    links = tables["task_links"]
    pred = links["predecessor"].map(project_of)
    succ = links["successor"].map(project_of)
    apart = pred.notna() & succ.notna() & (pred != succ)
    for pos in links.index[apart.to_numpy()]:
        found.append(("task_links", pos, "successor", links.at[pos, "successor"],
                      f"a link must join tasks of one project: the predecessor is in "
                      f"{pred[pos]}, the successor in {succ[pos]}"))
    for cycle, pos in _cycles(links, "predecessor", "successor"):
        found.append(("task_links", pos, "successor", cycle[1],
                      "task link cycle: " + " -> ".join(cycle)))
    risks = tables["risks"]
    owner = risks["task_id"].map(project_of)
    # a risk whose project does not exist is reported as that already
    known = risks["project_id"].isna() | risks["project_id"].isin(tables["projects"]["project_id"])
    wrong = owner.notna() & known & (owner != risks["project_id"]).fillna(True)
    for pos in risks.index[wrong.to_numpy()]:
        found.append(("risks", pos, "task_id", risks.at[pos, "task_id"],
                      f"the task belongs to project {owner[pos]}: it must belong to the "
                      "risk's project"))
    return found


def _may_have_cycle(sources: np.ndarray, targets: np.ndarray) -> bool:
    """Whether the graph of these edges (no self-edges) has a cycle: a strongly
    connected component of two or more nodes (SciPy's, in C).

    Answers the common case (no cycle) at a fraction of the cost of
    :mod:`graphlib`, which then names the cycles of the graphs that have one.
    """
    if len(sources) == 0:
        return False
    from scipy.sparse import csr_matrix  # lazy: SciPy loads only for a graph with edges
    from scipy.sparse.csgraph import connected_components  # lazy: as csr_matrix

    codes, nodes = pd.factorize(np.concatenate([sources, targets]))
    n = len(nodes)
    graph = csr_matrix((np.ones(len(sources), dtype=np.int8),
                        (codes[:len(sources)], codes[len(sources):])), shape=(n, n))
    count, _ = connected_components(graph, directed=True, connection="strong")
    return count < n


def _cycles(deps: pd.DataFrame, source: str, target: str) -> list[tuple[list[str], int]]:
    """Each cycle in order (``A -> B`` = an edge from ``source`` A to ``target`` B),
    with the position of the row that opens it. Self-edges are a separate rule."""
    edges = deps[[source, target]].dropna()
    edges = edges[edges[source] != edges[target]]
    if not _may_have_cycle(edges[source].to_numpy(dtype=object),
                           edges[target].to_numpy(dtype=object)):
        return []
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

"""The fast cycle check (SciPy's strongly connected components) agrees with graphlib."""

from __future__ import annotations

import graphlib

import numpy as np
import pandas as pd

from pmo_nb.io.references import _cycles, _may_have_cycle


def _graphlib_has_cycle(sources, targets) -> bool:
    graph: dict[str, set[str]] = {}
    for a, b in zip(sources, targets, strict=True):
        graph.setdefault(a, set()).add(b)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError:
        return True
    return False


def test_agrees_with_graphlib_on_random_graphs():
    rng = np.random.default_rng(7)
    answers = []
    for _ in range(300):
        n = int(rng.integers(2, 12))
        edges = rng.integers(0, n, size=(int(rng.integers(1, 3 * n)), 2))
        edges = edges[edges[:, 0] != edges[:, 1]]  # self-edges are another rule
        sources = np.array([f"T{a}" for a in edges[:, 0]], dtype=object)
        targets = np.array([f"T{b}" for b in edges[:, 1]], dtype=object)
        answer = _may_have_cycle(sources, targets)
        assert answer == _graphlib_has_cycle(sources, targets)
        answers.append(answer)
    assert 50 < sum(answers) < 250  # both kinds of graph were tried


def test_a_long_chain_has_none_and_closing_it_makes_one():
    ids = [f"T{i:05d}" for i in range(20_000)]
    chain = pd.DataFrame({"predecessor": ids[:-1], "successor": ids[1:]})
    assert _cycles(chain, "predecessor", "successor") == []
    closed = pd.concat([chain, pd.DataFrame({"predecessor": [ids[3]], "successor": [ids[1]]})],
                       ignore_index=True)
    assert _cycles(closed, "predecessor", "successor") == [
        (["T00001", "T00002", "T00003", "T00001"], 1)]

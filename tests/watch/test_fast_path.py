"""The fast reads behind ``changes`` and ``alerts run`` find what full loads find.

``pmo_nb.changes`` reads only the tables the comparisons need, each project's
latest reported RAG, and the later import from the earlier one's rows plus the
rows that changed (:meth:`pmo_nb.store.Store.load_pair`); ``run_alerts`` reads
only what its rules' metrics need. Known answers: each result equals the same
comparison or evaluation on two plain ``Store.load()`` portfolios, on two imports
of the demo and of a second portfolio (a project completed, one removed from the
workbook, a new one; tables empty in the first import), with forecasts persisted,
on SQLite and PostgreSQL, and on a store with one import.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import store_fixtures
from pandas.testing import assert_frame_equal
from second_portfolio import renamed_portfolio
from watch_support import a_week_later, without

import pmo_nb
from pmo_nb.config import project_root
from pmo_nb.dates import reporting_date
from pmo_nb.demo.generator import demo_portfolio
from pmo_nb.forecast.stored import latest
from pmo_nb.watch import compare_points, evaluate, load_rules, run_alerts
from pmo_nb.watch.metrics import METRIC_TABLES, tables_read
from pmo_nb.watch.points import forecast_versions, load_points

pg, db, store = store_fixtures.pg, store_fixtures.db, store_fixtures.store  # fixtures

#: alerts.yml without the plan rule (whose simulations read every table anyway)
RULES = [r for r in load_rules(project_root() / "alerts.yml")
         if r.metric != "plan_p80_slip_days"]


@pytest.fixture(scope="module")
def generated():
    return {"demo": demo_portfolio(n_projects=60, seed=7, as_of="2026-06-30"),
            "second": renamed_portfolio(80, 11)}


def _forecast(portfolio, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = portfolio.projects["project_id"].to_numpy()
    return pd.DataFrame({"project_id": ids, "p_over_budget": rng.random(len(ids)),
                         "p_late": rng.random(len(ids))})


@pytest.fixture(params=["demo", "second", "second, tables empty at first"])
def imported(request, generated, store, clock):
    one = generated[request.param.split(",")[0]]
    first = without(one, "decisions", "demand", "benefit_measurements") if (
        "empty" in request.param) else one
    two = a_week_later(one)
    for i, (when, portfolio) in enumerate((("2026-06-30", first), ("2026-07-07", two))):
        clock.set(f"{when}T09:00")
        store.import_portfolio(portfolio, source=when, file_checksums={})
        store.save_result("forecast", when, _forecast(portfolio, i))
    return store


def full_load_changes(store, since, until, **kwargs) -> pd.DataFrame:
    """``changes`` as it was: the comparison of two whole ``Store.load()`` portfolios."""
    imports = store.history()
    ids = [pmo_nb.watch.points.pick_import(imports, since, "since"),
           int(imports["import_id"].max()) if until is None
           else pmo_nb.watch.points.pick_import(imports, until, "until")]
    points = load_points(store, imports, (ids[0], since), (ids[1], until),
                         forecast_versions(store))
    whole = [dataclasses.replace(p, portfolio=store.load(as_of=p.started_at.to_pydatetime()))
             for p in points]
    return compare_points(*whole, **kwargs)


def assert_same_changes(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert_frame_equal(got, want, check_exact=True)
    assert got.attrs == want.attrs


def test_changes_equal_the_full_load_comparison(imported):
    found = pmo_nb.changes(imported, 1, 2)
    assert_same_changes(found, full_load_changes(imported, 1, 2))
    kinds = set(found["kind"])  # a comparison that finds things, not an empty one
    assert {"forecast_budget", "rag", "rebaselined_budget", "risk_escalated", "project_new",
            "project_closed", "capacity_over"} <= kinds
    for since, until, points in ((1, None, 5.0), ("2026-07-01", "2026-07-08", 10.0),
                                 (2, 2, 10.0), (1, 1, 10.0)):
        assert_same_changes(pmo_nb.changes(imported, since, until, points=points),
                            full_load_changes(imported, since, until, points=points))


def test_changes_on_a_store_with_one_import(tmp_path, clock, generated):
    store = store_fixtures.Store(tmp_path / "one.db")
    clock.set("2026-06-30T09:00")
    store.import_portfolio(generated["second"], source="one", file_checksums={})
    assert pmo_nb.changes(store, 1, 1).empty
    # until=None reads today: benefits and decisions may have moved since the import
    assert_same_changes(pmo_nb.changes(store, 1), full_load_changes(store, 1, None))


@pytest.mark.parametrize("as_of", ["2026-07-07", None])
def test_alerts_equal_the_full_load_evaluation(imported, as_of):
    run = run_alerts(imported, RULES, as_of)
    whole = imported.load(as_of=as_of)
    when = reporting_date(whole, as_of)
    want = evaluate(RULES, whole, when, forecast=latest(imported, "forecast", f"{when:%Y-%m-%d}"))
    assert run.evaluation.as_of == want.as_of
    assert_frame_equal(run.evaluation.holding, want.holding, check_exact=True)
    assert run.evaluation.evaluated == want.evaluated
    assert run.evaluation.not_available == want.not_available
    assert len(want.holding) and len(want.evaluated) == len(RULES) - len(want.not_available)


def test_alerts_read_what_their_metrics_need():
    assert tables_read(["cpi"], False) == ("change_requests", "projects", "status_updates")
    assert tables_read(["p_late"], False) == ("projects",)
    # a blank as_of is the data date: the latest update, finish and measurement
    assert tables_read(["p_late"], True) == (
        "benefit_measurements", "projects", "status_updates")
    assert tables_read(["decisions_overdue", "plan_p80_slip_days"], False) is None
    assert set(METRIC_TABLES) == set(pmo_nb.watch.METRICS)

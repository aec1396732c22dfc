"""The per-project status report: facts, narrative sentences, RAG against the forecast."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from pmo_nb.briefings import narrative
from pmo_nb.briefings import status_report as sr
from pmo_nb.forecast.stored import stored_backtest, stored_forecast
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types
from pmo_nb.store.core import Store

AS_OF = "2026-06-30"


def _portfolio(**tables) -> Portfolio:
    return Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})


def _project(pid, stage="active", start="2026-01-01", finish="2026-12-31", budget=1_000_000.0):
    return {"project_id": pid, "name": f"Project {pid}", "category": "IT", "stage": stage,
            "start_date": start, "finish_date": finish, "budget": budget}


@pytest.fixture()
def small():
    """A active (green), B approved and waiting for A, one risk, one benefit."""
    return _portfolio(
        objectives=[{"objective_id": "O1", "name": "Grow", "weight": 1}],
        projects=[_project("A"), _project("B", "approved", "2027-01-10", "2027-06-30")],
        status_updates=[
            {"project_id": "A", "as_of": "2026-03-31", "percent_complete": 20,
             "actual_cost": 250_000, "rag": "green"},
            {"project_id": "A", "as_of": "2026-06-15", "percent_complete": 50,
             "actual_cost": 600_000, "planned_value": 450_000, "rag": "green",
             "commentary": "On plan."},
            {"project_id": "A", "as_of": "2026-07-15", "percent_complete": 70,
             "actual_cost": 900_000, "rag": "red"},  # after as_of: ignored
        ],
        risks=[
            {"risk_id": "R1", "project_id": "A", "title": "Vendor late", "probability": 0.5,
             "cost_low": 10_000, "cost_likely": 20_000, "cost_high": 60_000},
            {"risk_id": "R2", "project_id": "A", "title": "Small thing", "probability": 0.9,
             "cost_low": 1_000, "cost_likely": 1_000, "cost_high": 1_000},
            {"risk_id": "R3", "project_id": "A", "title": "Closed", "probability": 0.9,
             "cost_low": 1e6, "cost_likely": 1e6, "cost_high": 1e6, "status": "closed"},
        ],
        benefits=[{"benefit_id": "B1", "project_id": "A", "objective_id": "O1",
                   "name": "Revenue", "direction": "increase", "baseline": 0, "target": 100,
                   "realisation_start": "2026-01-01", "target_date": "2026-12-31"}],
        benefit_measurements=[{"benefit_id": "B1", "date": "2026-06-30", "value": 20}],
        dependencies=[{"project_id": "B", "depends_on": "A", "lag_days": 0}],
    )


def _forecast(pid="A", p_over=0.78, p_late=0.3, budget=1_000_000.0) -> pd.DataFrame:
    """A hand-made forecast table in the shape forecasting.forecast returns."""
    return pd.DataFrame({
        "project_id": [pid], "category": ["IT"], "budget": [budget],
        "finish_date": [pd.Timestamp("2026-12-31")], "elapsed": [0.5],
        "percent_complete": [50.0], "basis": ["reference class + progress"],
        "cost_p10": [0.95 * budget], "cost_p50": [1.15 * budget], "cost_p90": [1.5 * budget],
        "finish_p10": [pd.Timestamp("2026-12-01")], "finish_p50": [pd.Timestamp("2027-02-15")],
        "finish_p90": [pd.Timestamp("2027-05-01")], "p_over_budget": [p_over],
        "p_late": [p_late], "p_on_budget_and_time": [0.1], "cost_ratio_p10": [0.95],
        "cost_ratio_p50": [1.15], "cost_ratio_p90": [1.5], "duration_ratio_p10": [0.95],
        "duration_ratio_p50": [1.1], "duration_ratio_p90": [1.3],
    }).set_index("project_id")


def _texts(facts) -> list[str]:
    return [str(s) for s in narrative(facts)]


def test_empty_project_id_means_first_active_project(small, demo_small):
    assert sr.choose_project(small) == "A"
    active = sorted(demo_small.projects.loc[demo_small.projects["stage"] == "active",
                                            "project_id"])
    assert sr.choose_project(demo_small, "") == active[0]
    with pytest.raises(ValueError, match="no project 'ZZZ'"):
        sr.choose_project(small, "ZZZ")


def test_earned_value_sentences_state_numbers_and_source(small):
    facts = sr.status_facts(small, "A", AS_OF)
    texts = _texts(facts)
    # latest update on or before as_of: 2026-06-15 (the July one is ignored)
    assert texts[0] == "Reported RAG is green, at 50% complete (status update of 2026-06-15)."
    # EV = 50% x 1.0 m = 500 k; CPI = 500 k / 600 k
    assert "CPI is 0.83 (EV 500.0 k / AC 600.0 k, status update of 2026-06-15)." in texts
    assert "SPI is 1.11 (EV 500.0 k / PV 450.0 k, status update of 2026-06-15)." in texts
    assert any(t.startswith("At that CPI the estimate at completion is 1.2 m against a budget "
                            "of 1.0 m") for t in texts)
    assert facts.rag == "green" and facts.commentary == "On plan."


def test_every_sentence_has_a_number_and_a_source(demo_small):
    active = demo_small.projects.loc[demo_small.projects["stage"] == "active", "project_id"]
    fc = pd.concat([_forecast(p) for p in active])
    sources = ("status update", "forecast", "risk register", "benefits register",
               "dependencies", "store", "tasks table", "schedule simulation")
    for forecast in (None, fc):
        for pid in active:
            facts = sr.status_facts(demo_small, pid, AS_OF, forecast=forecast,
                                    forecast_name=None if forecast is None else "2026-06-30")
            sentences = narrative(facts)
            assert len(sentences) >= 5
            for s in sentences:
                assert re.search(r"\d", s.text), s.text
                assert s.number in s.text and s.source in s.text
                assert any(word in s.source for word in sources), s.text


def test_sentence_refuses_missing_number_or_source():
    with pytest.raises(ValueError):
        sr.Sentence("CPI is fine (status update).", "0.9", "status update")
    with pytest.raises(ValueError):
        sr.Sentence("CPI is 0.9.", "0.9", "status update")


def test_no_forecast_is_stated_and_nothing_is_invented(small):
    facts = sr.status_facts(small, "A", AS_OF)
    texts = _texts(facts)
    said = [t for t in texts if sr.NO_FORECAST in t]
    assert said == ["No forecast has been run yet on or before 2026-06-30 (no forecast table "
                    "in the store), so no forecast band is shown."]
    assert facts.forecast is None and facts.disagreement is None
    assert not any("P10" in t or "chance of going over budget" in t for t in texts)
    assert list(sr.cost_band_data(facts)["estimate"]) == ["Budget (BAC)", "EAC = BAC / CPI"]


def test_forecast_band_from_the_persisted_table(small):
    facts = sr.status_facts(small, "A", AS_OF, forecast=_forecast(p_over=0.3),
                            forecast_name="2026-06-30")
    texts = _texts(facts)
    assert ("The forecast puts the final cost between 950.0 k and 1.5 m (P10-P90, median "
            "1.1 m) against a budget of 1.0 m (Bayesian forecast of 2026-06-30).") in texts
    assert not any(sr.NO_FORECAST in t for t in texts)
    band = sr.cost_band_data(facts).iloc[-1]
    assert (band["low"], band["value"], band["high"]) == (950_000.0, 1_150_000.0, 1_500_000.0)


def test_forecast_without_this_project_says_so(small):
    facts = sr.status_facts(small, "A", AS_OF, forecast=_forecast("B"), forecast_name="2026-06-01")
    texts = _texts(facts)
    assert ("The forecast covers 1 active projects but not this one, so no forecast band is "
            "shown (Bayesian forecast of 2026-06-01).") in texts


@pytest.mark.parametrize(("rag", "p_over", "p_late", "disagrees"), [
    ("green", 0.51, 0.10, True),
    ("green", 0.10, 0.70, True),
    ("green", 0.50, 0.50, False),   # not more than 50%
    ("amber", 0.95, 0.95, False),   # amber never disagrees
    ("red", 0.10, 0.15, True),
    ("red", 0.25, 0.10, False),
    (None, 0.95, 0.95, False),      # no reported RAG: nothing to disagree with
])
def test_rag_disagreement_rule(rag, p_over, p_late, disagrees):
    assert (sr.rag_disagreement(rag, p_over, p_late) is not None) is disagrees


@pytest.mark.parametrize(("p_over", "expected"), [(0.78, 1), (0.3, 0)])
def test_disagreement_statement_appears_exactly_when_it_should(small, p_over, expected):
    facts = sr.status_facts(small, "A", AS_OF, forecast=_forecast(p_over=p_over),
                            forecast_name="2026-06-30")
    said = [t for t in _texts(facts) if sr.DISAGREES in t]
    assert len(said) == expected
    if expected:
        assert said[0] == ("The reported RAG disagrees with the forecast: reported green, but "
                           "the forecast gives a 78% chance of going over budget (more than "
                           "50%) (status update of 2026-06-15; Bayesian forecast of 2026-06-30).")


def test_top_risks_by_probability_times_pert_mean(small):
    risks = sr.top_risks(small, "A")
    assert list(risks["risk_id"]) == ["R1", "R2"]  # R3 is closed
    # PERT mean (10 + 4 x 20 + 60) / 6 = 25 k; x 0.5
    assert risks.loc[0, "expected_cost"] == pytest.approx(12_500.0)
    assert risks.loc[1, "expected_cost"] == pytest.approx(900.0)
    texts = _texts(sr.status_facts(small, "A", AS_OF))
    assert ("2 open risks carry an expected cost of 13.4 k (probability x PERT mean cost, risk "
            "register).") in texts


def test_benefit_sentence(small):
    texts = _texts(sr.status_facts(small, "A", AS_OF))
    # plan on 2026-06-30: 180 of 364 days = 49%; measured 20 of 100 = 20%
    assert ('Benefit B1 "Revenue" is off track: 20% of the improvement realised against 49% '
            "planned (measurement of 2026-06-30, benefits register).") in texts


def test_knock_on_pushes_the_waiting_project(small):
    # A finishes 2026-12-31; the forecast says 2027-02-15 (46 days late); B starts 2027-01-10
    facts = sr.status_facts(small, "A", AS_OF, forecast=_forecast(p_over=0.3),
                            forecast_name="2026-06-30")
    texts = _texts(facts)
    assert facts.dependents == ["B"] and facts.prerequisites == []
    assert ("This project's finish moving 46 days pushes 1 dependent project(s): B Project B "
            "(by 36 days) "
            "(knock-on through dependencies, slips from the Bayesian forecast of 2026-06-30).") \
        in texts
    b = sr.status_facts(small, "B", AS_OF, forecast=_forecast(p_over=0.3),
                        forecast_name="2026-06-30")
    assert any(t.startswith("Prerequisite A Project A pushes this project's start by 36 days")
               for t in _texts(b))


def test_links_that_push_nothing_name_the_projects(small):
    # no forecast: A's finish does not slip, so B (waiting for A) is not pushed
    texts = _texts(sr.status_facts(small, "A", AS_OF))
    assert any(t.startswith("None of its 1 dependent project(s) (B Project B) is pushed")
               for t in texts), texts
    texts = _texts(sr.status_facts(small, "B", AS_OF))
    assert any(t.startswith("None of its 1 prerequisite(s) (A Project A) pushes its start")
               for t in texts), texts


def test_project_without_updates(small):
    facts = sr.status_facts(small, "B", AS_OF)
    texts = _texts(facts)
    assert texts[0] == ("No status update is recorded on or before 2026-06-30 (status updates "
                        "table), so there is no reported RAG and no earned value.")
    assert sr.evm_table(facts).empty


def test_stored_forecast_is_the_latest_on_or_before_as_of(tmp_path):
    store = Store(tmp_path / "s.db")
    assert not stored_forecast(store, AS_OF).available
    assert not stored_backtest(store, AS_OF).available
    for name, p in (("2026-05-31", 0.1), ("2026-06-30", 0.2), ("2026-07-31", 0.3)):
        store.save_result("forecast", name, frame=_forecast(p_over=p).reset_index(),
                          attrs={"as_of": name})
    found = stored_forecast(store, AS_OF)
    assert found.name == "2026-06-30" and found.attrs["as_of"] == "2026-06-30"
    assert found.table.index.name == "project_id"
    assert found.table.loc["A", "p_over_budget"] == pytest.approx(0.2)
    assert found.table["finish_p50"].dtype == np.dtype("datetime64[ns]")
    assert stored_forecast(store, "2026-06-29").name == "2026-05-31"
    assert not stored_forecast(store, "2026-01-01").available


def test_cost_band_chart(small):
    from pmo_nb.charts import status as charts

    facts = sr.status_facts(small, "A", AS_OF, forecast=_forecast(), forecast_name="2026-06-30")
    spec = charts.cost_band_chart(sr.cost_band_data(facts)).to_dict()
    assert len(spec["layer"]) == 2
    with pytest.raises(ValueError, match="missing column"):
        charts.cost_band_chart(pd.DataFrame({"estimate": ["x"]}))
    with pytest.raises(ValueError, match="no estimate"):
        charts.cost_band_chart(pd.DataFrame(columns=["estimate", "low", "value", "high"]))


def test_the_status_page_shows_earned_value_on_both_baselines():
    """A re-baseline (an approved change) must not hide the overrun against the original."""
    tables = {
        "projects": [{"project_id": "P1", "name": "Grow", "category": "IT", "stage": "active",
                      "start_date": "2026-01-01", "finish_date": "2026-12-31",
                      "budget": 100_000.0}],
        "status_updates": [{"project_id": "P1", "as_of": "2026-06-30", "percent_complete": 50,
                            "actual_cost": 90_000.0, "rag": "amber"}],
        "change_requests": [{"change_id": "C1", "project_id": "P1", "title": "More scope",
                             "raised_date": "2026-03-01", "status": "approved",
                             "decided_date": "2026-03-15", "decided_by": "Board",
                             "cost_impact": 50_000.0}],
    }
    portfolio = Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})
    facts = sr.status_facts(portfolio, "P1", "2026-06-30")
    table = sr.evm_table(facts).set_index("figure")
    assert table.loc["BAC", "value"] == "150.0 k" and table.loc["BAC", "original"] == "100.0 k"
    assert table.loc["EV", "value"] == "75.0 k" and table.loc["EV", "original"] == "50.0 k"
    assert float(table.loc["CPI", "original"]) < float(table.loc["CPI", "value"])

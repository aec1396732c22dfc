"""The change-request form's logic: import-rule checks, the effect on baselines, the save."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from governance_support import AS_OF, table

from pmo_nb.governance import change_form as cf
from pmo_nb.portfolio import Portfolio
from pmo_nb.store.core import Store


@pytest.fixture
def portfolio(changes_portfolio) -> Portfolio:
    """P1 and P2 with their changes, and one benefit of P1."""
    benefits = table("benefits", [{
        "benefit_id": "B1", "project_id": "P1", "name": "Handling time", "unit": "minutes",
        "direction": "decrease", "baseline": 5.0, "target": 4.0, "target_date": "2027-06-30"}])
    return dataclasses.replace(changes_portfolio, benefits=benefits)


def valid_form(**changed) -> cf.ChangeForm:
    """A change to P1 that holds every rule (fields overridden by ``changed``)."""
    fields = {"project_id": "P1", "title": "Add a report", "raised_date": AS_OF.date(),
              "cost_impact": 100.0, "schedule_impact_days": 10.0, "scope_impact": 3.0,
              "benefit_id": "B1", "benefit_impact": -0.5, "reason": "Regulator asked"}
    return cf.ChangeForm(**(fields | changed))


def _state(store: Store) -> tuple[str, int]:
    return store.load().checksum(), len(store.history())


def test_a_valid_change_becomes_one_typed_proposed_row(portfolio):
    result = cf.check(valid_form(), portfolio)
    assert result.ok and result.problems.empty
    assert result.change_id == "CR0001"  # the fixture's ids (C1...) are not CR numbers
    row = result.rows.change_requests.iloc[0]
    assert (row["change_id"], row["project_id"], row["status"]) == ("CR0001", "P1", "proposed")
    assert row["raised_date"] == AS_OF
    assert (row["cost_impact"], row["schedule_impact_days"], row["scope_impact"]) == (
        100.0, 10.0, 3.0)
    assert (row["benefit_id"], row["benefit_impact"]) == ("B1", -0.5)
    assert pd.isna(row["decided_date"]) and len(result.rows.projects) == 0


def test_next_change_id_follows_the_largest_cr_number(portfolio):
    extra = portfolio.change_requests.iloc[[0]].assign(change_id="CR00058")
    more = dataclasses.replace(portfolio, change_requests=pd.concat(
        [portfolio.change_requests, extra], ignore_index=True))
    assert cf.next_change_id(more) == "CR0059"


@pytest.mark.parametrize(("changed", "field", "column", "rule"), [
    ({"title": "  "}, "Title", "title", "required"),
    ({"project_id": ""}, "Project", "project_id", "required"),
    ({"project_id": "P9"}, "Project", "project_id", "must exist"),
    ({"raised_date": None}, "Raised date", "raised_date", "required"),
    ({"raised_date": "31/06/2026"}, "Raised date", "raised_date", "must be a date"),
    ({"cost_impact": "lots"}, "Cost impact", "cost_impact", "must be a number"),
    ({"benefit_id": "B9"}, "Benefit", "benefit_id", "must exist"),
])
def test_each_invalid_change_names_its_problem_and_writes_nothing(
        portfolio, tmp_path, changed, field, column, rule):
    store = Store(tmp_path / "w.db")
    store.import_portfolio(portfolio, source="fixture", file_checksums={})
    before = _state(store)
    result = cf.check(valid_form(**changed), portfolio)
    assert not result.ok and result.rows is None
    found = result.problems
    assert list(found["field"]) == [field], found
    assert found.at[0, "column"] == column and rule in found.at[0, "rule"]
    assert found.at[0, "table"] == "change_requests" and found.at[0, "file"] == cf.LOCATION
    with pytest.raises(ValueError, match="passed check"):
        cf.save(result, store)
    assert _state(store) == before


def test_the_effect_on_the_baseline_and_the_portfolio_budget_is_exact(portfolio):
    result = cf.check(valid_form(), portfolio)
    got = cf.effect(portfolio, result.rows, AS_OF)
    # P1 now: 1000 + C1 (200, 30 days) + C2 (50) approved by 2026-06-30; P2: 500
    assert got == {
        "project_id": "P1", "as_of": AS_OF,
        "budget_now": 1250.0, "budget_after": 1350.0,
        "finish_now": pd.Timestamp("2027-01-30"), "finish_after": pd.Timestamp("2027-02-09"),
        "total_now": 1750.0, "total_after": 1850.0}
    saving = cf.check(valid_form(cost_impact=-250.0, schedule_impact_days=None), portfolio)
    less = cf.effect(portfolio, saving.rows, AS_OF)
    assert (less["budget_after"], less["finish_after"], less["total_after"]) == (
        1000.0, pd.Timestamp("2027-01-30"), 1500.0)


def test_two_saves_to_a_writer_store_take_the_next_ids_there(portfolio, tmp_path):
    reader, writer = Store(tmp_path / "reader.db"), Store(tmp_path / "writer.db")
    for store in (reader, writer):
        store.import_portfolio(portfolio, source="fixture", file_checksums={})
    before = _state(reader)
    read = reader.load()
    ids = []
    for title in ("First change", "Second change"):
        result = cf.check(valid_form(title=title), read)
        assert result.change_id == "CR0001"  # the reader does not see the first save
        summary = cf.save(result, writer)
        ids.append(result.change_id)
        assert summary.source == f"{cf.LOCATION}: {result.change_id} {title}"
    assert ids == ["CR0001", "CR0002"]
    saved = writer.load().change_requests.set_index("change_id")
    assert saved.loc[ids, "title"].tolist() == ["First change", "Second change"]
    assert (saved.loc[ids, "status"] == "proposed").all()
    assert len(writer.history()) == 3
    assert _state(reader) == before

"""Executive insights: the importance score, the ranking, evidence links, missing forecasts."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest
from nbconvert import HTMLExporter

from pmo_nb.briefings import insights as ins
from pmo_nb.briefings.governance_insights import GOVERNANCE_SECTIONS
from pmo_nb.briefings.insights_text import split_headline, to_markdown
from pmo_nb.config import notebooks_dir
from pmo_nb.formatting import md_text
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types

AS_OF = "2026-06-30"
FORECAST_KINDS = {"forecast_overrun", "rag_disagreement"}


def _portfolio(**tables) -> Portfolio:
    return Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})


def _project(pid, budget, stage="active"):
    return {"project_id": pid, "name": f"Project {pid}", "category": "IT", "stage": stage,
            "start_date": "2026-01-01", "finish_date": "2026-12-31", "budget": budget}


def _forecast(rows: dict) -> pd.DataFrame:
    """project_id -> (budget, ratio p10, p50, p90, p_over, p_late)."""
    out = []
    for pid, (budget, r10, r50, r90, p_over, p_late) in rows.items():
        out.append({"project_id": pid, "budget": budget, "cost_ratio_p10": r10,
                    "cost_ratio_p50": r50, "cost_ratio_p90": r90, "cost_p10": budget * r10,
                    "cost_p50": budget * r50, "cost_p90": budget * r90,
                    "p_over_budget": p_over, "p_late": p_late})
    return pd.DataFrame(out).set_index("project_id")


@pytest.fixture()
def case():
    """A: strategic, likely to overrun; B: unaligned, one big risk; C: team over capacity."""
    return _portfolio(
        objectives=[{"objective_id": "O1", "name": "Grow", "weight": 3},
                    {"objective_id": "O2", "name": "Save", "weight": 1}],
        projects=[_project("A", 1_000_000), _project("B", 2_000_000),
                  _project("C", 500_000)],
        alignment=[{"project_id": "A", "objective_id": "O1", "score": 5},
                   {"project_id": "C", "objective_id": "O2", "score": 2}],
        status_updates=[
            {"project_id": p, "as_of": "2026-06-15", "percent_complete": 50,
             "actual_cost": 0.5 * b, "rag": "green"}
            for p, b in (("A", 1_000_000), ("B", 2_000_000), ("C", 500_000))],
        risks=[{"risk_id": "R1", "project_id": "B", "title": "Supplier fails",
                "probability": 0.5, "cost_low": 100_000, "cost_likely": 100_000,
                "cost_high": 100_000, "owner": "Kim", "mitigation": "Second supplier",
                "mitigated_probability": 0.2}],
        teams=[{"team_id": "T1", "name": "Data", "capacity_fte": 2}],
        demand=[{"project_id": "C", "team_id": "T1", "month": "2026-08", "fte": 3},
                {"project_id": "C", "team_id": "T1", "month": "2026-09", "fte": 1}],
    )


def test_strategic_weight_is_weighted_alignment(case):
    w = ins.strategic_weights(case)
    # A: 5/5 on O1 (weight 3/4) -> 0.75; C: 2/5 on O2 (weight 1/4) -> 0.1; B unaligned
    assert w.to_dict() == pytest.approx({"A": 0.75, "B": 0.0, "C": 0.1})


def test_ratio_probability_from_three_quantiles():
    p = ins.p_ratio_above(1.0, [0.9], [1.0], [1.2])
    assert p[0] == pytest.approx(0.5)
    assert ins.p_ratio_above(1.2, [0.9], [1.0], [1.2])[0] == pytest.approx(0.1)
    assert ins.p_ratio_above(0.9, [0.9], [1.0], [1.2])[0] == pytest.approx(0.9)


def test_ranking_on_a_constructed_case(case):
    # A: p10 1.15 > 1.1, so P(overrun > 10%) > 90%; median overrun 300 k
    fc = _forecast({"A": (1_000_000, 1.15, 1.3, 1.6, 0.95, 0.4),
                    "B": (2_000_000, 0.9, 1.0, 1.05, 0.4, 0.2),
                    "C": (500_000, 0.9, 1.0, 1.05, 0.4, 0.2)})
    found = ins.portfolio_insights(case, AS_OF, forecast=fc, forecast_name="2026-06-30")
    t = found.table
    assert list(t["rank"]) == list(range(1, len(t) + 1))
    assert list(t["kind"]) == ["rag_disagreement", "forecast_overrun", "over_allocation",
                               "risk"]
    assert t["importance"].is_monotonic_decreasing
    # green RAG, P(over budget) 95%: the P90 overrun it hides is 600 k, A's weight 0.75
    assert t.iloc[0]["importance"] == pytest.approx(600_000 * 0.95 * 1.75)
    assert t.iloc[0]["projects"] == ["A"]
    over = t.iloc[1]
    p_a = ins.p_ratio_above(1.1, [1.15], [1.3], [1.6])[0]
    assert over["importance"] == pytest.approx(p_a * 300_000 * 1.75)
    # projects are named beside their ids (issue #18), each with its number
    assert over["headline"].startswith("1 project is more than 70% likely to overrun its budget "
                                       f"by more than 10%: A Project A ({p_a:.0%}); median "
                                       "overrun 300.0 k in all")
    assert over["recommendation"].startswith("Ask the sponsors of A Project A for recovery")
    assert t.iloc[0]["headline"].endswith("finishing late: A Project A (95%) (Bayesian forecast "
                                          "of 2026-06-30).")
    # T1 in 2026-08: 3 FTE of 2 -> 50% over; C's 500 k x 1/3 unserved, weight 0.1
    cap = t.iloc[2]
    assert cap["importance"] == pytest.approx(500_000 / 3 * 1.0 * 1.1)
    assert "over-allocated by 50% in 2026-08" in cap["headline"]
    assert cap["recommendation"].startswith("Re-sequence or shift C Project C (the largest "
                                            "demand on T1 in 2026-08), or add 1.0 FTE")
    risk = t.iloc[3]
    assert risk["importance"] == pytest.approx(100_000 * 0.5 * 1.0)
    assert risk["headline"].startswith('Risk R1 "Supplier fails" on B Project B: 50% chance')
    assert "Second supplier, cutting its chance to 20%" in risk["recommendation"]
    assert found.unavailable == [
        "Benefit insights are omitted: no benefit is registered.",
        "Governance insights are omitted: no decisions, requirements or change requests are "
        "recorded."]


def test_missing_forecast_omits_forecast_insights_and_says_so(case):
    found = ins.portfolio_insights(case, AS_OF)
    assert not FORECAST_KINDS & set(found.table["kind"])
    assert found.unavailable == [
        "Forecast-based insights (chance of overrunning, reported RAG against the forecast) are "
        "omitted: no forecast has been run yet on or before 2026-06-30.",
        "Benefit insights are omitted: no benefit is registered.",
        "Governance insights are omitted: no decisions, requirements or change requests are "
        "recorded."]
    assert found.forecast_name is None
    assert not found.table["headline"].str.contains("forecast").any()


def test_every_insight_has_a_recommendation_and_numbers(demo_small):
    t = ins.portfolio_insights(demo_small, AS_OF).table
    assert len(t) >= 5
    for r in t.itertuples():
        assert re.search(r"\d", r.headline) and r.recommendation and r.evidence
        assert r.importance == pytest.approx(r.money_at_stake * r.probability
                                             * (1 + r.strategic_weight))


def _heading_ids(report: str) -> set[str]:
    """Ids nbconvert gives the headings of a report notebook's markdown cells."""
    nb = nbformat.read(notebooks_dir() / f"{report}.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "markdown"]
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    return set(re.findall(r'<h[1-6] id="([^"]+)"', body))


def test_sections_exist_in_their_notebooks():
    for report, heading in ins.SECTIONS.values():
        assert ins.anchor(heading) in _heading_ids(report), (report, heading)
    for heading in GOVERNANCE_SECTIONS.values():
        assert ins.anchor(heading) in _heading_ids("governance"), heading


def test_links_point_at_existing_pages_and_anchors(demo_small):
    active = set(demo_small.projects.loc[demo_small.projects["stage"] == "active", "project_id"])
    ids = {r: _heading_ids(r) for r in {r for r, _ in ins.SECTIONS.values()} | {"governance"}}
    t = ins.portfolio_insights(demo_small, AS_OF).table
    links = list(t["evidence"]) + [link for pages in t["pages"] for link in pages.values()]
    assert links and t["kind"].isin(["decisions_overdue", "pending_changes"]).any()
    for link in links:
        page, _, frag = link.partition("#")
        m = re.fullmatch(r"project_status/(.+)\.html", page)
        if m:
            assert m.group(1) in active  # the fan-out writes a page per active project
            report = "project_status"
        else:
            report = page.removesuffix(".html")
            assert (notebooks_dir() / f"{report}.ipynb").exists()
        assert not frag or frag in ids[report], link


def test_markdown_lists_ranked_insights_with_links(case):
    found = ins.portfolio_insights(case, AS_OF)
    text = to_markdown(found)
    first = text.splitlines()[0]
    assert first == f"1. {md_text(found.table.at[0, 'headline'])}  "
    assert "**" not in text  # headlines are plain text, not a wall of bold
    assert "[capacity.html](capacity.html#Over-allocations-and-the-projects-causing-them)" in text
    empty = ins.Insights(found.table.iloc[0:0])
    assert to_markdown(empty) == "No insight crosses its threshold on this date."


def test_project_page_links_carry_the_projects_name(case):
    text = to_markdown(ins.portfolio_insights(case, AS_OF))
    # the over-allocation's evidence is the capacity report; C's own page is linked by name
    assert "*Project pages:* [C Project C](project_status/C.html)" in text


def test_a_long_list_names_the_first_three_and_counts_the_rest():
    ids = ["P1", "P2", "P3", "P4", "P5"]
    many = _portfolio(
        projects=[_project(p, 1_000_000) for p in ids],
        status_updates=[{"project_id": p, "as_of": "2026-06-15", "percent_complete": 10 * (i + 1),
                         "actual_cost": 800_000, "rag": "amber"} for i, p in enumerate(ids)])
    row = ins.portfolio_insights(many, AS_OF).table.set_index("kind").loc["cost_overrun"]
    # EV = percent complete x 1 m against 800 k spent: CPI 0.12, 0.25, 0.38, 0.50, 0.62
    assert row["headline"].startswith(
        "5 active projects run more than 10% over cost (CPI below 0.90): P1 Project P1 "
        "(CPI 0.12), P2 Project P2 (CPI 0.25), P3 Project P3 (CPI 0.38) and 2 more; ")
    assert row["recommendation"].startswith("Review the cost baselines of P1 Project P1, "
                                            "P2 Project P2, P3 Project P3 and 2 more and agree")
    assert row["projects"] == ids


def test_briefed_insights_keep_their_detail_not_their_claim(case):
    found = ins.portfolio_insights(case, AS_OF)
    lines = [line for line in to_markdown(found, briefed=2).splitlines()
             if re.match(r"\d+\. ", line)]
    for r in found.table.itertuples():
        claim, detail = split_headline(r.headline)
        line = lines[r.rank - 1]
        if r.rank <= 2:
            assert line.startswith(f"{r.rank}. *What to know, item {r.rank}*")
            assert md_text(claim.rstrip(".")) not in line
            assert not detail or md_text(detail) in line
        else:
            assert line == f"{r.rank}. {md_text(r.headline)}  "


def test_a_headline_splits_outside_parentheses():
    assert split_headline("7 changes wait (22 of 27 approved; change requests).") == (
        "7 changes wait (22 of 27 approved; change requests).", "")
    assert split_headline("3 projects overrun: P1 (CPI 0.5); 1 m over.") == (
        "3 projects overrun.", "P1 (CPI 0.5); 1 m over.")


def test_importance_chart(case):
    from pmo_nb.charts import status as charts

    t = ins.portfolio_insights(case, AS_OF).table
    spec = charts.importance_chart(t).to_dict()
    assert spec["mark"]["type"] == "bar"
    with pytest.raises(ValueError, match="no insight"):
        charts.importance_chart(t.iloc[0:0])


def test_a_back_dated_report_compares_the_forecast_with_the_rag_of_its_date(case):
    """A later 'red' must not hide that A reported green on the reporting date (and vice versa)."""
    later = pd.DataFrame([{"project_id": "A", "as_of": "2026-07-20", "percent_complete": 60,
                           "actual_cost": 600_000, "rag": "red"}])
    case.status_updates = pd.concat(
        [case.status_updates, coerce_types("status_updates", later)], ignore_index=True)
    fc = _forecast({"A": (1_000_000, 1.15, 1.3, 1.6, 0.95, 0.4)})
    on_the_date = ins.portfolio_insights(case, AS_OF, forecast=fc, forecast_name=AS_OF).table
    assert "rag_disagreement" in set(on_the_date["kind"])  # green on 2026-06-15, as reported
    after = ins.portfolio_insights(case, "2026-07-31", forecast=fc, forecast_name=AS_OF).table
    assert "rag_disagreement" not in set(after["kind"])  # red by then: no disagreement

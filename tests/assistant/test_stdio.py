"""``pmo mcp --db`` over stdio with the SDK's own client: every tool, the API's numbers."""

from __future__ import annotations

import pandas as pd
import pytest
from mcp_support import AS_OF, result, run_in_own_loop, sha256, stdio_session

import pmo_nb.forecast as fc
from pmo_nb.benefits import benefits_status, needing_attention
from pmo_nb.briefings import narrative, review_pack, status_report
from pmo_nb.capacity import capacity, over_allocations
from pmo_nb.delivery import kpis, rag_counts, stage_counts
from pmo_nb.governance import baseline, decisions_owed, drift_table
from pmo_nb.store import Store

TOOLS = {"portfolio_summary", "find_projects", "project_status", "forecast", "overrun_drivers",
         "what_if_selection", "benefits_behind_plan", "capacity_hotspots", "decisions_owed",
         "baseline_drift"}


def test_every_tool_answers_with_the_numbers_of_the_python_api(mcp_store, reports_dir):
    before = sha256(mcp_store)
    store = Store(mcp_store)
    portfolio = store.load()
    checksum, import_id = portfolio.checksum(), int(store.history()["import_id"].iloc[0])
    stored = fc.stored_forecast(store, AS_OF)
    answers = {}

    async def run():
        async with stdio_session(mcp_store, reports_dir) as s:
            listed = (await s.list_tools()).tools
            assert {t.name for t in listed} == TOOLS
            for t in listed:
                assert t.description and "\n" not in t.description
                assert t.input_schema["type"] == "object"
                assert t.annotations.read_only_hint is True
            answers["summary"] = result(await s.call_tool("portfolio_summary", {}))
            answers["find"] = result(await s.call_tool(
                "find_projects", {"stage": "active", "limit": 3}))
            answers["find2"] = result(await s.call_tool(
                "find_projects", {"stage": "active", "limit": 3, "offset": 3}))
            pid = answers["find"]["items"][0]["project_id"]
            answers["pid"] = pid
            answers["status"] = result(await s.call_tool("project_status", {"project_id": pid}))
            answers["forecast"] = result(await s.call_tool("forecast", {"limit": 100}))
            answers["forecast_one"] = result(await s.call_tool("forecast", {"project_id": pid}))
            answers["drivers"] = result(await s.call_tool("overrun_drivers", {}))
            answers["whatif"] = result(await s.call_tool(
                "what_if_selection", {"budget": 5_000_000, "weights": {"OBJ-01": 3}}))
            answers["benefits"] = result(await s.call_tool("benefits_behind_plan",
                                                           {"limit": 100}))
            answers["capacity"] = result(await s.call_tool("capacity_hotspots", {"limit": 100}))
            answers["owed"] = result(await s.call_tool("decisions_owed", {"limit": 100}))
            answers["drift"] = result(await s.call_tool("baseline_drift", {"limit": 100}))

    run_in_own_loop(run)
    for name, answer in answers.items():
        if isinstance(answer, dict):
            assert answer["as_of"] == "2026-06-30", name
            assert answer["data_checksum"] == checksum, name
            assert answer["import_id"] == import_id, name

    owed = decisions_owed(portfolio, AS_OF)
    assert answers["owed"]["overdue"] == len(owed) == answers["owed"]["total"]
    assert [d["decision_id"] for d in answers["owed"]["items"]] == list(owed["decision_id"])
    drift = drift_table(baseline(portfolio, AS_OF))
    assert [d["project_id"] for d in answers["drift"]["items"]] == list(drift.index[:100])
    summary = answers["summary"]
    assert summary["kpis"] == pytest.approx(kpis(portfolio, AS_OF))
    assert summary["rag_counts"] == rag_counts(portfolio, AS_OF).to_dict("records")
    assert [r["projects"] for r in summary["stage_counts"]] == list(
        stage_counts(portfolio)["projects"])

    active = sorted(portfolio.projects.loc[portfolio.projects["stage"] == "active",
                                           "project_id"])
    assert answers["find"]["total"] == len(active)
    assert [r["project_id"] for r in answers["find"]["items"] + answers["find2"]["items"]] \
        == active[:6]

    pid = answers["pid"]
    facts = status_report.status_facts(portfolio, pid, AS_OF, forecast=stored.table,
                                       forecast_name=stored.name)
    status = answers["status"]
    assert status["forecast"]["name"] == stored.name == "2026-06-30"
    assert [s["text"] for s in status["narrative"]] == [
        s.text for s in narrative(facts)]
    assert status["earned_value"]["cpi"] == pytest.approx(float(facts.evm["cpi"]))
    assert status["forecast_band"]["cost_p50"] == pytest.approx(
        float(stored.table.loc[pid, "cost_p50"]))
    assert status["open_risks"] == len(facts.risks)

    fcast = answers["forecast"]
    assert fcast["available"] and fcast["total"] == len(stored.table)
    by_id = {r["project_id"]: r for r in fcast["items"]}
    for p, row in stored.table.iterrows():
        assert by_id[p]["p_over_budget"] == pytest.approx(float(row["p_over_budget"]))
        assert by_id[p]["finish_p90"] == row["finish_p90"].strftime("%Y-%m-%d")
    assert fcast["summary"]["likely_over_budget"] == int((stored.table["p_over_budget"]
                                                          > 0.5).sum())
    assert answers["forecast_one"]["band"]["cost_p90"] == pytest.approx(
        float(stored.table.loc[pid, "cost_p90"]))

    found = store.load_result("forecast_model", "reference_class")
    drv = fc.drivers(model=fc.ForecastModel.from_bytes(found[1]), seed=0)
    assert answers["drivers"]["sentences"] == fc.describe_drivers(drv)
    assert [r["median"] for r in answers["drivers"]["drivers"]] == pytest.approx(
        list(drv["median"]))

    changes = review_pack.selection_changes(portfolio, 5_000_000, weights={"OBJ-01": 3.0})
    whatif = answers["whatif"]
    assert whatif["optimum"]["selected"] == changes.selection.selected
    assert whatif["optimum"]["value"] == pytest.approx(changes.selection.value)
    assert whatif["optimum"]["proven_optimal"] is True
    assert whatif["fund"] == changes.fund and whatif["drop"] == changes.drop
    assert whatif["sentences"] == changes.sentences

    attention = needing_attention(benefits_status(portfolio, AS_OF))
    assert answers["benefits"]["total"] == len(attention)
    assert [r["benefit_id"] for r in answers["benefits"]["items"]] == list(attention.index)

    cap = capacity(portfolio)
    over = over_allocations(cap, portfolio)
    hot = answers["capacity"]
    assert hot["total"] == int((cap["over"] > 0).sum())
    assert hot["items"][0]["over"] == pytest.approx(float(cap["over"].max()))
    assert {p["project_id"] for p in hot["items"][0]["projects"]} <= set(over["project_id"])
    assert sha256(mcp_store) == before


def test_resources_and_the_briefing_prompt(mcp_store, reports_dir):
    from mcp import MCPError

    async def run():
        async with stdio_session(mcp_store, reports_dir) as s:
            uris = {str(r.uri) for r in (await s.list_resources()).resources}
            assert {"pmo://docs/portfolio-format", "pmo://reports"} <= uris
            spec = await s.read_resource("pmo://docs/portfolio-format")
            assert spec.contents[0].text.startswith("# The portfolio workbook")
            page = await s.read_resource("pmo://reports/portfolio_overview")
            assert page.contents[0].text == "<h1>Overview June</h1>"  # the newest run
            for bad in ("pmo://reports/secret", "pmo://reports/..%2Fsecret",
                        "pmo://reports/nope"):
                with pytest.raises(MCPError):
                    await s.read_resource(bad)
            prompts = (await s.list_prompts()).prompts
            assert [p.name for p in prompts] == ["weekly_portfolio_briefing"]
            got = await s.get_prompt("weekly_portfolio_briefing", {"as_of": "2026-06-30"})
            text = got.messages[0].content.text
            for tool in TOOLS:
                assert tool in text
            assert "2026-06-30" in text

    run_in_own_loop(run)


BAD = [
    ("project_status", {"project_id": "P9999"}, "project_id"),
    ("portfolio_summary", {"as_of": "2026-02-31"}, "as_of"),
    ("forecast", {"as_of": "next week"}, "as_of"),
    ("find_projects", {"stage": "dreaming"}, "stage"),
    ("find_projects", {"limit": 5000}, "limit"),
    ("what_if_selection", {"budget": -1}, "budget"),
    ("what_if_selection", {"weights": {"NOT-AN-OBJECTIVE": 1}}, "weights"),
    ("what_if_selection", {"ahp_matrix": [[1, 2], [0.5]]}, "ahp_matrix"),
    ("benefits_behind_plan", {"project_id": "P9999"}, "project_id"),
    ("capacity_hotspots", {"team_id": "T99"}, "team_id"),
    ("overrun_drivers", {"target": "happiness"}, "target"),
]


def test_bad_arguments_get_a_tool_error_naming_them(mcp_store, reports_dir):
    async def run():
        async with stdio_session(mcp_store, reports_dir) as s:
            for tool, args, name in BAD:
                call = await s.call_tool(tool, args)
                assert call.is_error, (tool, args)
                text = call.content[0].text
                assert name in text and "Traceback" not in text, (tool, text)
            # a write the server does not offer is refused too
            call = await s.call_tool("import_portfolio", {"source": "x.xlsx"})
            assert call.is_error

    before = sha256(mcp_store)
    run_in_own_loop(run)
    assert sha256(mcp_store) == before


def test_without_a_persisted_forecast_it_says_so(bare_store, reports_dir):
    async def run():
        async with stdio_session(bare_store, reports_dir) as s:
            fcast = result(await s.call_tool("forecast", {}))
            assert fcast["available"] is False and "No forecast" in fcast["statement"]
            drv = result(await s.call_tool("overrun_drivers", {}))
            assert drv["available"] is False and "No fitted forecast model" in drv["statement"]
            status = result(await s.call_tool("project_status", {"project_id": "P0026"}))
            assert status["forecast"]["available"] is False
            assert status["forecast_band"] is None
            assert any(status_report.NO_FORECAST in s["text"] for s in status["narrative"])

    run_in_own_loop(run)
    assert Store(bare_store).list_results().empty  # nothing was sampled or saved


def test_the_store_is_opened_read_only(mcp_store):
    from pmo_nb.assistant import Source
    from pmo_nb.errors import StoreError

    before = sha256(mcp_store)
    source = Source(mcp_store)
    assert source.store.read_only
    with pytest.raises(StoreError):
        source.store.save_result("forecast", "2026-07-01", frame=pd.DataFrame({"a": [1]}))
    with pytest.raises(StoreError):
        source.store.import_portfolio(source.portfolio(), source="x", file_checksums={})
    assert sha256(mcp_store) == before

"""Benefit, capacity and network charts encode what they should; the layered layout;
knock-on from a forecast table; the words and burn-up data behind the reports."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest

from pmo_nb import benefits_rollup, benefits_status, capacity, critical_chain, knock_on, level
from pmo_nb.benefits.views import burnup_data, describe_benefits, needing_attention
from pmo_nb.capacity.demand import describe_capacity, over_allocations
from pmo_nb.capacity.dependencies import (
    default_slips,
    describe_chain,
    forecast_finishes,
    layered_layout,
    network_layout,
)
from pmo_nb.capacity.leveling import describe_leveling
from pmo_nb.charts import benefits as cb
from pmo_nb.charts import capacity as cc
from pmo_nb.charts import network as cn
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types

AS_OF = "2026-06-30"


def make(**tables) -> Portfolio:
    return Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})


def project(pid, start, finish, stage="approved", **kw):
    return dict(project_id=pid, name=pid, category="IT", stage=stage, start_date=start,
                finish_date=finish, budget=100.0, **kw)


def layer_data(chart, mark: str) -> pd.DataFrame:
    """The rows a layer with ``mark`` draws (top-level or its own data)."""
    for layer in chart.layer:
        if layer.mark == mark or getattr(layer.mark, "type", None) == mark:
            data = layer.data if isinstance(layer.data, pd.DataFrame) else chart.data
            return data
    raise AssertionError(f"no {mark} layer")


# --- layered layout ------------------------------------------------------------------------

DIAMOND = pd.DataFrame({"project_id": ["B", "C", "D", "D"], "depends_on": ["A", "A", "B", "C"]})


def test_layout_of_a_diamond_with_an_isolated_node():
    out = layered_layout(["A", "B", "C", "D", "E"], DIAMOND)
    assert list(out.index) == ["A", "E", "B", "C", "D"]
    assert out["layer"].to_dict() == {"A": 0, "E": 0, "B": 1, "C": 1, "D": 2}
    assert out["y"].to_dict() == {"A": -0.5, "E": 0.5, "B": -0.5, "C": 0.5, "D": 0.0}


def test_layout_layer_is_the_longest_chain_and_orders_by_barycentre():
    # X -> Z directly and X -> Y -> Z: Z sits after Y (layer 2), not layer 1.
    # W (second in layer 0) feeds V, so V goes below U, which X feeds.
    edges = pd.DataFrame({"project_id": ["Z", "Y", "Z", "V", "U"],
                          "depends_on": ["X", "X", "Y", "W", "X"]})
    out = layered_layout(["X", "W", "V", "U", "Y", "Z"], edges)
    assert out["layer"].to_dict() == {"X": 0, "W": 0, "V": 1, "U": 1, "Y": 1, "Z": 2}
    layer1 = out[out["layer"] == 1].sort_values("order")
    # barycentres: U and Y -0.5 (from X; tie by given order U before Y), V +0.5 (from W)
    assert list(layer1.index) == ["U", "Y", "V"]
    assert list(layer1["y"]) == [-1.0, 0.0, 1.0]


def test_layout_ignores_unknown_nodes_and_refuses_cycles():
    out = layered_layout(["A", "B"], pd.DataFrame({"project_id": ["B", "Q"],
                                                   "depends_on": ["A", "A"]}))
    assert out["layer"].to_dict() == {"A": 0, "B": 1}
    cyc = pd.DataFrame({"project_id": ["A", "B"], "depends_on": ["B", "A"]})
    with pytest.raises(ValueError, match="cycle"):
        layered_layout(["A", "B"], cyc)


# --- knock-on from a forecast ----------------------------------------------------------------

@pytest.fixture
def chain() -> Portfolio:
    """Active P1 (finish 2026-03-31) -> P2 (approved, starts 10 days later)."""
    return make(
        projects=[project("P1", "2026-01-01", "2026-03-31", stage="active"),
                  project("P2", "2026-04-10", "2026-06-30")],
        dependencies=[dict(project_id="P2", depends_on="P1", lag_days=0.0)],
    )


def test_knock_on_takes_the_forecast_median_finish_as_the_slip(chain):
    fc = pd.DataFrame({"finish_p50": [pd.Timestamp("2026-04-30")]},
                      index=pd.Index(["P1"], name="project_id"))
    out = knock_on(chain, forecast=fc).set_index("project_id")
    assert out.attrs["slip_source"] == "forecast"
    assert out.loc["P1", "slip_days"] == 30.0
    assert out.loc["P2", "start_shift_days"] == 20.0  # 10 days of slack absorbed
    # the stored shape (project_id a column, dates as text with a zone) gives the same
    stored = pd.DataFrame({"project_id": ["P1"], "finish_p50": ["2026-04-30T00:00:00.000Z"]})
    assert forecast_finishes(stored).to_dict() == {"P1": pd.Timestamp("2026-04-30")}
    assert default_slips(chain, forecast=stored) == {"P1": 30.0}
    assert critical_chain(chain, forecast=fc).attrs["slip_source"] == "forecast"


def test_knock_on_says_where_slips_came_from(chain):
    assert knock_on(chain, slips={"P1": 5}).attrs["slip_source"] == "given"
    assert knock_on(chain).attrs["slip_source"] == "status"
    with pytest.raises(ValueError, match="finish_p50"):
        knock_on(chain, forecast=pd.DataFrame({"x": [1]}))


def test_describe_chain_in_words(chain):
    cc_ = critical_chain(chain, slips={})
    text = describe_chain(cc_)
    assert "chain of 2 projects (P1 -> P2)" in text and "0 of its 1 links" in text
    single = critical_chain(chain, slips={}, key="P1")
    assert "waits for no other project" in describe_chain(single)


# --- network chart ---------------------------------------------------------------------------

@pytest.fixture
def net():
    pf = make(
        projects=[project("A", "2026-01-01", "2026-01-31"),
                  project("B", "2026-01-31", "2026-03-31"),
                  project("C", "2026-02-15", "2026-04-10"),
                  project("D", "2026-04-10", "2026-06-30"),
                  project("S", "2026-01-01", "2026-02-01")],
        dependencies=[dict(project_id=b, depends_on=a, lag_days=0.0)
                      for b, a in [("B", "A"), ("C", "A"), ("D", "B"), ("D", "C")]],
    )
    knock = knock_on(pf, slips={"A": 10, "S": 5})
    chain = critical_chain(pf, slips={"A": 10, "S": 5}, key="D")
    return pf, knock, chain


def test_network_chart_highlights_slipping_and_pushed_projects(net):
    pf, knock, chain = net
    layout = network_layout(pf, include=knock["project_id"])
    assert set(layout.index) == {"A", "B", "C", "D", "S"}  # S: slipping, though unlinked
    chart = cn.network_chart(layout, pf.dependencies, knock, chain)
    nodes = layer_data(chart, "circle").set_index("project_id")
    # A's 10 days push B (no slack); B's 10 days vanish in D's 10 days of slack
    assert nodes["role"].to_dict() == {"A": "slipping", "S": "slipping", "B": "pushed",
                                       "C": "not moving", "D": "not moving"}
    assert list(chain["project_id"]) == ["A", "B", "D"]
    assert nodes["on_chain"].to_dict() == {"A": True, "B": True, "C": False, "D": True,
                                           "S": False}
    edges = layer_data(chart, "rule")
    assert len(edges) == 4
    assert set(edges.loc[edges["on_chain"], "project_id"]) == {"B", "D"}
    spec = chart.to_dict()
    colour = next(layer["encoding"]["color"] for layer in spec["layer"]
                  if layer["mark"]["type"] == "circle")
    assert colour["scale"]["range"][0] == cn.ROLE_COLOURS["slipping"]
    # ids on the nodes, "A Project A" in the tooltip (issue #18)
    names = pf.projects.set_index("project_id")["name"]
    assert nodes["project"].to_dict() == {p: f"{p} {names[p]}" for p in nodes.index}
    circle = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "circle")
    assert circle["encoding"]["tooltip"][0]["field"] == "project"
    text = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert text["encoding"]["text"]["field"] == "project_id"
    assert "hover one for its name" in cn.network_chart.how_to_read
    assert cn.network_chart(layout, pf.dependencies, knock, chain, x="start").to_dict()


def test_network_chart_checks_its_input(net):
    pf, knock, chain = net
    layout = network_layout(pf)
    with pytest.raises(ValueError, match="missing column"):
        cn.network_chart(layout.drop(columns="y"), pf.dependencies)
    with pytest.raises(ValueError, match="x must be"):
        cn.network_chart(layout, pf.dependencies, x="finish")
    with pytest.raises(ValueError, match="no projects"):
        cn.network_chart(layout.iloc[:0], pf.dependencies)
    with pytest.raises(ValueError, match="DataFrame"):
        cn.network_chart(layout, pf.dependencies.to_dict("list"))


# --- capacity charts -------------------------------------------------------------------------

def test_heatmap_has_every_team_month_cell_and_outlines_the_over_ones(demo_small):
    cap = capacity(demo_small)
    chart = cc.capacity_heatmap(cap)
    data = chart.data
    assert len(data) == cap["team_id"].nunique() * cap["month"].nunique() == len(cap)
    assert set(zip(data["team_id"], data["month"], strict=True)) == set(
        zip(cap["team_id"], cap["month"], strict=True))
    spec = chart.to_dict()
    outline = spec["layer"][1]
    assert outline["transform"] == [{"filter": "datum.is_over"}]
    assert int(data["is_over"].sum()) == int((cap["over"] > 0).sum()) > 0
    assert data["shown"].max() <= cc.UTILISATION_CAP
    assert spec["layer"][0]["encoding"]["y"]["sort"] == list(dict.fromkeys(cap["team_id"]))


def test_heatmap_readable_at_50_teams_by_36_months():
    teams = [f"T{i:02d}" for i in range(50)]
    months = [str(p) for p in pd.period_range("2026-01", periods=36, freq="M")]
    rng = np.random.default_rng(0)
    cap = pd.DataFrame([(t, m) for t in teams for m in months], columns=["team_id", "month"])
    cap["capacity"] = 4.0
    cap["demand"] = rng.uniform(0, 6, len(cap)).round(1)
    cap["utilisation"] = cap["demand"] / cap["capacity"]
    cap["over"] = (cap["demand"] - cap["capacity"]).clip(lower=0)
    chart = cc.capacity_heatmap(cap)
    spec = chart.to_dict()
    assert spec["width"] == {"step": 14} and spec["height"] == {"step": 14}  # ~500 x 700 px
    assert len(chart.data) == 1800


def test_heatmap_zero_capacity_with_demand_shows_as_overloaded():
    cap = pd.DataFrame({"team_id": ["T1", "T1"], "month": ["2026-01", "2026-02"],
                        "demand": [1.0, 0.0], "capacity": [0.0, 0.0],
                        "utilisation": [np.nan, np.nan], "over": [1.0, 0.0]})
    assert list(cc.capacity_heatmap(cap).data["shown"]) == [cc.UTILISATION_CAP, 0.0]


def test_capacity_charts_check_input(demo_small):
    cap = capacity(demo_small)
    with pytest.raises(ValueError, match="missing column"):
        cc.capacity_heatmap(cap.drop(columns="over"))
    with pytest.raises(ValueError, match="no team-months"):
        cc.capacity_heatmap(cap.iloc[:0])
    with pytest.raises(ValueError, match="positive"):
        cc.capacity_heatmap(cap, cell=0)
    with pytest.raises(ValueError, match="missing column"):
        cc.overload_chart(cap, cap.drop(columns="over"))


def test_overload_chart_totals_before_and_after_leveling(demo_small):
    cap = capacity(demo_small)
    plan = level(demo_small, 3, as_of=AS_OF, time_limit=20)
    moves = {p: s for p, s in zip(plan["project_id"], plan["shift_months"], strict=True) if s}
    after = capacity(demo_small, scenario=moves)
    chart = cc.overload_chart(cap, after)
    data = chart.data
    totals = data.groupby("plan")["over"].sum()
    assert totals["before"] == pytest.approx(plan.attrs["overload_before"])
    assert totals["after"] == pytest.approx(plan.attrs["overload_after"])
    assert totals["after"] < totals["before"]
    assert len(data) == 2 * data["month"].nunique()  # both plans on every month shown
    assert chart.to_dict()["title"].startswith("Overload before leveling")
    text = describe_leveling(plan)
    assert f"{plan.attrs['overload_before']:.1f} to {plan.attrs['overload_after']:.1f}" in text
    lines = describe_capacity(cap, over_allocations(cap, demo_small))
    assert lines[0].startswith(f"{int((cap['over'] > 0).sum())} of {len(cap)} team-months")


# --- benefits --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def benefit_tables(demo_small):
    status = benefits_status(demo_small, AS_OF)
    return status, benefits_rollup(status, demo_small)


def test_needing_attention_orders_worst_first_and_keeps_owners(benefit_tables):
    status, _ = benefit_tables
    att = needing_attention(status)
    flagged = status["status"].isin(["off_track", "at_risk", "not_measured"])
    assert set(att.index) == set(status.index[flagged | status["late_first_measurement"]])
    rank = att["status"].map({"off_track": 0, "at_risk": 1, "not_measured": 2}).fillna(3)
    assert rank.is_monotonic_increasing
    assert att["owner"].notna().all()
    off = att[att["status"] == "off_track"].iloc[0]
    assert f"{off['realised_share']:.0%} of the improvement realised" in off["reason"]
    assert len(needing_attention(status, top_n=3)) == 3


def test_describe_benefits_counts_add_up(benefit_tables):
    status, rollup = benefit_tables
    words = describe_benefits(status, rollup)
    n = status["status"].value_counts()
    assert words[0].startswith(f"Of {len(status)} benefits: {n['on_track']} on track")
    assert f"{rollup.attrs['total']['realised_share']:.0%} of the committed" in words[1]


def test_burnup_data_plan_runs_baseline_to_target_and_band_ends_at_target(benefit_tables,
                                                                          demo_small):
    status, _ = benefit_tables
    measured = status.index[(status["n_measurements"] >= 2)
                            & (status["target_date"] > pd.Timestamp(AS_OF))][0]
    data = burnup_data(status, demo_small, [measured])
    plan = data[data["series"] == "plan"]
    row = status.loc[measured]
    assert plan["value"].iloc[0] == pytest.approx(row["baseline"])
    assert plan["value"].iloc[-1] == pytest.approx(row["target"])
    assert plan["date"].iloc[-1] == row["target_date"]
    actual = data[data["series"] == "actual"]
    assert len(actual) == row["n_measurements"] and actual["date"].max() <= pd.Timestamp(AS_OF)
    fc = data[data["series"] == "forecast"].sort_values("date")
    end = fc.iloc[-1]  # the band's end is benefits_status's forecast at target_date
    assert end["value"] == pytest.approx(row["forecast_value"])
    assert end["low"] == pytest.approx(row["forecast_low"])
    assert end["high"] == pytest.approx(row["forecast_high"])
    assert (fc["low"] <= fc["value"]).all() and (fc["value"] <= fc["high"]).all()
    with pytest.raises(ValueError, match="unknown benefit"):
        burnup_data(status, demo_small, ["NOPE"])


def test_burnup_chart_one_panel_per_benefit_with_own_scale(benefit_tables, demo_small):
    status, _ = benefit_tables
    ids = list(needing_attention(status).index[:4])
    data = burnup_data(status, demo_small, ids)
    chart = cb.burnup_chart(data, columns=2)
    assert isinstance(chart, alt.FacetChart)
    spec = chart.to_dict()
    assert spec["facet"]["sort"] == list(dict.fromkeys(data["label"]))
    assert len(spec["facet"]["sort"]) == len(ids)
    assert spec["resolve"]["scale"]["y"] == "independent"
    assert spec["columns"] == 2
    filters = [layer.get("transform", [{}])[0].get("filter") for layer in spec["spec"]["layer"]]
    assert "datum.series == 'forecast'" in filters and "datum.series == 'actual'" in filters
    with pytest.raises(ValueError, match="missing column"):
        cb.burnup_chart(data.drop(columns="low"))
    with pytest.raises(ValueError, match="no rows"):
        cb.burnup_chart(data.iloc[:0])
    with pytest.raises(ValueError, match="unknown series"):
        cb.burnup_chart(data.assign(series="guess"))
    with pytest.raises(ValueError, match="columns"):
        cb.burnup_chart(data, columns=0)


def test_rollup_chart_encodes_committed_realised_forecast_at_risk(benefit_tables):
    status, rollup = benefit_tables
    chart = cb.rollup_chart(rollup)
    data = chart.data.set_index(["group", "measure"])["benefits"]
    name = rollup["objective"].iloc[1]
    row = rollup.iloc[1]
    assert data[(name, "committed")] == row["committed"]
    assert data[(name, "realised")] == pytest.approx(row["realised"])
    assert data[(name, "forecast at target")] == pytest.approx(
        row["forecast_share"] * row["forecasted"])
    assert data[(name, "at risk or off track")] == row["at_risk"] + row["off_track"]
    assert len(chart.data) == 4 * len(rollup)
    chart.to_dict()
    with pytest.raises(ValueError, match="missing column"):
        cb.rollup_chart(rollup.drop(columns="realised"))
    with pytest.raises(ValueError, match="positive"):
        cb.rollup_chart(rollup, width=0)

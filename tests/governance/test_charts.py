"""The governance chart builders draw the analyses' frames and refuse empty ones."""

from __future__ import annotations

import pandas as pd
import pytest
from governance_support import AS_OF

from pmo_nb.charts import governance as gov_charts
from pmo_nb.governance import baseline, burnup, drift_table, league_table, scope_change


def test_drift_growth_and_burnup_charts(changes_portfolio, scope_portfolio):
    drift = drift_table(baseline(changes_portfolio, AS_OF))
    assert list(drift.index) == ["P1"]
    spec = gov_charts.drift_chart(drift).to_dict()
    assert spec["mark"]["type"] == "bar"
    name = changes_portfolio.projects.set_index("project_id").at["P1", "name"]
    (rows,) = spec["datasets"].values()
    assert [r["project"] for r in rows] == [f"P1 {name}"]  # named, not a bare id
    assert spec["encoding"]["y"]["field"] == "project"
    assert spec["encoding"]["tooltip"][0]["field"] == "project"
    growth = gov_charts.growth_chart(league_table(scope_change(scope_portfolio, AS_OF)))
    assert growth.to_dict()["encoding"]["x"]["field"] == "share"
    names = scope_portfolio.projects.set_index("project_id")["name"]
    burn = gov_charts.scope_burnup_chart(burnup(scope_portfolio, AS_OF), names=names).to_dict()
    assert burn["facet"]["field"] == "project"
    (rows,) = burn["datasets"].values()
    assert {r["project"] for r in rows} <= {f"{i} {n}" for i, n in names.items()}


def test_empty_frames_are_refused():
    with pytest.raises(ValueError, match="no drift"):
        gov_charts.drift_chart(pd.DataFrame(columns=["drift_money", "drift_days"]))
    with pytest.raises(ValueError, match="no rows"):
        gov_charts.scope_burnup_chart(pd.DataFrame(
            columns=["project_id", "date", "scope", "baseline", "done"]))
    with pytest.raises(ValueError, match="missing column"):
        gov_charts.growth_chart(pd.DataFrame({"growth": [0.1]}))

"""Every chart builder carries a one-line "how to read this", and show() prints it escaped."""

from __future__ import annotations

import importlib
import inspect

import pandas as pd

from pmo_nb import charts
from pmo_nb.charts.reading import HOW_TO_READ

MODULES = ["benefits", "capacity", "executive", "forecast", "governance", "network", "overview",
           "plans", "prioritisation", "risk", "status"]


def _builders():
    for name in MODULES:
        module = importlib.import_module(f"pmo_nb.charts.{name}")
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and (fname.endswith("_chart")
                                                     or fname == "capacity_heatmap"):
                yield fname, fn


def test_every_chart_builder_has_its_line_and_every_line_a_builder():
    builders = dict(_builders())
    assert len(builders) >= 30
    missing = [n for n, fn in builders.items() if getattr(fn, "how_to_read", None) is None]
    assert missing == []
    assert set(HOW_TO_READ) == set(builders)
    assert all(20 < len(line) < 220 and line.endswith(".") for line in HOW_TO_READ.values())


def test_the_line_is_the_charts_description_and_is_escaped():
    chart = charts.stage_chart(pd.DataFrame({"stage": ["active"], "projects": [3]}))
    assert chart.to_dict()["description"] == HOW_TO_READ["stage_chart"]
    assert charts.how_to_read(chart) == HOW_TO_READ["stage_chart"]
    own = chart.properties(description="<b>mine</b>")
    html = charts.reading_html(own)
    assert "&lt;b&gt;mine&lt;/b&gt;" in html and "<b>" not in html
    assert charts.reading_html(charts.stage_chart) == charts.reading_html(chart)
    assert 'class="pmo-how-to-read"' in charts.chart_html(chart)


def test_heatmap_rows_carry_team_names_beside_their_ids():
    from pmo_nb.charts.capacity import capacity_heatmap

    cap = pd.DataFrame({"team_id": ["T1", "T2"], "month": ["2026-07", "2026-07"],
                        "demand": [3.0, 1.0], "capacity": [2.0, 2.0],
                        "utilisation": [1.5, 0.5], "over": [1.0, 0.0]})
    spec = capacity_heatmap(cap, teams=pd.Series({"T1": "Data <Ops>"})).to_dict()
    rows = {d["team"] for d in next(iter(spec["datasets"].values()))}
    assert rows == {"T1 Data <Ops>", "T2"}  # Vega draws text as text: no markup to escape
    plain = capacity_heatmap(cap).to_dict()
    assert {d["team"] for d in next(iter(plain["datasets"].values()))} == {"T1", "T2"}

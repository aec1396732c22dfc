"""The offline Vega bundle: built once, cached, and shared by URL under ``pmo serve``."""

from __future__ import annotations

import hashlib
import json

import altair as alt
import pandas as pd
import pytest

from pmo_nb import charts
from pmo_nb.charts import display, offline
from pmo_nb.config import STATIC_DIR_ENV

STAGES = pd.DataFrame({"stage": ["proposed", "active"], "projects": [2, 5]})


@pytest.fixture
def bundler(monkeypatch):
    """A fake vl_convert.javascript_bundle that counts its calls; JupyterChart starts online."""
    import vl_convert

    calls = []

    def fake(src, vl_version=None):
        calls.append(vl_version)
        return f"/* bundle {len(calls)} */ const vega = 1;"

    monkeypatch.setattr(vl_convert, "javascript_bundle", fake)
    monkeypatch.setattr(alt.JupyterChart, "_is_offline", False)
    monkeypatch.setattr(alt.JupyterChart, "_esm", "import x from 'https://cdn'")
    return calls


def _go_online():
    alt.JupyterChart._is_offline = False
    alt.JupyterChart._esm = "import x from 'https://cdn'"


def test_offline_bundle_is_built_once_then_read_from_the_cache(bundler):
    display.enable_offline()
    assert len(bundler) == 1 and alt.JupyterChart._is_offline
    assert alt.JupyterChart._esm == "/* bundle 1 */ const vega = 1;"
    (cached,) = display.cache_dir().glob("vega-bundle-altair*.js")
    assert alt.__version__ in cached.name
    _go_online()  # a new kernel
    display.enable_offline()
    assert len(bundler) == 1  # not rebuilt
    assert alt.JupyterChart._is_offline
    assert alt.JupyterChart._esm == "/* bundle 1 */ const vega = 1;"


@pytest.mark.parametrize("damage", [
    b"garbage", b"", b"\xff\xfe not utf-8",
    "truncate",  # a valid header whose body was cut short
])
def test_a_damaged_cache_file_is_rebuilt(bundler, damage):
    display.enable_offline()
    (cached,) = display.cache_dir().glob("vega-bundle-*.js")
    cached.write_bytes(cached.read_bytes()[:-5] if damage == "truncate" else damage)
    _go_online()
    display.enable_offline()
    assert len(bundler) == 2  # rebuilt, not served damaged
    assert alt.JupyterChart._esm == "/* bundle 2 */ const vega = 1;"
    _go_online()
    display.enable_offline()  # the repaired file is used
    assert len(bundler) == 2 and alt.JupyterChart._esm == "/* bundle 2 */ const vega = 1;"


def test_an_unwritable_cache_falls_back_to_altair(bundler, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(display.CACHE_ENV, str(blocker / "cache"))
    display.enable_offline()
    assert alt.JupyterChart._is_offline and len(bundler) == 1
    _go_online()
    display.enable_offline()
    assert alt.JupyterChart._is_offline and len(bundler) == 2
    assert list(tmp_path.iterdir()) == [blocker]  # no temporary file left behind


def test_changed_altair_internals_fall_back_to_altair(bundler, monkeypatch):
    monkeypatch.setattr(alt.JupyterChart, "_is_offline", None)  # not the flag we rely on
    calls = []
    monkeypatch.setattr(alt.JupyterChart, "enable_offline",
                        classmethod(lambda cls: calls.append(1)))
    display.enable_offline()
    assert calls == [1] and not list(display.cache_dir().glob("*"))


def test_without_a_server_folder_the_widgets_embed_the_bundle(bundler, monkeypatch):
    monkeypatch.delenv(STATIC_DIR_ENV, raising=False)
    display.enable_offline()
    assert alt.JupyterChart._esm == "/* bundle 1 */ const vega = 1;"
    assert offline.shared_stub("const vega = 1;") is None


def test_under_pmo_serve_the_widgets_import_the_bundle_from_the_server(
        bundler, monkeypatch, tmp_path):
    static = tmp_path / "static"
    monkeypatch.setenv(STATIC_DIR_ENV, str(static))
    display.enable_offline()
    bundle = "/* bundle 1 */ const vega = 1;"
    digest = hashlib.sha256(bundle.encode()).hexdigest()[:16]
    (served,) = static.iterdir()
    assert served.name == f"vega-bundle-{digest}.js"
    assert offline._read_bundle(served) == bundle  # whole, checked like the cache file
    stub = alt.JupyterChart._esm
    assert alt.JupyterChart._is_offline and "const vega" not in stub and len(stub) < 600
    url = json.dumps(f"voila/templates/pmo/static/{served.name}?v={digest}")
    assert f"await import(new URL(base.replace(/\\/*$/, \"/\") + {url}," in stub
    assert "jupyter-config-data" in stub and stub.rstrip().endswith(
        "export default bundle.default;")
    # a chart's own state now carries the stub, not the bundle
    widget = charts.jupyter_chart(charts.stage_chart(STAGES))
    assert widget._esm == stub
    # the next kernel finds the file intact and leaves it alone
    before = served.stat().st_mtime_ns
    _go_online()
    display.enable_offline()
    assert alt.JupyterChart._esm == stub and served.stat().st_mtime_ns == before


@pytest.mark.parametrize("damage", [b"", b"// sha256:0\nconst vega = 2;"])
def test_a_damaged_served_bundle_is_rewritten(bundler, monkeypatch, tmp_path, damage):
    monkeypatch.setenv(STATIC_DIR_ENV, str(tmp_path / "static"))
    display.enable_offline()
    (served,) = (tmp_path / "static").iterdir()
    served.write_bytes(damage)
    _go_online()
    display.enable_offline()
    assert offline._read_bundle(served) == "/* bundle 1 */ const vega = 1;"
    assert len(bundler) == 1  # the cache was intact: only the served copy was redone


def test_an_unwritable_server_folder_falls_back_to_the_embedded_bundle(
        bundler, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(STATIC_DIR_ENV, str(blocker / "static"))
    display.enable_offline()
    assert alt.JupyterChart._is_offline
    assert alt.JupyterChart._esm == "/* bundle 1 */ const vega = 1;"


def test_a_compiled_spec_is_the_vega_of_the_chart_with_its_rows_and_click_selection():
    from pmo_nb.charts import executive as echarts

    forecast = pd.DataFrame({"name": ["Alpha <b>", "Beta"], "category": ["IT", "Ops"],
                             "budget": [1e6, 2e6], "p_over_budget": [0.9, 0.2],
                             "p_late": [0.5, 0.1]},
                            index=pd.Index(["P1", "P2"], name="project_id"))
    chart = echarts.overrun_chart(forecast)
    vega = charts.compiled_spec(chart.to_dict())
    # vega-embed tells a Vega spec from a Vega-Lite one by this
    assert vega["$schema"] == "https://vega.github.io/schema/vega/v6.json"
    rows = {d["name"]: d.get("values") for d in vega["data"]}
    (values,) = [v for v in rows.values() if v and "p_late" in v[0]]
    assert [(r["project_id"], r["name"], r["p_over_budget"]) for r in values] == [
        ("P1", "Alpha <b>", 0.9), ("P2", "Beta", 0.2)]  # texts are data, unchanged
    # the dashboard's click-to-open listens to the selection's signal and store by name
    assert echarts.PICK in {s["name"] for s in vega["signals"]}
    assert f"{echarts.PICK}_store" in rows


def test_a_spec_vl_convert_refuses_is_left_for_the_browser_to_compile():
    odd = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "mark": {"type": 7}}
    assert charts.compiled_spec(odd) is odd

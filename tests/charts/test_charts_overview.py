"""Chart builders check their input; show() renders offline for reports and dashboards."""

from __future__ import annotations

import subprocess
import sys

import altair as alt
import IPython.display
import pandas as pd
import pytest

from pmo_nb import charts

STAGES = pd.DataFrame({"stage": ["proposed", "active"], "projects": [2, 5]})
BUDGETS = pd.DataFrame({"category": ["IT", "Product"], "budget": [3e6, 1e6]})
RAG = pd.DataFrame({"rag": ["green", "amber", "red", "unreported"], "projects": [4, 2, 1, 0]})


EVM = pd.DataFrame({"project_id": ["P1", "P2", "P3"], "category": ["IT", "IT", "Product"],
                    "cpi": [0.8, 1.1, None], "spi": [0.9, 1.0, 1.2]})


@pytest.mark.parametrize("build, data", [
    (charts.stage_chart, STAGES), (charts.budget_chart, BUDGETS),
    (charts.rag_chart, RAG), (charts.cpi_spi_chart, EVM),
])
def test_builders_return_charts_and_check_columns(build, data):
    chart = build(data)
    assert isinstance(chart, alt.TopLevelMixin)
    chart.to_dict()  # a valid Vega-Lite spec
    with pytest.raises(ValueError, match="missing column"):
        build(data.drop(columns=data.columns[-1]))
    with pytest.raises(ValueError, match="DataFrame"):
        build(data.to_dict("list"))
    with pytest.raises(ValueError, match="positive"):
        build(data, width=0)


def test_rag_chart_colours_and_rejects_unknown_values():
    spec = charts.rag_chart(RAG).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["green", "amber", "red", "unreported"]
    assert scale["range"] == [charts.RAG_COLOURS[r] for r in scale["domain"]]
    with pytest.raises(ValueError, match="unknown RAG"):
        charts.rag_chart(pd.DataFrame({"rag": ["purple"], "projects": [1]}))


def test_cpi_spi_chart_leaves_out_rows_without_both_ratios():
    spec = charts.cpi_spi_chart(EVM).to_dict()
    points = [v for v in spec["datasets"].values() if v and "cpi" in v[0]]
    assert [p["project_id"] for p in points[0]] == ["P1", "P2"]


def test_to_svg_renders_locally():
    svg = charts.to_svg(charts.stage_chart(STAGES))
    assert svg.startswith("<svg") and "Projects by stage" in svg


@pytest.fixture
def shown(monkeypatch):
    """What show() passed to IPython's display()."""
    calls = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: calls.append((obj, kw)))
    return calls


def test_show_static_embeds_svg_as_html(monkeypatch, shown):
    monkeypatch.setenv(charts.RENDER_ENV, "static")
    assert charts.show(charts.budget_chart(BUDGETS)) is None
    (bundle, kwargs), = shown
    assert kwargs == {"raw": True}
    assert bundle["text/html"].startswith('<div class="pmo-chart"><svg')
    assert "Budget by category" in bundle["text/html"]


def test_show_interactive_returns_an_offline_jupyter_chart(monkeypatch, shown):
    monkeypatch.delenv(charts.RENDER_ENV, raising=False)
    widget = charts.show(charts.stage_chart(STAGES))
    assert isinstance(widget, alt.JupyterChart)
    assert shown[0][0] is widget
    # offline: Vega comes bundled from vl-convert, not imported from a CDN
    assert alt.JupyterChart._is_offline
    assert "cdn.jsdelivr" not in widget._esm and "import " not in widget._esm[:200]
    widget.chart = charts.stage_chart(STAGES.assign(projects=[1, 3]))  # dashboards do this
    (rows,) = widget.spec["datasets"].values()
    assert [r["projects"] for r in rows] == [1, 3]


def test_show_rejects_non_charts():
    with pytest.raises(ValueError, match="Altair chart"):
        charts.show("not a chart")


def test_charts_import_defers_the_iri_grammar_without_changing_iri_checks():
    code = (
        "import sys, pmo_nb.charts, jsonschema\n"
        "print('rfc3987_syntax' in sys.modules)\n"
        "fc = jsonschema.Draft7Validator.FORMAT_CHECKER\n"
        "print(fc.conforms('http://example.com/a?b#c', 'iri'),"
        " fc.conforms('http://exa mple.com/<a>', 'iri'), fc.conforms('../x y', 'iri-reference'),"
        " fc.conforms('#/definitions/X<y>', 'uri-reference'), fc.conforms('#ff00aa', 'color'))\n"
        "import rfc3987_syntax\n"
        "print(rfc3987_syntax.is_valid_syntax('iri', 'http://example.com/'),"
        " hasattr(rfc3987_syntax, 'syntax_helpers'))\n"  # the real module
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:3] == ["False", "True False False False True", "True True"]


def test_the_shared_altair_lookup_gives_the_specs_altair_gives_alone(monkeypatch):
    # display shares Altair's schema -> class table between from_dict calls (a speed-up
    # patch on a private class): the specs must be exactly those of Altair unpatched
    from altair.utils import schemapi

    patched = schemapi._FromDict.__init__
    assert getattr(patched, "shared_table", False), "the lookup patch is not active"
    built = [charts.stage_chart(STAGES), charts.budget_chart(BUDGETS), charts.rag_chart(RAG),
             charts.cpi_spi_chart(EVM)]
    shared = [c.to_json(sort_keys=True) for c in built]
    shared += [alt.Chart.from_dict(c.to_dict()).to_json(sort_keys=True) for c in built]
    monkeypatch.setattr(schemapi._FromDict, "__init__", patched.original)
    alone = [c.to_json(sort_keys=True) for c in built]
    alone += [alt.Chart.from_dict(c.to_dict()).to_json(sort_keys=True) for c in built]
    assert shared == alone

"""The dashboard and a report as a person sees them, in headless Chromium.

The Voila server is started exactly as ``pmo serve`` starts it (same argv and
environment, on a free port, with the small demo store). Every request the
page makes is recorded: anything leaving 127.0.0.1 fails the test, because
the dashboards must work on a machine without internet access.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
from pathlib import Path

import pytest
from browser_util import (
    BROWSER_MARKS,
    FILE_ORIGINS,
    LOAD_TIMEOUT_MS,
    SERVER_ORIGINS,
    VoilaServer,
    kpi_value,
    outside,
    screenshot_on_failure,
    wait_text,
)

from pmo_nb.delivery import overview as overview

pytestmark = BROWSER_MARKS

AS_OF = "2026-06-30"
DASHBOARD = "/voila/render/portfolio_health.ipynb"


def _wait_kpi(page, key: str, want: str) -> None:
    wait_text(page, f".pmo-kpi-{key} .pmo-kpi-value", want)


def _stage_bars_match(page, portfolio) -> None:
    """Wait until the stage chart draws one bar per stage with the expected count."""
    for row in overview.stage_counts(portfolio).itertuples():
        page.wait_for_selector(
            f'.pmo-chart-stage path[aria-label^="Stage: {row.stage}; Projects: {row.projects};"]',
            state="attached", timeout=30_000,
        )


def test_dashboard_filter_updates_charts_and_tiles(server, page, demo_small):
    with screenshot_on_failure(page, "dashboard_filter"):
        page.goto(server.base + DASHBOARD)
        for key in ("stage", "budget", "rag", "cpi-spi"):
            page.wait_for_selector(f".pmo-chart-{key} svg.marks", state="visible",
                                   timeout=LOAD_TIMEOUT_MS)
        assert kpi_value(page, "projects") == str(len(demo_small.projects))
        _stage_bars_match(page, demo_small)
        before = page.inner_html(".pmo-chart-stage svg.marks")

        # the smallest category, so every number visibly changes
        sizes = demo_small.projects["category"].value_counts()
        category = str(sizes.index[-1])
        part = overview.filter(demo_small, category=category)
        today = dt.date.today().isoformat()  # the dashboard's default reporting date
        rag = overview.rag_counts(part, today).set_index("rag")["projects"]
        page.select_option(".pmo-filter-category select", category)

        # each tile is its own widget message, so wait for each one asserted
        _wait_kpi(page, "projects", str(len(part.projects)))
        _wait_kpi(page, "live", str(len(overview.live_projects(part))))
        _wait_kpi(page, "red", str(int(rag["red"])))
        _stage_bars_match(page, part)
        assert page.inner_html(".pmo-chart-stage svg.marks") != before
        bars = page.locator('.pmo-chart-budget path[aria-label*="Category: "]')
        assert bars.count() == 1
        assert f"Category: {category};" in bars.first.get_attribute("aria-label")
        assert page.is_visible(".pmo-chart-stage svg.marks")

    assert outside(page.requested, SERVER_ORIGINS) == []
    assert any(u.startswith(server.base + DASHBOARD) for u in page.requested)


def _get(server, path: str) -> tuple[int, bytes]:
    """GET ``path`` as sent (no client-side normalisation of ``..``)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_only_dashboards_are_served(server, demo_db):
    store = Path(demo_db)
    private = [
        "/voila/files/portfolio_health.ipynb",  # the dashboard's source
        "/voila/files/../pyproject.toml",
        "/voila/files/%2e%2e/pyproject.toml",
        "/voila/files/..%2fpyproject.toml",
        "/voila/files/../notebooks/portfolio_overview.ipynb",
        "/voila/render/../notebooks/portfolio_overview.ipynb",
        "/voila/render/%2e%2e/notebooks/portfolio_overview.ipynb",
        "/voila/files/../pmo_nb/config.py",
        f"/voila/files/{store.name}",
        f"/voila/files{store}",
        f"/voila/files/..{store}",
        "/files/portfolio_health.ipynb",
        "/api/contents/portfolio_health.ipynb",
        "/voila/api/contents/../pyproject.toml",
        "/pyproject.toml",
        "/voila/static/../../pyproject.toml",
    ]
    for path in private:
        status, body = _get(server, path)
        assert status in (403, 404), f"{path} answered {status}"
        assert b"SQLite format" not in body and b"load_portfolio(" not in body
    # Voila's contents API lists the dashboards for its tree page, never their content
    status, body = _get(server, "/voila/api/contents/portfolio_health.ipynb?content=1")
    assert status == 200
    listing = json.loads(body)
    assert listing["name"] == "portfolio_health.ipynb" and listing["content"] is None


def test_dashboard_page_carries_no_source(server):
    status, body = _get(server, DASHBOARD)
    assert status == 200
    for code in (b"load_portfolio(", b"def on_filter", b"import ipywidgets"):
        assert code not in body


@pytest.fixture(scope="module")
def report_html(demo_db, tmp_path_factory) -> Path:
    from pmo_nb.reports.runner import run_report

    out = tmp_path_factory.mktemp("browser-reports")
    record = run_report("portfolio_overview", as_of=AS_OF, db=demo_db, out=out, timeout=300)
    return Path(record["html"])


def test_report_from_disk_shows_charts_without_network(report_html, page):
    with screenshot_on_failure(page, "report_from_disk"):
        page.goto(report_html.as_uri())
        page.wait_for_selector(".pmo-chart svg", state="visible", timeout=30_000)
        charts = page.locator(".pmo-chart svg")
        assert charts.count() == 4
        for i in range(4):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 150
        assert page.inner_text(".pmo-report-period").strip() == AS_OF
    assert outside(page.requested, FILE_ORIGINS) == []
    assert page.requested[0] == report_html.as_uri()


def test_the_charts_share_one_vega_bundle_fetched_once_from_the_server(server, page):
    """Every chart imports Vega from one server file, not from a copy in its own state.

    Each chart widget used to carry the 0.9 MB offline bundle in its state, so a
    page of four charts received them in one multi-megabyte websocket frame.
    """
    frames: list[int] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: frames.append(len(payload))))
    with screenshot_on_failure(page, "shared_bundle"):
        page.goto(server.base + DASHBOARD)
        for key in ("stage", "budget", "rag", "cpi-spi"):
            page.wait_for_selector(f".pmo-chart-{key} svg.marks", state="visible",
                                   timeout=LOAD_TIMEOUT_MS)
    bundles = [u for u in page.requested if "/voila/templates/pmo/static/vega-bundle-" in u]
    assert len(bundles) == 1, bundles
    assert frames and max(frames) < 400_000  # the bundle alone is over 900,000 bytes
    path = bundles[0].removeprefix(server.base)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 200
    assert "javascript" in response.getheader("Content-Type", "")
    assert len(body) > 900_000 and b"export{__default as default}" in body
    # the address names the bundle's checksum, so a browser may keep it
    assert int(response.getheader("Cache-Control").rsplit("=", 1)[1]) >= 86_400 * 365


def test_the_shared_bundle_is_found_below_a_base_url(demo_db, page, tmp_path):
    """Behind a proxy Voila runs under a path (``--Voila.base_url``): the charts still draw."""
    server = VoilaServer(demo_db, tmp_path / "config", extra=("--Voila.base_url=/pmo/",))
    try:
        server.wait_ready()
        with screenshot_on_failure(page, "shared_bundle_base_url"):
            page.goto(server.base + "/pmo" + DASHBOARD)
            page.wait_for_selector(".pmo-chart-stage svg.marks", state="visible",
                                   timeout=LOAD_TIMEOUT_MS)
    finally:
        server.stop()
    assert any(u.startswith(f"{server.base}/pmo/voila/templates/pmo/static/vega-bundle-")
               for u in page.requested)

"""Executive dashboard latency in Chromium: first render (cold) and filter changes.

Builds the demo portfolio (600 projects by default) into a temporary store,
starts Voila as ``pmo serve`` does, and drives headless Chromium:

- first render: from navigation until every chart and the KPI tiles are drawn
  (a fresh server, so the kernel starts cold);
- filter change: from choosing a category (alternating with "All") until the
  KPI tile shows the expected count and the charts were redrawn; 20 times,
  reported as median and 95th percentile.

Prints figures; asserts nothing (the machine is shared and timings are noisy).
Run: ``.venv/bin/python bench/bench_dashboard.py [--projects 600] [--changes 20]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_util import CHROMIUM_ARGS, VoilaServer  # noqa: E402

from pmo_nb.briefings import executive as executive  # noqa: E402
from pmo_nb.demo.generator import demo_portfolio  # noqa: E402
from pmo_nb.store.core import Store  # noqa: E402

CHARTS = ("rag", "rag-trend", "benefits", "capacity", "risks")
CHANGED = ("rag-trend", "capacity")  # charts that surely differ between "All" and a category
KPI = ".pmo-kpi-projects .pmo-kpi-value"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=600)
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="pmo-bench-dashboard-"))
    portfolio = demo_portfolio(n_projects=args.projects, seed=0, as_of="2026-06-30")
    Store(work / "portfolio.db").import_portfolio(portfolio, source="demo", file_checksums={})
    server = VoilaServer(str(work / "portfolio.db"), work / "jupyter-config")
    try:
        server.wait_ready()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            start = time.perf_counter()
            page.goto(server.base + "/voila/render/executive.ipynb")
            for key in CHARTS:
                page.wait_for_selector(f".pmo-chart-{key} svg.marks", state="visible",
                                       timeout=180_000)
            page.wait_for_function(f"document.querySelector('{KPI}')?.textContent.trim() !== ''")
            first = time.perf_counter() - start

            as_of = page.inner_text("text=Reporting date >> b").strip()
            data = executive.prepare(portfolio, as_of)
            categories = sorted(set(portfolio.projects["category"]))
            timings, tiles = [], []
            for i in range(args.changes):
                value = categories[(i // 2) % len(categories)] if i % 2 == 0 else ""
                want = len(executive.select(data, category=value or None))
                before = [page.inner_html(f".pmo-chart-{k} svg.marks") for k in CHANGED]
                t0 = time.perf_counter()
                page.select_option(".pmo-filter-category select", value or "All")
                page.wait_for_function(
                    "([kpi, want]) => document.querySelector(kpi)?.textContent.trim() === want",
                    arg=[KPI, str(want)], timeout=30_000, polling=5)
                tiles.append(time.perf_counter() - t0)
                page.wait_for_function(
                    "([kpi, want, keys, before]) => document.querySelector(kpi)?.textContent"
                    ".trim() === want && keys.every((k, j) => document.querySelector("
                    "`.pmo-chart-${k} svg.marks`)?.innerHTML !== before[j])",
                    arg=[KPI, str(want), list(CHANGED), before], timeout=30_000, polling=5)
                timings.append(time.perf_counter() - t0)
            browser.close()
    finally:
        server.stop()
    ms = [t * 1000 for t in timings]
    tile_ms = [t * 1000 for t in tiles]
    print(f"executive dashboard, {args.projects} projects (demo seed 0)")
    print(f"first render (cold kernel, all charts drawn): {first:.1f} s")
    print(f"filter change over {len(ms)} changes: median {statistics.median(ms):.0f} ms, "
          f"p95 {_p95(ms):.0f} ms, max {max(ms):.0f} ms (KPI tiles alone: median "
          f"{statistics.median(tile_ms):.0f} ms, p95 {_p95(tile_ms):.0f} ms)")


if __name__ == "__main__":
    main()

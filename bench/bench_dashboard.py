"""Executive dashboard latency in Chromium: first render and filter changes, beside a floor.

Builds the demo portfolio (600 projects by default) into a temporary store,
starts Voila as ``pmo serve`` does, and drives headless Chromium:

- first render: from navigation until every chart and the KPI tiles are drawn,
  on the pre-heated kernel ``pmo serve`` keeps (waited for: it ran the
  notebook ahead), and on a cold kernel (``--preheat_kernel=False``);
- filter change: from choosing a category (alternating with "All") until the
  KPI tile shows the expected count and the charts were redrawn; 20 times,
  reported as median and 95th percentile;
- the floor, in the same run and browser: the same server options serving a
  one-cell notebook that shows a drop-down and a text widget echoing it (first
  render until the text is shown, pre-heated and cold; the change until the
  echo arrives): what Voila, the widget manager and the kernel round trip cost
  whatever the dashboard does.

CPU seconds of the server and its kernels are printed beside wall times.
Prints figures; asserts nothing (the machine is shared and timings are noisy).
Run: ``.venv/bin/python bench/bench_dashboard.py [--projects 600] [--changes 20]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_util import CHROMIUM_ARGS, VoilaServer, wait_preheated  # noqa: E402

from pmo_nb.briefings import executive as executive  # noqa: E402
from pmo_nb.demo.generator import demo_portfolio  # noqa: E402
from pmo_nb.store.core import Store  # noqa: E402

CHARTS = ("rag", "rag-trend", "benefits", "capacity", "risks")
CHANGED = ("rag-trend", "capacity")  # charts that surely differ between "All" and a category
KPI = ".pmo-kpi-projects .pmo-kpi-value"


FLOOR_CELL = ("import ipywidgets as w\n"
              "choice = w.Dropdown(options=['All', 'a', 'b'])\n"
              "choice.add_class('floor-choice')\n"
              "echo = w.HTML('<b class=\"floor-echo\">All</b>')\n"
              "choice.observe(lambda c: setattr(echo, 'value', "
              "f'<b class=\"floor-echo\">{c[\"new\"]}</b>'), names='value')\n"
              "w.VBox([choice, echo])")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _cpu(server: VoilaServer) -> float:
    """CPU seconds used so far by the Voila process and its live kernels."""
    import psutil

    total = 0.0
    for proc in [psutil.Process(server.process.pid),
                 *psutil.Process(server.process.pid).children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _floor_folder(work: Path) -> Path:
    """A folder serving the floor notebook under the name pre-heated like the dashboard."""
    import nbformat

    folder = work / "floor"
    folder.mkdir()
    # as the dashboard, the pre-heated floor waits for its request (when_viewed)
    # (and, as it, imports Voila's utils only then: they cost seconds on a cold kernel)
    wait = ("import os\nif os.environ.get('VOILA_PREHEAT') == 'True':\n"
            "    from voila.utils import wait_for_request\n    wait_for_request()")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_CELL),
                                         nbformat.v4.new_code_cell(wait)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / "executive.ipynb")
    return folder


def _first_render(browser, server: VoilaServer, ready) -> tuple[object, float, float]:
    """Open the page; return it, the wall seconds until ``ready(page)`` and server CPU."""
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    cpu = _cpu(server)
    start = time.perf_counter()
    page.goto(server.base + "/voila/render/executive.ipynb")
    ready(page)
    return page, time.perf_counter() - start, _cpu(server) - cpu


def _dashboard_ready(page) -> None:
    for key in CHARTS:
        page.wait_for_selector(f".pmo-chart-{key} svg.marks", state="visible", timeout=180_000)
    page.wait_for_function(f"document.querySelector('{KPI}')?.textContent.trim() !== ''")


def _floor_ready(page) -> None:
    page.wait_for_selector(".floor-echo", state="visible", timeout=180_000)


def _serve(db: str, work: Path, name: str, folder: Path | None = None, preheat: bool = True
           ) -> VoilaServer:
    extra = () if preheat else ("--VoilaConfiguration.preheat_kernel=False",)
    server = VoilaServer(db, work / f"jupyter-config-{name}", folder=folder, extra=extra)
    server.wait_ready()
    if preheat:
        wait_preheated(server)
    return server


def _dashboard_changes(page, portfolio, changes: int) -> tuple[list[float], list[float]]:
    """Filter changes: seconds until the KPI tile, and until the charts too, are redrawn."""
    as_of = page.inner_text("text=Reporting date >> b").strip()
    data = executive.prepare(portfolio, as_of)
    categories = sorted(set(portfolio.projects["category"]))
    timings, tiles = [], []
    for i in range(changes):
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
    return timings, tiles


def _floor_changes(page, changes: int) -> list[float]:
    timings = []
    for i in range(changes):
        value = ("a", "b")[(i // 2) % 2] if i % 2 == 0 else "All"
        t0 = time.perf_counter()
        page.select_option(".floor-choice select", value)
        page.wait_for_function(
            "want => document.querySelector('.floor-echo')?.textContent === want",
            arg=value, timeout=30_000, polling=5)
        timings.append(time.perf_counter() - t0)
    return timings


def _stats(seconds: list[float]) -> str:
    ms = [t * 1000 for t in seconds]
    return f"median {statistics.median(ms):.0f} ms, p95 {_p95(ms):.0f} ms, max {max(ms):.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=600)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--renders", type=int, default=3, help="first renders per case")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="pmo-bench-dashboard-"))
    portfolio = demo_portfolio(n_projects=args.projects, seed=0, as_of="2026-06-30")
    Store(work / "portfolio.db").import_portfolio(portfolio, source="demo", file_checksums={})
    db, floor = str(work / "portfolio.db"), _floor_folder(work)
    load = [os.getloadavg()[0]]
    cpu0 = time.process_time()
    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name, folder, ready in (("floor", floor, _floor_ready),
                                    ("dashboard", None, _dashboard_ready)):
            for preheat in (True, False):
                server = _serve(db, work, f"{name}-{preheat}", folder, preheat)
                try:
                    load.append(os.getloadavg()[0])
                    renders = []
                    for i in range(args.renders):  # each on a fresh kernel, pooled or cold
                        if preheat and i:
                            wait_preheated(server)  # the pool was refilled
                        page, wall, cpu = _first_render(browser, server, ready)
                        renders.append((wall, cpu))
                        if preheat and not i:
                            out[name, "changes"] = (
                                _floor_changes(page, args.changes) if name == "floor"
                                else _dashboard_changes(page, portfolio, args.changes))
                        page.close()
                    out[name, preheat] = renders
                finally:
                    server.stop()
        browser.close()
    load.append(os.getloadavg()[0])
    print(f"executive dashboard, {args.projects} projects (demo seed 0); load (1 min) "
          f"{min(load):.1f}-{max(load):.1f}; bench process CPU {time.process_time() - cpu0:.1f} s")
    for preheat, label in ((True, "pre-heated kernel (pmo serve)"), (False, "cold kernel")):
        wall, cpu = (statistics.median(x) for x in zip(*out["dashboard", preheat], strict=True))
        fwall, fcpu = (statistics.median(x) for x in zip(*out["floor", preheat], strict=True))
        runs = ", ".join(f"{w:.2f}" for w, _ in out["dashboard", preheat])
        print(f"first render, {label}, median of {args.renders}: {wall:.2f} s wall ({runs}), "
              f"server CPU {cpu:.1f} s (pre-heated: with the pool refill); floor {fwall:.2f} s, "
              f"CPU {fcpu:.1f} s; "
              f"ratio {wall / fwall:.1f}x")
    timings, tiles = out["dashboard", "changes"]
    floor_changes = out["floor", "changes"]
    print(f"filter change over {len(timings)} changes: {_stats(timings)} (KPI tiles alone: "
          f"{_stats(tiles)}); floor (one widget round trip): {_stats(floor_changes)}; "
          f"p95 ratio {_p95(timings) / _p95(floor_changes):.1f}x")


if __name__ == "__main__":
    main()

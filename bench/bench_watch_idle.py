"""What watching the store costs while nothing changes: CPU per minute of an open dashboard.

Starts Voila as ``pmo serve`` does, three times at once on one demo store
(600 projects): watching every 5 s (the default), every 1 s, and not at
all (``--refresh 0``, the lower bound: an idle dashboard kernel with its
page connected). One headless Chromium page opens the executive dashboard on
each; once all three have rendered, each kernel process's CPU time (user +
system, psutil) is measured over the same window, so all three share the
machine's load. Also times ``Store.data_version()`` itself, the one query a
tick runs, on the read-only URL the kernels use. Prints CPU seconds per
minute beside the lower bound, the difference per tick, and the ratio.
Asserts nothing: figures for the README.

Run: ``.venv/bin/python bench/bench_watch_idle.py [--seconds 60] [--projects 600]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_util import CHROMIUM_ARGS, VoilaServer  # noqa: E402

from pmo_nb.demo import demo_portfolio  # noqa: E402
from pmo_nb.store import Store, read_only_url  # noqa: E402

READY = ".pmo-data-as-of"
CHARTS = ("rag", "benefits", "capacity")
#: seconds between looks at the store for each server; 0 = not watching (the lower bound)
INTERVALS = (5.0, 1.0, 0.0)


def _kernel(server: VoilaServer) -> psutil.Process:
    """The one ipykernel process under ``server``."""
    for child in psutil.Process(server.process.pid).children(recursive=True):
        if any("ipykernel" in part for part in child.cmdline()):
            return child
    raise RuntimeError("no kernel runs under the Voila server")


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def _query_cost(db: Path, calls: int = 2000) -> float:
    """Median seconds of one ``data_version()`` on the read-only URL."""
    store = Store(read_only_url(db))
    store.data_version(kinds=("forecast",))
    took = []
    for _ in range(calls):
        began = time.perf_counter()
        store.data_version(kinds=("forecast",))
        took.append(time.perf_counter() - began)
    store.close()
    return statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--projects", type=int, default=600)
    parser.add_argument("--timeout", type=int, default=240)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pmo-bench-watch-"))
    db = work / "portfolio.db"
    Store(db).import_portfolio(demo_portfolio(n_projects=args.projects, seed=0,
                                              as_of="2026-06-30"),
                               source="demo", file_checksums={})
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; {args.projects} projects, {args.seconds:.0f} s window")
    servers = {}
    from playwright.sync_api import sync_playwright

    try:
        for interval in INTERVALS:
            servers[interval] = VoilaServer(str(db), work / f"cfg-{interval:g}",
                                            refresh=interval)
        for server in servers.values():
            server.wait_ready(timeout=args.timeout)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=CHROMIUM_ARGS)
            pages = []
            for server in servers.values():  # one after the other: first renders are heavy
                page = browser.new_page(viewport={"width": 1400, "height": 1200})
                page.goto(server.base + "/voila/render/executive.ipynb",
                          timeout=args.timeout * 1000)
                for selector in (READY, *(f".pmo-chart-{k} svg.marks" for k in CHARTS)):
                    page.wait_for_selector(selector, state="visible",
                                           timeout=args.timeout * 1000)
                pages.append(page)
            kernels = {i: _kernel(s) for i, s in servers.items()}
            time.sleep(5)  # let the last render's work finish
            start = {i: _cpu(k) for i, k in kernels.items()}
            began = time.perf_counter()
            time.sleep(args.seconds)
            elapsed = time.perf_counter() - began
            per_minute = {i: (_cpu(k) - start[i]) * 60 / elapsed for i, k in kernels.items()}
            lines = [p.inner_text(READY) for p in pages]
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    assert len(set(lines)) == 1 and "import 1" in lines[0], lines  # nothing changed meanwhile
    floor = per_minute[0.0]
    print(f"idle kernel, not watching (lower bound): {floor:.3f} CPU s per minute")
    for interval in (i for i in INTERVALS if i):
        cost = per_minute[interval]
        ticks = 60 / interval
        extra = (cost - floor) / ticks * 1000
        ratio = cost / floor if floor else float("nan")
        print(f"watching every {interval:g} s: {cost:.3f} CPU s per minute "
              f"({ratio:.2f} x the lower bound; {extra:+.2f} ms CPU per tick)")
    print(f"Store.data_version() on the read-only URL: median "
          f"{_query_cost(db) * 1e6:.0f} us per call (this process)")


if __name__ == "__main__":
    main()

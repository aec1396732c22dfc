"""Ten executives open the dashboard at the same moment; an import runs meanwhile.

Starts Voila as ``pmo serve`` does on a demo store (600 projects). First one
page alone (the lower bound, same machine, same minute), then ten headless
Chromium pages at once (ten browsers, as ten executives have; navigations
started together), measuring each page's first render (KPI tiles and charts
drawn). While the ten load, a ``pmo import`` of a changed workbook writes to
the same store, and the server is polled for answers throughout. Prints:
pages rendered / told "busy" / failed, first-render median and p95 and their
ratio to the lone page, the server's resident memory (Voila plus its kernels)
before, at the peak and after the pages close, whether every poll during the
import was answered, and the server log's warnings of late cell output.
Asserts nothing: figures for the README.

Run: ``.venv/bin/python bench/bench_dashboard_load.py [--pages 10] [--projects 600]``
(``--debug`` runs Voila with ``--debug`` and keeps its log in the work folder).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_util import CHROMIUM_ARGS, VoilaServer  # noqa: E402

from pmo_nb.apps.kernels import BUSY_REASON  # noqa: E402
from pmo_nb.apps.serve import LATE_OUTPUT_MESSAGE  # noqa: E402
from pmo_nb.demo import demo_portfolio  # noqa: E402
from pmo_nb.io import write_workbook  # noqa: E402
from pmo_nb.store import Store  # noqa: E402

READY = ".pmo-kpi-projects .pmo-kpi-value"
CHARTS = ("rag", "benefits", "capacity")


def _rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def _cpu_seconds(root: int, into: dict[int, tuple[str, float]], server: int) -> None:
    """Record each live descendant's CPU seconds so far, as "server" (Voila, kernels) or "other"."""
    try:
        procs = psutil.Process(root).children(recursive=True)
        in_server = {server, *(p.pid for p in psutil.Process(server).children(recursive=True))}
    except psutil.NoSuchProcess:
        return
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        into[proc.pid] = ("server" if proc.pid in in_server else "other",
                          times.user + times.system)


async def _open(pw, url: str, timeout_ms: int) -> tuple[float | None, str | None]:
    """Seconds to the first render, or None and what went wrong ("busy: ..." when told so)."""
    # a browser of its own, as each executive has: one Chromium shares at most six
    # connections per host between its pages, and every dashboard holds some open
    browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    context = await browser.new_context(viewport={"width": 1400, "height": 1200})
    page = await context.new_page()
    began = time.perf_counter()
    try:
        await page.goto(url, timeout=timeout_ms)
        await page.wait_for_selector(READY, state="visible", timeout=timeout_ms)
        for key in CHARTS:
            await page.wait_for_selector(f".pmo-chart-{key} svg.marks", state="visible",
                                         timeout=timeout_ms)
        return time.perf_counter() - began, None
    except Exception as exc:  # noqa: BLE001 - a failed page is a figure, not a crash
        shown = await page.evaluate("document.body ? document.body.innerText : ''")
        if LATE_OUTPUT_MESSAGE in shown or BUSY_REASON in shown:
            return None, "busy: " + (LATE_OUTPUT_MESSAGE if LATE_OUTPUT_MESSAGE in shown
                                     else BUSY_REASON)
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    finally:
        await browser.close()


async def _all_pages(url: str, pages: int, timeout_ms: int):
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        return await asyncio.gather(*(_open(pw, url, timeout_ms) for _ in range(pages)))


def _poll(url: str, stop: threading.Event, answers: list) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=30) as reply:
                answers.append((reply.status, time.perf_counter() - began))
        except urllib.error.HTTPError as exc:  # an answer all the same (a 404, say)
            answers.append((exc.code, time.perf_counter() - began))
        except Exception as exc:  # noqa: BLE001 - counted as unanswered
            answers.append((str(exc)[:60], time.perf_counter() - began))
        stop.wait(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--projects", type=int, default=600)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--debug", action="store_true", help="Voila --debug, log kept")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pmo-bench-load-"))
    db = work / "portfolio.db"
    Store(db).import_portfolio(demo_portfolio(n_projects=args.projects, seed=0,
                                              as_of="2026-06-30"),
                               source="demo", file_checksums={})
    changed = demo_portfolio(n_projects=args.projects, seed=0, as_of="2026-07-31")
    write_workbook(changed, work / "changed")
    server = VoilaServer(str(db), work / "jupyter-config",
                         extra=("--debug",) if args.debug else ())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; {args.pages} pages at once, {args.projects} projects")
    url = server.base + "/voila/render/executive.ipynb"
    try:
        server.wait_ready()
        before = _rss_mb(server.process.pid)
        [(alone, alone_error)] = asyncio.run(_all_pages(url, 1, args.timeout * 1000))
        print(f"one page alone: {alone_error or f'{alone:.1f} s'} (load "
              f"{os.getloadavg()[0]:.1f})")
        peak = [before]
        stop, answers = threading.Event(), []

        cpu: dict[int, tuple[str, float]] = {}
        _cpu_seconds(os.getpid(), cpu, server.process.pid)
        cpu_before = dict(cpu)

        def watch() -> None:
            while not stop.wait(0.5):
                peak.append(_rss_mb(server.process.pid))
                _cpu_seconds(os.getpid(), cpu, server.process.pid)

        watcher = threading.Thread(target=watch, daemon=True)
        poller = threading.Thread(target=_poll, args=(server.base + "/", stop,
                                                      answers), daemon=True)
        watcher.start()
        poller.start()
        importer = subprocess.Popen([sys.executable, "-m", "pmo_nb.cli", "import",
                                     str(work / "changed"), "--db", str(db)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        began = time.perf_counter()
        results = asyncio.run(_all_pages(url, args.pages, args.timeout * 1000))
        imported = importer.wait(timeout=600)
        stop.set()
        watcher.join(5)
        poller.join(35)
        time.sleep(2)
        after = _rss_mb(server.process.pid)
        _cpu_seconds(os.getpid(), cpu, server.process.pid)
        wall = time.perf_counter() - began
    finally:
        server.stop()
        if args.debug:
            (work / "voila.log").write_text("".join(server.log))
            print(f"Voila's log: {work / 'voila.log'}")
    times = sorted(t for t, _ in results if t is not None)
    busy = [e for _, e in results if e is not None and e.startswith("busy: ")]
    errors = [e for _, e in results if e is not None and not e.startswith("busy: ")]
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] if times else float("nan")
    print(f"pages rendered: {len(times)} of {args.pages}; told busy: {len(busy)}; "
          f"failed: {len(errors)} {errors[:3]} (load {os.getloadavg()[0]:.1f})")
    if times:
        median = statistics.median(times)
        ratio = f" = {median / alone:.1f} x / {p95 / alone:.1f} x the lone page" if alone else ""
        print(f"first render: median {median:.1f} s, p95 {p95:.1f} s, "
              f"slowest {times[-1]:.1f} s{ratio}")
    used = {kind: sum(t - cpu_before.get(pid, (kind, 0.0))[1] for pid, (k, t) in cpu.items()
                      if k == kind) for kind in ("server", "other")}
    cores = os.cpu_count()
    print(f"CPU seconds during the {wall:.0f} s run ({cores} cores = {cores * wall:.0f} s): "
          f"Voila + kernels {used['server']:.0f}, browsers + import {used['other']:.0f}")
    late = sum("Timeout waiting for IOPub" in line or "timed out" in line for line in server.log)
    print(f"server log: {late} warnings of cell output later than Voila waits")
    ok = sum(1 for status, _ in answers if isinstance(status, int) and status < 500)
    slowest = max((s for _, s in answers), default=float("nan"))
    print(f"server answered {ok} of {len(answers)} polls during the run (slowest "
          f"{slowest:.2f} s); the import exited {imported}")
    print(f"server memory (Voila + kernels): {before:.0f} MiB before, peak {max(peak):.0f} MiB, "
          f"{after:.0f} MiB after the pages closed")


if __name__ == "__main__":
    main()

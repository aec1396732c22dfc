"""``make demo`` on a fresh clone: until the executive dashboard shows its first screen.

Clones this repository into a temporary folder, runs ``make demo`` there (the
venv, ``pip install -e ".[test]"``, the demo store, ``pmo serve`` with the
report suite starting behind it) and opens the executive dashboard in headless
Chromium every second until its "What to know" block has items: what an
executive would see. Prints when each step was done, and beside the total its
lower bound measured in the same run: the install alone (``.venv/.installed``
written), which the demo cannot go under. The pip cache of this machine is
used as ``make demo`` would use it (a machine that never installed the
packages also downloads them). Asserts nothing: figures for the README.

Run: ``.venv/bin/python bench/bench_make_demo.py [--port 8872] [--limit 600]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_util import CHROMIUM_ARGS  # noqa: E402

from pmo_nb.briefings.what_to_know import BLOCK_CLASS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8872)
    parser.add_argument("--limit", type=float, default=600.0, help="give up after (s)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    clone = Path(tempfile.mkdtemp()) / "pmo_nb"
    url = f"http://127.0.0.1:{args.port}/voila/render/executive.ipynb"
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, load "
          f"{os.getloadavg()[0]:.1f}")
    began = time.perf_counter()
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    marks = {"cloned": time.perf_counter() - began}
    log = open(clone.parent / "make-demo.log", "w")  # noqa: SIM115 (open while make runs)
    make = subprocess.Popen(["make", "demo", f"PORT={args.port}"], cwd=clone, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            while time.perf_counter() - began < args.limit and make.poll() is None:
                if "installed" not in marks and (clone / ".venv" / ".installed").exists():
                    marks["installed"] = time.perf_counter() - began
                if "demo store" not in marks and (clone / "reports").exists():
                    marks["demo store"] = time.perf_counter() - began
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                try:
                    page.goto(url, timeout=5000)
                    page.wait_for_selector(f".{BLOCK_CLASS} li", timeout=120_000)
                    marks["dashboard"] = time.perf_counter() - began
                    break
                except Exception:  # not served yet: ask again in a second
                    time.sleep(1.0)
                finally:
                    page.close()
            browser.close()
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(30)
    for name, at in marks.items():
        print(f"{name:>12}: {at:6.1f} s")
    if "dashboard" not in marks:
        print(f"the dashboard did not show within {args.limit:.0f} s; see {log.name}")
        return
    floor = marks.get("installed", float("nan"))
    print(f"make demo until the first screen: {marks['dashboard']:.1f} s; the install alone "
          f"(lower bound) {floor:.1f} s: {marks['dashboard'] / floor:.2f}x; "
          f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

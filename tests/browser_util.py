"""Helpers for the browser tests: a Voila server on a free port, Chromium, screenshots."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from pmo_nb.apps.intake import INTAKE_DB_ENV
from pmo_nb.apps.serve import voila_command, voila_env
from pmo_nb.config import dashboards_dir, project_root
from pmo_nb.reports.pdf import CHROMIUM_ARGS as PDF_CHROMIUM_ARGS


def chromium_path() -> str | None:
    """Debian's Chromium, which the browser tests drive, or None when missing."""
    path = "/usr/bin/chromium"
    return path if Path(path).exists() or shutil.which("chromium") else None


#: Where browser tests leave screenshots for a reviewer (failures, and the first
#: screen of every report and app): ``$PMO_TEST_ARTEFACTS``, else ``test-artifacts/``
#: (ignored by git).
ARTIFACTS = Path(os.environ.get("PMO_TEST_ARTEFACTS") or project_root() / "test-artifacts")

#: Marks of every browser test module: it drives Chromium, and skips with the
#: reason when Debian's chromium is not installed (.ci/run installs it).
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Chromium not found at /usr/bin/chromium (Debian: apt-get install chromium)",
    ),
]

#: Kernel start + store load + first render, on a busy 2-core CI box.
LOAD_TIMEOUT_MS = 120_000
#: A widget interaction's visible effect.
WAIT_MS = 30_000

#: Chromium flags: no sandbox (root in CI), and none of its own calls home (the
#: ones the PDF printer uses).
CHROMIUM_ARGS = list(PDF_CHROMIUM_ARGS)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class VoilaServer:
    """``pmo serve``'s Voila command run in the background, with its log kept.

    The log is read by a thread (so the pipe never fills); :meth:`wait_ready`
    blocks on the line Voila prints once it listens, not on a guessed delay.
    ``folder`` serves test notebooks instead of ``dashboards/``; ``extra``
    options are added, each replacing ``pmo serve``'s own of the same name
    (traitlets refuses an option given twice).
    """

    def __init__(self, db: str, config_dir: Path, port: int | None = None,
                 intake_db: str | None = None, folder: Path | None = None,
                 extra: tuple[str, ...] = (), refresh: float | None = None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log: list[str] = []
        self._ready = threading.Event()
        env = voila_env(db, config_dir, refresh=refresh)
        if intake_db:  # what ``pmo serve --intake-db`` gives the intake form
            env[INTAKE_DB_ENV] = str(intake_db)
        argv = voila_command(port=self.port)
        if folder is not None:
            argv = [str(folder) if part == str(dashboards_dir()) else part for part in argv]
        replaced = {option.split("=", 1)[0] for option in extra}
        argv = [part for part in argv if part.split("=", 1)[0] not in replaced]
        self.process = subprocess.Popen(
            [*argv, *extra], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.log.append(line)
            if "is running at" in line:
                self._ready.set()
        self._ready.set()  # exited: wake the waiter, which then sees the exit code

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until Voila listens; raise with its log if it did not."""
        if not self._ready.wait(timeout) or self.process.poll() is not None:
            raise RuntimeError("Voila did not start:\n" + "".join(self.log[-40:]))

    def stop(self) -> None:
        """Terminate the server (and, with it, its kernels)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)


@contextmanager
def screenshot_on_failure(page, name: str):
    """Keep ``test-artifacts/<name>.png`` when the block raises."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - the original failure matters more
            pass
        raise


def first_screen_box(page, selector: str) -> dict | None:
    """The bounding box of ``selector`` in page coordinates (None when absent or hidden)."""
    handle = page.query_selector(selector)
    if handle is None:
        return None
    return page.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return {x: r.x + window.scrollX, y: r.y + window.scrollY,"
        " width: r.width, height: r.height}; }", handle)


def keep_screenshot(page, name: str) -> Path:
    """Save the viewport as ``ARTIFACTS/first-screen/<name>.png`` for a reviewer."""
    folder = ARTIFACTS / "first-screen"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


#: Where the dashboard may fetch from: its own server only.
SERVER_ORIGINS = ("http://127.0.0.1:", "ws://127.0.0.1:", "blob:http://127.0.0.1:", "data:")
#: Where a report opened from disk may fetch from: itself and inline data.
FILE_ORIGINS = ("file:", "data:")


def outside(urls: list[str], allowed: tuple[str, ...]) -> list[str]:
    """The requested URLs that do not start with one of ``allowed``."""
    return [u for u in urls if not u.startswith(allowed)]


@contextmanager
def serving(db: str, config_dir: Path, intake_db: str | None = None,
            refresh: float | None = None):
    """A ready Voila server as ``pmo serve`` runs it, stopped afterwards.

    ``refresh``: the dashboards' seconds between looks at the store (``--refresh``).
    """
    voila = VoilaServer(db, config_dir, intake_db=intake_db, refresh=refresh)
    try:
        voila.wait_ready()
        yield voila
    finally:
        voila.stop()


@contextmanager
def recording_page(browser, width: int = 1200, height: int = 1400):
    """A fresh page whose every requested URL is kept in ``page.requested``."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    try:
        yield page
    finally:
        context.close()


def wait_text(page, selector: str, want: str, timeout: int = WAIT_MS) -> None:
    """Wait until the element at ``selector`` shows exactly ``want``."""
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel)?.textContent.trim() === want",
        arg=[selector, want], timeout=timeout,
    )


def kpi_value(page, key: str) -> str:
    """The value a dashboard's KPI tile ``key`` shows (``.pmo-kpi-<key>``)."""
    return page.inner_text(f".pmo-kpi-{key} .pmo-kpi-value").strip()


# -- fixtures shared by the browser test modules (registered in tests/apps/conftest.py) --
# A module overrides the one it needs differently, as Voila's own tests do: its
# own ``store_path`` (a store it may write to), ``serving_options`` (the intake
# store, a refresh interval) or ``server`` itself.

def seeded_store(portfolio, folder: Path, source: str = "demo") -> str:
    """Path of a new store file in ``folder`` holding ``portfolio`` as one import."""
    from pmo_nb.store.core import Store

    path = Path(folder) / "portfolio.db"
    Store(path).import_portfolio(portfolio, source=source, file_checksums={})
    return str(path)


@pytest.fixture(scope="module")
def store_path(demo_db) -> str:
    """The store the module's server reads: the session's demo store, read-only."""
    return demo_db


@pytest.fixture(scope="module")
def serving_options() -> dict:
    """Keyword arguments of :func:`serving` beyond the store (``intake_db``, ``refresh``)."""
    return {}


@pytest.fixture(scope="module")
def server(store_path, serving_options, tmp_path_factory):
    """One Voila server per module, started as ``pmo serve`` starts it."""
    with serving(store_path, tmp_path_factory.mktemp("jupyter-config"),
                 **serving_options) as voila:
        yield voila


@pytest.fixture
def page(browser):
    """A fresh recording page, 1500x1400: the forms and their side panels fit across."""
    with recording_page(browser, 1500, 1400) as page:
        yield page


def preheated_kernels(server: VoilaServer) -> int:
    """How many of the server's kernels wait, pre-heated, for their page to be requested.

    A pre-heated executive dashboard ends its run in
    :func:`pmo_nb.apps.live.when_viewed`, which holds a websocket to the
    server's own port until the page is requested: so a kernel with a TCP
    connection to that port has run the whole notebook ahead.
    """
    import psutil  # lazy: only tests of pre-heating count kernels

    count = 0
    for child in psutil.Process(server.process.pid).children(recursive=True):
        try:
            connections = child.net_connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        count += any(c.raddr and c.raddr.port == server.port for c in connections)
    return count


def wait_preheated(server: VoilaServer, count: int = 1, timeout: float = 180) -> None:
    """Block until ``count`` kernels ran their dashboard ahead (see :func:`preheated_kernels`)."""
    import time

    deadline = time.monotonic() + timeout
    while preheated_kernels(server) < count:
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("no pre-heated kernel:\n" + "".join(server.log[-40:]))
        time.sleep(0.2)

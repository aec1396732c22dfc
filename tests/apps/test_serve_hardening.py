"""``pmo serve`` as a process: bounded kernels, SIGTERM, the token kept out of sight.

Every server listens on 127.0.0.1 and every request goes there only.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from pmo_nb.config import project_root
from tests.browser_util import free_port

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.slow

#: Voila's start on a busy 2-core box.
START_TIMEOUT = 60


def _env(token: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PMO_SERVE_TOKEN", None)
    if token:
        env["PMO_SERVE_TOKEN"] = token
    root = str(project_root())  # the checkout under test wins, in pmo and in Voila's kernels
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PmoServe:
    """``python -m pmo_nb.cli serve`` in the background, its output in a file."""

    def __init__(self, db: str, tmp_path: Path, *options: str, token: str | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"serve-{self.port}.log"
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pmo_nb.cli", "serve", "--port", str(self.port),
                 "--db", db, *options],
                env=_env(token), stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pmo serve did not start:\n" + self.log())
            time.sleep(0.3)

    def log(self) -> str:
        return self.log_path.read_text()

    def voila(self):
        """The Voila child process (psutil)."""
        children = psutil.Process(self.process.pid).children()
        assert len(children) == 1, children
        return children[0]

    def kernels(self) -> int:
        """How many ipykernel processes Voila runs now."""
        count = 0
        for child in self.voila().children(recursive=True):
            try:
                count += any("ipykernel" in part for part in child.cmdline())
            except psutil.NoSuchProcess:
                pass
        return count

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def pmo_serve(db: str, tmp_path: Path, *options: str, token: str | None = None):
    server = PmoServe(db, tmp_path, *options, token=token)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def status_of(url: str, timeout: float = 30) -> int | None:
    """The HTTP status of a GET of ``url`` (no redirects followed), None on timeout."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (TimeoutError, urllib.error.URLError, ConnectionError):
        return None


def test_anonymous_page_views_start_at_most_max_kernels_and_idle_ones_are_culled(
        demo_db, tmp_path):
    most = 3
    with pmo_serve(demo_db, tmp_path, "--max-kernels", str(most), "--cull-idle", "4",
                   "--cull-interval", "2") as server:
        url = f"{server.base}/voila/render/intake.ipynb"
        statuses, peak = [], 0
        for _ in range(50):  # like curl: fetch the page, never open the websocket
            statuses.append(status_of(url, timeout=1))
            peak = max(peak, server.kernels())
        assert peak <= most, server.log()
        assert statuses.count(503) >= 50 - 2 * most, statuses
        deadline = time.monotonic() + 60
        while server.kernels() and time.monotonic() < deadline:
            time.sleep(1)
        assert server.kernels() < peak, server.log()
        assert "Culling 'idle' kernel" in server.log()


def test_busy_page_is_a_503_that_says_so(demo_db, tmp_path):
    with pmo_serve(demo_db, tmp_path, "--max-kernels", "1") as server:
        url = f"{server.base}/voila/render/intake.ipynb"
        status_of(url, timeout=1)  # takes the only kernel
        deadline = time.monotonic() + 30
        while not server.kernels() and time.monotonic() < deadline:
            time.sleep(0.3)
        try:
            urllib.request.urlopen(url, timeout=30)
        except urllib.error.HTTPError as exc:
            assert exc.code == 503
            assert "try again in a minute" in exc.read().decode()
        else:
            pytest.fail("a second page view got a kernel beyond --max-kernels 1")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_stopping_pmo_serve_stops_voila_too(demo_db, tmp_path, sig):
    server = PmoServe(demo_db, tmp_path)
    try:
        server.wait_ready()
        voila_pid = server.voila().pid
        server.process.send_signal(sig)
        server.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _listening(server.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _listening(server.port), server.log()
        with pytest.raises(ProcessLookupError):
            os.kill(voila_pid, 0)
        assert server.process.returncode == 0, server.log()
    finally:
        server.stop()


def test_token_stays_off_argv_and_stdout_and_is_required(demo_db, tmp_path):
    token = secrets.token_urlsafe(24)
    with pmo_serve(demo_db, tmp_path, token=token) as server:
        for pid in (server.process.pid, server.voila().pid):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
            assert token not in cmdline
        assert status_of(f"{server.base}/?token={token}") == 200
        assert status_of(f"{server.base}/") in (302, 403)
        assert status_of(f"{server.base}/?token=wrong{token}") in (302, 403)
        assert status_of(f"{server.base}/nowhere?token={token}") == 404  # logged as a warning
    log = server.log()
    assert token not in log
    assert "/nowhere?token=[secret]" in log  # jupyter_server's scrubbing request log
    assert f"?token={token[:4]}…" in log

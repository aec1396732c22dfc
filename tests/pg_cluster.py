"""A throwaway PostgreSQL cluster for the store tests (own data folder and port).

The store must behave the same on SQLite and PostgreSQL, so its tests run on
both. This starts Debian's PostgreSQL binaries in a temporary folder, bound to
127.0.0.1 on a free port, and removes it afterwards. Where no server can be
started (binaries missing, no unprivileged user to run them as), ``start``
returns the reason instead, and the tests skip with it.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _bin_dir() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian layout), or PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    """A running throwaway cluster; ``url`` reaches its superuser database."""

    folder: Path
    port: int
    bin_dir: Path
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://pmo@127.0.0.1:{self.port}/pmo"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL (one per test keeps them apart)."""
        subprocess.run(self._cmd(str(self.bin_dir / "createdb"), "-h", "127.0.0.1",
                                 "-p", str(self.port), "-U", "pmo", name),
                       check=True, capture_output=True)
        return f"postgresql+psycopg://pmo@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"),
                                 "-m", "immediate", "stop"), capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Cluster | str:
    """Start a cluster, or return why one cannot be started here."""
    if os.environ.get("PMO_TEST_PG") == "off":
        return "PostgreSQL tests switched off (PMO_TEST_PG=off)"
    bin_dir = _bin_dir()
    if bin_dir is None:
        return "no PostgreSQL server binaries (apt-get install postgresql; .ci/run does)"
    run_as = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
        run_as = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="pmo-pg-"))
    if run_as:
        shutil.chown(folder, user=run_as)
    port = _free_port()
    cluster = Cluster(folder, port, bin_dir, run_as)
    data = folder / "data"
    try:
        subprocess.run(cluster._cmd(str(bin_dir / "initdb"), "-D", str(data), "-U", "pmo",
                                    "--auth=trust", "-E", "UTF8", "--no-sync"),
                       check=True, capture_output=True, timeout=120)
        subprocess.run(cluster._cmd(str(bin_dir / "pg_ctl"), "-D", str(data), "-w",
                                    "-l", str(folder / "log"),
                                    "-o", f"-h 127.0.0.1 -p {port} -k {folder} -F"
                                          " -c max_connections=60", "start"),
                       check=True, capture_output=True, timeout=120)
        subprocess.run(cluster._cmd(str(bin_dir / "createdb"), "-h", "127.0.0.1",
                                    "-p", str(port), "-U", "pmo", "pmo"),
                       check=True, capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        cluster.stop()
        return f"could not start PostgreSQL: {exc} {detail.decode(errors='replace')[:300]}"
    return cluster


_shared: Cluster | str | None = None


def shared() -> Cluster | str:
    """One cluster for the whole test process (started on first use, stopped at exit)."""
    global _shared
    if _shared is None:
        _shared = start()
        if isinstance(_shared, Cluster):
            atexit.register(_shared.stop)
    return _shared

"""Serve the executive dashboards (``dashboards/``) with Voila.

Safe defaults, as Voila's own deployments recommend: bind to 127.0.0.1,
strip notebook sources from the page, show no tracebacks to viewers, and
expose only the dashboards folder (Voila serves nothing but images from it;
the notebooks' source, the store and the rest of the checkout stay private).
The machine's own Jupyter configuration is ignored so a stray ``~/.jupyter``
cannot change what is served.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from pmo_nb.config import DB_ENV, dashboards_dir, resolve_db_url, templates_dir
from pmo_nb.formatting import redact_url
from pmo_nb.store.core import read_only_url

#: Environment variable naming the store URL of the intake form (the one writing app).
INTAKE_DB_ENV = "PMO_INTAKE_DB"


def voila_command(port: int = 8866, db=None, host: str = "127.0.0.1",
                  token: str | None = None) -> list[str]:
    """The argv that serves ``dashboards/`` with Voila.

    Parameters
    ----------
    port : int
        TCP port to listen on.
    db : str or path, optional
        The store the dashboards read; only used through :func:`voila_env`
        (kept here so both take the same arguments).
    host : str
        Interface to bind; the default keeps the server on this machine.
    token : str, optional
        When given, viewers must present it (``?token=...``).

    Raises
    ------
    ValueError
        When ``port`` is not a valid TCP port.
    """
    if not 0 < int(port) < 65536:
        raise ValueError(f"port must be 1-65535, got {port}")
    argv = [
        sys.executable, "-m", "voila", str(dashboards_dir()),
        f"--port={int(port)}",
        "--no-browser",
        f"--Voila.ip={host}",
        "--Voila.port_retries=0",
        "--template=pmo",
        "--strip_sources=True",
        "--show_tracebacks=False",
    ]
    if token:
        argv.append(f"--Voila.token={token}")
    return argv


def voila_env(db=None, config_dir: str | os.PathLike | None = None,
              intake_db=None) -> dict[str, str]:
    """The environment for :func:`voila_command`: store URL, empty config, our template.

    ``PMO_DB`` carries a read-only URL of the store to the dashboard kernels
    (:func:`pmo_nb.store.core.read_only_url`), so no dashboard can write to it;
    ``PMO_INTAKE_DB`` (only when ``intake_db`` is given) is the URL the intake
    form writes proposals with, under its own narrow database role;
    ``JUPYTER_CONFIG_DIR`` points at ``config_dir`` (a new empty temporary
    folder when omitted) so the user's Jupyter configuration is not read;
    ``JUPYTER_PATH`` adds ``templates/`` where Voila finds the ``pmo`` page
    template (Voila's own, minus the stylesheets it loads from a CDN).
    """
    if config_dir is None:
        config_dir = tempfile.mkdtemp(prefix="pmo-voila-config-")

    env = dict(os.environ)
    env[DB_ENV] = read_only_url(db)
    env.pop(INTAKE_DB_ENV, None)
    if intake_db:
        env[INTAKE_DB_ENV] = resolve_db_url(intake_db)
    env["JUPYTER_CONFIG_DIR"] = os.fspath(config_dir)
    # templates/voila/templates/pmo: Voila's page without CDN stylesheets
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(templates_dir()), os.environ.get("JUPYTER_PATH", "")) if p
    )
    env.pop("PMO_RENDER", None)  # dashboards use live widgets, never static SVG
    return env


def dashboard_url(port: int = 8866, host: str = "127.0.0.1", name: str = "executive",
                  token: str | None = None) -> str:
    """Where a dashboard is found once the server runs."""
    url = f"http://{host}:{port}/voila/render/{name}.ipynb"
    return f"{url}?token={token}" if token else url


def serve(port: int = 8866, db=None, host: str = "127.0.0.1", token: str | None = None,
          intake_db=None) -> int:
    """Run Voila in the foreground until interrupted; return its exit code."""
    with tempfile.TemporaryDirectory(prefix="pmo-voila-config-") as config_dir:
        argv = voila_command(port=port, db=db, host=host, token=token)
        env = voila_env(db, config_dir, intake_db=intake_db)
        shown = redact_url(env[DB_ENV])
        print(f"Serving {dashboards_dir()} from store {shown} (read-only)")
        print(f"Executive dashboard: {dashboard_url(port, host, token=token)}")
        others = sorted(p.stem for p in dashboards_dir().glob("*.ipynb") if p.stem != "executive")
        for name in others:
            print(f"  also: {dashboard_url(port, host, name=name, token=token)}")
        sys.stdout.flush()
        process = subprocess.Popen(argv, env=env)
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            try:
                return process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                return process.wait()

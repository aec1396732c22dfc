"""Serve the executive dashboards (``dashboards/``) with Voila.

Safe defaults, as Voila's own deployments recommend: bind to 127.0.0.1,
strip notebook sources from the page, show no tracebacks to viewers, and
expose only the dashboards folder (Voila serves nothing but images from it;
the notebooks' source, the store and the rest of the checkout stay private).
The machine's own Jupyter configuration is ignored so a stray ``~/.jupyter``
cannot change what is served. Kernels are bounded and culled
(:mod:`pmo_nb.apps.kernels`), the token stays off every command line
(:mod:`pmo_nb.apps.serve_auth`) and a stopped ``pmo serve`` stops Voila too
(:mod:`pmo_nb.apps.foreground`).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from pmo_nb.apps.foreground import run_foreground
from pmo_nb.apps.live import REFRESH_ENV, refresh_seconds
from pmo_nb.apps.serve_auth import TOKEN_ENV, elide, write_log_config, write_token_config
from pmo_nb.config import (
    DB_ENV,
    STATIC_DIR_ENV,
    dashboards_dir,
    resolve_db_url,
    templates_dir,
)
from pmo_nb.formatting import redact_url
from pmo_nb.store.core import read_only_url

#: Environment variable naming the store URL of the intake form (the one writing app).
INTAKE_DB_ENV = "PMO_INTAKE_DB"
#: Kernel manager of the Voila process: refuses kernels above a maximum.
KERNEL_MANAGER = "pmo_nb.apps.kernels.BoundedKernelManager"
#: Default most kernels at once (each 140-230 MB).
MAX_KERNELS = 12
#: Default seconds a kernel with no browser connected may idle before it is culled.
CULL_IDLE_SECONDS = 90
#: Default seconds between two looks for idle kernels.
CULL_INTERVAL_SECONDS = 30
#: Seconds Voila waits, after a cell's reply, for the rest of its output.
#: nbclient's default, 4 s, is too short for a loaded server: the output then
#: arrives after Voila gave up and the page stays blank (issue #12, ten viewers).
IOPUB_WAIT_SECONDS = 120
#: What a viewer reads when even that wait is exceeded (after Voila's own
#: "Cell execution timed out, aborting notebook execution.").
LATE_OUTPUT_MESSAGE = "The server is busy: reload this page in a minute."
#: The dashboards Voila keeps pre-heated kernels for (started and run before any request).
PREHEATED = ("executive.ipynb",)
#: Default pre-heated kernels per dashboard in :data:`PREHEATED`.
PREHEAT = 1


def kernel_options(max_kernels: int = MAX_KERNELS, cull_idle: int = CULL_IDLE_SECONDS,
                   cull_interval: int = CULL_INTERVAL_SECONDS) -> list[str]:
    """Voila options bounding kernels and culling the idle ones nobody is connected to.

    Connected kernels (a browser has the dashboard open) are not culled;
    Voila shuts them down when the page is left. Nor are busy ones: under
    load a dashboard's first run can outlast ``cull_idle`` with no output.

    Raises
    ------
    ValueError
        When a number is below 1.
    """
    for name, value in (("max_kernels", max_kernels), ("cull_idle", cull_idle),
                        ("cull_interval", cull_interval)):
        if int(value) < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    manager = KERNEL_MANAGER.rsplit(".", 1)[1]
    return [
        f"--VoilaConfiguration.multi_kernel_manager_class={KERNEL_MANAGER}",
        f"--{manager}.max_kernels={int(max_kernels)}",
        f"--{manager}.cull_idle_timeout={int(cull_idle)}",
        f"--{manager}.cull_interval={int(cull_interval)}",
        f"--{manager}.cull_connected=False",
        f"--{manager}.cull_busy=False",  # never a kernel still executing a dashboard
    ]


def preheat_options(preheat: int = PREHEAT, max_kernels: int = MAX_KERNELS) -> list[str]:
    """Voila options keeping ``preheat`` kernels per :data:`PREHEATED` dashboard run ahead.

    A pre-heated kernel has started, imported and executed the dashboard
    before anyone asks for it, so the page only has to be sent and drawn
    (Voila 0.5 ``--preheat_kernel``; its pool is refilled one second after a
    kernel is handed out). The pooled kernels count against ``max_kernels``
    and at least one kernel is always left for a viewer, so the pool is at most
    ``max_kernels - 1``; 0 turns pre-heating off. Other dashboards get no pool
    (five pools would run five notebooks at every server start). Pooled kernels
    are never culled (Voila's manager skips them); once handed out they are
    culled like any other. A pooled page reads the store again when it is
    requested (:func:`pmo_nb.apps.live.when_viewed`), so it never shows the
    data of the time it was heated.

    Raises
    ------
    ValueError
        When ``preheat`` is below 0.
    """
    if int(preheat) < 0:
        raise ValueError(f"preheat must be at least 0, got {preheat}")
    size = min(int(preheat), int(max_kernels) - 1)
    if size < 1:
        return []
    # One JSON option (traitlets calls this form of a dict deprecated, but its
    # key=value form would give strings where Voila needs {"pool_size": n}).
    pools = {"default": {"pool_size": 0}} | {name: {"pool_size": size} for name in PREHEATED}
    return ["--VoilaConfiguration.preheat_kernel=True",
            f"--VoilaKernelManager.kernel_pools_config={json.dumps(pools)}"]


def executor_options(iopub_wait: int = IOPUB_WAIT_SECONDS) -> list[str]:
    """Voila options so a loaded server shows each cell's whole output or says it is busy.

    Voila executes a dashboard with nbclient, which after a cell's execute
    reply waits only ``iopub_timeout`` (4 s by default) for the output still
    on its way (the display of the dashboard's widgets, megabytes of widget
    messages), then drops it without a word: with ten viewers at once every
    page stayed blank. Here it waits ``iopub_wait`` seconds, and past that the
    page shows :data:`LATE_OUTPUT_MESSAGE` instead of nothing.

    Raises
    ------
    ValueError
        When ``iopub_wait`` is below 1.
    """
    if int(iopub_wait) < 1:
        raise ValueError(f"iopub_wait must be at least 1, got {iopub_wait}")
    return [
        f"--VoilaExecutor.iopub_timeout={int(iopub_wait)}",
        "--VoilaExecutor.raise_on_iopub_timeout=True",
        f"--VoilaExecutor.cell_timeout_instruction={LATE_OUTPUT_MESSAGE}",
    ]


def voila_command(port: int = 8866, db=None, host: str = "127.0.0.1",
                  max_kernels: int = MAX_KERNELS, cull_idle: int = CULL_IDLE_SECONDS,
                  cull_interval: int = CULL_INTERVAL_SECONDS, preheat: int = PREHEAT) -> list[str]:
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
    max_kernels, cull_idle, cull_interval : int
        See :func:`kernel_options`.
    preheat : int
        Pre-heated kernels of the executive dashboard, see :func:`preheat_options`.

    The viewers' token is not an option here: argv is public
    (:func:`pmo_nb.apps.serve_auth.write_token_config` passes it).

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
        *kernel_options(max_kernels, cull_idle, cull_interval),
        *preheat_options(preheat, max_kernels),
        *executor_options(),
    ]
    return argv


def voila_env(db=None, config_dir: str | os.PathLike | None = None,
              intake_db=None, refresh=None) -> dict[str, str]:
    """The environment for :func:`voila_command`: store URL, empty config, our template.

    ``PMO_DB`` carries a read-only URL of the store to the dashboard kernels
    (:func:`pmo_nb.store.core.read_only_url`), so no dashboard can write to it;
    ``PMO_INTAKE_DB`` (only when ``intake_db`` is given) is the URL the intake
    form writes proposals with, under its own narrow database role;
    ``JUPYTER_CONFIG_DIR`` points at ``config_dir`` (a new empty temporary
    folder when omitted) so the user's Jupyter configuration is not read;
    ``JUPYTER_PATH`` adds ``templates/`` where Voila finds the ``pmo`` page
    template (Voila's own, minus the stylesheets it loads from a CDN);
    ``PMO_REFRESH_SECONDS`` (only when ``refresh`` is given) how often the
    dashboards look at the store for a new import or forecast (0 = never).
    ``PMO_VEGA_STATIC_DIR`` is a folder below ``config_dir`` that JUPYTER_PATH
    also holds, so Voila serves what the kernels put there as the ``pmo``
    template's static files: the charts' offline Vega bundle, which a page then
    downloads once instead of once per chart (:mod:`pmo_nb.charts.offline`).

    Raises
    ------
    ValueError
        When ``refresh`` is not a number of seconds >= 0.
    """
    if config_dir is None:
        config_dir = tempfile.mkdtemp(prefix="pmo-voila-config-")

    env = dict(os.environ)
    env[DB_ENV] = read_only_url(db)
    env.pop(INTAKE_DB_ENV, None)
    if intake_db:
        env[INTAKE_DB_ENV] = resolve_db_url(intake_db)
    if refresh is not None:
        env[REFRESH_ENV] = f"{refresh_seconds(refresh):g}"
    env["JUPYTER_CONFIG_DIR"] = os.fspath(config_dir)
    # Voila serves <root>/voila/templates/pmo/static/* of every JUPYTER_PATH root
    # at <base_url>voila/templates/pmo/static/*; the kernels write the bundle there.
    shared = Path(config_dir, "data")
    static = shared / "voila" / "templates" / "pmo" / "static"
    static.mkdir(parents=True, exist_ok=True)
    env[STATIC_DIR_ENV] = os.fspath(static)
    # templates/voila/templates/pmo: Voila's page without CDN stylesheets
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(templates_dir()), os.fspath(shared), os.environ.get("JUPYTER_PATH", ""))
        if p
    )
    env.pop("PMO_RENDER", None)  # dashboards use live widgets, never static SVG
    for name in (TOKEN_ENV, "JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE"):
        env.pop(name, None)  # the token reaches Voila in a config file, never the kernels
    return env


def dashboard_url(port: int = 8866, host: str = "127.0.0.1", name: str = "executive",
                  token: str | None = None) -> str:
    """Where a dashboard is found once the server runs."""
    url = f"http://{host}:{port}/voila/render/{name}.ipynb"
    return f"{url}?token={token}" if token else url


def _print_urls(port: int, host: str, token: str | None, store: str) -> None:
    print(f"Serving {dashboards_dir()} from store {store} (read-only)")
    shown = elide(token)
    print(f"Executive dashboard: {dashboard_url(port, host, token=shown)}")
    others = sorted(p.stem for p in dashboards_dir().glob("*.ipynb") if p.stem != "executive")
    for name in others:
        print(f"  also: {dashboard_url(port, host, name=name, token=shown)}")
    if token:
        print("  (token elided: append the full one, ?token=<token>)")
    sys.stdout.flush()


def serve(port: int = 8866, db=None, host: str = "127.0.0.1", token: str | None = None,
          intake_db=None, max_kernels: int = MAX_KERNELS, cull_idle: int = CULL_IDLE_SECONDS,
          cull_interval: int = CULL_INTERVAL_SECONDS, refresh=None, preheat: int = PREHEAT
          ) -> int:
    """Run Voila in the foreground until it or this process is stopped; return its status.

    ``refresh``: seconds between the dashboards' looks at the store (default 5, 0 = off).
    """
    argv = voila_command(port=port, db=db, host=host, max_kernels=max_kernels,
                         cull_idle=cull_idle, cull_interval=cull_interval, preheat=preheat)
    with tempfile.TemporaryDirectory(prefix="pmo-voila-config-") as config_dir:
        env = voila_env(db, config_dir, intake_db=intake_db, refresh=refresh)
        write_log_config(config_dir)
        if token:
            write_token_config(config_dir, token)
        _print_urls(port, host, token, redact_url(env[DB_ENV]))
        return run_foreground(argv, env)

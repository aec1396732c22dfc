"""One report kernel kept alive across the notebooks a worker process runs.

Starting a kernel and importing pandas, Altair and pmo_nb in it cost about two
seconds a notebook, more than a status page's own work; a fan-out of a hundred
pages paid it a hundred times. A :class:`KernelHost` keeps the kernel of the
last notebook and runs the next run of the *same* notebook (same store
environment) in it, after a reset that gives it a fresh namespace and
execution count (``InteractiveShell.reset(new_session=True)``): what survives
is the modules already imported, which is the point. Any other notebook, a
failed run, or a kernel that died gets a new kernel, so one report type never
sees another's state. papermill offers no way to hand it a running kernel, so
:class:`WarmEngine` is a papermill engine that passes ours to nbclient.
"""

from __future__ import annotations

import time
from pathlib import Path

from pmo_nb.reports.milestones import leave_markers

#: Engine name papermill knows :class:`WarmEngine` by.
ENGINE = "pmo-warm"
#: Runs of one notebook in one kernel before it is replaced (bounds slow leaks).
MAX_RUNS = 200
#: Seconds between two saves of a notebook while it runs in a kept kernel.
SAVE_EVERY_S = 2.0
#: What a kept kernel runs, silently, before the next notebook. IPython's reset ends
#: with a full ``gc.collect()`` (its displayhook's flush), which walks every object
#: the imports made: 0.13 s of each plan page (py-spy of a 96-page fan-out,
#: 2026-12-03). With every object frozen meanwhile (``gc.freeze``) it has nothing to
#: walk: the last run's objects are freed by their reference counts as the namespace
#: is cleared, and any cycles among them by Python's own collector later, as in any
#: process. Nothing stays frozen after the reset.
RESET_CODE = ("try:\n"
              "    __import__('gc').freeze()\n"
              "    get_ipython().reset(new_session=True)\n"
              "finally:\n"
              "    __import__('gc').unfreeze()\n")
#: Kernel starts tried for one notebook run. A kernel can die before it answers
#: (jupyter_client picks free ports, closes them and hands them to the kernel, which
#: binds them a moment later: another process starting a kernel may take one in
#: between, and the kernel exits with "Address already in use"; seen in a test run
#: with four runners starting kernels at once). No cell has run then, so a fresh
#: kernel with new ports is safe to try.
START_ATTEMPTS = 3
#: What jupyter_client raises when the kernel process ends before its first reply.
DIED_AT_START = "Kernel died before replying to kernel_info"


def died_at_start(exc: BaseException) -> bool:
    """True when ``exc`` is a kernel that ended before answering (no cell ran)."""
    return isinstance(exc, RuntimeError) and DIED_AT_START in str(exc)


def with_fresh_starts(execute, kernel=None, key=None):
    """``(execute(), None)``, or ``(None, the exception)`` it raised in the end.

    A run whose kernel died at start (:func:`died_at_start`) is tried again, up
    to :data:`START_ATTEMPTS` starts in all; a kept ``kernel`` (a
    :class:`KernelHost`) is replaced by a fresh one for ``key`` first. Any other
    failure is returned at once.
    """
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return execute(), None
        except Exception as exc:  # noqa: BLE001 - the caller records it
            if attempt == START_ATTEMPTS or not died_at_start(exc):
                return None, exc
            if kernel is not None:  # new ports with a new kernel
                kernel.discard()
                kernel.prepare(key)
    raise AssertionError("unreachable")  # pragma: no cover


class KernelHost:
    """The kernel a worker keeps between notebooks, keyed by notebook and environment.

    Parameters
    ----------
    pid_file : Path
        Where the kernel's process id is written when it starts (the suite
        kills that process group when a notebook runs past its timeout).
    """

    def __init__(self, pid_file: Path):
        self.pid_file = Path(pid_file)
        self.km = None
        self.kc = None
        self.key = None
        self.runs = 0

    def prepare(self, key) -> None:
        """Make ready for a run of ``key``: the kept kernel, reset, or none (a new one)."""
        if self.km is not None and (key != self.key or self.runs >= MAX_RUNS
                                    or not self._alive()):
            self.discard()
        if self.km is not None and self.kc is not None and not self._reset():
            self.discard()
        if self.km is None:
            from pmo_nb.reports.runner import (
                pid_recording_manager,  # lazy: jupyter_client loads only for report runs
            )

            self.km = pid_recording_manager(self.pid_file)(kernel_name="python3")
            self.kc = None
            self.runs = 0
        self.key = key

    def ran(self, ok: bool) -> None:
        """Count a finished run; a failed one leaves state behind, so its kernel goes."""
        self.runs += 1
        if not ok:
            self.discard()

    def _alive(self) -> bool:
        from jupyter_core.utils import run_sync  # lazy: only with a kept kernel

        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001 - a broken manager is a dead kernel
            return False

    def _reset(self) -> bool:
        """Give the kept kernel a fresh namespace and execution count; False if it failed."""
        from jupyter_core.utils import run_sync  # lazy: only with a kept kernel

        try:
            reply = run_sync(self.kc.execute_interactive)(
                RESET_CODE, silent=True, store_history=False, timeout=60,
                output_hook=lambda msg: None)
        except Exception:  # noqa: BLE001 - a kernel that does not answer is replaced
            return False
        return reply.get("content", {}).get("status") == "ok"

    def discard(self) -> None:
        """Shut the kept kernel down (at once) and forget it."""
        from jupyter_core.utils import run_sync  # lazy: only with a kept kernel

        km, kc, self.km, self.kc, self.key = self.km, self.kc, None, None, None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001 - closing a dead kernel's sockets
                pass
        if km is not None:
            try:
                if run_sync(km.is_alive)():
                    run_sync(km.shutdown_kernel)(now=True)
                run_sync(km.cleanup_resources)()
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.pid_file.unlink(missing_ok=True)


def _warm_engine():
    """The papermill engine class that runs a notebook in a :class:`KernelHost`'s kernel."""
    from papermill.clientwrap import (
        PapermillNotebookClient,  # lazy: papermill loads only for report runs
    )
    from papermill.engines import NBClientEngine, papermill_engines  # lazy: as above
    from papermill.log import logger  # lazy: as above
    from papermill.utils import merge_kwargs, remove_args  # lazy: as above

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            host: KernelHost = kwargs.pop("kernel_host")
            leave_markers(nb_man, kwargs.pop("milestones_dir", None))
            kwargs = remove_args(["input_path", "timeout", "startup_timeout",
                                  "kernel_manager_class"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log=logger, log_output=log_output,
                                 stdout_file=stdout_file, stderr_file=stderr_file)
            _save_at_most_every(nb_man, SAVE_EVERY_S)
            client = PapermillNotebookClient(nb_man, km=host.km, **final)
            client.kc = host.kc  # None the first time: nbclient starts kernel and client
            try:
                return client.execute()
            finally:
                host.kc = client.kc

    papermill_engines.register(ENGINE, WarmEngine)
    return WarmEngine


def _save_at_most_every(nb_man, seconds: float) -> None:
    """papermill's saves of the running notebook, at most one every ``seconds``.

    papermill writes the whole notebook (JSON, validated by nbformat) at the
    start and at the end of every cell: 0.13 s of each plan page's worker time
    (py-spy, 2026-12-03), for a copy only a killed run ever reads. The first
    save still happens, and papermill writes the finished notebook (or the
    failed one) after the run whatever this skips. A run killed at its
    deadline keeps the notebook as last saved: the cells that finished less
    than ``seconds`` after that save are not in it.
    """
    save, last = nb_man.save, [float("-inf")]

    def save_now_and_then(**kwargs):
        now = time.monotonic()
        if kwargs.get("nb") is not None or now - last[0] >= seconds:
            last[0] = now
            save(**kwargs)

    nb_man.save = save_now_and_then


def warm_engine() -> str:
    """Register the engine with papermill (once) and return its name."""
    from papermill.engines import papermill_engines  # lazy: papermill only for report runs

    if ENGINE not in papermill_engines._engines:
        _warm_engine()
    return ENGINE

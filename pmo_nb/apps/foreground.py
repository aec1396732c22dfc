"""Run a server child in the foreground, passing on the signals that stop it.

``pmo serve`` must not leave Voila serving when it is itself stopped
(``kill``, a closed terminal, a service manager): SIGTERM, SIGHUP and SIGINT
are forwarded to the child's process group as SIGTERM, which Voila answers
by shutting its kernels down and exiting.
"""

from __future__ import annotations

import os
import signal
import subprocess

#: Signals that stop ``pmo serve`` and, through it, the child.
FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
#: Seconds the child gets to exit cleanly before it is killed.
GRACE_SECONDS = 20


def exit_status(returncode: int) -> int:
    """A shell-style exit status: ``128 + N`` for a child killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait(process: subprocess.Popen, stopping: list[int]) -> int:
    """Wait for the child; once asked to stop, kill its group after the grace period."""
    while not stopping:
        try:
            return process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            continue
    try:
        return process.wait(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        return process.wait()


def run_foreground(argv: list[str], env: dict[str, str]) -> int:
    """Run ``argv`` in its own process group until it exits; return its exit status.

    While it runs, the signals in :data:`FORWARDED` are handled here and sent
    on to the child's group as SIGTERM; the previous handlers come back after.
    """
    process = subprocess.Popen(argv, env=env, start_new_session=True)
    stopping: list[int] = []

    def forward(signum, _frame):
        stopping.append(signum)
        _signal_group(process, signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        return exit_status(_wait(process, stopping))
    finally:
        if process.poll() is None:  # an exception here: do not leave the child behind
            forward(signal.SIGTERM, None)
            _wait(process, stopping)
        for sig, handler in previous.items():
            signal.signal(sig, handler)

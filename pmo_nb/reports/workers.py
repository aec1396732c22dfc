"""Worker processes of a suite run, and the lock that keeps two runs apart.

A worker process (``python -m pmo_nb.reports.workers HOME``) runs many jobs, one at a
time, each with :func:`pmo_nb.reports.runner.run_report` in the kernel it keeps
(:mod:`pmo_nb.reports.kernels`), and writes a result file for each; it dies with its
parent, and a job over its wall-clock timeout has its kernel and worker killed (the
suite starts a fresh process for the next job). Only this module imports what a worker
needs, so a worker starts quickly."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from pmo_nb.atomic import write_atomic
from pmo_nb.dates import utc_now
from pmo_nb.errors import ReportError
from pmo_nb.reports.files import publish
from pmo_nb.reports.jobs import Job, Outcome, SuiteBusy, read_record
from pmo_nb.reports.milestones import reached
from pmo_nb.reports.runner import (
    KERNEL_PID_FILE,
    STAGING,
    base_record,
    run_report,
)

#: Seconds between checks of the running workers.
POLL_S = 0.05


@contextmanager
def hold_lock(out: Path):
    """Hold ``OUT/.lock`` for the run (released by the OS if the run is killed)."""
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / ".lock", "a+")  # noqa: SIM115 - held for the block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SuiteBusy(f"another report run is writing to {out}; try again when it ends"
                            ) from None
        yield
    finally:
        handle.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_staging(out: Path) -> None:
    """Remove staging folders left by runs that were killed (their process is gone)."""

    root = out / STAGING
    if not root.is_dir():
        return
    for entry in root.iterdir():
        owner = entry.name.split("-", 1)[0]
        if not owner.isdigit() or not _pid_alive(int(owner)):
            shutil.rmtree(entry, ignore_errors=True)


class WorkerProcess:
    """A worker process kept for many jobs, one at a time, and its kept kernel.

    Jobs go to the process as JSON lines on its stdin; it answers each with a
    result file. Its home folder (under ``OUT/.staging``) holds its log and the
    process id of its current kernel, so a job over its timeout can be killed
    with its kernel (the process is then gone; the suite starts another).
    """

    def __init__(self, out: Path):
        staging_root = out / STAGING
        staging_root.mkdir(parents=True, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(dir=staging_root, prefix=f"{os.getpid()}-w"))
        self.log_path = self.home / "worker.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()/kill()
        #: The notebook of the last job it ran (its kernel is kept for that notebook).
        self.notebook: str | None = None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pmo_nb.reports.workers", str(self.home)],
            stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the runner, which stops the workers
        )

    def send(self, job_file: Path) -> bool:
        """Hand the process a job; False if it has died."""
        try:
            self.proc.stdin.write(f"{job_file}\n".encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def kill(self) -> None:
        """Stop its kernel (its own process group) and the process, now."""
        if self.proc.poll() is None:
            try:
                os.killpg(int((self.home / KERNEL_PID_FILE).read_text()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
            self.proc.kill()
        self.proc.wait()
        self.close()

    def close(self, wait: float = 0) -> None:
        """End the process (it stops its kernel) and remove its home folder."""
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()  # end of jobs: the process stops its kernel and exits
            except OSError:
                pass
        if wait and self.proc.poll() is None:
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self.log.close()
        if self.proc.poll() is not None:
            shutil.rmtree(self.home, ignore_errors=True)


class Worker:
    """A running job: the process running it, its staging folder and its deadline."""

    def __init__(self, job: Job, *, as_of, db, out: Path, timeout, notebooks_dir,
                 process: WorkerProcess | None = None):
        self.job = job
        self.process = process or WorkerProcess(out)
        self.proc = self.process.proc
        staging_root = out / STAGING
        staging_root.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(dir=staging_root, prefix=f"{os.getpid()}-"))
        self.result_file = self.staging / "result.json"
        spec = job.spec
        period = spec.period(dt.date.fromisoformat(as_of))
        extra = {"report": spec.name, "period": period,
                 "cadence": spec.cadence.text if spec.cadence else None}
        if job.project_id is not None:
            extra["project_id"] = job.project_id
        self.extra = extra
        call = {
            "name": spec.notebook, "as_of": as_of, "db": db, "out": str(out),
            "parameters": job.parameters, "timeout": timeout, "output": job.output,
            "record_extra": extra, "staging_dir": str(self.staging),
            "notebooks_dir": str(notebooks_dir) if notebooks_dir else None,
            "pdf": spec.pdf,
        }
        job_file = self.staging / "job.json"
        job_file.write_text(json.dumps({"call": call, "result": str(self.result_file)}))
        self.started = time.monotonic()
        self.start_iso = utc_now()
        self.deadline = self.started + timeout
        self.timeout = timeout
        self.process.notebook = spec.notebook
        self.process.send(job_file)  # a dead process is seen by done() and finish()

    def done(self) -> bool:
        """The job has its result, or its process ended without one."""
        return self.result_file.exists() or self.proc.poll() is not None

    def reached(self, milestone: str) -> bool:
        """The notebook has reported ``milestone`` (:mod:`pmo_nb.reports.milestones`)."""
        return reached(self.staging, milestone)

    def kill(self) -> None:
        """Stop the job's kernel and process, now (the process is not reused)."""
        self.process.kill()

    def finish(self, out: Path, as_of: str, status: str | None = None) -> Outcome:
        """Read the worker's result, or write the record of a run that did not write one."""
        duration = round(time.monotonic() - self.started, 3)
        result = read_record(self.result_file) or {}
        record = result.get("record")
        job = self.job
        if status is None and record is None:
            status = "failed"
        if record is None or status == "timeout":
            if status == "timeout":
                reason = f"still running after the {self.timeout} s limit; kernel stopped"
            else:
                reason = result.get("reason") or _last_line(self.process.log_path)
            _drop_torn_notebook(self.staging / f"{job.output.split('/')[-1]}.ipynb")
            record = base_record(
                job.spec.notebook, as_of=as_of, output=job.output, start=self.start_iso,
                finish=utc_now(), duration_s=duration, status=status, reason=reason,
                parameters=job.parameters, **self.extra,
            )
            publish(record, out=out, staging=self.staging)
        if self.proc.poll() is not None:
            self.process.close()

        shutil.rmtree(self.staging, ignore_errors=True)
        return Outcome(job.spec.name, job.output, record["status"],
                       record.get("duration_s") or duration, record.get("reason"),
                       job.project_id, record.get("html"), record.get("ipynb"),
                       record.get("pdf"), record.get("pdf_error"))


def _last_line(path: Path) -> str:
    try:
        lines = [s.strip() for s in path.read_text(errors="replace").splitlines() if s.strip()]
    except OSError:
        lines = []
    return (lines[-1] if lines else "worker process ended without a result")[:200]


def _drop_torn_notebook(path: Path) -> None:
    """Remove a notebook the killed kernel's runner was halfway through saving."""
    if not path.exists():
        return
    import nbformat  # lazy: nbformat loads only for report runs

    try:
        nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - unreadable means torn
        path.unlink(missing_ok=True)


def _run_job(job_file: str, kernel) -> None:
    """Run the job of ``job_file`` in ``kernel`` and write its result file."""
    job = json.loads(Path(job_file).read_text())
    outcome: dict = {"record": None, "reason": None}
    started = utc_now()
    try:
        run_report(**job["call"], kernel=kernel)
    except ReportError as exc:
        outcome["reason"] = exc.reason
    except Exception as exc:  # noqa: BLE001 - reported in the record
        outcome["reason"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        kernel.discard()
    call = job["call"]
    written = Path(call["out"]) / dt.date.fromisoformat(call["as_of"]).isoformat()
    record = read_record(written / f"{call['output']}.json")
    if record is not None and (record.get("start") or "") >= started:
        outcome["record"] = record  # written by this run, not left by an earlier one
    write_atomic(Path(job["result"]), json.dumps(outcome))


def _worker_main(home: str) -> None:
    """Entry point of a worker process: run the jobs named on stdin, one a line."""
    from pmo_nb.reports.kernels import KernelHost  # lazy: a worker process only

    parent = os.getppid()
    pid_file = Path(home) / KERNEL_PID_FILE

    def watch_parent():
        # the runner was killed (kill -9, crash): stop the kernel and this worker too
        while True:
            if os.getppid() != parent:
                try:
                    os.killpg(int(pid_file.read_text()), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
                os._exit(1)
            time.sleep(0.2)

    threading.Thread(target=watch_parent, daemon=True).start()
    kernel = KernelHost(pid_file)
    try:
        for line in sys.stdin:
            if line.strip():
                _run_job(line.strip(), kernel)
    finally:
        kernel.discard()


if __name__ == "__main__":
    _worker_main(sys.argv[1])

"""Run a suite's notebooks on a Dask distributed cluster (``pmo report run --cluster``).

The coordinator (the ``pmo`` process, :func:`pmo_nb.reports.suite.run_suite`)
keeps everything it does for a local run: the schedule and ``after`` order, the
lock, the staging folder, atomic publishing and the indexes. Only the notebook
runs move. Each job becomes one Dask task that runs the notebook on a worker as
a local run does (a :class:`pmo_nb.reports.workers.Worker`: its own process and
kernel, the wall-clock limit) inside the worker's scratch folder, and returns
the run record with the bytes of the executed notebook, the page and the PDF.
The coordinator writes them into ``OUT`` with :func:`pmo_nb.reports.files.publish`,
so a worker lost mid-run leaves no partial page. Dask reruns the tasks of a lost
worker on another one (``distributed.scheduler.allowed-failures`` times, 3 by
default), which is safe because a task writes only into its private folder and
returns bytes: running it twice gives the same files.

Workers need the pmo_nb package (the same version, with its ``templates/``) and
read access to the store, so the store must be a server such as PostgreSQL: a
SQLite file on the coordinator is refused. The notebook itself is sent with the
task, so workers run the coordinator's copy. ``distributed`` is imported here
only, and only when a cluster run starts.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from pmo_nb.config import notebooks_dir as default_notebooks_dir
from pmo_nb.dates import utc_now
from pmo_nb.formatting import redact_url
from pmo_nb.reports.files import publish
from pmo_nb.reports.jobs import Job, Outcome, read_record
from pmo_nb.reports.runner import STAGING, base_record
from pmo_nb.reports.workers import POLL_S, Worker

#: Times Dask retries a task that raised (the glue, not the notebook: a failed
#: notebook is a record, not an exception). A lost worker's tasks are
#: rescheduled by Dask whatever this says.
RETRIES = 2
#: Seconds to wait for the scheduler to answer when connecting.
CONNECT_TIMEOUT_S = 15
#: The coordinator gives up on a task that has not come back after this many
#: times ``timeout`` (the workers enforce ``timeout`` on each attempt; this covers
#: reruns after lost workers and a cluster that has lost every worker).
BACKSTOP_RUNS = 4
#: The file kinds a worker sends back, as named in the run record.
FILE_KINDS = ("ipynb", "html", "pdf")


class ClusterError(ValueError):
    """The cluster cannot be used: a store its workers cannot reach, or no scheduler."""


def check_cluster_store(db_url: str) -> None:
    """Refuse a store that the cluster's workers cannot reach (an SQLite file).

    Raises
    ------
    ClusterError
        ``db_url`` is an SQLite URL (the file lives on the coordinator's disk).
    """
    if db_url.split(":", 1)[0].split("+", 1)[0].lower() == "sqlite":
        where = db_url.split(":///", 1)[-1] or db_url
        raise ClusterError(
            f"--cluster needs a store every worker can reach, and {where} is an SQLite "
            "file on this machine that workers elsewhere cannot open: use PostgreSQL "
            "(--db postgresql+psycopg://USER@HOST/DB or PMO_DB)")


@contextmanager
def connect(address: str, db_url: str):
    """A launcher of jobs on the Dask cluster at ``address``, for the block.

    Raises
    ------
    ClusterError
        The store is an SQLite file, or no scheduler answers at ``address``.
    """
    check_cluster_store(db_url)
    from distributed import Client  # lazy: distributed loads only for cluster runs

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({_one_line(exc)}): start one "
            f"with `dask scheduler` and workers with `dask worker {address}`") from None
    try:
        yield Launcher(client)
    finally:
        client.close()


def _one_line(exc: BaseException) -> str:
    text = next((s.strip() for s in str(exc).splitlines() if s.strip()), "")
    return f"{type(exc).__name__}: {text}"[:200]


class Launcher:
    """Starts jobs on a cluster; called by the suite where it would start a local Worker."""

    def __init__(self, client):
        self.client = client

    @property
    def slots(self) -> int:
        """Notebooks the cluster runs at once: its workers' threads (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def __call__(self, job: Job, *, as_of, db, out: Path, timeout, notebooks_dir) -> ClusterRun:
        return ClusterRun(self.client, job, as_of=as_of, db=db, out=out, timeout=timeout,
                          notebooks_dir=notebooks_dir)


class ClusterRun:
    """A job running on the cluster, polled by the suite like a local Worker.

    The suite reads ``done()``, ``reached()``, ``proc.poll()``, ``deadline``, ``kill()`` and
    ``finish()`` of what it started; this offers the same, backed by a future.
    """

    def __init__(self, client, job: Job, *, as_of, db, out: Path, timeout, notebooks_dir):
        self.job = job
        folder = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
        self.notebook = folder / f"{job.spec.notebook}.ipynb"
        source = self.notebook.read_bytes() if self.notebook.is_file() else None
        self.started = time.monotonic()
        self.start_iso = utc_now()
        self.deadline = self.started + BACKSTOP_RUNS * timeout
        self.backstop_s = BACKSTOP_RUNS * timeout
        self.db = db
        self.log = io.BytesIO()  # nothing to log here: the worker keeps the kernel's log
        key = f"pmo-report-{job.output.replace('/', '-')}-{uuid.uuid4().hex[:8]}"
        self.future = client.submit(run_job, job, as_of=as_of, db=db, timeout=timeout,
                                    notebook=source, key=key, pure=False, retries=RETRIES)

    @property
    def proc(self) -> ClusterRun:
        return self

    def poll(self) -> int | None:
        """None while the task is pending or running, else 0 (as ``Popen.poll``)."""
        return 0 if self.future.done() else None

    def done(self) -> bool:
        """The task has ended (its result, or its error, is in)."""
        return self.future.done()

    def reached(self, milestone: str) -> bool:
        """Never: a task's milestones stay on its worker, so dependants wait for its end."""
        return False

    def kill(self) -> None:
        """Give up on the task (a notebook already running on a worker ends at its timeout)."""
        self.future.cancel()

    def finish(self, out: Path, as_of: str, status: str | None = None) -> Outcome:
        """Publish what the worker sent back, or the record of a run that sent nothing."""
        job = self.job
        result, reason = None, None
        if status is None:
            try:
                result = self.future.result()
            except Exception as exc:  # noqa: BLE001 - a lost task becomes the record's reason
                status, reason = "failed", f"on the cluster: {_one_line(exc)}"
        elif status == "timeout":
            reason = f"no answer from the cluster after {self.backstop_s:g} s; task cancelled"
        staging_root = out / STAGING
        staging_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=staging_root, prefix=f"{os.getpid()}-"))
        try:
            if result is not None and result.get("record"):
                record = result["record"]
                record["notebook"] = str(self.notebook)  # not the worker's scratch copy
                leaf = job.output.split("/")[-1]
                for kind, data in result["files"].items():
                    if data is not None:
                        (staging / f"{leaf}.{kind}").write_bytes(data)
            else:
                record = base_record(
                    job.spec.notebook, as_of=as_of, output=job.output,
                    notebook=str(self.notebook), db=redact_url(self.db), start=self.start_iso,
                    finish=utc_now(), duration_s=round(time.monotonic() - self.started, 3),
                    status=status or "failed",
                    reason=reason or "the worker sent back no run record",
                    parameters=job.parameters, **_record_extra(job, as_of),
                )
            publish(record, out=out, staging=staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return Outcome(job.spec.name, job.output, record["status"], record.get("duration_s") or 0,
                       record.get("reason"), job.project_id, record.get("html"),
                       record.get("ipynb"), record.get("pdf"), record.get("pdf_error"))


def _record_extra(job: Job, as_of: str) -> dict:
    """The suite's fields of a run record (report, period, cadence, project)."""
    spec = job.spec
    extra = {"report": spec.name, "period": spec.period(dt.date.fromisoformat(as_of)),
             "cadence": spec.cadence.text if spec.cadence else None}
    if job.project_id is not None:
        extra["project_id"] = job.project_id
    return extra


def run_job(job: Job, *, as_of: str, db: str, timeout: float, notebook: bytes | None) -> dict:
    """The Dask task: run one job in a private scratch folder and return its files.

    Runs on a worker. The notebook runs as in a local suite run (its own worker
    process and kernel, killed after ``timeout`` seconds), into a folder of the
    Dask worker's local directory that is removed afterwards, so the task is
    idempotent: nothing outside that folder is written, and a rerun starts afresh.

    Returns
    -------
    dict
        ``record`` (the run record) and ``files`` (``ipynb``, ``html``, ``pdf``:
        bytes, or None for a file the run did not make).
    """
    from distributed import get_worker  # lazy: runs inside a Dask worker only

    scratch = Path(tempfile.mkdtemp(dir=get_worker().local_directory, prefix="pmo-report-"))
    try:
        books = scratch / "notebooks"
        books.mkdir()
        if notebook is not None:
            (books / f"{job.spec.notebook}.ipynb").write_bytes(notebook)
        out = scratch / "out"
        worker = Worker(job, as_of=as_of, db=db, out=out, timeout=timeout, notebooks_dir=books)
        status = None
        try:
            while not worker.done():  # its process stays up for more jobs: not the end
                if time.monotonic() >= worker.deadline:
                    status = "timeout"
                    break
                time.sleep(POLL_S)
        finally:
            worker.kill()  # its kernel and process go (a task runs one job)
        worker.finish(out, as_of, status)
        record = read_record(out / as_of / f"{job.output}.json")
        files = {kind: Path(record[kind]).read_bytes() if record and record.get(kind) else None
                 for kind in FILE_KINDS}
        return {"record": record, "files": files}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

"""Run many reports: fan-out, parallel worker processes, wall-clock timeouts, indexes.

:func:`run_suite` turns report specs (from ``reports.yml``, see
:mod:`pmo_nb.reports.schedule`) into jobs, one per report or, for
``per: active_project``, one per active project, and runs each job in its
own worker process (``python -m pmo_nb.reports.workers JOB``) that calls
:func:`pmo_nb.reports.runner.run_report`. At most ``jobs`` workers run at once,
longest first as the latest earlier runs took. A
job that runs longer than ``timeout`` seconds (the whole notebook, not one
cell) has its kernel and worker killed and is recorded as ``timeout``, with
the cells it finished kept in its executed notebook. One failing job never
stops the others. After a job the run folder's ``index.html`` and the
output root's ``index.html`` are rewritten from the run records on disk
(at most every :data:`INDEX_EVERY_S`; see :class:`IndexWriter`).

Layout of ``OUT`` (the run folder is named after the reporting date)::

    OUT/index.html                          every run folder
    OUT/<as_of>/index.html                  the reports of that run folder
    OUT/<as_of>/<name>.html|.ipynb|.json    a report
    OUT/<as_of>/<name>.json                 + <name>/<project_id>.* for a fan-out
    OUT/.staging/                           files being built (never linked)
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from pmo_nb.atomic import write_atomic
from pmo_nb.config import resolve_db_url
from pmo_nb.dates import iso_day, utc_now
from pmo_nb.reports.index import mark_interrupted, write_indexes, write_running
from pmo_nb.reports.jobs import Job, Outcome, SuiteResult, read_record
from pmo_nb.reports.milestones import split as split_milestone
from pmo_nb.reports.planning import (
    plan,
    run_dates,
)
from pmo_nb.reports.runner import (
    STAGING,
    base_record,
)
from pmo_nb.reports.schedule import ReportSpec
from pmo_nb.reports.workers import POLL_S, Worker, WorkerProcess, clean_staging, hold_lock

#: The indexes are rewritten at most this often while jobs finish (seconds): a reader
#: watching a run sees a page's row within seconds, at a fraction of the rewrites.
INDEX_EVERY_S = 5.0
#: ... and for at most 1 / (1 + this) of the coordinator's time.
INDEX_REST_FACTOR = 4.0


class IndexWriter:
    """Rewrites a run's indexes after jobs finish, but not after every one.

    A rewrite reads every record of the run folder (and each run folder's for the
    root index), so its cost grows with the pages: 1.9 s with 5,000 pages. Once per
    page the coordinator would spend hours on indexes in a large fan-out and hand
    out jobs late. So a finished job only marks the indexes stale; they are
    rewritten when :data:`INDEX_EVERY_S` has passed since the last rewrite and the
    coordinator has rested :data:`INDEX_REST_FACTOR` times as long as that rewrite
    took. The start, the end and an interruption are written at once.
    """

    def __init__(self, out: Path, day: str):
        self.out, self.day = out, day
        self.stale, self.due = False, 0.0

    def mark_stale(self) -> None:
        """A job finished: its row in the index is out of date."""
        self.stale = True

    def tick(self) -> None:
        """Rewrite the indexes if they are stale and a rewrite is due."""
        if self.stale and time.monotonic() >= self.due:
            self.now()

    def now(self) -> None:
        """Rewrite the indexes now."""
        began = time.monotonic()
        write_indexes(self.out, self.day)
        ended = time.monotonic()
        self.stale = False
        self.due = ended + max(INDEX_EVERY_S, INDEX_REST_FACTOR * (ended - began))


def _fan_out_record(spec: ReportSpec, outcomes: list[Outcome], *, out: Path, as_of: str,
                    broken: str | None, start: str) -> None:
    """The summary record ``<name>.json`` of a fan-out, and stale instance files removed."""
    folder = out / as_of
    failed = [o for o in outcomes if o.status != "succeeded"]
    if broken:
        status, reason = "failed", broken
    elif failed:
        status = "failed"
        named = ", ".join(f"{o.project_id} ({o.status})" for o in failed[:5])
        more = " ..." if len(failed) > 5 else ""
        reason = f"{len(failed)} of {len(outcomes)} projects failed: {named}{more}"
    else:
        status = "succeeded"
        reason = None if outcomes else f"no active projects on {as_of}"
    record = base_record(
        spec.name, as_of=as_of, output=spec.name, notebook=spec.notebook,
        period=spec.period(dt.date.fromisoformat(as_of)),
        cadence=spec.cadence.text if spec.cadence else None, per=spec.per,
        start=start, finish=utc_now(), duration_s=round(sum(o.duration_s for o in outcomes), 3),
        status=status, reason=reason, parameters=dict(spec.parameters),
        instances=[{"project_id": o.project_id, "output": o.output, "status": o.status}
                   for o in outcomes],
        pdf_error=_fan_out_pdf_error(outcomes),
    )
    sub = folder / spec.name
    keep = {o.output.split("/")[-1] for o in outcomes}
    if sub.is_dir() and not broken:
        for path in sub.iterdir():  # projects no longer active: their old pages go
            if path.suffix in (".html", ".ipynb", ".json", ".pdf") and path.stem not in keep:
                path.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / f"{spec.name}.json", json.dumps(record, indent=2) + "\n")


def _fan_out_pdf_error(outcomes: list[Outcome]) -> str | None:
    """Which projects' PDFs were not printed (so the fan-out is due again), or None."""
    missing = [o for o in outcomes if o.pdf_error]
    if not missing:
        return None
    named = ", ".join(str(o.project_id) for o in missing[:5])
    return (f"{len(missing)} of {len(outcomes)} PDFs not printed ({named}"
            f"{' ...' if len(missing) > 5 else ''}): {missing[0].pdf_error}")


@contextmanager
def _sigterm_as_interrupt():
    """Let SIGTERM (systemd stop, kill) unwind like Ctrl-C so the workers are stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_suite(
    specs: list[ReportSpec],
    *,
    as_of=None,
    db=None,
    out="reports",
    jobs: int | None = None,
    timeout: float = 600,
    notebooks_dir=None,
    progress: bool | None = None,
    cluster: str | None = None,
) -> SuiteResult:
    """Run ``specs`` into ``OUT/<as_of>/`` with up to ``jobs`` worker processes.

    Parameters
    ----------
    specs : list of ReportSpec
        What to run (all of them, whatever their cadence).
    as_of, db, out, notebooks_dir
        As for :func:`pmo_nb.reports.runner.run_report`.
    jobs : int, optional
        Notebooks run at the same time (default 1; on a cluster, as many as its
        workers have threads). Locally each runs in its own worker process and
        kernel, which a worker keeps for the next run of the same notebook.
    timeout : float
        Wall-clock seconds one notebook may take in all.
    progress : bool, optional
        Show a tqdm bar on stderr (default: when stderr is a terminal).
    cluster : str, optional
        Address of a Dask scheduler (``tcp://HOST:8786``): the notebooks run on
        its workers, everything else here (:mod:`pmo_nb.reports.cluster`).

    Returns
    -------
    SuiteResult
        One outcome per job (fan-outs: one per project, plus a failed outcome
        for a fan-out whose projects could not be listed).

    Raises
    ------
    SuiteBusy
        Another run holds ``OUT``.
    ClusterError
        With ``cluster``: an SQLite store (workers cannot reach it) or no scheduler.
    """
    from tqdm import tqdm  # lazy: tqdm loads only for a progress bar


    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    day = iso_day(as_of)
    out = Path(out).absolute()
    db_url = resolve_db_url(db)
    with _launcher(cluster, db_url) as launch, hold_lock(out), _sigterm_as_interrupt():
        jobs = jobs or getattr(launch, "slots", 1)
        clean_staging(out)
        start = utc_now()
        plan_jobs, broken = plan(specs, db_url)
        # longest first (as the last runs took), so a long report does not start last
        last = _last_durations(out, plan_jobs)
        pending = sorted(plan_jobs, key=lambda j: -last.get(j.output, 0.0))
        running: list[Worker] = []
        idle: list[WorkerProcess] = []  # processes between jobs, each with a kept kernel
        outcomes: dict[int, Outcome] = {}
        order = {id(j): i for i, j in enumerate(plan_jobs)}
        write_running(out, day, specs, broken, start=start, durations=last)
        indexes = IndexWriter(out, day)
        indexes.now()
        bar = tqdm(total=len(pending), file=sys.stderr, unit="report", leave=False,
                   disable=None if progress is None else not progress)
        try:
            while pending or running:
                while len(running) < jobs and (pick := _next_ready(pending, running, idle)):
                    job, process = pick
                    pending.remove(job)
                    if cluster is not None:  # a task on the cluster: no local process
                        running.append(launch(job, as_of=day, db=db_url, out=out,
                                              timeout=timeout, notebooks_dir=notebooks_dir))
                        continue
                    if process is not None:
                        idle.remove(process)
                    running.append(Worker(job, as_of=day, db=db_url, out=out,
                                          timeout=timeout, notebooks_dir=notebooks_dir,
                                          process=process))
                time.sleep(POLL_S)
                indexes.tick()
                for worker in list(running):
                    status = None
                    if not worker.done():
                        if time.monotonic() < worker.deadline:
                            continue
                        worker.kill()
                        status = "timeout"
                    running.remove(worker)
                    outcome = worker.finish(out, day, status)
                    if cluster is None and worker.proc.poll() is None:
                        idle.append(worker.process)
                    outcomes[order[id(worker.job)]] = outcome
                    _maybe_close_fan_out(worker.job.spec, plan_jobs, outcomes, order,
                                         out=out, as_of=day, start=start)
                    indexes.mark_stale()
                    bar.set_postfix_str(f"{outcome.output}: {outcome.status}", refresh=False)
                    bar.update(1)
        finally:
            for worker in running:  # interrupted: stop what is still running
                worker.kill()
            for process in idle:
                process.close(wait=10)
            bar.close()
            if pending or running:  # stopped (Ctrl-C, SIGTERM): say so in the index
                mark_interrupted(out, day)
                indexes.now()
        result = [outcomes[i] for i in sorted(outcomes)]
        for spec in specs:
            if spec.name in broken:
                _fan_out_record(spec, [], out=out, as_of=day, broken=broken[spec.name],
                                start=start)
                result.append(Outcome(spec.name, spec.name, "failed", 0.0, broken[spec.name]))
            elif spec.per and not any(j.spec is spec for j in plan_jobs):
                _fan_out_record(spec, [], out=out, as_of=day, broken=None, start=start)
        write_indexes(out, day)
        try:
            (out / STAGING).rmdir()  # gone when empty
        except OSError:
            pass
    return SuiteResult(day, out / day, result)


@contextmanager
def _launcher(cluster: str | None, db_url: str):
    """What starts a job: a local worker process, or a task on a Dask cluster."""
    if cluster is None:
        yield Worker
        return
    from pmo_nb.reports.cluster import connect  # lazy: Dask loads only for cluster runs

    with connect(cluster, db_url) as launch:
        yield launch


def _next_ready(pending: list[Job], running: list, idle: list) -> tuple | None:
    """The next job to start and the idle process to run it in (None: a new process).

    A job is ready when none of its ``after`` reports is still pending or running;
    for ``report:milestone``, when every running job of that report has reached the
    milestone (:mod:`pmo_nb.reports.milestones`). An idle process keeps the kernel
    of its last notebook, so it takes the first ready job of that notebook if there
    is one; otherwise the first ready job goes to an idle process (which starts a new
    kernel for it), or to a new process when none is idle (so there are never more
    processes than ``jobs``).
    """
    queued = {j.spec.name for j in pending}

    @functools.cache  # once per ``after`` value and call: a fan-out's jobs share theirs
    def blocks(after: str) -> bool:
        report, milestone = split_milestone(after)
        return report in queued or any(
            w.job.spec.name == report and (milestone is None or not w.reached(milestone))
            for w in running)

    ready = [j for j in pending if not any(map(blocks, j.spec.after))]
    if not ready:
        return None
    for process in idle:
        same = next((j for j in ready if j.spec.notebook == process.notebook), None)
        if same is not None:
            return same, process
    return ready[0], (idle[0] if idle else None)


def _last_durations(out: Path, jobs: list[Job], folders: int = 5) -> dict[str, float]:
    """Each job's duration in the latest of the last few run folders that ran it."""
    found: dict[str, float] = {}
    for day in reversed(run_dates(out)[-folders:]):
        for job in jobs:
            if job.output not in found:
                record = read_record(out / day / f"{job.output}.json")
                took = record and (record.get("duration_s") or record.get("expected_s"))
                if isinstance(took, int | float):
                    found[job.output] = float(took)
    return found


def _maybe_close_fan_out(spec, plan_jobs, outcomes, order, *, out, as_of, start) -> None:
    """Write a fan-out's summary record once its last project has finished."""
    if not spec.per:
        return
    mine = [order[id(j)] for j in plan_jobs if j.spec is spec]
    if all(i in outcomes for i in mine):
        _fan_out_record(spec, [outcomes[i] for i in mine], out=out, as_of=as_of,
                        broken=None, start=start)


def summary_text(result: SuiteResult) -> str:
    """One line per report (fan-outs: a count, then each failed project) and a total."""
    lines, seen = [], set()
    for outcome in result.outcomes:
        if outcome.project_id is None:
            where = outcome.html or outcome.ipynb or ""
            lines.append(f"{_label(outcome.status)} {outcome.report:<24} "
                         f"{outcome.duration_s:7.1f} s  {outcome.reason or where}")
            if outcome.pdf_error:
                lines.append(f"  PDF NOT PRINTED: {outcome.pdf_error}")
            continue
        if outcome.report in seen:
            continue
        seen.add(outcome.report)
        group = [o for o in result.outcomes if o.report == outcome.report]
        bad = [o for o in group if o.status != "succeeded"]
        total = sum(o.duration_s for o in group)
        lines.append(f"{_label('failed' if bad else 'succeeded')} {outcome.report:<24} "
                     f"{total:7.1f} s  {len(group) - len(bad)} of {len(group)} projects ok")
        for o in bad:
            lines.append(f"  {_label(o.status)} {o.project_id:<22} {o.duration_s:7.1f} s  "
                         f"{o.reason}")
        for o in (o for o in group if o.pdf_error):
            lines.append(f"  PDF NOT PRINTED {o.project_id:<14} {o.pdf_error}")
    ok = sum(o.status == "succeeded" for o in result.outcomes)
    pdfs = sum(o.pdf is not None for o in result.outcomes)
    printed = f"; {pdfs} printed to PDF" if pdfs or result.pdf_failed else ""
    lines.append(f"{ok} of {len(result.outcomes)} notebook runs succeeded{printed}; "
                 f"reports in {result.folder.resolve()}")
    return "\n".join(lines)


def _label(status: str) -> str:
    return {"succeeded": "ok     ", "failed": "FAILED ", "timeout": "TIMEOUT"}.get(status, status)



"""Run many reports: fan-out, parallel worker processes, wall-clock timeouts, indexes.

:func:`run_suite` turns report specs (from ``reports.yml``, see
:mod:`pmo_nb.schedule`) into jobs, one per report or, for
``per: active_project``, one per active project, and runs each job in its
own worker process (``python -m pmo_nb.suite JOB``) that calls
:func:`pmo_nb.reports.run_report`. At most ``jobs`` workers run at once,
longest first as the latest earlier runs took. A
job that runs longer than ``timeout`` seconds (the whole notebook, not one
cell) has its kernel and worker killed and is recorded as ``timeout``, with
the cells it finished kept in its executed notebook. One failing job never
stops the others. After every job the run folder's ``index.html`` and the
output root's ``index.html`` are rewritten from the run records on disk.

Layout of ``OUT`` (the run folder is named after the reporting date)::

    OUT/index.html                          every run folder
    OUT/<as_of>/index.html                  the reports of that run folder
    OUT/<as_of>/<name>.html|.ipynb|.json    a report
    OUT/<as_of>/<name>.json                 + <name>/<project_id>.* for a fan-out
    OUT/.staging/                           files being built (never linked)
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .reports import KERNEL_PID_FILE, STAGING, _iso_day, _now, base_record, publish
from .schedule import ReportSpec

#: Seconds between checks of the running workers.
POLL_S = 0.05


class SuiteBusy(RuntimeError):
    """Another ``pmo report run`` is writing to the same output folder."""


@dataclass
class Job:
    """One notebook execution: a report, or one project of a fan-out report."""

    spec: ReportSpec
    output: str
    project_id: str | None = None
    parameters: dict = field(default_factory=dict)


@dataclass
class Outcome:
    """How one job ended: ``status`` is ``succeeded``, ``failed`` or ``timeout``."""

    report: str
    output: str
    status: str
    duration_s: float
    reason: str | None = None
    project_id: str | None = None
    html: str | None = None
    ipynb: str | None = None


@dataclass
class SuiteResult:
    """The outcomes of a suite run, in job order, and where they were written."""

    as_of: str
    folder: Path
    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "succeeded"]

    @property
    def exit_status(self) -> int:
        """0 when every job succeeded, else 1."""
        return 1 if self.failed else 0


def safe_stem(item: str) -> str:
    """A file-name-safe form of a project id (a short hash keeps altered ids distinct)."""
    stem = re.sub(r"[^A-Za-z0-9_.\-]", "_", str(item)).lstrip(".") or "_"
    if stem != str(item):
        stem += "-" + hashlib.sha1(str(item).encode()).hexdigest()[:6]
    return stem


def active_projects(db=None) -> list[str]:
    """Ids of the projects whose stage is ``active`` in the store now (the data the
    notebooks read), sorted."""
    from .store import Store

    projects = Store(db).load().projects
    return sorted(map(str, projects.loc[projects["stage"] == "active", "project_id"]))


def plan(specs: list[ReportSpec], db=None) -> tuple[list[Job], dict[str, str]]:
    """Jobs for ``specs`` (fan-outs expanded) and the fan-outs that could not be
    expanded (report name -> reason)."""
    jobs, broken = [], {}
    projects = None
    for spec in specs:
        if spec.per != "active_project":
            jobs.append(Job(spec, spec.name, None, dict(spec.parameters)))
            continue
        if projects is None:
            try:
                projects = active_projects(db)
            except Exception as exc:  # noqa: BLE001 - that report fails, the others run
                projects = exc
        if isinstance(projects, Exception):
            broken[spec.name] = f"cannot list active projects: {projects}".splitlines()[0]
            continue
        for pid in projects:
            jobs.append(Job(spec, f"{spec.name}/{safe_stem(pid)}", pid,
                            {**spec.parameters, "project_id": pid}))
    return jobs, broken


def run_dates(out) -> list[str]:
    """Run folders of ``out`` (named YYYY-MM-DD), oldest first."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir()
                  if p.is_dir() and re.fullmatch(r"\d{4}-\d\d-\d\d", p.name))


def read_record(path: Path) -> dict | None:
    """A run record, or None when missing or unreadable."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def succeeded_periods(out, specs: list[ReportSpec], day: dt.date) -> set[tuple[str, str]]:
    """``(report, period)`` pairs that already succeeded, looking at the records in
    the run folders of ``day``'s period for each scheduled report."""
    done = set()
    dates = run_dates(out)
    for spec in specs:
        if spec.cadence is None:
            continue
        first, last = spec.cadence.bounds(day)
        period = spec.period(day)
        for folder in dates:
            if not first.isoformat() <= folder <= last.isoformat():
                continue
            record = read_record(Path(out) / folder / f"{spec.name}.json")
            if (record and record.get("report") == spec.name and record.get("period") == period
                    and record.get("status") == "succeeded"):
                done.add((spec.name, period))
    return done


def select_reports(names=(), *, mode: str | None = None, schedule: list[ReportSpec] = (),
                   as_of=None, out="reports", notebooks_dir=None) -> list[ReportSpec]:
    """The reports a ``pmo report run`` means.

    Parameters
    ----------
    names : sequence of str
        Schedule entries or bare notebook names; they run whatever their cadence.
    mode : {None, "all", "due"}
        ``"all"``: every schedule entry and every notebook no entry uses;
        ``"due"``: the entries (or the named ones) that :func:`schedule.due_reports`
        says are due on ``as_of``, given the records already in ``out``.

    Raises
    ------
    ValueError
        A name that is neither a schedule entry nor a notebook.
    """
    from .reports import available_reports
    from .schedule import due_reports

    by_name = {s.name: s for s in schedule}
    notebooks = available_reports(notebooks_dir)
    unknown = [n for n in names if n not in by_name and n not in notebooks]
    if unknown:
        raise ValueError(
            f"unknown report(s) {', '.join(unknown)}: scheduled reports are "
            f"{', '.join(by_name) or 'none'}; notebooks are {', '.join(notebooks) or 'none'}")
    named = [by_name.get(n) or ReportSpec(n, n) for n in dict.fromkeys(names)]
    if mode == "all":
        used = {s.notebook for s in schedule}
        return list(schedule) + [ReportSpec(n, n) for n in notebooks
                                 if n not in used and n not in by_name]
    if mode == "due":
        base = named or list(schedule)
        day = dt.date.fromisoformat(_iso_day(as_of))
        return due_reports(base, day, succeeded_periods(out, base, day))
    return named


@contextmanager
def _lock(out: Path):
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
    import shutil

    root = out / STAGING
    if not root.is_dir():
        return
    for entry in root.iterdir():
        owner = entry.name.split("-", 1)[0]
        if not owner.isdigit() or not _pid_alive(int(owner)):
            shutil.rmtree(entry, ignore_errors=True)


class _Worker:
    """A running job: its process, its staging folder and its deadline."""

    def __init__(self, job: Job, *, as_of, db, out: Path, timeout, notebooks_dir):
        self.job = job
        staging_root = out / STAGING
        staging_root.mkdir(parents=True, exist_ok=True)
        import tempfile

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
        }
        job_file = self.staging / "job.json"
        job_file.write_text(json.dumps({"call": call, "parent": os.getpid(),
                                        "result": str(self.result_file)}))
        self.log = open(self.staging / "worker.log", "wb")  # noqa: SIM115 - closed in finish()
        self.started = time.monotonic()
        self.start_iso = _now()
        self.deadline = self.started + timeout
        self.timeout = timeout
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pmo_nb.suite", str(job_file)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the runner, which stops the workers
        )

    def kill(self) -> None:
        """Stop the kernel (its own process group) and the worker, now."""
        pid_file = self.staging / KERNEL_PID_FILE
        if self.proc.poll() is None and pid_file.exists():
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
            except (ValueError, ProcessLookupError, PermissionError):
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def finish(self, out: Path, as_of: str, status: str | None = None) -> Outcome:
        """Read the worker's result, or write the record of a run that did not write one."""
        self.log.close()
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
                reason = result.get("reason") or _last_line(self.staging / "worker.log")
            _drop_torn_notebook(self.staging / f"{job.output.split('/')[-1]}.ipynb")
            record = base_record(
                job.spec.notebook, as_of=as_of, output=job.output, start=self.start_iso,
                finish=_now(), duration_s=duration, status=status, reason=reason,
                parameters=job.parameters, **self.extra,
            )
            publish(record, out=out, staging=self.staging)
        import shutil

        shutil.rmtree(self.staging, ignore_errors=True)
        return Outcome(job.spec.name, job.output, record["status"],
                       record.get("duration_s") or duration, record.get("reason"),
                       job.project_id, record.get("html"), record.get("ipynb"))


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
    import nbformat

    try:
        nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - unreadable means torn
        path.unlink(missing_ok=True)


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
        start=start, finish=_now(), duration_s=round(sum(o.duration_s for o in outcomes), 3),
        status=status, reason=reason, parameters=dict(spec.parameters),
        instances=[{"project_id": o.project_id, "output": o.output, "status": o.status}
                   for o in outcomes],
    )
    sub = folder / spec.name
    keep = {o.output.split("/")[-1] for o in outcomes}
    if sub.is_dir() and not broken:
        for path in sub.iterdir():  # projects no longer active: their old pages go
            if path.suffix in (".html", ".ipynb", ".json") and path.stem not in keep:
                path.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    from .reports import _write_atomic

    _write_atomic(folder / f"{spec.name}.json", json.dumps(record, indent=2) + "\n")


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
    jobs: int = 1,
    timeout: float = 600,
    notebooks_dir=None,
    progress: bool | None = None,
) -> SuiteResult:
    """Run ``specs`` into ``OUT/<as_of>/`` with up to ``jobs`` worker processes.

    Parameters
    ----------
    specs : list of ReportSpec
        What to run (all of them, whatever their cadence).
    as_of, db, out, notebooks_dir
        As for :func:`pmo_nb.reports.run_report`.
    jobs : int
        Notebooks run at the same time, each in its own process and kernel.
    timeout : float
        Wall-clock seconds one notebook may take in all.
    progress : bool, optional
        Show a tqdm bar on stderr (default: when stderr is a terminal).

    Returns
    -------
    SuiteResult
        One outcome per job (fan-outs: one per project, plus a failed outcome
        for a fan-out whose projects could not be listed).

    Raises
    ------
    SuiteBusy
        Another run holds ``OUT``.
    """
    from tqdm import tqdm

    from .config import resolve_db_url
    from .report_index import write_indexes

    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    day = _iso_day(as_of)
    out = Path(out).absolute()
    db_url = resolve_db_url(db)
    with _lock(out), _sigterm_as_interrupt():
        clean_staging(out)
        start = _now()
        plan_jobs, broken = plan(specs, db_url)
        # longest first (as the last runs took), so a long report does not start last
        last = _last_durations(out, plan_jobs)
        pending = sorted(plan_jobs, key=lambda j: -last.get(j.output, 0.0))
        running: list[_Worker] = []
        outcomes: dict[int, Outcome] = {}
        order = {id(j): i for i, j in enumerate(plan_jobs)}
        bar = tqdm(total=len(pending), file=sys.stderr, unit="report", leave=False,
                   disable=None if progress is None else not progress)
        try:
            while pending or running:
                while len(running) < jobs and (job := _next_ready(pending, running)):
                    pending.remove(job)
                    running.append(_Worker(job, as_of=day, db=db_url, out=out,
                                           timeout=timeout, notebooks_dir=notebooks_dir))
                time.sleep(POLL_S)
                for worker in list(running):
                    status = None
                    if worker.proc.poll() is None:
                        if time.monotonic() < worker.deadline:
                            continue
                        worker.kill()
                        status = "timeout"
                    running.remove(worker)
                    outcome = worker.finish(out, day, status)
                    outcomes[order[id(worker.job)]] = outcome
                    _maybe_close_fan_out(worker.job.spec, plan_jobs, outcomes, order,
                                         out=out, as_of=day, start=start)
                    write_indexes(out, day)
                    bar.set_postfix_str(f"{outcome.output}: {outcome.status}", refresh=False)
                    bar.update(1)
        finally:
            for worker in running:  # interrupted: stop what is still running
                worker.kill()
                worker.log.close()
            bar.close()
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


def _next_ready(pending: list[Job], running: list) -> Job | None:
    """The first pending job none of whose ``after`` reports is still pending or running."""
    waiting = {j.spec.name for j in pending} | {w.job.spec.name for w in running}
    for job in pending:
        if not waiting.intersection(job.spec.after):
            return job
    return None


def _last_durations(out: Path, jobs: list[Job], folders: int = 5) -> dict[str, float]:
    """Each job's duration in the latest of the last few run folders that ran it."""
    found: dict[str, float] = {}
    for day in reversed(run_dates(out)[-folders:]):
        for job in jobs:
            if job.output not in found:
                record = read_record(out / day / f"{job.output}.json")
                if record and isinstance(record.get("duration_s"), int | float):
                    found[job.output] = float(record["duration_s"])
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
    ok = sum(o.status == "succeeded" for o in result.outcomes)
    lines.append(f"{ok} of {len(result.outcomes)} notebook runs succeeded; "
                 f"reports in {result.folder.resolve()}")
    return "\n".join(lines)


def _label(status: str) -> str:
    return {"succeeded": "ok     ", "failed": "FAILED ", "timeout": "TIMEOUT"}.get(status, status)


def _worker_main(job_file: str) -> None:
    """Entry point of a worker process: run one report, write the result file."""
    job = json.loads(Path(job_file).read_text())
    parent = job["parent"]
    staging = Path(job["call"]["staging_dir"])

    def watch_parent():
        # the runner was killed (kill -9, crash): stop the kernel and this worker too
        while True:
            if os.getppid() != parent:
                pid_file = staging / KERNEL_PID_FILE
                try:
                    os.killpg(int(pid_file.read_text()), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
                os._exit(1)
            time.sleep(0.2)

    threading.Thread(target=watch_parent, daemon=True).start()
    from .errors import ReportError
    from .reports import _write_atomic, run_report

    outcome: dict = {"record": None, "reason": None}
    started = _now()
    try:
        run_report(**job["call"])
    except ReportError as exc:
        outcome["reason"] = exc.reason
    except Exception as exc:  # noqa: BLE001 - reported in the record
        outcome["reason"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    call = job["call"]
    written = Path(call["out"]) / dt.date.fromisoformat(call["as_of"]).isoformat()
    record = read_record(written / f"{call['output']}.json")
    if record is not None and (record.get("start") or "") >= started:
        outcome["record"] = record  # written by this run, not left by an earlier one
    _write_atomic(Path(job["result"]), json.dumps(outcome))


if __name__ == "__main__":
    _worker_main(sys.argv[1])

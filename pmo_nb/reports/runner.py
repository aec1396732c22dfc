"""Run a report notebook with papermill and publish it as self-contained HTML.

The only module that knows papermill. :func:`run_report` checks the
notebook's parameters before it runs anything, executes the notebook with the
store and reporting date as parameters (charts as inline SVG, so the HTML
needs no network), and writes three (or four) files side by side::

    OUT/<as_of>/<name>.ipynb   the executed notebook (kept when it fails)
    OUT/<as_of>/<name>.html    the report, without code, with a header
    OUT/<as_of>/<name>.json    the run record (parameters, checksum, status)
    OUT/<as_of>/<name>.pdf     with ``pdf=True``: the page printed by Chromium

The files are built in a private folder under ``OUT/.staging/`` and moved into
place with :func:`os.replace` when the run ends, so the run folder never shows a
half-written page and a re-run replaces the files whole. Running many reports
(schedule, parallel processes, timeouts, indexes) is :mod:`pmo_nb.reports.suite`'s job.

A notebook states facts for the header and the record (the data checksum) with
:func:`record`, which displays them under a private MIME type the HTML leaves out.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from pmo_nb import __version__
from pmo_nb.atomic import write_atomic
from pmo_nb.config import notebooks_dir as default_notebooks_dir
from pmo_nb.config import resolve_db_url, templates_dir
from pmo_nb.dates import iso_day, utc_now
from pmo_nb.errors import ReportError
from pmo_nb.formatting import redact_url
from pmo_nb.reports.files import publish
from pmo_nb.reports.kernels import warm_engine, with_fresh_starts
from pmo_nb.reports.page import drop_repeated_title

#: MIME types of outputs for the runner, left out of pages: facts (:func:`record`), milestones.
PRIVATE_MIME = "application/vnd.pmo-nb."
FACTS_MIME = PRIVATE_MIME + "facts+json"
#: Environment the report kernel gets (read by :func:`pmo_nb.charts.show`).
KERNEL_ENV = {"PMO_RENDER": "static", "PMO_RUN_CACHE": "1"}  # memo: run-wide caches

_ENV_LOCK = threading.Lock()


def record(**facts) -> None:
    """Display ``facts`` (JSON-able) for the report runner to pick up.

    Call it from a report notebook, e.g. ``record(checksum=p.checksum())``.
    Interactive front ends show nothing for this MIME type; the runner reads
    it into the run record and the HTML header, and leaves it out of the HTML.
    """
    from IPython.display import display  # lazy: IPython only inside a kernel

    display({FACTS_MIME: facts}, raw=True)


def available_reports(notebooks_dir: str | os.PathLike | None = None) -> list[str]:
    """Names of the report notebooks (``notebooks/<name>.ipynb``)."""
    folder = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    return sorted(p.stem for p in folder.glob("*.ipynb"))


def report_parameters(name: str, notebooks_dir: str | os.PathLike | None = None) -> dict:
    """The parameters a report declares: name -> {inferred_type_name, default, help}."""
    import papermill  # lazy: papermill loads only for report runs

    return papermill.inspect_notebook(str(_notebook_path(name, notebooks_dir)))


def _notebook_path(name: str, notebooks_dir) -> Path:
    folder = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    path = folder / f"{name}.ipynb"
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name) or not path.is_file():
        known = ", ".join(available_reports(folder)) or "none"
        raise ReportError(f"no report named {name!r} in {folder} (available: {known})")
    return path


@contextmanager
def _kernel_env(extra: dict[str, str]):
    """Set environment variables for a kernel started inside the block.

    Kernels inherit the parent's environment when they start; papermill offers
    no other way in, so the variables are set and restored under a lock.
    """
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in extra}
        os.environ.update(extra)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _one_line(text: str, limit: int = 200) -> str:
    line = next((s.strip() for s in str(text).splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _reason(exc: BaseException) -> str:
    """A one-line cause such as ``cell 5: KeyError: 'budget'``."""
    from papermill.exceptions import (
        PapermillExecutionError,  # lazy: papermill loads only for report runs
    )

    if isinstance(exc, PapermillExecutionError):
        return _one_line(f"cell {exc.exec_count}: {exc.ename}: {_one_line(exc.evalue)}")
    return _one_line(f"{type(exc).__name__}: {_one_line(str(exc))}")


def _facts(nb) -> dict:
    """Facts recorded by the notebook with :func:`record` (later ones win)."""
    facts: dict = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FACTS_MIME in data and isinstance(data[FACTS_MIME], dict):
                facts.update(data[FACTS_MIME])
    return facts


def _title(nb, name: str) -> str:
    return nb.metadata.get("title") or name.replace("_", " ").capitalize()


def period_label(period: str | None, as_of: str) -> str:
    """How a page names its period: ``2026-Q2 (as of 2026-06-30)``, or just the date."""
    return as_of if period in (None, as_of) else f"{period} (as of {as_of})"


def to_html(nb, *, name: str, as_of: str, facts: dict, generated_at: str,
            period: str | None = None) -> str:
    """Render an executed notebook as the report page: no code, no prompts, no CDN.

    Outputs meant for the runner (recorded facts) and stderr streams (warnings)
    stay in the ``.ipynb`` but are left out of the page.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [
                o for o in cell.outputs
                if not any(m.startswith(PRIVATE_MIME) for m in o.get("data", {}))
                and not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    title = facts.get("title") or _title(nb, name)
    drop_repeated_title(nb, title)
    resources = {
        "metadata": {"name": title},
        "pmo": {
            "title": title,
            "as_of": period_label(period, as_of),
            "checksum": facts.get("checksum"),
            "version": __version__,
            "generated_at": generated_at,
        },
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


@functools.cache
def _exporter():
    """The page exporter, built once a process: its Jinja2 templates compile once."""
    from nbconvert import HTMLExporter  # lazy: nbconvert loads only when a page is rendered

    return HTMLExporter(template_name="report", extra_template_basedirs=[str(templates_dir())],
                        exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


#: Folder of ``OUT`` where runs build their files before moving them into place.
STAGING = ".staging"
#: File of a staging folder holding the report kernel's process id (for timeouts).
KERNEL_PID_FILE = "kernel.pid"


def _check_stem(stem: str) -> str:
    parts = stem.split("/")
    if not all(re.fullmatch(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*", p) for p in parts) or len(parts) > 2:
        raise ValueError(f"output must be NAME or NAME/ITEM (letters, digits, _ . -), got {stem!r}")
    return stem


def pid_recording_manager(pid_file: Path):
    """A kernel manager class that writes the kernel's process id to ``pid_file``.

    The suite kills that process group when a report exceeds its wall-clock
    timeout (the kernel runs in its own session, so killing the runner alone
    would leave it to notice its parent is gone).
    """
    from jupyter_client.manager import (
        AsyncKernelManager,  # lazy: jupyter_client loads only for report runs
    )

    class PidRecordingKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            pid = getattr(self.provisioner, "pid", None)
            if pid:
                write_atomic(pid_file, str(pid))

    return PidRecordingKernelManager


def _prepare(name, as_of, db, parameters, notebooks_dir):
    """Check the report and its parameters before anything runs or is written."""
    import papermill  # lazy: papermill loads only for report runs

    source = _notebook_path(name, notebooks_dir)
    declared = papermill.inspect_notebook(str(source))
    extra = dict(parameters or {})
    unknown = sorted(set(extra) - set(declared))
    if unknown:
        raise ReportError(
            f"report {name!r} has no parameter(s) {unknown}; it takes {sorted(declared)}"
        )
    day = iso_day(as_of if as_of is not None else extra.pop("as_of", None))
    url = resolve_db_url(db if db is not None else extra.pop("db", None) or None)
    given = {**extra}
    if "db" in declared:
        given["db"] = url
    if "as_of" in declared:
        given["as_of"] = day
    return source, given, day, url


def _new_staging(out: Path) -> Path:
    root = out / STAGING
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root, prefix=f"{os.getpid()}-"))


def _remove_staging(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.parent.rmdir()  # only when no other run is staging
    except OSError:
        pass


def _print_pdf(page: str, html_path: Path, run: dict) -> str | None:
    """Print ``page`` beside ``html_path`` as PDF; the one-line reason if it failed."""
    from pmo_nb.reports.pdf import PdfError, print_pdf  # lazy: Playwright only for PDFs

    html_path.write_text(page, encoding="utf-8")
    try:
        print_pdf(html_path, html_path.with_suffix(".pdf"), title=run["title"],
                  period=period_label(run["period"], run["as_of"]), checksum=run["checksum"])
    except PdfError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - the page is published all the same
        return _one_line(f"PDF: {type(exc).__name__}: {exc}")
    return None


def base_record(name: str, *, as_of: str, output: str | None = None, **facts) -> dict:
    """The fields every run record has, with ``facts`` filled in (used by the suite too)."""
    run = {
        "report": name,
        "output": output or name,
        "notebook": None,
        "title": name.replace("_", " ").capitalize(),
        "as_of": as_of,
        "period": as_of,
        "db": None,
        "parameters": {},
        "checksum": None,
        "version": __version__,
        "start": None,
        "finish": None,
        "duration_s": None,
        "status": "failed",
        "reason": None,
        "ipynb": None,
        "html": None,
        "pdf": None,
        "pdf_error": None,
    }
    run.update(facts)
    return run


def run_report(
    name: str,
    *,
    as_of=None,
    db=None,
    out: str | os.PathLike = "reports",
    parameters: dict | None = None,
    timeout: int = 600,
    notebooks_dir: str | os.PathLike | None = None,
    output: str | None = None,
    record_extra: dict | None = None,
    staging_dir: str | os.PathLike | None = None,
    pdf: bool = False,
    kernel=None,
) -> dict:
    """Execute report ``name`` and write its notebook, HTML page and run record.

    Parameters
    ----------
    name : str
        A notebook of ``notebooks_dir`` without ``.ipynb`` (e.g. ``"portfolio_overview"``).
    as_of : date-like, optional
        Reporting date; default today. Passed to the notebook as ISO text.
    db : str or path, optional
        Store path or URL (default ``PMO_DB`` or ``./portfolio.db``).
    out : path
        Reports folder; files go to ``out/<as_of>/``.
    parameters : dict, optional
        Other parameters of the notebook (each must be declared in its
        ``parameters`` cell).
    timeout : int
        Seconds one cell may run before the report fails (the suite also
        bounds the whole notebook).
    notebooks_dir : path, optional
        Where report notebooks live (default the project's ``notebooks/``).
    output : str, optional
        File stem inside the run folder, ``NAME`` or ``NAME/ITEM`` (a fan-out
        writes ``project_status/P001``); default ``name``.
    record_extra : dict, optional
        Fields set in the run record (the suite adds ``report``, ``period``,
        ``cadence``, ``project_id``).
    staging_dir : path, optional
        An empty folder to build the files in (default a new one under
        ``out/.staging``, removed afterwards); the kernel's process id is
        written there too.
    pdf : bool
        Also print the page to ``<output>.pdf`` (:mod:`pmo_nb.reports.pdf`).
        A PDF that cannot be printed does not fail the run: the page is
        published and the record's ``pdf_error`` says why there is no PDF.
    kernel : KernelHost, optional
        Run in this host's kept kernel (:mod:`pmo_nb.reports.kernels`; a worker
        process passes its own) instead of a kernel of its own, stopped after.

    Returns
    -------
    dict
        The run record, also written to ``out/<as_of>/<output>.json``.

    Raises
    ------
    ReportError
        Unknown report or parameter (before running), or the notebook failed:
        ``reason`` is one line (``"cell 5: KeyError: 'budget'"``) and
        ``executed_path`` the kept executed notebook.
    """
    import papermill  # lazy: papermill loads only for report runs

    source, given, day, url = _prepare(name, as_of, db, parameters, notebooks_dir)
    stem = _check_stem(output or name)
    leaf = stem.split("/")[-1]
    own_staging = staging_dir is None
    # absolute: papermill runs the notebook with the notebook's folder as working directory
    staging = (_new_staging(Path(out)) if own_staging else Path(staging_dir)).resolve()
    staging.mkdir(parents=True, exist_ok=True)
    executed = staging / f"{leaf}.ipynb"

    env = {**KERNEL_ENV, "PMO_DB": url}
    key = (str(source), tuple(sorted(env.items())))
    if kernel is None:
        engine = {"kernel_manager_class": pid_recording_manager(staging / KERNEL_PID_FILE)}
    else:
        kernel.prepare(key)
        engine = {"engine_name": warm_engine(), "kernel_host": kernel, "milestones_dir": staging}
    started = utc_now()
    clock = time.perf_counter()
    try:
        def execute():
            with _kernel_env(env):
                return papermill.execute_notebook(
                    str(source),
                    str(executed),
                    parameters=given,
                    progress_bar=False,
                    log_output=False,
                    # saved after each cell, so a timed-out run keeps what it did
                    request_save_on_cell_execute=True,
                    execution_timeout=timeout,
                    cwd=str(source.parent),
                    # the kernel's own log (transport warnings, shutdown notes) is noise here
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                    **engine,
                )

        nb, error = with_fresh_starts(execute, kernel, key)
        status, reason = ("succeeded", None) if error is None else ("failed", _reason(error))
        duration = round(time.perf_counter() - clock, 3)
        if kernel is not None:
            kernel.ran(status == "succeeded")
        if nb is None and executed.exists() and executed.stat().st_size:
            import nbformat  # lazy: nbformat loads only for report runs

            try:
                nb = nbformat.read(executed, as_version=4)
            except Exception:  # noqa: BLE001 - a torn save: no facts, the copy is still kept
                nb = None
        facts = _facts(nb) if nb is not None else {}
        extra = dict(record_extra or {})
        period = extra.get("period", day)
        run = base_record(
            name,
            as_of=day,
            output=stem,
            notebook=str(source),
            title=facts.get("title") or (_title(nb, name) if nb is not None else None),
            period=period,
            db=redact_url(url),
            parameters={k: (redact_url(v) if k == "db" else v) for k, v in given.items()},
            checksum=facts.get("checksum"),
            start=started,
            duration_s=duration,
            status=status,
            reason=reason,
        )
        run.update(extra)
        if not run["title"]:
            run["title"] = name.replace("_", " ").capitalize()
        page = None
        if status == "succeeded":
            try:
                page = to_html(nb, name=name, as_of=day, facts=facts, generated_at=utc_now(),
                               period=period)
            except Exception as exc:  # noqa: BLE001 - a broken export fails the run too
                run["status"], run["reason"] = "failed", _one_line(f"HTML export: {_reason(exc)}")
        if page is not None and pdf:
            run["pdf_error"] = _print_pdf(page, staging / f"{leaf}.html", run)
        run["finish"] = utc_now()
        publish(run, out=out, staging=staging, html=page)
    finally:
        if own_staging:
            _remove_staging(staging)
    if run["status"] != "succeeded":
        raise ReportError(run["reason"], run["ipynb"])
    return run

"""The ``pmo`` command: import, history, demo, report run, serve, mcp, db, export, alerts.

A package so that further command groups live in modules of their own
(registered at the end of this file with ``main.add_command``). Thin: every
command parses its options and calls one function of the package, so what
the CLI does can also be done from a notebook.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

DB_HELP = "Store: SQLite file path or SQLAlchemy URL (default: $PMO_DB or ./portfolio.db)."


def _fail(message: str, status: int) -> None:
    click.echo(message, err=True)
    sys.exit(status)


@contextmanager
def _store_faults(writes: str | None = None):
    """Exit 1 with the one-line message of a :class:`pmo_nb.errors.StoreError`.

    With ``writes`` (a path the command writes files to), an ``OSError``
    writing them (read-only folder, full disk) exits 1 in one line too.
    """
    from pmo_nb.errors import StoreError  # lazy: keeps `pmo --help` fast

    try:
        yield
    except StoreError as exc:
        _fail(str(exc), 1)
    except OSError as exc:
        if writes is None:
            raise
        _fail(f"cannot write {writes} ({exc.strerror or exc}): check that the folder exists, "
              "is writable and has free space. The store was not changed.", 1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pmo_nb")
def main() -> None:
    """pmo_nb: the strategic PMO workbench."""


@main.command("import")
@click.argument("source", type=click.Path(exists=True))
@click.option("--db", default=None, help=DB_HELP)
@click.option("--based-on", type=int, default=None,
              help="Import id the workbook was exported at (default: its _export sheet, "
                   "when it came from this store). Later changes to rows it did not change "
                   "are kept; changes to the same rows refuse the import.")
@click.option("--force", is_flag=True, help="Overwrite later changes instead of refusing.")
@click.option("--project", default=None,
              help="For an MS Project XML plan (SOURCE.xml): the project whose plan it replaces.")
def import_(source: str, db: str | None, based_on: int | None, force: bool,
            project: str | None) -> None:
    """Validate SOURCE (CSV folder, .xlsx, or an MS Project .xml plan with --project) and
    write it to the store in one transaction.

    Exit status: 2 the workbook has problems, 3 later imports changed rows it
    changes too (see --force), 1 the store refused (schema, read-only); nothing
    is written in any of these cases.
    """
    from pmo_nb.errors import StoreError, ValidationError  # lazy: keeps `pmo --help` fast
    from pmo_nb.io.reading import read_workbook  # lazy: keeps `pmo --help` fast
    from pmo_nb.io.validation import validate  # lazy: keeps `pmo --help` fast
    from pmo_nb.store.core import ImportConflict, Store  # lazy: keeps `pmo --help` fast
    from pmo_nb.store.export import based_on as export_base  # lazy: keeps `pmo --help` fast

    if Path(source).suffix.lower() == ".xml":
        _import_plan(source, db, project)
        return
    try:
        workbook = read_workbook(source)
        portfolio = validate(workbook)
        store = Store(db)
        if based_on is None:
            based_on, why = export_base(source, store)
            if why:
                click.echo(f"notice: {why}")
        summary = store.import_portfolio(
            portfolio, source=str(Path(source).resolve()), file_checksums=workbook.file_checksums,
            based_on=based_on, force=force)
    except ValidationError as exc:
        _fail(str(exc), 2)
    except ImportConflict as exc:
        _fail(str(exc), 3)
    except StoreError as exc:
        _fail(str(exc), 1)
    for notice in portfolio.notices:
        click.echo(f"notice: {notice}")
    click.echo(f"imported {source} into {store.url}")
    click.echo(_summary_text(summary))


def _import_plan(source: str, db: str | None, project: str | None) -> None:
    """``pmo import plan.xml --project P``: replace one project's plan (exit 2 on a bad plan)."""
    from pmo_nb.errors import StoreError, ValidationError  # lazy: keeps `pmo --help` fast
    from pmo_nb.io.plan_import import read_plan  # lazy: keeps `pmo --help` fast
    from pmo_nb.store.core import Store  # lazy: keeps `pmo --help` fast

    if not project:
        _fail(f"{source}: an MS Project XML plan needs --project PROJECT_ID (the project "
              "whose plan it replaces)", 2)
    try:
        store = Store(db)
        portfolio, workbook = read_plan(store.load(), source, project)
        summary = store.import_portfolio(portfolio, source=str(Path(source).resolve()),
                                         file_checksums=workbook.file_checksums)
    except ValidationError as exc:
        _fail(str(exc), 2)
    except StoreError as exc:
        _fail(str(exc), 1)
    tasks = int((portfolio.tasks["project_id"] == project).sum())
    click.echo(f"imported the plan of {project} ({tasks} tasks) from {source} into {store.url}")
    click.echo(_summary_text(summary))


def _summary_text(summary) -> str:
    """The import line and a table of counts per table, as an analyst checks them."""
    counts = summary.as_frame().fillna(0).astype(int)
    return f"{summary}\n{counts.to_string()}"


@main.command()
@click.option("--db", default=None, help=DB_HELP)
def history(db: str | None) -> None:
    """Show the import log, newest first."""
    import pandas as pd  # lazy: keeps `pmo --help` fast

    from pmo_nb.store.core import Store  # lazy: keeps `pmo --help` fast

    with _store_faults():
        log = Store(db).history()
    if log.empty:
        click.echo("no imports yet")
        return
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        click.echo(log.to_string(index=False))


@main.group("db")
def db_group() -> None:
    """The store's schema: see its revision, upgrade it."""


@db_group.command("upgrade")
@click.option("--db", default=None, help=DB_HELP)
def db_upgrade(db: str | None) -> None:
    """Migrate the store to this pmo_nb's schema, keeping every row (one transaction)."""
    from pmo_nb.store.core import Store  # lazy: keeps `pmo --help` fast

    with _store_faults():
        store = Store(db)
        before, after = store.upgrade()
    if before == after:
        click.echo(f"{store.url} is already at schema revision {after}")
    else:
        click.echo(f"upgraded {store.url}: {before or 'empty'} -> {after}")


@db_group.command("current")
@click.option("--db", default=None, help=DB_HELP)
def db_current(db: str | None) -> None:
    """Show the store's schema revision and the one this pmo_nb writes."""
    from pmo_nb.store.core import HEAD, Store  # lazy: keeps `pmo --help` fast

    with _store_faults():
        store = Store(db)
        revision = store.revision()
    click.echo(f"{store.url}: revision {revision or 'none (empty)'}; this pmo_nb writes {HEAD}")


@main.command("export")
@click.argument("dest", type=click.Path())
@click.option("--db", default=None, help=DB_HELP)
@click.option("--as-of", default=None, help="The portfolio as it stood then (default now).")
def export(dest: str, db: str | None, as_of: str | None) -> None:
    """Write the whole portfolio with its history to DEST (CSV folder or .xlsx)."""
    from pmo_nb.store.export import export_portfolio  # lazy: keeps `pmo --help` fast

    with _store_faults(writes=dest):
        path = export_portfolio(dest, db=db, as_of=as_of)
    click.echo(f"exported to {path}")


@main.command()
@click.option("--projects", "n_projects", default=600, show_default=True,
              help="Number of projects (live and completed).")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--as-of", default=None,
              help="Reporting date the demo is built around (default today).")
@click.option("--out", default="demo_portfolio", show_default=True,
              help="Where to write the demo workbook (folder, or a .xlsx file).")
@click.option("--db", default=None, help=DB_HELP)
def demo(n_projects: int, seed: int, as_of: str | None, out: str, db: str | None) -> None:
    """Write a realistic seeded demo workbook and import it into the store."""
    from pmo_nb.demo.generator import demo_portfolio  # lazy: keeps `pmo --help` fast
    from pmo_nb.io.reading import read_workbook  # lazy: keeps `pmo --help` fast
    from pmo_nb.io.validation import validate  # lazy: keeps `pmo --help` fast
    from pmo_nb.io.writing import write_workbook  # lazy: keeps `pmo --help` fast
    from pmo_nb.store.core import Store  # lazy: keeps `pmo --help` fast

    portfolio = demo_portfolio(n_projects=n_projects, seed=seed, as_of=as_of)
    with _store_faults(writes=out):
        path = write_workbook(portfolio, out)
    # Import what was written, exactly as a user's own workbook would be.
    workbook = read_workbook(path)
    with _store_faults():
        store = Store(db)
        store.import_portfolio(validate(workbook), source=str(Path(path).resolve()),
                               file_checksums=workbook.file_checksums)
    click.echo(f"demo workbook: {path}")
    click.echo(f"store: {store.url}")


@main.group()
def report() -> None:
    """Run report notebooks with papermill into self-contained HTML."""


@report.command("run")
@click.argument("names", nargs=-1)
@click.option("--all", "run_all", is_flag=True,
              help="Every report: each reports.yml entry and every other notebook in notebooks/.")
@click.option("--due", is_flag=True,
              help="Only scheduled reports due on --as-of not yet succeeded for their period.")
@click.option("--as-of", default=None, help="Reporting date YYYY-MM-DD (default today).")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--out", default="reports", show_default=True, help="Output folder.")
@click.option("--jobs", default=None, type=click.IntRange(min=1),
              help="Notebooks run at the same time (one worker process and kernel each, "
                   "kept for the next run of the same notebook; default 1, with --cluster "
                   "as many as the workers have threads).")
@click.option("--timeout", default=600.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Wall-clock seconds one notebook may take; its kernel is killed after that.")
@click.option("--schedule", "schedule_file", default=None, type=click.Path(dir_okay=False),
              help="Report schedule (default: reports.yml at the project root).")
@click.option("--notebooks", "notebooks", default=None, type=click.Path(file_okay=False),
              help="Folder of report notebooks (default: notebooks/ of the project).")
@click.option("--alerts", "alerts_file", default=None, type=click.Path(dir_okay=False),
              help="With --due: alert rules run after the reports (default: alerts.yml at "
                   "the project root, when it exists).")
@click.option("--pdf", is_flag=True,
              help="Also print every report to PDF beside its HTML (headless Chromium); "
                   "reports.yml can ask for it per report with 'pdf: true'.")
@click.option("--no-alerts", is_flag=True, help="With --due: do not run the alert rules.")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="Run the notebooks on the Dask cluster whose scheduler is at ADDRESS "
                   "(tcp://HOST:8786); needs a PostgreSQL store the workers can reach.")
def report_run(names, run_all, due, as_of, db, out, jobs, timeout, schedule_file,
               notebooks, alerts_file, pdf, no_alerts, cluster) -> None:
    """Run reports NAMES (schedule entries or notebooks), --all or --due into OUT/<as_of>/.

    With --due, the alert rules (alerts.yml) are checked before anything runs
    and evaluated after the reports (``pmo alerts run``), their log written to
    OUT/<as_of>/alerts.html. Exit status: 0 all succeeded (or nothing due), 1 a
    report or the alerts failed, or a report timed out, 2 usage, schedule or
    alert rules error (or a --cluster that cannot be used), 3 another run is
    writing to OUT.
    """
    from pmo_nb.config import project_root  # lazy: keeps `pmo --help` fast
    from pmo_nb.dates import iso_day  # lazy: keeps `pmo --help` fast
    from pmo_nb.reports import (  # lazy: keeps `pmo --help` fast
        ClusterError,
        SuiteBusy,
        run_suite,
        select_reports,
        summary_text,
    )
    from pmo_nb.reports.schedule import (  # lazy: keeps `pmo --help` fast
        ScheduleError,
        load_schedule,
    )

    if run_all and (due or names):
        _fail("--all runs every report: give no names and no --due with it", 2)
    if not (names or run_all or due):
        _fail("name a report (e.g. portfolio_overview) or pass --all or --due", 2)
    if (alerts_file or no_alerts) and not due:
        _fail("--alerts and --no-alerts are about the alert rules run after the due reports: "
              "use them with --due", 2)
    if alerts_file and no_alerts:
        _fail("give --alerts FILE or --no-alerts, not both", 2)
    alerts, rules = None, None
    if due and not no_alerts:
        from pmo_nb.cli.alerts import alerts_path, load_or_exit  # lazy: only with --due

        alerts = alerts_path(alerts_file)
        rules = load_or_exit(alerts) if alerts_file or alerts.exists() else None
    try:
        day = iso_day(as_of)
        path = Path(schedule_file) if schedule_file else project_root() / "reports.yml"
        schedule = load_schedule(path) if schedule_file or path.exists() else []
        mode = "all" if run_all else "due" if due else None
        with _store_faults():  # reports per project read the store to list them
            specs = select_reports(names, mode=mode, schedule=schedule, as_of=day, out=out,
                                   notebooks_dir=notebooks)
    except (ScheduleError, ValueError) as exc:
        _fail(str(exc), 2)
    status = 0
    if not specs:
        click.echo(f"nothing due on {day}" if due else "no reports to run")
    else:
        specs = _with_pdf(specs, pdf)
        try:
            with _store_faults():
                result = run_suite(specs, as_of=day, db=db, out=out, jobs=jobs,
                                   timeout=timeout, notebooks_dir=notebooks, cluster=cluster)
        except SuiteBusy as exc:
            _fail(str(exc), 3)
        except ClusterError as exc:
            _fail(f"error: {exc}", 2)
        click.echo(summary_text(result))
        status = result.exit_status
    if rules is not None:
        from pmo_nb.cli.alerts import alerts_after_reports  # lazy: only with --due

        status = max(status, alerts_after_reports(alerts, rules, as_of=day, db=db, out=out))
    sys.exit(status)


def _with_pdf(specs: list, pdf: bool) -> list:
    """``specs``, all printing PDF with ``--pdf``; exits 2 if ``--pdf`` cannot print.

    Without the flag, reports whose schedule entry asks for a PDF still run
    when Chromium is missing, after a one-line warning, as HTML only: a
    machine without a browser (a fresh ``make demo``) publishes its pages and
    exits 0, and ``--due`` does not rerun them for the missing PDF.
    """
    import dataclasses  # lazy: keeps `pmo --help` fast

    from pmo_nb.reports.pdf import PdfError, check_pdf_support  # lazy: as above

    if pdf:
        specs = [dataclasses.replace(s, pdf=True) for s in specs]
    if any(s.pdf for s in specs):
        try:
            check_pdf_support()
        except PdfError as exc:
            if pdf:
                _fail(f"error: {exc}", 2)
            click.echo(f"warning: {exc}; the pages are published without PDF", err=True)
            specs = [dataclasses.replace(s, pdf=False) for s in specs]
    return specs


@main.command()
@click.option("--port", default=8866, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--db", default=None, help=DB_HELP + " Prefer a read-only URL or role.")
@click.option("--token", default=None,
              help="Require this token from viewers (visible in ps: prefer "
                   "$PMO_SERVE_TOKEN or --token-file).")
@click.option("--token-file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Read the viewers' token from this file.")
@click.option("--insecure", is_flag=True,
              help="Allow binding beyond this machine without a token.")
@click.option("--max-kernels", default=12, show_default=True, type=click.IntRange(min=1),
              help="Most dashboard kernels at once; above it viewers get a 503 'busy' page.")
@click.option("--cull-idle", default=90, show_default=True, type=click.IntRange(min=1),
              help="Seconds a kernel no browser is connected to may idle before it is shut down.")
@click.option("--cull-interval", default=30, show_default=True, type=click.IntRange(min=1),
              help="Seconds between two looks for idle kernels.")
@click.option("--intake-db", default=None,
              help="Store URL for the intake form, the one writing app (a narrow role).")
@click.option("--refresh", default=5.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between the dashboards' looks at the store for a new import or "
                   "forecast, which they then show without a reload (0 = never).")
@click.option("--preheat", default=1, show_default=True, type=click.IntRange(min=0),
              help="Kernels that start and run the executive dashboard before it is asked "
                   "for (counted in --max-kernels, which keeps one for viewers; 0 = none).")
def serve(port: int, host: str, db: str | None, token: str | None, token_file: str | None,
          insecure: bool, max_kernels: int, cull_idle: int, cull_interval: int,
          intake_db: str | None, refresh: float, preheat: int) -> None:
    """Serve the executive dashboards with Voila (sources stripped, no tracebacks).

    Dashboards get a read-only connection to the store. The token comes from
    --token, --token-file or $PMO_SERVE_TOKEN (first given wins); without one
    only 127.0.0.1, localhost and ::1 may be bound (exit status 2), unless
    --insecure. Exits with Voila's status; SIGTERM and SIGHUP stop Voila too.
    """
    from pmo_nb.apps.serve import serve as run_server  # lazy: keeps `pmo --help` fast
    from pmo_nb.apps.serve_auth import check_bind, resolve_token  # lazy, as above

    try:
        token, warnings = resolve_token(token, token_file)
        check_bind(host, token, insecure)
    except (OSError, ValueError) as exc:
        _fail(f"error: {exc}", 2)
    for warning in warnings:
        click.echo(warning, err=True)
    sys.exit(run_server(port=port, db=db, host=host, token=token, intake_db=intake_db,
                        max_kernels=max_kernels, cull_idle=cull_idle,
                        cull_interval=cull_interval, refresh=refresh, preheat=preheat))


@main.command()
@click.option("--db", default=None, help=DB_HELP + " Opened read-only.")
@click.option("--reports", default="reports", show_default=True,
              type=click.Path(file_okay=False),
              help="Reports folder whose latest pages are served.")
@click.option("--http", "use_http", is_flag=True,
              help="Serve streamable HTTP on 127.0.0.1 instead of stdio (needs a token).")
@click.option("--port", default=8767, show_default=True, type=click.IntRange(1, 65535),
              help="Port for --http.")
@click.option("--token", default=None,
              help="Bearer token for --http (visible in ps: prefer $PMO_MCP_TOKEN).")
def mcp(db: str | None, reports: str, use_http: bool, port: int, token: str | None) -> None:
    """Serve the portfolio to an AI assistant over MCP (read-only), on stdio by default.

    With --http: streamable HTTP at http://127.0.0.1:PORT/mcp, every request
    needing ``Authorization: Bearer <token>`` (--token or $PMO_MCP_TOKEN; exit
    status 2 without one). The token is never printed.
    """
    if not use_http:
        from pmo_nb.assistant.server import serve_stdio  # lazy: keeps `pmo --help` fast

        with _store_faults():
            serve_stdio(db, reports)
        return
    from pmo_nb.assistant.http import HOST, PATH, resolve_token, serve_http  # lazy, as above

    try:
        token = resolve_token(token)
    except ValueError as exc:
        _fail(f"error: {exc}", 2)
    click.echo(f"serving MCP on http://{HOST}:{port}{PATH} (bearer token required)", err=True)
    with _store_faults():
        serve_http(port, token, db, reports)


# -- command groups in modules of their own (they import the helpers above) --------------
from pmo_nb.cli.alerts import alerts_group  # noqa: E402
from pmo_nb.cli.digest import digest_group  # noqa: E402

main.add_command(alerts_group)
main.add_command(digest_group)

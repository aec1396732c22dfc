"""``pmo alerts``: check the alert rules, run them on the store, show the alert log."""

from __future__ import annotations

from pathlib import Path

import click

from pmo_nb.cli import DB_HELP, _fail, _store_faults

ALERTS_HELP = "Alert rules (default: alerts.yml at the project root)."


def alerts_path(alerts_file: str | None) -> Path:
    """The rules file: ``--alerts`` when given, else ``alerts.yml`` at the project root."""
    from pmo_nb.config import project_root  # lazy: keeps `pmo --help` fast

    return Path(alerts_file) if alerts_file else project_root() / "alerts.yml"


def load_or_exit(path: Path):
    """The checked rules of ``path``; every problem printed and exit status 2 otherwise."""
    from pmo_nb.watch.rules import AlertsError, load_rules  # lazy: keeps `pmo --help` fast

    try:
        return load_rules(path)
    except AlertsError as exc:
        _fail(str(exc), 2)


def run_and_report(rules, *, as_of: str, db: str | None, out: str | None) -> None:
    """Run ``rules`` on the store at ``as_of``, print what was raised and cleared and,
    with ``out``, write ``out/<as_of>/alerts.html`` and the indexes that link it."""
    from pmo_nb.store.core import Store  # lazy: keeps `pmo --help` fast
    from pmo_nb.watch.alerts import run_alerts, run_text  # lazy: keeps `pmo --help` fast

    store = Store(db)
    run = run_alerts(store, rules, as_of)
    click.echo(run_text(run))
    if out is not None:
        from pmo_nb.reports.alerts_page import write_alerts_page  # lazy: only with --out
        from pmo_nb.reports.index import write_indexes  # lazy: only with --out

        missing = [f"{rule}: {why}" for rule, why in run.evaluation.not_available.items()]
        page = write_alerts_page(Path(out) / as_of, store.alert_log(), as_of=as_of,
                                 raised=run.count("raised"), cleared=run.count("cleared"),
                                 not_available=missing)
        write_indexes(out, as_of)
        click.echo(f"alert log page: {page}")


@click.group("alerts")
def alerts_group() -> None:
    """Alert rules (alerts.yml): check them, run them on the store, show the alert log.

    An alert is raised once when its condition starts holding and cleared once
    when it stops; its state is kept in the store (the alert log).
    """


@alerts_group.command("check")
@click.option("--alerts", "alerts_file", default=None, type=click.Path(dir_okay=False),
              help=ALERTS_HELP)
def alerts_check(alerts_file: str | None) -> None:
    """Check the alert rules without running them.

    Exit status: 0 the rules are valid, 2 problems (each listed with file,
    rule, key, value and why).
    """
    path = alerts_path(alerts_file)
    rules = load_or_exit(path)
    click.echo(f"{path}: {len(rules)} rule{'s' if len(rules) != 1 else ''}, no problems")


@alerts_group.command("run")
@click.option("--as-of", default=None, help="Reporting date YYYY-MM-DD (default today).")
@click.option("--alerts", "alerts_file", default=None, type=click.Path(dir_okay=False),
              help=ALERTS_HELP)
@click.option("--db", default=None, help=DB_HELP)
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Reports folder: also write OUT/<as_of>/alerts.html (linked from its index).")
def alerts_run(as_of: str | None, alerts_file: str | None, db: str | None,
               out: str | None) -> None:
    """Evaluate the alert rules on the store as of --as-of and record the alerts there.

    Prints each alert raised or cleared by this run and the rules whose
    metric was not available (their open alerts are kept). Exit status: 0
    done, 1 the store refused (empty, schema, read-only), 2 the rules or
    --as-of have problems (nothing is run).
    """
    from pmo_nb.dates import iso_day  # lazy: keeps `pmo --help` fast

    rules = load_or_exit(alerts_path(alerts_file))
    try:
        day = iso_day(as_of)
    except ValueError as exc:
        _fail(str(exc), 2)
    with _store_faults(writes=out):
        run_and_report(rules, as_of=day, db=db, out=out)


@alerts_group.command("log")
@click.option("--open", "open_only", is_flag=True, help="Only the alerts not cleared yet.")
@click.option("--db", default=None, help=DB_HELP)
def alerts_log(open_only: bool, db: str | None) -> None:
    """The alert log: one line per alert episode, newest first."""
    from pmo_nb.store.core import Store  # lazy: keeps `pmo --help` fast

    with _store_faults():
        log = Store(db).alert_log(open_only=open_only)
    if log.empty:
        click.echo("no alerts" + (" open" if open_only else " recorded"))
        return
    for r in log.itertuples(index=False):
        state = "open" if r.cleared_as_of is None else f"cleared {r.cleared_as_of}"
        click.echo(f"{r.alert_id} [{r.severity}] {r.rule} {r.subject}: raised {r.raised_as_of}, "
                   f"{state}: {r.message}")


def alerts_after_reports(path: Path, rules, *, as_of: str, db: str | None, out: str) -> int:
    """``pmo report run --due``'s alert step: 0 done, 1 failed (the reason printed)."""
    from pmo_nb.errors import StoreError  # lazy: keeps `pmo --help` fast

    click.echo(f"alerts ({path}):")
    try:
        run_and_report(rules, as_of=as_of, db=db, out=out)
    except (StoreError, OSError, ValueError) as exc:
        click.echo(f"alerts failed: {exc}", err=True)
        return 1
    return 0

"""``pmo digest send``: the "what needs you" digests, by e-mail or chat, once per period."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pmo_nb.cli import DB_HELP, _fail, _store_faults


@click.group("digest")
def digest_group() -> None:
    """Per-person "what needs you" digests: build them and deliver them."""


@digest_group.command("send")
@click.option("--as-of", default=None, help="Reporting date YYYY-MM-DD (default today).")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--reports", default="reports", show_default=True,
              type=click.Path(file_okay=False),
              help="The published reports folder the links point into.")
@click.option("--reports-url", default=None,
              help="How readers reach --reports (e.g. https://pmo.example.org/reports/); "
                   "default: digests.yml reports_url, else the folder's file:// URI.")
@click.option("--smtp", default=None,
              help="SMTP server HOST:PORT (default $PMO_SMTP). Login: $PMO_SMTP_USER and "
                   "$PMO_SMTP_PASSWORD; STARTTLS when offered.")
@click.option("--from", "sender", default=None,
              help="From address (default: digests.yml from, else $PMO_SMTP_FROM).")
@click.option("--config", "config_file", default=None, type=click.Path(dir_okay=False),
              help="Digest configuration (default: digests.yml at the project root).")
@click.option("--dry-run/--send", "dry_run", default=None,
              help="Write the messages as files in REPORTS/digests/<as_of>/ instead of "
                   "sending (the default until an SMTP host is configured); --send delivers.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(min=1),
              help="Items (and changes) a message shows; the rest are linked.")
def digest_send(as_of, db, reports, reports_url, smtp, sender, config_file, dry_run,
                limit) -> None:
    """Build each person's digest and deliver it once per period (people table cadence).

    Exit status: 0 all delivered (or nothing due), 1 a delivery failed (it is
    recorded and retried next run) or the store failed, 2 a usage or
    configuration error.
    """
    import pandas as pd  # lazy: keeps `pmo --help` fast

    from pmo_nb.config import project_root  # lazy: keeps `pmo --help` fast
    from pmo_nb.dates import iso_day  # lazy: keeps `pmo --help` fast
    from pmo_nb.digests.config import (  # lazy: keeps `pmo --help` fast
        DigestConfigError,
        check_sender,
        load_config,
    )
    from pmo_nb.digests.delivery import ENV, smtp_settings  # lazy: keeps `pmo --help` fast
    from pmo_nb.digests.send import Delivery, send_digests  # lazy: keeps `pmo --help` fast
    from pmo_nb.forecast.stored import stored_forecast  # lazy: keeps `pmo --help` fast
    from pmo_nb.store.core import Store  # lazy: keeps `pmo --help` fast

    try:
        day = iso_day(as_of)
        settings = smtp_settings(smtp)
    except ValueError as exc:
        _fail(f"error: {exc}", 2)
    with _store_faults():
        store = Store(db)
        portfolio = store.load()
    default = project_root() / "digests.yml"
    path = Path(config_file) if config_file else default if default.exists() else None
    try:
        config = load_config(path, {n.strip() for n in portfolio.people["name"].dropna()})
    except DigestConfigError as exc:
        _fail(str(exc), 2)
    sender = sender or config.sender or os.environ.get(ENV["sender"]) or None
    dry = settings is None if dry_run is None else dry_run
    if not dry and settings is not None:
        why = "is required to send e-mail" if not sender else check_sender(sender)
        if why:
            _fail(f"error: the From address (--from, digests.yml from or ${ENV['sender']}) "
                  f"{why}", 2)
    if not dry and store.read_only:
        _fail(f"{store.url} is opened read-only: sending records each digest in the store. "
              "Use a writable URL, or --dry-run.", 1)
    if portfolio.people.empty:
        click.echo("the people table is empty: nobody to send a digest to "
                   "(see docs/portfolio-format.md, people)")
        return
    with _store_faults():
        forecast = stored_forecast(store, day)
    delivery = Delivery(smtp=settings, sender=sender, dry_run=dry, limit=limit,
                        base_url=reports_url or config.reports_url)
    until = pd.Timestamp(day) + pd.Timedelta(days=1)
    with _store_faults(writes=reports):
        result = send_digests(store, portfolio, as_of=day, reports_dir=reports, config=config,
                              delivery=delivery, alerts=_alerts(store),
                              changes_for=_changes_for(store, until), forecast=forecast.table,
                              forecast_name=forecast.name)
    if dry:
        click.echo(f"dry run: nothing was sent; messages are in {result.folder}")
    click.echo(result.summary())
    sys.exit(result.exit_status)


def _alerts(store):
    """The alert log, or None while this pmo_nb has none (the digest says so)."""
    reader = getattr(store, "alert_log", None)
    return None if reader is None else reader()


def _changes_for(store, until):
    """``since -> changes`` from the watch layer, or None while it has none.

    A ``since`` before the first import counts from the first import (what
    the store has seen); with one import there is nothing to compare: None.
    """
    try:
        from pmo_nb.watch import changes  # lazy: keeps `pmo --help` fast
    except ImportError:
        return None
    imports = store.history()
    upto = imports[imports["started_at"] < until]
    if len(upto) < 2:
        return None

    def since_(when):
        first = upto["started_at"].min()
        start = int(upto["import_id"].min()) if when < first else when
        return changes(store, start, until)

    return since_

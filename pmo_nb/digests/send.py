"""``pmo digest send``: build every due digest and deliver it once per person and period.

Who is due: each person of the ``people`` table whose ``digest`` cadence is
not ``none`` (:data:`pmo_nb.schema.DIGESTS`; blank means weekly), on each
channel they have (``email`` with an address, ``webhook`` when
``digests.yml`` names them), unless the store's digest log already holds a
successful delivery for that person, period and channel. The period is the
ISO week (``2026-W27``) for ``weekly`` and the day for ``daily``. Each
delivery is claimed in the log before it is made (so two runs at once never
both send it) and its outcome recorded after. A failed delivery keeps its
error, never stops the others, and is tried again by the next run; the run's
exit status is 1 when any failed.

Files go to the digest run folder ``REPORTS/digests/<as_of>/`` (outside the
dated run folders, so the report indexes do not list it): the full page of a
person with more items than the message shows (``<stem>.html``, what "and N
more" links to) and, in a dry run, each message as ``<stem>.eml`` (e-mail) or
``<stem>.<webhook>.json`` (chat) instead of sending it; a dry run writes
nothing to the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.errors import MessageError
from pathlib import Path

import pandas as pd

from pmo_nb.config import safe_stem
from pmo_nb.digests.config import DigestConfig
from pmo_nb.digests.content import Digest, build_digest, digest_facts
from pmo_nb.digests.delivery import DeliveryError, SmtpSender, email_message, post_webhook
from pmo_nb.digests.render import (
    absolute,
    plain,
    slack_payload,
    subject_line,
    teams_payload,
    to_html,
    to_text,
)
from pmo_nb.formatting import redact_url
from pmo_nb.schema import DIGESTS

#: Sender of dry-run messages when none is configured.
DRY_RUN_SENDER = "pmo_nb digests <pmo-digest@localhost>"
_PAYLOADS = {"slack": slack_payload, "teams": teams_payload}


def digest_period(cadence, day) -> str | None:
    """The period a digest of ``cadence`` counts for on ``day``; None for ``none``."""
    cadence = cadence if isinstance(cadence, str) and cadence.strip() else "weekly"
    if cadence not in DIGESTS:
        raise ValueError(f"digest cadence must be one of {', '.join(DIGESTS)}, got {cadence!r}")
    day = pd.Timestamp(day)
    if cadence == "none":
        return None
    if cadence == "daily":
        return f"{day:%Y-%m-%d}"
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Outcome:
    """What happened to one person's digest on one channel."""

    person: str
    channel: str
    status: str  # sent, failed, skipped, dry-run
    detail: str
    items: int | None = None


@dataclass
class SendResult:
    """Every outcome of a run, and the digest run folder."""

    outcomes: list[Outcome] = field(default_factory=list)
    folder: Path | None = None

    @property
    def exit_status(self) -> int:
        """1 when any delivery failed, else 0."""
        return 1 if any(o.status == "failed" for o in self.outcomes) else 0

    def summary(self) -> str:
        """One line per person and channel, then the counts."""
        lines = [f"{o.person:<28} {o.channel:<8} {o.status:<8} {o.detail}"
                 for o in self.outcomes]
        counts = {s: sum(o.status == s for o in self.outcomes)
                  for s in ("sent", "dry-run", "failed", "skipped")}
        lines.append(", ".join(f"{n} {s}" for s, n in counts.items()))
        return "\n".join(lines)


@dataclass
class Delivery:
    """How a run delivers: SMTP (None: no e-mail), the From address, dry run or not."""

    smtp: object | None = None  # SmtpSettings
    sender: str | None = None
    dry_run: bool = True
    base_url: str | None = None
    limit: int = 5


def send_digests(store, portfolio, *, as_of, reports_dir, config: DigestConfig,
                 delivery: Delivery, alerts: pd.DataFrame | None,
                 changes_for: Callable | None, forecast=None,
                 forecast_name=None) -> SendResult:
    """Build and deliver every due digest (module docstring); returns the outcomes.

    ``changes_for(since)`` gives the watch layer's changes since a time (None
    when changes are not available); ``alerts`` the alert log or None.
    """
    day = pd.Timestamp(as_of)
    folder = Path(reports_dir) / "digests" / f"{day:%Y-%m-%d}"
    result = SendResult(folder=folder)
    base_url = delivery.base_url or Path(reports_dir).resolve().as_uri()
    smtp = None if delivery.dry_run or delivery.smtp is None else SmtpSender(delivery.smtp)
    sent = store.digest_log()
    done = set(zip(sent.loc[sent["status"] == "sent", "person"],
                   sent.loc[sent["status"] == "sent", "period"],
                   sent.loc[sent["status"] == "sent", "channel"], strict=True))
    cache: dict = {}
    facts = digest_facts(portfolio, day, forecast=forecast, forecast_name=forecast_name)
    try:
        for person in portfolio.people.sort_values("name", kind="stable").itertuples():
            name = plain(person.name)
            period = digest_period(person.digest, day)
            if period is None:
                result.outcomes.append(Outcome(name, "-", "skipped", "digest: none"))
                continue
            channels = _channels(person, config)
            if not channels:
                result.outcomes.append(Outcome(name, "-", "skipped",
                                               "no e-mail address and no webhook"))
                continue
            digest = None
            for channel, hook in channels:
                if (name, period, channel) in done:
                    result.outcomes.append(Outcome(name, channel, "skipped",
                                                   f"already sent for {period}"))
                    continue
                if channel == "email" and smtp is None and not delivery.dry_run:
                    result.outcomes.append(Outcome(
                        name, channel, "skipped", "no SMTP host configured (--smtp or $PMO_SMTP)"))
                    continue
                if digest is None:
                    first = day - pd.Timedelta(days=1 if person.digest == "daily" else 7)
                    digest = _build(store, portfolio, name, first, reports_dir, alerts,
                                    changes_for, facts, cache)
                    rest = _write_full_page(digest, period, folder, delivery.limit)
                    rest_url = absolute(base_url, None if rest is None else
                                        rest.relative_to(reports_dir).as_posix())
                outcome = _deliver(store, digest, period, channel, hook, smtp, delivery,
                                   folder, base_url, rest_url)
                result.outcomes.append(outcome)
    finally:
        if smtp is not None:
            smtp.close()
    return result


def _channels(person, config: DigestConfig) -> list:
    out = []
    if isinstance(person.email, str) and person.email.strip():
        out.append(("email", None))
    hook = config.webhook_for(plain(person.name))
    if hook is not None:
        out.append(("webhook", hook))
    return out


def _build(store, portfolio, name, first, reports_dir, alerts, changes_for, facts,
           cache) -> Digest:
    """The digest; its changes run from the last one sent (the first: one period back)."""
    since = store.last_digest(name)
    start = since if since is not None else first
    if start not in cache:
        cache[start] = None if changes_for is None else changes_for(start)
    return build_digest(portfolio, name, alerts=alerts, changes=cache[start], facts=facts,
                        reports_dir=reports_dir, since=since)


def _write_full_page(digest: Digest, period: str, folder: Path, limit: int) -> Path | None:
    """The person's full page, when the message leaves items or changes out."""
    changes = 0 if digest.changes is None else len(digest.changes)
    if len(digest.items) <= limit and changes <= limit:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_stem(digest.person)}.html"
    path.write_text(to_html(digest, period, limit=None, base_url="../.."), encoding="utf-8")
    return path


def _deliver(store, digest, period, channel, hook, smtp, delivery, folder, base_url,
             rest_url) -> Outcome:
    n = len(digest.items)
    stem = safe_stem(digest.person)
    kwargs = {"limit": delivery.limit, "base_url": base_url, "rest_url": rest_url}
    try:
        if channel == "email":
            msg = email_message(
                sender=delivery.sender or DRY_RUN_SENDER, to_name=digest.person,
                to_addr=digest.email.strip(), subject=subject_line(digest, period),
                text=to_text(digest, period, **kwargs), html=to_html(digest, period, **kwargs))
        else:
            payload = _PAYLOADS[hook.kind](digest, period, **kwargs)
    except (ValueError, MessageError) as exc:  # an address the header registry refuses
        return _failed(store, digest, period, channel, n, f"cannot build the message: {exc}",
                       delivery.dry_run)
    if delivery.dry_run:
        folder.mkdir(parents=True, exist_ok=True)
        if channel == "email":
            path = folder / f"{stem}.eml"
            path.write_bytes(msg.as_bytes(policy=policy.SMTP))
        else:
            path = folder / f"{stem}.{hook.name}.json"
            path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        return Outcome(digest.person, channel, "dry-run", f"{_items(n)}: {path}", n)
    if store.claim_digest(digest.person, period, channel) is None:
        return Outcome(digest.person, channel, "skipped",
                       f"sent or being sent by another run for {period}", n)
    try:
        if channel == "email":
            message_id = smtp.send(msg)
            where = digest.email.strip()
        else:
            message_id = f"HTTP {post_webhook(hook.url, payload)}"
            where = f"webhook {hook.name} ({redact_url(hook.url, path=False)})"
    except DeliveryError as exc:
        return _failed(store, digest, period, channel, n, str(exc), False)
    attempts = store.record_digest(digest.person, period, channel, status="sent", items=n,
                                   message_id=message_id[:200])
    again = f", attempt {attempts}" if attempts > 1 else ""
    return Outcome(digest.person, channel, "sent", f"{_items(n)} to {where}{again}", n)


def _failed(store, digest, period, channel, n, error, dry_run) -> Outcome:
    if dry_run:
        return Outcome(digest.person, channel, "failed", error, n)
    attempts = store.record_digest(digest.person, period, channel, status="failed", items=n,
                                   error=error)
    return Outcome(digest.person, channel, "failed",
                   f"attempt {attempts}: {error} (retried next run)", n)



def _items(n: int) -> str:
    return f"{n} item{'s' if n != 1 else ''}"

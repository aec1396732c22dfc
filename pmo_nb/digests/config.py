"""``digests.yml``: where chat digests go, the From address and the reports' web address.

Checked whole before anything is sent, every problem listed with file,
webhook, key, value and rule (:class:`DigestConfigError`, exit status 2),
as ``reports.yml`` is. A webhook URL is a secret (whoever has it can post to
the channel), so the file never holds it: it names the environment variable
that does (``url_env``), and logs show it only through
:func:`pmo_nb.formatting.redact_url` with ``path=False``.

::

    from: PMO Office <pmo@example.org>        # optional; else --from / $PMO_SMTP_FROM
    reports_url: https://pmo.example.org/reports/   # optional; else the folder's file:// URI
    webhooks:
      - name: finance                # unique
        kind: slack                  # slack or teams
        url_env: PMO_WEBHOOK_FINANCE # the environment variable holding the URL
        people: [A. Sponsor, B. Manager]   # names of the people table; each in one webhook
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from email.errors import MessageError
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from pmo_nb.errors import ConfigError

#: Keys of the file and of one webhook entry.
FILE_KEYS = ("from", "reports_url", "webhooks")
WEBHOOK_KEYS = ("name", "kind", "url_env", "people")
#: Chat services whose incoming-webhook payloads :mod:`pmo_nb.digests.render` builds.
WEBHOOK_KINDS = ("slack", "teams")
#: Hosts a webhook may be reached on over plain http (a local relay or a test receiver).
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class DigestConfigError(ConfigError):
    """``digests.yml`` broke one or more rules; ``problems`` lists every one (a DataFrame)."""

    entry, reason, what = "webhook", "rule", "the digest configuration"


@dataclass(frozen=True)
class Webhook:
    """One chat destination: its ``name``, ``kind``, URL (a secret) and people."""

    name: str
    kind: str
    url: str = field(repr=False)
    people: tuple[str, ...]


@dataclass
class DigestConfig:
    """The checked configuration; :meth:`webhook_for` finds a person's webhook."""

    sender: str | None = None
    reports_url: str | None = None
    webhooks: list[Webhook] = field(default_factory=list)

    def webhook_for(self, person: str) -> Webhook | None:
        return next((w for w in self.webhooks if person in w.people), None)


def check_sender(value: str) -> str | None:
    """Why ``value`` is not a usable From address (None when it is)."""
    name, addr = parseaddr(value)
    try:
        Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError, TypeError, MessageError):
        return "must be an e-mail address, e.g. PMO Office <pmo@example.org>"
    return None if "@" in addr else "must be an e-mail address, e.g. PMO Office <pmo@example.org>"


def check_webhook_url(url: str) -> str | None:
    """Why ``url`` is not a usable webhook URL (None when it is); never quotes it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a URL"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return None
    return f"must be an https:// URL (plain http only to {', '.join(LOOPBACK)})"


def load_config(path: Path | None, people: set[str], env=None) -> DigestConfig:
    """Read and check ``digests.yml`` (None or a missing default file: no webhooks).

    ``people`` are the names of the people table: a webhook naming anyone
    else is a problem, as is a missing or unusable URL variable.
    """
    import yaml  # lazy: PyYAML loads only when digests are sent

    env = os.environ if env is None else env
    if path is None:
        return DigestConfig()
    file = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DigestConfigError([{"file": file, "rule": f"cannot be read ({exc.strerror})"}]
                                ) from None
    except yaml.YAMLError as exc:
        raise DigestConfigError([{"file": file, "rule": f"is not valid YAML ({exc})"}]) from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise DigestConfigError([{"file": file, "rule": "must be a mapping of "
                                  + ", ".join(FILE_KEYS)}])
    problems = [{"file": file, "key": k, "rule": f"unknown key (one of {', '.join(FILE_KEYS)})"}
                for k in data if k not in FILE_KEYS]
    sender, reports_url = data.get("from"), data.get("reports_url")
    if sender is not None and (not isinstance(sender, str) or check_sender(sender)):
        problems.append({"file": file, "key": "from", "value": sender,
                         "rule": check_sender(str(sender)) or "must be text"})
    if reports_url is not None and not (isinstance(reports_url, str) and urlsplit(
            reports_url).scheme in ("http", "https", "file")):
        problems.append({"file": file, "key": "reports_url", "value": reports_url,
                         "rule": "must be an http(s):// or file:// URL"})
    entries = data.get("webhooks") or []
    if not isinstance(entries, list):
        problems.append({"file": file, "key": "webhooks", "rule": "must be a list of webhooks"})
        entries = []
    hooks, seen_names, owner = [], set(), {}
    for i, entry in enumerate(entries, start=1):
        found = _webhook(file, i, entry, env, people, seen_names, owner)
        if isinstance(found, Webhook):
            hooks.append(found)
        else:
            problems += found
    if problems:
        raise DigestConfigError(problems)
    return DigestConfig(sender=sender, reports_url=reports_url, webhooks=hooks)


def _webhook(file, i, entry, env, people, seen_names, owner) -> Webhook | list:
    if not isinstance(entry, dict):
        return [{"file": file, "webhook": f"#{i}", "rule": "must be a mapping of "
                 + ", ".join(WEBHOOK_KEYS)}]
    name = entry.get("name")
    label = name if isinstance(name, str) and name else f"#{i}"
    out = []

    def bad(key, value, rule):
        out.append({"file": file, "webhook": label, "key": key, "value": value, "rule": rule})

    for key in entry:
        if key not in WEBHOOK_KEYS:
            bad(key, None, f"unknown key (one of {', '.join(WEBHOOK_KEYS)})")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        bad("name", name, "required: letters, digits, _ and -")
    elif name in seen_names:
        bad("name", name, "is used by an earlier webhook")
    seen_names.add(name)
    kind = entry.get("kind")
    if kind not in WEBHOOK_KINDS:
        bad("kind", kind, f"one of {', '.join(WEBHOOK_KINDS)}")
    var = entry.get("url_env")
    url = None
    if not isinstance(var, str) or not _ENV_NAME.fullmatch(var):
        bad("url_env", var, "required: the name of an environment variable holding the URL "
                            "(the URL itself is a secret and never goes in this file)")
    elif not env.get(var):
        bad("url_env", var, "that environment variable is not set")
    else:
        url = env[var]
        why = check_webhook_url(url)
        if why:
            bad("url_env", var, f"its URL {why}")
    names = entry.get("people")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        bad("people", names, "required: a list of names of the people table")
        names = []
    for person in names:
        if person.strip() not in people:
            bad("people", person, "is not a name in the people table")
        elif person.strip() in owner:
            bad("people", person, f"already gets digests through webhook {owner[person.strip()]}")
        else:
            owner[person.strip()] = label
    if out:
        return out
    return Webhook(name=name, kind=kind, url=url, people=tuple(n.strip() for n in names))

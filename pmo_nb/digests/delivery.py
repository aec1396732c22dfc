"""Getting a digest to its reader: a multipart e-mail over SMTP, or a chat webhook POST.

Why the standard library: :mod:`email` builds correct MIME with its header
registry (a header value with CR or LF is refused, so store text can never
add a header), :mod:`smtplib` speaks SMTP with STARTTLS and AUTH, and
:mod:`urllib.request` makes the one JSON POST a webhook needs. A library
would add a dependency and no capability pmo_nb uses.

Secrets come from the environment only (:data:`ENV`), never from a file in
the repository, argv or a log: the SMTP password is handed to ``login`` and
nowhere else; a webhook URL is shown redacted.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from pmo_nb.digests.config import LOOPBACK
from pmo_nb.formatting import redact_url

#: Environment variables of the SMTP delivery.
ENV = {
    "host": "PMO_SMTP",            # HOST:PORT when --smtp is not given
    "user": "PMO_SMTP_USER",       # login name (login only when set)
    "password": "PMO_SMTP_PASSWORD",
    "sender": "PMO_SMTP_FROM",     # From address when --from and digests.yml give none
    "starttls": "PMO_SMTP_STARTTLS",  # auto (default: when offered) or require
    "cafile": "PMO_SMTP_CAFILE",   # CA bundle to trust (a relay with a private CA)
}
STARTTLS_MODES = ("auto", "require")
TIMEOUT = 30.0


class DeliveryError(RuntimeError):
    """One delivery failed; the message says why (never a secret)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send e-mail; ``password`` never shows in its repr."""

    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: str = "auto"
    cafile: str | None = None
    timeout: float = TIMEOUT


def smtp_settings(hostport: str | None, env=None) -> SmtpSettings | None:
    """Settings from ``--smtp HOST:PORT`` (or ``$PMO_SMTP``) and the environment; None if unset.

    Raises
    ------
    ValueError
        A malformed HOST:PORT, an unknown STARTTLS mode, or a user without a password.
    """
    env = os.environ if env is None else env
    hostport = hostport or env.get(ENV["host"]) or None
    if not hostport:
        return None
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--smtp must be HOST:PORT (e.g. smtp.example.org:587), got {hostport!r}")
    mode = (env.get(ENV["starttls"]) or "auto").strip().lower()
    if mode not in STARTTLS_MODES:
        raise ValueError(f"${ENV['starttls']} must be one of {', '.join(STARTTLS_MODES)}, "
                         f"got {mode!r}")
    user, password = env.get(ENV["user"]) or None, env.get(ENV["password"]) or None
    if user and not password:
        raise ValueError(f"${ENV['user']} is set but ${ENV['password']} is not")
    return SmtpSettings(host=host.strip("[]"), port=int(port), user=user, password=password,
                        starttls=mode, cafile=env.get(ENV["cafile"]) or None)


def email_message(*, sender: str, to_name: str, to_addr: str, subject: str, text: str,
                  html: str) -> EmailMessage:
    """A ``multipart/alternative`` message: the plain text, then the HTML part.

    Raises
    ------
    ValueError or email.errors.MessageError
        An address the header registry refuses (CR/LF, no ``@``, two ``@``).
    """
    msg = EmailMessage()
    name, addr = parseaddr(sender)
    msg["From"] = Address(display_name=name, addr_spec=addr)
    msg["To"] = Address(display_name=to_name, addr_spec=to_addr)
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=addr.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


class SmtpSender:
    """One SMTP connection for a run, opened on first use and reopened after a failure."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            secure = False
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context(cafile=s.cafile))
                smtp.ehlo()
                secure = True
            elif s.starttls == "require":
                raise DeliveryError(f"{s.host}:{s.port} does not offer STARTTLS, which "
                                    f"${ENV['starttls']}=require asks for")
            if s.user:
                if not secure and s.host not in LOOPBACK:
                    raise DeliveryError(f"{s.host}:{s.port} offers no STARTTLS: the password "
                                        "is not sent over an unencrypted connection")
                smtp.login(s.user, s.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, msg: EmailMessage) -> str:
        """Send ``msg``; returns its Message-ID. Raises :class:`DeliveryError`."""
        s = self.settings
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(msg)
        except DeliveryError:
            self.close()
            raise
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise DeliveryError(f"{s.host}:{s.port} refused the login of ${ENV['user']} "
                                f"({exc.smtp_code})") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            self.close()
            raise DeliveryError(f"{s.host}:{s.port}: {exc.__class__.__name__}: "
                                f"{_one_line(exc)}") from None
        return str(msg["Message-ID"])

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def post_webhook(url: str, payload: dict, timeout: float = TIMEOUT) -> str:
    """POST ``payload`` as JSON to ``url``; returns the HTTP status. Raises :class:`DeliveryError`.

    Error messages name the URL redacted (its path is the secret).
    """
    shown = redact_url(url, path=False)
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "User-Agent": "pmo_nb-digest"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (checked)
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{shown} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{shown}: {_one_line(reason).replace(url, shown)}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"{shown} answered HTTP {status}")
    return str(status)


def _one_line(value) -> str:
    return " ".join(str(value).split())[:300]

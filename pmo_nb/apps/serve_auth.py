"""Where ``pmo serve`` takes its token from, and how it keeps it out of sight.

The token never goes on a command line (``ps`` shows every process's argv to
every user): ``pmo serve`` reads it from ``$PMO_SERVE_TOKEN`` or a file and
hands it to Voila in a config file in Voila's private, temporary config
folder. What is printed shows at most its first four characters, and the
request log scrubs it from logged URLs (:func:`write_log_config`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

#: Environment variable holding the viewers' token.
TOKEN_ENV = "PMO_SERVE_TOKEN"
#: Interfaces that only this machine reaches: served without a token.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: Warning printed when the token comes from ``--token``.
ARGV_WARNING = (f"warning: --token is visible to every user of this machine (ps); "
                f"prefer ${TOKEN_ENV} or --token-file")


def resolve_token(token: str | None = None, token_file: str | os.PathLike | None = None,
                  environ: dict[str, str] | None = None) -> tuple[str | None, list[str]]:
    """The token to require, from ``--token``, ``--token-file`` or ``$PMO_SERVE_TOKEN``.

    Returns
    -------
    (token or None, warnings)
        The first of the three that is given (in that order), stripped of
        surrounding whitespace; the warnings to print (``--token`` is in argv).

    Raises
    ------
    ValueError
        When the token file is empty.
    """
    environ = os.environ if environ is None else environ
    warnings = []
    if token:
        warnings.append(ARGV_WARNING)
    elif token_file:
        token = Path(token_file).read_text().strip()
        if not token:
            raise ValueError(f"token file {token_file} is empty")
    else:
        token = environ.get(TOKEN_ENV, "").strip() or None
    return token, warnings


def check_bind(host: str, token: str | None, insecure: bool = False) -> None:
    """Refuse to serve beyond this machine without a token, unless ``insecure``.

    Raises
    ------
    ValueError
        ``host`` is not a loopback interface, no token is set and ``insecure`` is false.
    """
    if host not in LOOPBACK and not token and not insecure:
        raise ValueError(
            f"refusing to bind {host} without a token: anyone who reaches it could read "
            f"the dashboards. Set ${TOKEN_ENV} or --token-file, bind 127.0.0.1 behind a "
            f"reverse proxy, or pass --insecure if another layer authenticates viewers.")


def elide(token: str | None) -> str | None:
    """What may be printed of a token: its first 4 characters (none if short), then ``…``."""
    if not token:
        return token
    return (token[:4] if len(token) >= 16 else "") + "…"


def write_token_config(config_dir: str | os.PathLike, token: str) -> Path:
    """Write ``voila.json`` setting ``Voila.token`` in ``config_dir``, readable by us only."""
    path = Path(config_dir) / "voila.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"Voila": {"token": token}}, out)
    return path


#: ``voila.py``: log requests with jupyter_server's logger, which scrubs
#: ``?token=`` (and other credentials) from the URLs it logs; Voila's default,
#: tornado's, logs failed requests' URLs whole.
LOG_CONFIG = """\
from functools import partial

from jupyter_server.log import log_request

c.Voila.tornado_settings = {
    "log_function": partial(log_request, record_prometheus_metrics=False),
}
"""


def write_log_config(config_dir: str | os.PathLike) -> Path:
    """Write ``voila.py`` in ``config_dir``: a request log that never shows tokens."""
    path = Path(config_dir) / "voila.py"
    path.write_text(LOG_CONFIG)
    return path

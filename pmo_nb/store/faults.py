"""Database faults in one line: what happened, to which store, what to do.

SQLAlchemy's exceptions (and the driver's under them) stay inside the store
package: every caller sees a :class:`pmo_nb.errors.StoreError` whose message
a person can act on, and the CLI turns it into exit status 1. Nothing is
written by a failed transaction, and the message says so.
"""

from __future__ import annotations

import sqlalchemy as sa

from pmo_nb.errors import StoreError

#: (substrings of the driver's message, what it means and what to do)
_KNOWN = (
    (("permission denied", "read-only transaction", "readonly database", "read-only file system"),
     "refused to write ({detail}): this connection is read-only or its database role lacks the "
     "privilege (see docs/deploy.md, database roles). Nothing was written."),
    (("database or disk is full", "no space left", "disk full", "could not extend file"),
     "ran out of disk space ({detail}). Nothing was written; free some space and run the "
     "command again."),
    (("file is not a database", "malformed", "not a database", "file is encrypted"),
     "is not a readable pmo_nb store ({detail}): the file is damaged or is not a database. "
     "Nothing was changed; restore it from a backup or point --db at the right file."),
    (("unable to open database file", "could not connect", "connection refused",
      "name or service not known", "does not exist", "authentication failed", "timeout expired"),
     "cannot be opened ({detail}): check the path or URL, that the server is running and "
     "that the role may connect."),
    (("can't load plugin", "no module named"),
     "cannot be opened ({detail}): its database driver is not installed or the URL is "
     "misspelt; give a file path, sqlite:///path or postgresql+psycopg://..."),
    (("locked",),
     "is busy ({detail}): another import holds it; try again when it has finished."),
)


def _detail(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return (text.splitlines() or ["unknown error"])[0][:200]


def store_fault(url: str, exc: BaseException) -> StoreError:
    """A :class:`StoreError` for a database or file-system fault ``exc`` on store ``url``."""
    detail = _detail(exc)
    lowered = detail.lower() + " " + str(exc).lower()[:500]
    for needles, message in _KNOWN:
        if any(n in lowered for n in needles):
            return StoreError(f"{url} {message.format(detail=detail)}")
    return StoreError(f"{url} failed ({detail}). Nothing was written by the failed "
                      "transaction; run the command again, and if it persists check the "
                      "database server's log.")


#: What the store translates: everything the database layer raises. (OSError is
#: translated only where the store itself touches files, not around callers' code.)
FAULTS = (sa.exc.SQLAlchemyError,)


def open_engine(url: sa.URL, **kwargs) -> sa.Engine:
    """``sqlalchemy.create_engine(url, **kwargs)``, a missing driver a :class:`StoreError`."""
    try:
        return sa.create_engine(url, **kwargs)
    except (sa.exc.SQLAlchemyError, ImportError) as exc:
        raise store_fault(url.render_as_string(hide_password=True), exc) from exc

"""Where things are: the store URL, the project folders. No side effects on import."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

#: Environment variable that names the store (path or SQLAlchemy URL).
DB_ENV = "PMO_DB"
#: The embedded store used when nothing else is said.
DEFAULT_DB = "portfolio.db"


def resolve_db_url(db: str | os.PathLike | None = None) -> str:
    """Turn ``--db`` / ``PMO_DB`` / the default into a SQLAlchemy URL.

    A value containing ``://`` is taken as a URL as it is; anything else is a
    path to an SQLite file, made absolute so that kernels started in other
    folders (Voila, papermill) reach the same file.
    """
    value = os.fspath(db) if db else os.environ.get(DB_ENV) or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def project_root() -> Path:
    """The checkout that holds ``pmo_nb/``, ``notebooks/`` and ``dashboards/``."""
    return Path(__file__).resolve().parent.parent


def notebooks_dir() -> Path:
    """Report notebooks run by ``pmo report run``."""
    return project_root() / "notebooks"


def dashboards_dir() -> Path:
    """The only folder ``pmo serve`` exposes."""
    return project_root() / "dashboards"


def templates_dir() -> Path:
    """Report and dashboard templates and the blank workbook."""
    return project_root() / "templates"


def safe_stem(item: str) -> str:
    """A file-name-safe form of a project id (a short hash keeps altered ids distinct)."""
    stem = re.sub(r"[^A-Za-z0-9_.\-]", "_", str(item)).lstrip(".") or "_"
    if stem != str(item):
        stem += "-" + hashlib.sha1(str(item).encode()).hexdigest()[:6]
    return stem

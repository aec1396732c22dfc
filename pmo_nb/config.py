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
#: Environment variable naming the folder whose files the dashboard server serves as
#: its page template's static files (set by ``pmo serve``, read by the chart widgets).
STATIC_DIR_ENV = "PMO_VEGA_STATIC_DIR"


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


# -- the settings files (reports.yml, alerts.yml): read and checked the same way -----------

#: What a settings file's entry may be named (the name names files and log rows).
ENTRY_NAME = r"[A-Za-z0-9_\-]+"


class SettingsFileError(ValueError):
    """A settings file broke one or more rules; ``problems`` lists every one.

    Subclasses say what their entries and reasons are called: ``problems``
    has the columns ``file``, :attr:`entry`, ``key``, ``value`` and
    :attr:`reason`, and the message's first line names :attr:`what`.

    Parameters
    ----------
    problems : list of dict
        Each with ``file``, ``entry``, ``key``, ``value`` and ``reason``.
    """

    entry, reason, what = "entry", "rule", "the settings"

    def __init__(self, problems: list[dict], source: str = ""):
        import pandas as pd  # lazy: keeps `pmo --help` fast

        columns = ["file", self.entry, "key", "value", self.reason]
        self.problems = pd.DataFrame([[p["file"], p["entry"], p["key"], p["value"], p["reason"]]
                                      for p in problems], columns=columns, dtype=object)
        self.source = source
        n = len(problems)
        lines = [f"{source}: {n} problem{'s' if n != 1 else ''} in {self.what}"]
        for p in problems:
            where = ", ".join(f"{k} {v}" for k, v in ((self.entry, p["entry"]), ("key", p["key"]))
                              if v not in ("", None))
            value = "" if p["value"] in ("", None) else f", value {p['value']!r}"
            lines.append(f"  {p['file']}{': ' + where if where else ''}{value}: {p['reason']}")
        super().__init__("\n".join(lines))


def add_problem(problems: list, file, entry, key, value, reason) -> None:
    """Append one problem (the value as text) for a :class:`SettingsFileError`."""
    problems.append({"file": file, "entry": entry, "key": key,
                     "value": None if value is None else str(value), "reason": reason})


def settings_entries(data, source: str, top_key: str, problems: list, error,
                     *, entry_help: str, name_why: str, kind: str):
    """The named entries of a parsed settings file, checking the part all files share.

    The file must be a mapping holding the list ``top_key`` and nothing else;
    each entry a mapping with a unique ``name`` matching :data:`ENTRY_NAME`.
    Problems are appended to ``problems``; a file that is not a mapping raises
    ``error`` (a :class:`SettingsFileError` class) at once.

    Yields
    ------
    (label, entry, before)
        ``label`` is the name (``#<position>`` when the name is missing, bad
        or repeated), ``before`` the count of problems before the entry's own
        checks: an entry is good when ``len(problems) == before`` after them.
    """
    if data is None:
        data = {top_key: []}
    if not isinstance(data, dict):
        raise error([{"file": source, "entry": "", "key": "", "value": type(data).__name__,
                      "reason": f"the file must be a mapping with "
                                f"{'an' if top_key[0] in 'aeiou' else 'a'} '{top_key}' list"}],
                    source)
    for key in sorted(set(data) - {top_key}, key=str):
        add_problem(problems, source, "", key, None,
                    f"unknown top-level key; only '{top_key}' is read")
    entries = data.get(top_key) or []
    if not isinstance(entries, list):
        add_problem(problems, source, "", top_key, type(entries).__name__,
                    f"must be a list of {kind}s")
        entries = []
    seen = set()
    for position, entry in enumerate(entries, start=1):
        label = f"#{position}"
        if not isinstance(entry, dict):
            add_problem(problems, source, label, "", type(entry).__name__,
                        f"each {kind} must be a mapping ({entry_help})")
            continue
        before = len(problems)
        name = entry.get("name")
        if name is None:
            add_problem(problems, source, label, "name", None, "required")
        elif not isinstance(name, str) or not re.fullmatch(ENTRY_NAME, name):
            add_problem(problems, source, label, "name", name,
                        f"letters, digits, '_' or '-' only ({name_why})")
        elif name in seen:
            add_problem(problems, source, name, "name", name, f"duplicate {kind} name")
        else:
            label = name
            seen.add(name)
        yield label, entry, before


def read_settings_file(path: str | os.PathLike, error):
    """The parsed YAML of ``path``; unreadable files raise ``error`` with one problem."""
    import yaml  # lazy: PyYAML loads only when a settings file is read

    path = Path(path)

    def fail(reason: str):
        return error([{"file": str(path), "entry": "", "key": "", "value": None,
                       "reason": reason}], str(path))

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fail("file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read it: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise fail(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None

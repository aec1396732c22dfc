"""Exceptions that carry the facts a user needs to fix their input."""

from __future__ import annotations

import pandas as pd

#: Columns of :attr:`ValidationError.problems`.
PROBLEM_COLUMNS = ["file", "table", "row", "column", "value", "rule"]


class ValidationError(ValueError):
    """A workbook broke one or more rules of the interchange format.

    Parameters
    ----------
    problems : pandas.DataFrame
        One row per problem with columns ``file`` (file or ``book.xlsx[sheet]``),
        ``table``, ``row`` (as a spreadsheet shows it, header = 1; empty for
        problems of a whole table), ``column``, ``value`` and ``rule``.
    source : str
        The workbook (folder or file) that was read.
    """

    def __init__(self, problems: pd.DataFrame, source: str = ""):
        self.problems = problems.reindex(columns=PROBLEM_COLUMNS).reset_index(drop=True)
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: " if self.source else ""
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found; nothing was written."]
        for p in self.problems.itertuples(index=False):
            row = "" if pd.isna(p.row) else f", row {int(p.row)}"
            col = "" if pd.isna(p.column) or p.column == "" else f", column {p.column}"
            val = "" if pd.isna(p.value) else f", value {p.value!r}"
            lines.append(f"  {p.file}{row}{col}{val}: {p.rule}")
        return "\n".join(lines)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value == "") or (
        isinstance(value, float) and value != value)


class ConfigError(ValueError):
    """A configuration file broke one or more rules; ``problems`` lists every one.

    One shape for every such file, so each lists its problems the same way
    (file, entry, key, value, why). A subclass names what one entry of its
    file is (:attr:`entry`: ``webhook``, ...), the column holding the reason
    (:attr:`reason`) and what the file is (:attr:`what`, for the first line).

    Parameters
    ----------
    problems : list of dict
        Keys ``file``, :attr:`entry`, ``key``, ``value`` and :attr:`reason`
        (missing ones are blank).
    source : str
        The file, named at the start of the first line when given.
    """

    entry, reason, what = "entry", "rule", "the configuration"

    def __init__(self, problems: list[dict], source: str = ""):
        self.problems = pd.DataFrame(problems, columns=["file", self.entry, "key", "value",
                                                        self.reason], dtype=object)
        self.source = source
        n = len(self.problems)
        lines = [f"{source + ': ' if source else ''}{n} problem{'s' if n != 1 else ''} in "
                 f"{self.what}"]
        for p in self.problems.to_dict("records"):
            where = ", ".join(f"{k} {p[k]}" for k in (self.entry, "key") if not _blank(p[k]))
            value = "" if _blank(p["value"]) else f", value {p['value']!r}"
            lines.append(f"  {p['file']}{': ' + where if where else ''}{value}: {p[self.reason]}")
        super().__init__("\n".join(lines))


class StoreError(RuntimeError):
    """The store cannot do what was asked (wrong schema version, conflict, ...)."""


class ReportError(RuntimeError):
    """A report notebook failed; ``reason`` is the one-line cause."""

    def __init__(self, reason: str, executed_path: str | None = None):
        self.reason = reason
        self.executed_path = executed_path
        super().__init__(reason)

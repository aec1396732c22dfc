"""Hostile text for every text column of every table, and an HTML check that finds it live.

A payload is "live" when a browser would act on it: an element or attribute
it brought (``<img src=x onerror=...>``, an ``on*`` handler, a
``javascript:`` link) or script text it smuggled into a ``<script>`` block.
The check parses the page with :mod:`html.parser` (never a string search), so
escaped text (``&lt;img ...&gt;``) passes and markup fails.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd

from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLES

#: Marker every payload carries, so found markup can be traced to the data.
MARK = "pwn"
#: Appended to every text cell: an element with a handler, a script-block
#: breakout and a Markdown link with a javascript: URL.
TEXT_PAYLOAD = (f' <img src=x onerror=alert("{MARK}1")>'
                f' </script><script>alert("{MARK}2")</script>'
                f' [{MARK}3](javascript:alert(3)) <b class="{MARK}4">bold</b>')
#: Appended to every id (ids stay unique, references stay consistent).
ID_PAYLOAD = f'<i class="{MARK}5">'
#: Appended to text a format rule keeps free of spaces and further @s (people.email):
#: the same element, handler and class, with "/" where a browser reads a space.
COMPACT_PAYLOAD = f'<img/src="x"/onerror="alert({MARK}1)"><b/class="{MARK}4">bold</b>'
#: Text columns whose rule allows no spaces.
COMPACT_COLUMNS = {("people", "email")}


def _poison_column(values: pd.Series, kind: str, compact: bool = False) -> pd.Series:
    suffix = ID_PAYLOAD if kind == "id" else COMPACT_PAYLOAD if compact else TEXT_PAYLOAD
    text = values.astype("string")
    return text.where(text.isna(), text + suffix).astype(values.dtype)


def poison(portfolio: Portfolio) -> Portfolio:
    """A copy of ``portfolio`` with the payload in every text and id cell of every table."""
    tables = {}
    for name, frame in portfolio.tables().items():
        frame = frame.copy()
        for column in TABLES[name].columns:
            if column.kind in ("text", "id") and column.name in frame:
                frame[column.name] = _poison_column(frame[column.name], column.kind,
                                                    (name, column.name) in COMPACT_COLUMNS)
        tables[name] = frame
    return Portfolio(**tables, source="poisoned")


class _LiveMarkup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        self._script = tag == "script"
        for key, value in attrs:
            value = value or ""
            # a payload's own attribute: a handler, or the class it carries (text that
            # merely mentions the payload inside an attribute value is not markup)
            if (key.startswith("on") and MARK in value) or (
                    key == "class" and value in (f"{MARK}4", f"{MARK}5")):
                self.found.append(f"<{tag} {key}={value!r}>")
            if key in ("href", "src", "action") and value.strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {key}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("<img src=x>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        # inside a script the payload is harmless as string data; it is live when its
        # "</script>" closed the block and its own <script> became an element
        if self._script and re.match(rf'alert\(\\*"{MARK}', data.strip()):
            self.found.append(f"script {data.strip()[:40]!r}")


def live_payloads(html: str) -> list[str]:
    """Payload markup a browser would act on in ``html`` (empty when all is escaped)."""
    parser = _LiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.found


def poisoned_store(root, as_of: str = "2026-06-30", n_projects: int = 40) -> str:
    """A store holding a poisoned demo portfolio, imported through ``pmo import``.

    Returns the store's path. ``root`` is an empty folder for the workbook and store.
    """
    from click.testing import CliRunner

    from pmo_nb.cli import main as pmo
    from pmo_nb.demo import demo_portfolio
    from pmo_nb.io import write_workbook

    workbook = root / "workbook"
    write_workbook(poison(demo_portfolio(n_projects=n_projects, seed=11, as_of=as_of)), workbook)
    db = str(root / "portfolio.db")
    result = CliRunner().invoke(pmo, ["import", str(workbook), "--db", db])
    assert result.exit_code == 0, result.output
    return db

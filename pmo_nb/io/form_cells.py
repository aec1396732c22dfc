"""Values typed into a form, as the cell text a workbook would hold, and the next free id.

The intake form and the change-request form check what a person typed by the
same rules as an import, so their values become text cells first; both
allocate the next id of a prefixed sequence (``PR0001``, ``CR0001``). Money
fields accept what people type (``2.5m``, ``2,500,000``, ``€2.5M``, ``250k``):
:func:`money_text` turns that into the plain number a workbook holds.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import numpy as np
import pandas as pd

from pmo_nb.io.reading import format_number


def form_text(value) -> str | None:
    """A form value as the format's cell text (None when empty)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.number):
        return format_number(float(value))
    if isinstance(value, dt.date | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    return text or None


def next_free_id(ids, prefix: str, digits: int) -> str:
    """One more than the largest ``<prefix><number>`` among ``ids``, zero-padded."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    used = [int(m.group(1)) for i in pd.Series(ids, dtype="object").astype("str")
            if (m := pattern.match(i))]
    return f"{prefix}{(max(used) if used else 0) + 1:0{digits}d}"


#: Multipliers of the suffixes a money field accepts (any case): 250k, 2.5m, 1.2bn.
MONEY_SUFFIXES = {"k": 10**3, "m": 10**6, "mn": 10**6, "b": 10**9, "bn": 10**9}
#: Currency marks a money field may carry before or after the amount (one, not both).
CURRENCIES = ("€", "$", "£", "eur", "usd", "gbp")
# Written here rather than taken from a library: the parsers of prices and
# numbers we know read "2.5m" as 2.5 or not at all, and a form must never guess.
_MONEY = re.compile(
    r"(?P<sign>[-+\u2212]?)"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<suffix>[a-z]*)")
#: What :func:`parse_money` accepts, for a form's hint and its error.
MONEY_HELP = "a number such as 2500000, 2,500,000, 2.5m, 250k or €2.5M"


def parse_money(text) -> float | None:
    """The amount a money field's text means, or None when it is not one.

    Accepts digits with optional ``,`` thousands groups (``2,500,000``) and
    decimals (``.``), an optional sign (``-40k`` saves money), a suffix
    ``k``, ``m``/``mn`` or ``b``/``bn`` in any case, and one currency mark
    before or after (``€``, ``$``, ``£``, ``EUR``, ``USD``, ``GBP``); spaces
    around those parts are ignored. Anything else, e.g. ``2,5m`` (a decimal
    comma), ``1,23``, ``2 500`` or ``2.5 mio``, is not read at all, so a form
    never stores a guess. The arithmetic is decimal: ``1.1m`` is exactly 1100000.
    """
    if not isinstance(text, str):
        return None
    # spaces go where they touch a sign, mark or suffix; between digits they stay (and fail)
    rest = re.sub(r"(?<=[^\d.,])\s+|\s+(?=[^\d.,])", "", text.strip()).lower()
    marks = [c for c in CURRENCIES if rest.startswith(c) or rest.endswith(c)]
    if len(marks) > 1:
        return None
    for mark in marks[:1]:
        rest = rest[len(mark):] if rest.startswith(mark) else rest[: -len(mark)]
    match = _MONEY.fullmatch(rest)
    if match is None or (match["suffix"] and match["suffix"] not in MONEY_SUFFIXES):
        return None
    amount = Decimal(match["number"].replace(",", "")) * MONEY_SUFFIXES.get(match["suffix"], 1)
    return float(-amount if match["sign"] in ("-", "\u2212") else amount)


def money_text(value) -> str | None:
    """A money field's value as cell text: ``"2.5m"`` becomes ``"2500000"``.

    Text that :func:`parse_money` cannot read is passed on as typed, so the
    importer's validation reports it (field, value, rule) like any bad cell.
    """
    if isinstance(value, str):
        amount = parse_money(value)
        if amount is not None:
            return format_number(amount)
    return form_text(value)

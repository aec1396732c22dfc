"""Values typed into a form, as the cell text a workbook would hold, and the next free id.

The intake form and the change-request form check what a person typed by the
same rules as an import, so their values become text cells first; both
allocate the next id of a prefixed sequence (``PR0001``, ``CR0001``).
"""

from __future__ import annotations

import datetime as dt
import re

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

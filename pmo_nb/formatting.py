"""How numbers and URLs are written for people, once for every page, log and record."""

from __future__ import annotations

import math
import re


def money(value: float) -> str:
    """Money in a short human form: 1.2 bn, 34.5 m, 12 k (``n/a`` when not a number)."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    for size, unit in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.1f} {unit}"
    return f"{value:,.0f}"


def whole_money(value: float) -> str:
    """Money to the unit with thousands separators: 1,234,567 (``n/a`` when not a number)."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{value:,.0f}"


def redact_url(url: str) -> str:
    """A store URL with any password replaced by ``***`` (for records, logs and pages)."""
    return re.sub(r"(://[^:/@]+:)[^@/]+@", r"\1***@", str(url))

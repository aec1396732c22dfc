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


def redact_url(url: str, *, path: bool = True) -> str:
    """A store URL with any password replaced by ``***`` (for records, logs and pages).

    ``path=False`` also hides everything after the host, for URLs whose path
    is the secret (a chat incoming-webhook URL): ``https://hooks.example.org/***``.
    """
    text = re.sub(r"(://[^:/@]+:)[^@/]+@", r"\1***@", str(url))
    if not path:
        text = re.sub(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*)[/?#].*$", r"\1/***", text,
                      flags=re.DOTALL)
    return text


# -- text from the store is data, never markup ---------------------------------------------
#
# Every page shows store text through one of these: HTML (dashboard widgets, e-mails)
# through html_text, Markdown (narrative, insights) through md_text; report tables go
# through pmo_nb.reports.styled, which escapes with pandas' own HTML escaper, and the
# index pages through Jinja2's autoescape. No page embeds data in a <script> block:
# report charts are inline SVG (vl-convert escapes their text) and dashboard charts
# reach the browser as widget messages; tests/security checks both for breakouts.
# MarkupSafe is the escaper Jinja2 uses; Markdown has no library escaper, so md_text
# adds the backslashes CommonMark defines for its punctuation.

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~])")


def html_text(value) -> str:
    """``value`` as HTML text: ``& < > " '`` escaped, so it can never become markup."""
    from markupsafe import escape  # lazy: MarkupSafe loads only when a page is built

    return str(escape("" if value is None else str(value)))


def md_text(value) -> str:
    """``value`` as Markdown text: HTML escaped and Markdown punctuation backslashed.

    A name like ``[x](javascript:...)`` or ``<img onerror=...>`` renders as
    the literal text it is; ordinary names read as before.
    """
    # Backslash the punctuation first, then escape HTML: the other way round
    # the "#" of the entities for quotes (&#39;) got a backslash and an
    # "O'Brien" read "O&#39;Brien" on the page.
    return html_text(_MD_SPECIAL.sub(r"\\\1", "" if value is None else str(value)))


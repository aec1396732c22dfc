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


# -- ids with their names ---------------------------------------------------------------
#
# A reader sees "P0042 Payments hub", never a bare "P0042": the id to find the row in a
# register, the name to know what it is (issue #18). Charts (axes, tooltips), dropdowns
# and every sentence of the briefings, digests and watch say it through these two.

#: Items a sentence names before "and N more": a list of sixty names is not a sentence.
NAMED = 3


def _known(value) -> str:
    """``value`` as text, or ``""`` for a missing name (None, NaN, blank)."""
    if value is None:
        return ""
    try:
        if bool(value != value):  # NaN
            return ""
    except (TypeError, ValueError):  # pandas.NA has no truth value
        return ""
    return str(value).strip()


def project_names(portfolio) -> dict:
    """``{project_id: name}`` of a portfolio's projects (the lookup :func:`labelled` takes)."""
    p = portfolio.projects
    return dict(zip(p["project_id"].astype(str), p["name"], strict=True))


def labelled(ident, names=None) -> str:
    """``"P0042 Payments hub"``: ``ident`` with its name from ``names`` (id -> name).

    An id without a (non-blank) name is shown alone. The text is raw: pages
    escape it where it meets markup (:func:`html_text`, :func:`md_text`).
    """
    ident = str(ident)
    name = _known(names.get(ident)) if names is not None else ""
    return f"{ident} {name}" if name else ident


def labelled_list(ids, names=None, details=None, limit: int | None = NAMED) -> str:
    """``"P0078 Payments hub (+85%), P0139 Ledger (+60%) and 4 more"``.

    Parameters
    ----------
    ids : iterable
        The ids, in the order to name them.
    names : mapping, optional
        id -> name (a dict or a Series).
    details : iterable, optional
        One text per id, shown in parentheses after its label (a number).
    limit : int or None
        Name at most this many, then "and N more"; None names all.
    """
    ids = [str(i) for i in ids]
    details = [None] * len(ids) if details is None else [str(d) for d in details]
    if len(details) != len(ids):
        raise ValueError(f"{len(details)} details for {len(ids)} ids")
    lookup = None if names is None else {str(k): v for k, v in dict(names).items()}
    shown = ids if limit is None else ids[:limit]
    text = ", ".join(labelled(i, lookup) + (f" ({d})" if d is not None else "")
                     for i, d in zip(shown, details, strict=False))
    more = len(ids) - len(shown)
    return text + (f" and {more} more" if more else "")


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


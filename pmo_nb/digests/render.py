"""A digest in words: plain text, self-contained HTML, and chat (Slack, Teams) payloads.

Every text from the store goes through one escaper per medium: HTML through
:func:`pmo_nb.formatting.html_text`; plain text through :func:`plain`
(control characters, CR and LF among them, become spaces, so an item stays
one line and nothing in it can pass for a header or a new item); Slack's
mrkdwn through :func:`slack_text` (``& < >`` as Slack documents, so a name
can never become a link or a mention); Teams' Adaptive Card markdown through
:func:`pmo_nb.formatting.md_text`'s backslashes without its HTML escaping.

Links are absolute: ``base_url`` (the published reports folder as its readers
reach it: a web address, or the folder's ``file://`` URI) joined with the
item's link. At most ``limit`` items and ``limit`` changes are shown; the
rest are counted, "and N more", linking to ``rest_url`` (the person's full
page) when there is one.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from pmo_nb.digests.content import Digest
from pmo_nb.formatting import html_text

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_MD_PUNCT = re.compile(r"([\\`*_\[\]{}()#+!|~<>])")


def plain(value) -> str:
    """Store text for a plain-text line: control characters (CR, LF, ...) become a space."""
    return _CONTROL.sub(" ", "" if value is None else str(value)).strip()


def slack_text(value) -> str:
    """Store text for Slack mrkdwn: one line, ``& < >`` escaped as Slack requires."""
    return plain(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_text(value) -> str:
    """Store text for Teams markdown: one line, markdown punctuation backslashed."""
    return _MD_PUNCT.sub(r"\\\1", plain(value))


def absolute(base_url: str | None, link: str | None) -> str | None:
    """``link`` (relative to the reports folder) under ``base_url``; None without either."""
    if not link or not base_url:
        return None
    return base_url.rstrip("/") + "/" + quote(link, safe="/#-._~")


def subject_line(digest: Digest, period: str) -> str:
    """The e-mail subject: how many things need the person, and the period."""
    n = len(digest.items)
    if n == 0:
        return f"Nothing needs you ({period})"
    return f"{n} thing{'s' if n != 1 else ''} need{'s' if n == 1 else ''} you ({period})"


def _parts(digest: Digest, limit: int | None):
    """The items and changes shown (all with ``limit`` None) and how many are left out."""
    shown = digest.items if limit is None else digest.items.head(limit)
    changes = digest.changes
    if changes is not None and limit is not None:
        changes = changes.head(limit)
    more_changes = 0 if changes is None else len(digest.changes) - len(changes)
    return shown, len(digest.items) - len(shown), changes, more_changes


def _since(digest: Digest) -> str:
    return ("since your last digest on " + f"{digest.since:%Y-%m-%d}" if digest.since is not None
            else "since the previous period")


def to_text(digest: Digest, period: str, *, limit: int = 5, base_url: str | None = None,
            rest_url: str | None = None) -> str:
    """The plain-text part: changes first, then the numbered items with their links."""
    shown, more, changes, more_changes = _parts(digest, limit)
    lines = [f"What needs you, {plain(digest.person)}: {digest.as_of:%Y-%m-%d} ({period})", ""]
    if changes is not None:
        lines.append(f"Changes {_since(digest)}:" if len(changes) else
                     f"No changes on what you own {_since(digest)}.")
        lines += [f"- {plain(c.sentence)}" for c in changes.itertuples()]
        if more_changes:
            lines.append(f"  and {more_changes} more changes" + (f": {rest_url}" if rest_url
                                                                 else ""))
        lines.append("")
    if shown.empty:
        lines.append("Nothing needs you today.")
    for item in shown.itertuples():
        lines.append(f"{item.rank}. {plain(item.text)}")
        url = absolute(base_url, item.link)
        if url:
            lines.append(f"   {url}")
    if more:
        lines.append(f"and {more} more" + (f": {rest_url}" if rest_url else ""))
    if digest.unavailable:
        lines += ["", "Not looked at: " + "; ".join(digest.unavailable) + "."]
    if digest.run is None:
        lines += ["", "No report run is published on or before this date, so there are no "
                      "links."]
    return "\n".join(lines) + "\n"


def _a(url: str | None, text: str) -> str:
    return f'<a href="{html_text(url)}">{text}</a>' if url else text


def to_html(digest: Digest, period: str, *, limit: int | None = 5, base_url: str | None = None,
            rest_url: str | None = None) -> str:
    """A self-contained HTML page (inline style, no script, no remote resource).

    ``limit`` None shows every item and change (the person's full page).
    """
    shown, more, changes, more_changes = _parts(digest, limit)
    who = html_text(digest.person)
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>What needs you, {who}</title></head>",
           '<body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:46em">',
           f"<h1 style=\"font-size:1.3em\">What needs you, {who}</h1>",
           f"<p>{digest.as_of:%Y-%m-%d} ({html_text(period)})</p>"]
    if changes is not None:
        out.append(f"<h2 style=\"font-size:1.1em\">Changes {html_text(_since(digest))}</h2>")
        if len(changes):
            out.append("<ul>" + "".join(f"<li>{html_text(c.sentence)}</li>"
                                        for c in changes.itertuples()) + "</ul>")
        else:
            out.append("<p>No changes on what you own.</p>")
        if more_changes:
            out.append(f"<p>{_a(rest_url, f'and {more_changes} more changes')}</p>")
    out.append('<h2 style="font-size:1.1em">Needs you</h2>')
    if shown.empty:
        out.append("<p>Nothing needs you today.</p>")
    else:
        out.append("<ol>" + "".join(
            f"<li>{_a(absolute(base_url, i.link), html_text(i.text))}</li>"
            for i in shown.itertuples()) + "</ol>")
    if more:
        out.append(f"<p>{_a(rest_url, f'and {more} more')}</p>")
    if digest.unavailable:
        out.append("<p style=\"color:#666\">Not looked at: "
                   + html_text("; ".join(digest.unavailable)) + ".</p>")
    if digest.run is None:
        out.append("<p style=\"color:#666\">No report run is published on or before this "
                   "date, so there are no links.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def slack_payload(digest: Digest, period: str, *, limit: int = 5, base_url: str | None = None,
                  rest_url: str | None = None) -> dict:
    """A Slack incoming-webhook body: one mrkdwn ``text``."""
    return {"text": _chat(digest, period, limit, base_url, rest_url, slack_text,
                          lambda url, text: f"<{url}|{text}>")}


def teams_payload(digest: Digest, period: str, *, limit: int = 5, base_url: str | None = None,
                  rest_url: str | None = None) -> dict:
    """A Teams incoming-webhook (Workflows) body: one Adaptive Card of text blocks."""
    text = _chat(digest, period, limit, base_url, rest_url, teams_text,
                 lambda url, label: f"[{label}]({url})")
    blocks = [{"type": "TextBlock", "text": line, "wrap": True}
              for line in text.split("\n") if line]
    blocks[0].update(weight="Bolder", size="Medium")
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard", "version": "1.4", "body": blocks}}]}


def _chat(digest, period, limit, base_url, rest_url, escape, link) -> str:
    shown, more, changes, more_changes = _parts(digest, limit)
    lines = [f"What needs you, {escape(digest.person)}: {digest.as_of:%Y-%m-%d} "
             f"({escape(period)})"]
    if changes is not None and len(changes):
        lines.append(f"Changes {_since(digest)}:")
        lines += [f"- {escape(c.sentence)}" for c in changes.itertuples()]
        if more_changes:
            lines.append(f"and {more_changes} more changes")
    for item in shown.itertuples():
        url = absolute(base_url, item.link)
        lines.append(f"{item.rank}. {escape(item.text)}" + (f" ({link(url, 'evidence')})"
                                                          if url else ""))
    if shown.empty:
        lines.append("Nothing needs you today.")
    if more:
        lines.append(link(rest_url, f"and {more} more") if rest_url else f"and {more} more")
    if digest.unavailable:
        lines.append("Not looked at: " + escape("; ".join(digest.unavailable)) + ".")
    return "\n".join(lines)

"""The ranked insights in words: a headline's claim and its detail, and the markdown list.

The executive summary states its first insights in its "What to know" block
(their claim, :func:`split_headline`'s first part) and lists every insight by
importance below it. So that no finding is said twice, :func:`to_markdown`
gives the insights already in the block only their detail, recommendation and
evidence, and the rest in full.
"""

from __future__ import annotations

from pmo_nb.formatting import labelled, md_text, money


def split_headline(headline: str, claim: str | None = None) -> tuple[str, str]:
    """``(claim, detail)``: the headline up to its first colon or semicolon, and the rest.

    A separator inside parentheses does not cut (``(22 of 27 approved; change
    requests)`` stays whole). The claim ends with a full stop; the detail is
    ``""`` when the headline has no separator. ``claim``: the claim as the
    insight was built (its ``claim`` column), which a headline quoting store
    text before its first separator needs: a risk titled ``Phase 2: data``
    must not cut there.
    """
    if claim and headline.startswith(claim):
        return claim.rstrip(".") + ".", headline[len(claim):].lstrip(":; ").strip()
    depth = 0
    for i, char in enumerate(headline):
        depth += (char == "(") - (char == ")")
        if depth == 0 and i > 0 and headline[i:i + 2] in (": ", "; "):
            return headline[:i].rstrip(".") + ".", headline[i + 2:].strip()
    return headline.rstrip(".") + ".", ""


def to_markdown(insights, limit: int | None = None, briefed: int = 0) -> str:
    """The ranked insights (:class:`pmo_nb.briefings.insights.Insights`) as a numbered list.

    Parameters
    ----------
    insights : Insights
    limit : int, optional
        List at most this many (most important first).
    briefed : int
        The first ``briefed`` insights are already stated in the page's "What
        to know" block: their claim is not repeated, only its detail, the
        recommendation and the evidence.

    Headlines and recommendations are plain text (they quote names from the
    store); they are escaped here, where they meet Markdown, as are the
    projects' names on their page links (``P0078 Payments hub``).
    """
    table = insights.table if limit is None else insights.table.head(int(limit))
    if table.empty:
        return "No insight crosses its threshold on this date."
    lines, names = [], getattr(insights, "names", None) or {}
    for r in table.itertuples():
        pages = ""
        if len(r.pages) > 1 or (r.pages and r.evidence.split("#")[0] not in r.pages.values()):
            pages = " &nbsp; *Project pages:* " + ", ".join(
                f"[{md_text(labelled(p, names))}]({link})" for p, link in r.pages.items())
        if r.rank <= briefed:
            detail = split_headline(r.headline, r.claim)[1]
            said = f"*What to know, item {r.rank}*" + (f": {md_text(detail)}" if detail else "")
        else:
            said = md_text(r.headline)
        # Plain headline, the action and the evidence below it: a list of bold
        # paragraphs reads as a wall (issue #18).
        lines.append(f"{r.rank}. {said}  \n"
                     f"   *Recommendation:* {md_text(r.recommendation)}  \n"
                     f"   *Evidence:* [{r.evidence.split('#')[0]}]({r.evidence}){pages} &nbsp; "
                     f"*Importance:* {money(r.importance)} ({money(r.money_at_stake)} at stake x "
                     f"{r.probability:.0%} x {1 + r.strategic_weight:.2f})")
    return "\n".join(lines)

"""The executive summary's opening: what changed since the previous import.

Reads :func:`pmo_nb.watch.changes` between the last import on or before the
reporting date and the one before it, and says it in Markdown: the source,
then one bullet per change (most kinds first as :data:`CHANGE_KINDS` orders
them), at most a handful, with "and N more". Every sentence is store text
and is escaped (:func:`pmo_nb.formatting.md_text`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pmo_nb.formatting import md_text
from pmo_nb.watch.changeset import changes
from pmo_nb.watch.points import pick_import

#: Changes listed before "and N more".
SHOWN = 12


@dataclass
class ChangesBrief:
    """The changes since the previous import, or why there are none to show."""

    table: pd.DataFrame | None
    #: why there is nothing to compare (None when ``table`` is set)
    reason: str | None = None


def changes_since_previous(store, as_of=None) -> ChangesBrief:
    """:func:`pmo_nb.watch.changes` from the import before the last one on or before
    ``as_of`` (blank: the latest) to that one."""
    imports = store.history()
    try:
        last = (int(imports["import_id"].max()) if as_of in (None, "")
                else pick_import(imports, as_of, "as_of"))
    except ValueError as exc:
        return ChangesBrief(None, str(exc))
    earlier = imports[imports["import_id"] < last]
    if earlier.empty:
        return ChangesBrief(None, f"import {last} is the first: there is no previous import "
                                  "to compare with")
    until = last if as_of in (None, "") else as_of
    return ChangesBrief(changes(store, int(earlier["import_id"].max()), until))


def changes_markdown(brief: ChangesBrief, limit: int = SHOWN) -> str:
    """The brief as Markdown: source line, bullets, "and N more", what was not available."""
    if brief.table is None:
        return md_text(f"No changes shown: {brief.reason}.")
    frame = brief.table
    attrs = frame.attrs
    lines = [md_text(f"Since import {attrs['since_import']} (to import "
                     f"{attrs['until_import']}): {len(frame)} change"
                     f"{'s' if len(frame) != 1 else ''}; forecasts "
                     f"{attrs['since_forecast'] or 'none'} -> "
                     f"{attrs['until_forecast'] or 'none'}."), ""]
    if frame.empty:
        lines.append(md_text("Nothing changed that this summary tracks."))
    for r in frame.head(limit).itertuples(index=False):
        lines.append(f"- {md_text(r.sentence)}")
    if len(frame) > limit:
        counts = frame.iloc[limit:]["kind"].value_counts(sort=False)  # in kind order
        more = ", ".join(f"{n} {k}" for k, n in counts.items())
        lines.append(f"- {md_text(f'and {len(frame) - limit} more ({more})')}")
    if attrs.get("not_available"):
        lines += ["", md_text("Not available (no data to compare): "
                              + ", ".join(attrs["not_available"]) + ".")]
    return "\n".join(lines)

"""What changed between two points of the store's history: ``pmo_nb.changes``.

Two imports (see :mod:`pmo_nb.watch.points` for how ``since`` and ``until``
name them) and the forecasts persisted nearest to them are compared fact by
fact (:mod:`pmo_nb.watch.compare`). Every change states its numbers in a
plain sentence and names its source (the imports and the forecast versions),
as the status narrative does. A fact the store does not hold at either point
(no forecast persisted, an empty decisions table) gives no rows and is named
in ``attrs["not_available"]``: never invented.
"""

from __future__ import annotations

import pandas as pd

from pmo_nb.watch import compare
from pmo_nb.watch.points import Point, forecast_versions, load_points, pick_import

#: Columns of :func:`changes`, in order.
CHANGE_COLUMNS = ("kind", "project_id", "subject", "owner", "before", "after", "delta",
                  "sentence", "source")
#: The kinds of change, in the order :func:`changes` lists them.
CHANGE_KINDS = ("forecast_budget", "forecast_time", "rag", "rebaselined_budget",
                "rebaselined_finish", "risk_new", "risk_closed", "risk_escalated",
                "benefit_off_track", "decision_overdue", "capacity_over", "project_new",
                "project_closed")
#: Kinds whose source is the persisted forecasts (the others come from the imports).
FORECAST_KINDS = ("forecast_budget", "forecast_time")


def changes(store, since, until=None, *, points: float = 10.0) -> pd.DataFrame:
    """The changes between the imports ``since`` and ``until`` (default: the latest).

    Parameters
    ----------
    store : pmo_nb.store.Store
    since, until : int, date, datetime or ISO string
        An import id, or the last import at or before that time (a bare date:
        its end). ``until=None`` is the latest import.
    points : float
        P(over budget) and P(late) changes count when they moved by more than
        this many percentage points.

    Returns
    -------
    pandas.DataFrame
        :data:`CHANGE_COLUMNS`, one row per change, in :data:`CHANGE_KINDS`
        order then ``project_id`` and ``subject``. ``subject`` is what
        changed (project, risk, benefit or decision id; ``TEAM:YYYY-MM`` for
        capacity); ``owner`` who owns it (risk, benefit and decision owners;
        the project's manager, else its sponsor, for project facts and where
        the thing names no owner); ``before`` / ``after`` the values (percent
        for probabilities and utilisation, ISO dates for finishes, words for
        RAG and statuses); ``delta`` their difference where numeric (points,
        money, days). ``attrs``: ``since_import``, ``until_import``,
        ``since_forecast``, ``until_forecast`` (``"<name> v<version>"`` or
        None), ``since_as_of``, ``until_as_of`` and ``not_available`` (kinds).

    Raises
    ------
    ValueError
        When ``since`` or ``until`` names no import, or ``since`` is later.
    pmo_nb.StoreError
        When the store holds no import.
    """
    imports = store.history()
    if imports.empty:
        store.load()  # raises the store's own "holds no portfolio yet"
    first = pick_import(imports, since, "since")
    last = int(imports["import_id"].max()) if until is None else pick_import(imports, until,
                                                                              "until")
    if first > last:
        raise ValueError(f"since (import {first}) is later than until (import {last})")
    versions = forecast_versions(store)
    before, after = load_points(store, imports, (first, since), (last, until), versions)
    return compare_points(before, after, points=points)


def compare_points(before: Point, after: Point, *, points: float = 10.0) -> pd.DataFrame:
    """:func:`changes` of two loaded points (pure: no store access)."""
    people = compare.People(before, after)
    found: dict[str, list[dict] | None] = {}
    found.update(compare.forecasts(before, after, people, points))
    found["rag"] = compare.rag(before, after, people)
    found.update(compare.rebaselined(before, after, people))
    found.update(compare.risks(before, after, people))
    found["benefit_off_track"] = compare.benefits(before, after, people)
    found["decision_overdue"] = compare.decisions(before, after, people)
    found["capacity_over"] = compare.capacity_over(before, after)
    found.update(compare.projects(before, after, people))

    imports = (f"imports {before.import_id} -> {after.import_id} "
               f"({before.started_at:%Y-%m-%d} -> {after.started_at:%Y-%m-%d})")
    forecast = f"forecast {before.forecast_label} -> {after.forecast_label}"
    rows = []
    for kind in CHANGE_KINDS:
        source = f"{imports}; {forecast}" if kind in FORECAST_KINDS else imports
        rows.extend({**r, "source": source} for r in found.get(kind) or ())
    frame = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    if len(frame):
        order = {k: i for i, k in enumerate(CHANGE_KINDS)}
        frame = frame.sort_values(
            ["kind", "project_id", "subject"], key=lambda s: s.map(order) if s.name == "kind"
            else s.fillna(""), kind="stable").reset_index(drop=True)
    frame["delta"] = frame["delta"].astype("float64")
    for col in ("project_id", "owner", "before", "after"):  # None, not NaN, where blank
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame.attrs.update({
        "since_import": before.import_id, "until_import": after.import_id,
        "since_forecast": before.forecast_label, "until_forecast": after.forecast_label,
        "since_as_of": before.as_of, "until_as_of": after.as_of,
        "not_available": [k for k in CHANGE_KINDS if found.get(k) is None],
    })
    return frame

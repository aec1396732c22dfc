"""Cross-column rules of the plan and governance tables (one row at a time).

:func:`plan_row_rules` adds the rules of ``tasks``, ``task_links``,
``requirements``, ``change_requests``, ``decisions`` and ``people`` to the
typed pass of :mod:`pmo_nb.io.validation`; each rule is a per-row "ok"
Series, and a rule comparing cells passes when one of them is empty.
"""

from __future__ import annotations

import pandas as pd

#: An e-mail address as the format accepts it: one @, no spaces, text either side.
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+"


def ok_or_na(result: pd.Series, *cols: pd.Series) -> pd.Series:
    """A row rule passes when any of the cells it compares is empty."""
    missing = pd.concat(cols, axis=1).isna().any(axis=1)
    return result.fillna(False).astype(bool) | missing


def _at_least(later: str, earlier: str):
    return lambda df: ok_or_na(df[later] >= df[earlier], df[later], df[earlier])


def _required_when(column: str, condition):
    return lambda df: ~condition(df).fillna(False).astype(bool) | df[column].notna()


def plan_row_rules(table: str, row_rule) -> None:
    """Add ``table``'s cross-column rules with ``row_rule(fn, text, column, cells)``."""
    if table == "tasks":
        pair = ["duration_low", "duration_high"]
        row_rule(lambda df: df[pair].notna().sum(axis=1).isin([0, 2]),
                 "duration_low, duration_high: give both or neither", ", ".join(pair), pair)
        three = ["duration_low", "duration_likely", "duration_high"]
        low, likely, high = three
        row_rule(lambda df: ok_or_na((df[low] <= df[likely]) & (df[likely] <= df[high]),
                                     *(df[c] for c in three)),
                 "must satisfy duration_low <= duration_likely <= duration_high",
                 ", ".join(three), three)
        row_rule(_required_when("actual_start", lambda df: df["percent_complete"] > 0),
                 "required when percent_complete > 0", "actual_start",
                 ("actual_start", "percent_complete"))
        row_rule(_required_when("actual_finish", lambda df: df["percent_complete"] == 100),
                 "required when percent_complete = 100", "actual_finish",
                 ("actual_finish", "percent_complete"))
        row_rule(_at_least("actual_finish", "actual_start"),
                 "actual_finish must be >= actual_start", "actual_finish",
                 ("actual_finish", "actual_start"))
    elif table == "task_links":
        row_rule(lambda df: (df["predecessor"] != df["successor"]).fillna(True),
                 "a task cannot be linked to itself", "successor", ("successor", "predecessor"))
    elif table == "requirements":
        row_rule(_required_when("removed_date", lambda df: df["status"] == "removed"),
                 "required when status = removed", "removed_date", ("removed_date", "status"))
        row_rule(_at_least("removed_date", "added_date"),
                 "removed_date must be >= added_date", "removed_date",
                 ("removed_date", "added_date"))
    elif table == "change_requests":
        decided = lambda df: df["status"].isin(["approved", "rejected"])  # noqa: E731
        for col in ("decided_date", "decided_by"):
            row_rule(_required_when(col, decided), "required when status is approved or rejected",
                     col, (col, "status"))
        row_rule(_at_least("decided_date", "raised_date"),
                 "decided_date must be >= raised_date", "decided_date",
                 ("decided_date", "raised_date"))
    elif table == "decisions":
        row_rule(_required_when("decided_date", lambda df: df["outcome"].notna()),
                 "required when outcome is given", "decided_date", ("decided_date", "outcome"))
        for col in ("due_date", "decided_date"):
            row_rule(_at_least(col, "date"), f"{col} must be >= date", col, (col, "date"))
    elif table == "people":
        row_rule(lambda df: df["email"].isna() | df["email"].str.fullmatch(EMAIL_PATTERN)
                 .fillna(False).astype(bool),
                 "must be an e-mail address (one @, no spaces)", "email")

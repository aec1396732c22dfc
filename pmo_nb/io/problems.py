"""Problem records and the pandera check ids that map back to the rules they state."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from pmo_nb.errors import PROBLEM_COLUMNS


@dataclass(frozen=True)
class Rule:
    """What a problem says: the column it names and the cells whose text it shows."""

    text: str
    column: str
    cells: tuple[str, ...]


class Rules:
    """Pandera checks carry an id as their error; this maps ids back to rules."""

    def __init__(self) -> None:
        self.by_id: dict[str, Rule] = {}

    def check(self, fn, text: str, column: str, cells=None, **kwargs) -> pa.Check:
        rid = f"rule{len(self.by_id)}"
        self.by_id[rid] = Rule(text, column, tuple(cells or (column,)))
        return pa.Check(fn, error=rid, **kwargs)


def problem(file, table, row=None, column=None, value=None, rule="") -> dict:
    """One problem record, with the columns of :data:`pmo_nb.errors.PROBLEM_COLUMNS`."""
    return dict(file=file, table=table, row=row, column=column, value=value, rule=rule)


def problem_frame(records: list[dict]) -> pd.DataFrame:
    """Problem records as a frame: missing cells None, ``row`` a nullable integer."""
    frame = pd.DataFrame(records, columns=PROBLEM_COLUMNS, dtype=object)
    frame = frame.where(frame.notna(), None)
    frame["row"] = frame["row"].astype("Int64")
    return frame

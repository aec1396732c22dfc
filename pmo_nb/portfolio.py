"""The Portfolio: one typed DataFrame per table, however it was loaded."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields

import pandas as pd

from pmo_nb.memo import per_portfolio
from pmo_nb.schema import TABLE_NAMES, TABLES


@dataclass
class Portfolio:
    """The tables of the interchange format as typed DataFrames.

    Each attribute is a DataFrame with the spec's columns (in spec order and
    dtype) followed by any extra columns the organisation keeps. A table that
    was absent is empty with the right columns. Rows keep the workbook order;
    ids are ordinary columns (not the index) so tables join naturally.
    """

    objectives: pd.DataFrame = field(default_factory=TABLES["objectives"].empty_frame)
    projects: pd.DataFrame = field(default_factory=TABLES["projects"].empty_frame)
    alignment: pd.DataFrame = field(default_factory=TABLES["alignment"].empty_frame)
    status_updates: pd.DataFrame = field(default_factory=TABLES["status_updates"].empty_frame)
    risks: pd.DataFrame = field(default_factory=TABLES["risks"].empty_frame)
    benefits: pd.DataFrame = field(default_factory=TABLES["benefits"].empty_frame)
    benefit_measurements: pd.DataFrame = field(
        default_factory=TABLES["benefit_measurements"].empty_frame
    )
    teams: pd.DataFrame = field(default_factory=TABLES["teams"].empty_frame)
    demand: pd.DataFrame = field(default_factory=TABLES["demand"].empty_frame)
    dependencies: pd.DataFrame = field(default_factory=TABLES["dependencies"].empty_frame)
    tasks: pd.DataFrame = field(default_factory=TABLES["tasks"].empty_frame)
    task_links: pd.DataFrame = field(default_factory=TABLES["task_links"].empty_frame)
    holidays: pd.DataFrame = field(default_factory=TABLES["holidays"].empty_frame)
    requirements: pd.DataFrame = field(default_factory=TABLES["requirements"].empty_frame)
    change_requests: pd.DataFrame = field(default_factory=TABLES["change_requests"].empty_frame)
    decisions: pd.DataFrame = field(default_factory=TABLES["decisions"].empty_frame)
    people: pd.DataFrame = field(default_factory=TABLES["people"].empty_frame)
    #: Where it came from (folder, workbook file or store URL).
    source: str = ""
    #: Notices that are not errors (e.g. extra columns kept as attributes).
    notices: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in spec order."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    @per_portfolio
    def checksum(self) -> str:
        """A short SHA-256 of the tables' contents (order-independent).

        Reports print it so a reader can tell two runs used the same data.
        """
        digest = hashlib.sha256()
        for name, frame in self.tables().items():
            key = list(TABLES[name].key)
            canon = frame.sort_values(key).reset_index(drop=True) if len(frame) else frame
            canon = canon[sorted(canon.columns)]
            digest.update(name.encode())
            digest.update(canon.to_csv(index=False, date_format="%Y-%m-%d").encode())
        return digest.hexdigest()[:16]

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(getattr(self, n))}" for n in TABLE_NAMES)
        return f"Portfolio({self.source!r}: {counts})"


assert [f.name for f in fields(Portfolio)][: len(TABLE_NAMES)] == list(TABLE_NAMES)

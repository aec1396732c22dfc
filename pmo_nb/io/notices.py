"""Notices about a valid portfolio: facts that are allowed but look like mistakes."""

from __future__ import annotations

import pandas as pd

from pmo_nb.portfolio import Portfolio


def early_measurements(portfolio: Portfolio, rows: dict[str, pd.Index],
                       locations: dict[str, str]) -> list[str]:
    """One notice per benefit measurement dated before its project's ``start_date``.

    ``rows`` and ``locations`` give each table's spreadsheet row numbers (by
    position) and file, as :func:`pmo_nb.io.validation.validate` read them.
    """
    measured = portfolio.benefit_measurements
    if measured.empty or "benefit_measurements" not in rows:
        return []
    project = measured["benefit_id"].map(
        portfolio.benefits.drop_duplicates("benefit_id").set_index("benefit_id")["project_id"]
        .to_dict())
    starts = portfolio.projects.drop_duplicates("project_id").set_index("project_id")
    start = pd.to_datetime(project.map(starts["start_date"].to_dict()))
    early = (measured["date"] < start).fillna(False).to_numpy(dtype=bool)
    where = locations["benefit_measurements"]
    numbers = rows["benefit_measurements"]
    return [
        f"{where}, row {int(numbers[i])}: benefit {measured['benefit_id'].iat[i]} measured on "
        f"{measured['date'].iat[i]:%Y-%m-%d}, before its project {project.iat[i]} starts "
        f"(start_date {start.iat[i]:%Y-%m-%d})"
        for i in early.nonzero()[0]
    ]

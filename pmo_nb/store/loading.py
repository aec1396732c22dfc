"""One entry point for a portfolio, wherever it is kept: a workbook or a store."""

from __future__ import annotations

import os
from pathlib import Path

from pmo_nb.io.reading import read_workbook
from pmo_nb.io.validation import validate
from pmo_nb.portfolio import Portfolio
from pmo_nb.store.core import Store


def is_workbook(source: str | os.PathLike) -> bool:
    """True when ``source`` is a CSV folder or an ``.xlsx`` file (not a store)."""
    path = Path(source)
    return path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm")


def load_portfolio(source: str | os.PathLike | None = None, *, as_of=None) -> Portfolio:
    """Load a portfolio from a workbook or from the store.

    Parameters
    ----------
    source : str or path, optional
        A folder of CSV files, an ``.xlsx`` workbook, or a store (SQLite file
        path or SQLAlchemy URL). ``None`` means the default store
        (``PMO_DB`` or ``./portfolio.db``).
    as_of : date-like, optional
        For a store: the portfolio as it stood at that time (its history).

    Raises
    ------
    pmo_nb.ValidationError
        When a workbook breaks the format's rules; it lists every problem.
    """
    if source is not None and is_workbook(source):
        return validate(read_workbook(source))
    return Store(source).load(as_of=as_of)

"""What every chart builder shares: argument checks, sizes, colours with a meaning."""

from __future__ import annotations

import functools

import pandas as pd

from pmo_nb.charts.reading import HOW_TO_READ
from pmo_nb.formatting import labelled

#: Colours with a meaning, used the same way in every chart.
RAG_COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "unreported": "#9e9e9e"}

WIDTH = 420
HEIGHT = 220


def check_frame(data: pd.DataFrame, columns: list[str], what: str) -> None:
    """Raise ValueError unless ``data`` is a DataFrame holding ``columns``."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{what}: expected a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; got {list(data.columns)}")


def check_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive, got {width}x{height}")


def id_labels(ids, names=None) -> pd.Series:
    """``"P0042 Payments hub"`` for each of ``ids``: what an axis or tooltip shows.

    ``names`` maps id -> name (a Series or dict); an id without a name is
    shown alone. The id stays beside the name so a reader can find the row in
    the register, and the name says what it is (issue #18: no bare ids). One
    path with the briefings' sentences: :func:`pmo_nb.formatting.labelled`.
    """
    lookup = None if names is None else {str(k): v for k, v in dict(names).items()}
    return pd.Series([labelled(i, lookup) for i in ids], dtype="object")


def reads(build):
    """Decorate a chart builder so its chart carries its "how to read this" line.

    The line (:data:`pmo_nb.charts.reading.HOW_TO_READ`, by the builder's name)
    becomes the chart's ``description``; :func:`pmo_nb.charts.show` prints it
    under the chart. A chart given its own ``description`` keeps it.
    """
    line = HOW_TO_READ[build.__name__]

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        chart = build(*args, **kwargs)
        if not isinstance(getattr(chart, "description", None), str):
            chart = chart.properties(description=line)
        return chart
    wrapper.how_to_read = line
    return wrapper

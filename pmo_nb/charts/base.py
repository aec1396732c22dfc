"""What every chart builder shares: argument checks, sizes, colours with a meaning."""

from __future__ import annotations

import pandas as pd

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



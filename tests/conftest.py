"""Shared fixtures: a small seeded demo portfolio and a store holding it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

#: The reporting date the small demo is built around (fixed, so tests reproduce).
DEMO_AS_OF = pd.Timestamp("2026-06-30")


def chromium_path() -> str | None:
    """Debian's Chromium, which the browser tests drive, or None when missing."""
    path = "/usr/bin/chromium"
    return path if Path(path).exists() or shutil.which("chromium") else None


@pytest.fixture(scope="session")
def demo_small():
    """A seeded demo Portfolio small enough for fast tests (about 60 projects)."""
    from pmo_nb.demo import demo_portfolio

    return demo_portfolio(n_projects=60, seed=7, as_of=DEMO_AS_OF)


@pytest.fixture(scope="session")
def demo_db(demo_small, tmp_path_factory) -> str:
    """Path of an SQLite store file holding :func:`demo_small` (read-only use)."""
    from pmo_nb.store import Store

    path = tmp_path_factory.mktemp("store") / "portfolio.db"
    Store(path).import_portfolio(demo_small, source="demo", file_checksums={})
    return str(path)

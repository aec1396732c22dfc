"""Shared fixtures: a small seeded demo portfolio and a store holding it."""

from __future__ import annotations

import pandas as pd
import pytest
from browser_util import chromium_path

#: The reporting date the small demo is built around (fixed, so tests reproduce).
DEMO_AS_OF = pd.Timestamp("2026-06-30")


@pytest.fixture(scope="session")
def demo_small():
    """A seeded demo Portfolio small enough for fast tests (about 60 projects)."""
    from pmo_nb.demo.generator import demo_portfolio

    return demo_portfolio(n_projects=60, seed=7, as_of=DEMO_AS_OF)


@pytest.fixture(scope="session")
def demo_db(demo_small, tmp_path_factory) -> str:
    """Path of an SQLite store file holding :func:`demo_small` (read-only use).

    Shared by many tests, so nothing may write to it (a persisted forecast
    would change what later tests see): use :func:`demo_db_copy` to write.
    """
    from pmo_nb.store.core import Store

    path = tmp_path_factory.mktemp("store") / "portfolio.db"
    Store(path).import_portfolio(demo_small, source="demo", file_checksums={})
    yield str(path)
    store = Store(path)
    assert len(store.history()) == 1 and store.list_results().empty, (
        "a test wrote to the shared demo_db; give it demo_db_copy instead")


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's), launched once for every browser test."""
    from browser_util import CHROMIUM_ARGS

    if chromium_path() is None:
        pytest.skip("Chromium not found at /usr/bin/chromium (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

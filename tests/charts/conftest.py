"""Tests of pmo_nb.charts: chart builders and how charts are shown offline."""

from __future__ import annotations

import pytest

from pmo_nb.charts import display


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path):
    """Keep the offline-bundle cache of these tests out of the user's cache folder."""
    monkeypatch.setenv(display.CACHE_ENV, str(tmp_path / "cache"))

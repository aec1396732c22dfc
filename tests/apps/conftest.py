"""Tests of pmo_nb.apps: the Voila apps, their widgets and `pmo serve` (browser tests too)."""

from browser_util import page, server, serving_options, store_path  # noqa: F401  (fixtures)

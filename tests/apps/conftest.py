"""Tests of pmo_nb.apps: the Voila apps, their widgets and `pmo serve` (browser tests too)."""

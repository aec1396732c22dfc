"""Tests of pmo_nb.briefings: the status narrative, insights and the review pack."""

from watch_support import clock  # noqa: F401  (fixture: the store clock, for the changes brief)

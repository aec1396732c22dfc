"""Tests of pmo_nb.demo: the seeded demo portfolio."""

"""Tests of pmo_nb.prioritise: scoring, AHP, selection, frontier, confidence, scenarios."""

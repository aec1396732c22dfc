"""Tests of pmo_nb.forecast: the reference-class model, its backtest, the stored results."""

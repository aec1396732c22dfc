"""Tests of pmo_nb.charts: chart builders and how charts are shown offline."""

"""Tests of pmo_nb.delivery: the overview and earned value."""

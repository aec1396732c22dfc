"""Tests of pmo_nb.briefings: the status narrative, insights and the review pack."""

"""Tests of pmo_nb.benefits: status against plan, trend forecasts, views."""

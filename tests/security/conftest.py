"""Tests that attack pmo_nb as an outsider would: hostile text in every table and page."""

"""Tests of pmo_nb.io: reading CSV/XLSX workbooks, the format's rules, writing them back."""

"""Tests of pmo_nb.digests: digest content, rendering, SMTP and webhook delivery, the CLI.

Shared builders and servers live in digests_support.py (imported by name)."""

"""Tests of pmo_nb.store: the versioned store on SQLite and PostgreSQL, migrations, export.

Shared store helpers live beside the root conftest (store_fixtures, store_worker, pg_cluster),
because the CLI tests use them too."""

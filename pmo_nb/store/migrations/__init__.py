"""Alembic migrations of the store's SQL schema (run by :meth:`pmo_nb.store.core.Store.upgrade`).

Shipped inside the package so that an installed pmo_nb can upgrade the
stores it finds (``pmo db upgrade``). Revisions are plain modules in
``versions/``, numbered ``0001``, ``0002``, ...; each one is frozen once
released (it states the tables as they were then, never imports today's).
"""

"""Alembic environment: migrate the connection the store hands over.

:meth:`pmo_nb.store.core.Store.upgrade` opens the write transaction (holding the
store's writer lock), puts the connection in ``config.attributes`` and runs
``alembic upgrade``; the migrations then run inside that one transaction.
Run by hand (``alembic -c ...``) it connects to ``sqlalchemy.url`` itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from pmo_nb.store.tables import METADATA


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=METADATA)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)

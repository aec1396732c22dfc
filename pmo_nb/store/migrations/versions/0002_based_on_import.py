"""Record what each import was based on, index versions by import, name the store.

- ``import_log.based_on_import``: the import an analyst's workbook was
  exported from (``pmo import --based-on N`` or the workbook's ``_export``
  sheet); the store merges against it and refuses conflicting changes.
- ``ix_<table>_import_id`` on every data table: finding the rows that later
  imports changed (the conflict check) reads versions by ``_import_id``.
- ``meta`` gains ``store_id`` (a random id, so an export re-imported into
  another store is not merged against an unrelated import) and
  ``schema_version`` becomes 2, which pmo_nb releases from before Alembic
  read and then refuse to write.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DATA_TABLES = ("objectives", "projects", "alignment", "status_updates", "risks", "benefits",
               "benefit_measurements", "teams", "demand", "dependencies")
_meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))


def upgrade() -> None:
    op.add_column("import_log", sa.Column("based_on_import", sa.Integer(), nullable=True))
    for name in DATA_TABLES:
        op.create_index(f"ix_{name}_import_id", name, ["_import_id"], unique=False)
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="2"))
    op.execute(_meta.insert().values(key="store_id", value=uuid.uuid4().hex))


def downgrade() -> None:
    op.execute(_meta.delete().where(_meta.c.key == "store_id"))
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="1"))
    for name in DATA_TABLES:
        op.drop_index(f"ix_{name}_import_id", table_name=name)
    with op.batch_alter_table("import_log") as batch:
        batch.drop_column("based_on_import")

"""Plans and governance: seven new tables, and the task a risk delays.

- ``tasks``, ``task_links``, ``holidays``, ``requirements``,
  ``change_requests``, ``decisions``, ``people``: created empty, with the
  bookkeeping columns and indexes of every data table.
- ``risks.task_id``: a new nullable column; rows stored before keep their
  values and their ``_row_hash`` (the store leaves an empty ``task_id`` out
  of the hash), so re-importing the same workbook changes nothing.

Downgrade drops the new tables and the column (their rows are lost).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

T, N, D, B = sa.Text, sa.Double, sa.Date, sa.Boolean
#: table -> (key columns, spec columns) as the format stands at this revision
TABLES = {
    "tasks": (("task_id",), [
        ("task_id", T), ("project_id", T), ("name", T), ("duration_likely", N),
        ("duration_low", N), ("duration_high", N), ("team_id", T), ("percent_complete", N),
        ("actual_start", D), ("actual_finish", D)]),
    "task_links": (("predecessor", "successor"), [
        ("predecessor", T), ("successor", T), ("type", T), ("lag", N)]),
    "holidays": (("date",), [("date", D), ("name", T)]),
    "requirements": (("requirement_id",), [
        ("requirement_id", T), ("project_id", T), ("title", T), ("size", N), ("priority", T),
        ("status", T), ("baseline", B), ("added_date", D), ("removed_date", D),
        ("change_id", T)]),
    "change_requests": (("change_id",), [
        ("change_id", T), ("project_id", T), ("title", T), ("raised_date", D), ("status", T),
        ("decided_date", D), ("decided_by", T), ("cost_impact", N),
        ("schedule_impact_days", N), ("scope_impact", N), ("benefit_impact", N),
        ("benefit_id", T), ("reason", T)]),
    "decisions": (("decision_id",), [
        ("decision_id", T), ("date", D), ("forum", T), ("title", T), ("project_id", T),
        ("kind", T), ("outcome", T), ("stage_to", T), ("owner", T), ("due_date", D),
        ("decided_date", D), ("status", T)]),
    "people": (("name",), [("name", T), ("email", T), ("role", T), ("digest", T)]),
}


def upgrade() -> None:
    for name, (key, columns) in TABLES.items():
        op.create_table(
            name,
            sa.Column("_rowid", sa.Integer(), autoincrement=True, nullable=False),
            *(sa.Column(c, t(), nullable=c not in key) for c, t in columns),
            sa.Column("_extra", sa.Text(), nullable=True),
            sa.Column("_row_hash", sa.String(length=32), nullable=False),
            sa.Column("_valid_from", sa.DateTime(), nullable=False),
            sa.Column("_valid_to", sa.DateTime(), nullable=True),
            sa.Column("_import_id", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("_rowid"),
        )
        op.create_index(f"ix_{name}_key", name, [*key, "_valid_to"], unique=False)
        op.create_index(f"ix_{name}_import_id", name, ["_import_id"], unique=False)
    op.add_column("risks", sa.Column("task_id", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("risks") as batch:
        batch.drop_column("task_id")
    for name in reversed(TABLES):
        op.drop_table(name)

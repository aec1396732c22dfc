"""Push: the alert log and the digest log.

- ``alert_log``: one row per alert episode. A rule's condition that starts
  holding for a subject opens a row (``raised_at``); when it stops holding the
  same row is closed (``cleared_at``), so an alert is raised once and cleared
  once, not repeated on every run.
- ``digest_log``: one row per person and period a digest was built for, with
  its delivery status and attempts, so a rerun does not send it again and a
  failed delivery is retried on the next run.

Both are created empty; downgrade drops them (their rows are lost).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_log",
        sa.Column("alert_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("raised_as_of", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Double(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("cleared_as_of", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    op.create_index("ix_alert_log_open", "alert_log", ["rule", "subject", "cleared_at"],
                    unique=False)
    op.create_table(
        "digest_log",
        sa.Column("_rowid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("_rowid"),
        sa.UniqueConstraint("person", "period", "channel", name="uq_digest_log_person_period"),
    )


def downgrade() -> None:
    op.drop_table("digest_log")
    op.drop_index("ix_alert_log_open", table_name="alert_log")
    op.drop_table("alert_log")

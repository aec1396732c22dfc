"""Baseline: the store as pmo_nb wrote it before Alembic (meta schema_version 1).

Frozen copy of the tables of that version; stores made by it have no
``alembic_version`` table and are treated as being at this revision.

Revision ID: 0001
Revises: -
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: table -> (key columns, spec columns) as the format stood at this revision
TABLES = {
    "objectives": (("objective_id",), [
        ("objective_id", sa.Text), ("name", sa.Text), ("weight", sa.Double),
        ("description", sa.Text)]),
    "projects": (("project_id",), [
        ("project_id", sa.Text), ("name", sa.Text), ("category", sa.Text), ("stage", sa.Text),
        ("sponsor", sa.Text), ("manager", sa.Text), ("start_date", sa.Date),
        ("finish_date", sa.Date), ("budget", sa.Double), ("mandatory", sa.Boolean),
        ("actual_finish_date", sa.Date), ("actual_cost", sa.Double),
        ("business_value", sa.Double), ("time_criticality", sa.Double),
        ("risk_reduction", sa.Double), ("job_size", sa.Double), ("reach", sa.Double),
        ("impact", sa.Double), ("confidence", sa.Double), ("effort", sa.Double)]),
    "alignment": (("project_id", "objective_id"), [
        ("project_id", sa.Text), ("objective_id", sa.Text), ("score", sa.Double)]),
    "status_updates": (("project_id", "as_of"), [
        ("project_id", sa.Text), ("as_of", sa.Date), ("percent_complete", sa.Double),
        ("actual_cost", sa.Double), ("planned_value", sa.Double), ("earned_value", sa.Double),
        ("rag", sa.Text), ("commentary", sa.Text)]),
    "risks": (("risk_id",), [
        ("risk_id", sa.Text), ("project_id", sa.Text), ("title", sa.Text),
        ("category", sa.Text), ("probability", sa.Double), ("cost_low", sa.Double),
        ("cost_likely", sa.Double), ("cost_high", sa.Double), ("delay_low", sa.Double),
        ("delay_likely", sa.Double), ("delay_high", sa.Double), ("status", sa.Text),
        ("owner", sa.Text), ("mitigation", sa.Text), ("mitigated_probability", sa.Double)]),
    "benefits": (("benefit_id",), [
        ("benefit_id", sa.Text), ("project_id", sa.Text), ("objective_id", sa.Text),
        ("name", sa.Text), ("unit", sa.Text), ("direction", sa.Text), ("baseline", sa.Double),
        ("target", sa.Double), ("realisation_start", sa.Date), ("target_date", sa.Date),
        ("owner", sa.Text)]),
    "benefit_measurements": (("benefit_id", "date"), [
        ("benefit_id", sa.Text), ("date", sa.Date), ("value", sa.Double)]),
    "teams": (("team_id",), [
        ("team_id", sa.Text), ("name", sa.Text), ("capacity_fte", sa.Double)]),
    "demand": (("project_id", "team_id", "month"), [
        ("project_id", sa.Text), ("team_id", sa.Text), ("month", sa.Text), ("fte", sa.Double)]),
    "dependencies": (("project_id", "depends_on"), [
        ("project_id", sa.Text), ("depends_on", sa.Text), ("lag_days", sa.Double)]),
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
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.bulk_insert(meta, [{"key": "schema_version", "value": "1"}])
    op.create_table(
        "import_log",
        sa.Column("import_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("file_checksums", sa.Text(), nullable=True),
        sa.Column("row_counts", sa.Text(), nullable=True),
        sa.Column("data_checksum", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("import_id"),
    )
    op.create_table(
        "results",
        sa.Column("_rowid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("frame", sa.Text(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("attrs", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("_rowid"),
    )
    op.create_index("ix_results_kind_name", "results", ["kind", "name", "version"],
                    unique=False)


def downgrade() -> None:
    for name in ("results", "import_log", "meta", *reversed(TABLES)):
        op.drop_table(name)

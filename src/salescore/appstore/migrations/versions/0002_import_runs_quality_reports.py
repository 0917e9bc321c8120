"""Import runs and data quality reports.

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-01

One row per import of one canonical table (what was read, inserted, updated, left unchanged and
rejected, and how the run ended), and the quality reports made after imports or on demand.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("finished_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("mapping", sa.String(200), nullable=True),
        sa.Column("read_rows", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("rejects_file", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
        sa.CheckConstraint(
            "status IN ('loaded', 'aborted', 'failed')", name=op.f("ck_import_runs_status")
        ),
    )
    op.create_index(op.f("ix_import_runs_started_at"), "import_runs", ["started_at"])

    op.create_table(
        "quality_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("import_run_id", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_reports")),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_runs.id"],
            name=op.f("fk_quality_reports_import_run_id_import_runs"),
            ondelete="SET NULL",
        ),
    )
    op.create_index(op.f("ix_quality_reports_import_run_id"), "quality_reports", ["import_run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_quality_reports_import_run_id"), table_name="quality_reports")
    op.drop_table("quality_reports")
    op.drop_index(op.f("ix_import_runs_started_at"), table_name="import_runs")
    op.drop_table("import_runs")

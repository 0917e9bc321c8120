"""The records behind each stored rep score.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

One row per plan version, period and rep: the KPI explanations with their rows, packed, as they
were when the period was scored (replaced whenever it is scored again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "score_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(64), nullable=False),
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_records")),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_score_records_plan_version_id_plan_versions"),
        ),
        sa.UniqueConstraint(
            "plan_version_id",
            "period",
            "rep_id",
            name=op.f("uq_score_records_plan_version_id_period_rep_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("score_records")

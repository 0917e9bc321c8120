"""Materialised scores.

Revision ID: 0003
Revises: 0002
Create Date: 2025-06-15

One row per plan version, period and subject (a rep or a team): the score, rating, ranks,
coverage and, as JSON, the breakdown into lines. The key is unique so that re-scoring a period
replaces its rows rather than adding to them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(64), nullable=False),
        sa.Column("subject_kind", sa.String(8), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rating", sa.String(64), nullable=True),
        sa.Column("rank_team", sa.Integer(), nullable=True),
        sa.Column("rank_company", sa.Integer(), nullable=True),
        sa.Column("coverage", sa.Float(), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column("computed_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scores")),
        # No cascade: plan versions are history and are never deleted.
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_scores_plan_version_id_plan_versions"),
        ),
        sa.UniqueConstraint(
            "plan_version_id",
            "period",
            "subject_kind",
            "subject_id",
            name=op.f("uq_scores_plan_version_id_period_subject_kind_subject_id"),
        ),
        sa.CheckConstraint(
            "subject_kind IN ('rep', 'team')", name=op.f("ck_scores_subject_kind")
        ),
        sa.CheckConstraint("status IN ('ok', 'no_data')", name=op.f("ck_scores_status")),
    )
    op.create_index(
        op.f("ix_scores_period_subject_kind_subject_id"),
        "scores",
        ["period", "subject_kind", "subject_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_scores_period_subject_kind_subject_id"), table_name="scores")
    op.drop_table("scores")

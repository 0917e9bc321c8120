"""Models as records (issue 12): the trained models, versioned per kind, with their training
window, features, parameters, metrics and data stamp (no fitted estimator: refitted on demand).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ml_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("enough", sa.Boolean(), nullable=False),
        sa.Column("window_start", UTC_TIMESTAMP, nullable=True),
        sa.Column("cutoff", UTC_TIMESTAMP, nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("note", sa.JSON(), nullable=False),
        sa.Column("data_stamp", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("trained_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("trained_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ml_models")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_ml_models_kind_version")),
        sa.CheckConstraint("kind IN ('win', 'forecast', 'attainment', 'potential')",
                           name=op.f("ck_ml_models_kind")),
    )


def downgrade() -> None:
    op.drop_table("ml_models")

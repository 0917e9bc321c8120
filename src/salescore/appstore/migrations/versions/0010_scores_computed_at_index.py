"""An index on ``scores.computed_at``: the pages' data stamp asks when a stored score last
changed (at most once a second in a server), which without it reads every score's row, JSON
breakdown included (7 ms on the medium demo's 8,818 scores).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_scores_computed_at"), "scores", ["computed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_scores_computed_at"), table_name="scores")

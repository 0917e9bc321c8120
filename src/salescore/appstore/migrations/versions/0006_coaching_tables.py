"""The coaching loop: feedback, requests for feedback, notes, 1:1 check-ins and actions, 360
review cycles and their answers, and kudos for assists.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
NAME = 64


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "coaching_requests",
        _id(),
        sa.Column("requester", sa.String(NAME), nullable=False),
        sa.Column("rep_id", sa.String(NAME), nullable=False),
        sa.Column("asked", sa.String(NAME), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("kpi", sa.String(NAME), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("status IN ('open', 'answered', 'declined')",
                           name=op.f("ck_coaching_requests_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_requests")),
    )
    op.create_index(op.f("ix_coaching_requests_requester"), "coaching_requests",
                    ["requester"])
    op.create_index(op.f("ix_coaching_requests_asked"), "coaching_requests", ["asked"])
    op.create_table(
        "coaching_feedback",
        _id(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("author", sa.String(NAME), nullable=False),
        sa.Column("author_rep_id", sa.String(NAME), nullable=True),
        sa.Column("recipient_rep_id", sa.String(NAME), nullable=False),
        sa.Column("recipient_team_id", sa.String(NAME), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kpi", sa.String(NAME), nullable=True),
        sa.Column("plan", sa.String(NAME), nullable=True),
        sa.Column("period", sa.String(NAME), nullable=True),
        sa.Column("opportunity_id", sa.String(NAME), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("kind IN ('feedback', 'praise', 'note')",
                           name=op.f("ck_coaching_feedback_kind")),
        sa.CheckConstraint("visibility IN ('private', 'team', 'author')",
                           name=op.f("ck_coaching_feedback_visibility")),
        sa.ForeignKeyConstraint(["request_id"], ["coaching_requests.id"],
                                name=op.f("fk_coaching_feedback_request_id_coaching_requests"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_feedback")),
    )
    op.create_index(op.f("ix_coaching_feedback_author"), "coaching_feedback", ["author"])
    op.create_index(op.f("ix_coaching_feedback_recipient_rep_id_created_at"),
                    "coaching_feedback", ["recipient_rep_id", "created_at"])
    op.create_table(
        "checkin_cadences",
        _id(),
        sa.Column("manager", sa.String(NAME), nullable=False),
        sa.Column("rep_id", sa.String(NAME), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("every_days > 0", name=op.f("ck_checkin_cadences_every_days")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_cadences")),
        sa.UniqueConstraint("manager", "rep_id", name=op.f("uq_checkin_cadences_manager_rep_id")),
    )
    op.create_table(
        "checkins",
        _id(),
        sa.Column("manager", sa.String(NAME), nullable=False),
        sa.Column("rep_id", sa.String(NAME), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("held_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("talking_points", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("pulse", sa.Integer(), nullable=True),
        sa.Column("pulse_comment", sa.Text(), nullable=True),
        sa.Column("manager_note", sa.Text(), nullable=True),
        sa.Column("rep_note", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("status IN ('planned', 'held', 'cancelled')",
                           name=op.f("ck_checkins_status")),
        sa.CheckConstraint("pulse IS NULL OR (pulse >= 1 AND pulse <= 5)",
                           name=op.f("ck_checkins_pulse")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    op.create_index(op.f("ix_checkins_rep_id"), "checkins", ["rep_id"])
    op.create_index(op.f("ix_checkins_manager_rep_id_scheduled_for"), "checkins",
                    ["manager", "rep_id", "scheduled_for"])
    op.create_table(
        "checkin_actions",
        _id(),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("manager", sa.String(NAME), nullable=False),
        sa.Column("rep_id", sa.String(NAME), nullable=False),
        sa.Column("owner", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(NAME), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("done_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("done_by", sa.String(NAME), nullable=True),
        sa.CheckConstraint("owner IN ('rep', 'manager')", name=op.f("ck_checkin_actions_owner")),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"],
                                name=op.f("fk_checkin_actions_checkin_id_checkins"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_actions")),
    )
    op.create_index(op.f("ix_checkin_actions_manager_rep_id"), "checkin_actions",
                    ["manager", "rep_id"])
    op.create_table(
        "review_cycles",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("period", sa.String(NAME), nullable=False),
        sa.Column("team_id", sa.String(NAME), nullable=True),
        sa.Column("kinds", sa.String(NAME), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(NAME), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_review_cycles_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cycles")),
    )
    op.create_table(
        "review_answers",
        _id(),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(NAME), nullable=False),
        sa.Column("reviewer_rep_id", sa.String(NAME), nullable=True),
        sa.Column("reviewee", sa.String(NAME), nullable=True),
        sa.Column("reviewee_rep_id", sa.String(NAME), nullable=True),
        sa.Column("collaboration", sa.Integer(), nullable=True),
        sa.Column("communication", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("review_id", sa.String(NAME), nullable=True),
        sa.CheckConstraint("kind IN ('self', 'peer', 'manager', 'upward')",
                           name=op.f("ck_review_answers_kind")),
        sa.CheckConstraint(
            "collaboration IS NULL OR (collaboration >= 1 AND collaboration <= 5)",
            name=op.f("ck_review_answers_collaboration")),
        sa.CheckConstraint(
            "communication IS NULL OR (communication >= 1 AND communication <= 5)",
            name=op.f("ck_review_answers_communication")),
        sa.ForeignKeyConstraint(["cycle_id"], ["review_cycles.id"],
                                name=op.f("fk_review_answers_cycle_id_review_cycles"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_answers")),
    )
    op.create_index(op.f("ix_review_answers_reviewer"), "review_answers", ["reviewer"])
    op.create_index(op.f("ix_review_answers_cycle_id"), "review_answers", ["cycle_id"])
    op.create_index(op.f("ix_review_answers_reviewee_rep_id"), "review_answers",
                    ["reviewee_rep_id"])
    op.create_table(
        "coaching_kudos",
        _id(),
        sa.Column("author", sa.String(NAME), nullable=False),
        sa.Column("author_rep_id", sa.String(NAME), nullable=True),
        sa.Column("helper_rep_id", sa.String(NAME), nullable=False),
        sa.Column("helped_rep_id", sa.String(NAME), nullable=False),
        sa.Column("helper_team_id", sa.String(NAME), nullable=True),
        sa.Column("helped_team_id", sa.String(NAME), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("opportunity_id", sa.String(NAME), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("assist_id", sa.String(NAME), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "kind IN ('referral', 'joint_visit', 'knowledge_share', 'handover')",
            name=op.f("ck_coaching_kudos_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_kudos")),
    )
    op.create_index(op.f("ix_coaching_kudos_author"), "coaching_kudos", ["author"])
    op.create_index(op.f("ix_coaching_kudos_created_at"), "coaching_kudos", ["created_at"])


def downgrade() -> None:
    op.drop_table("coaching_kudos")
    op.drop_table("review_answers")
    op.drop_table("review_cycles")
    op.drop_table("checkin_actions")
    op.drop_table("checkins")
    op.drop_table("checkin_cadences")
    op.drop_table("coaching_feedback")
    op.drop_table("coaching_requests")

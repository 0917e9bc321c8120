"""Web sessions, log-in attempts, and unique lower-case e-mail addresses.

Revision ID: 0004
Revises: 0003
Create Date: 2025-07-01

``web_sessions`` keeps a signed-in browser (the SHA-256 of its id, never the id); ``login_attempts``
each password log-in (never the password), which throttles repeated failures per account and per
address. Users' e-mail addresses are lower-cased and made unique (several users may still have
none); two users who already share an address stop the migration with both names, and nothing is
changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from salescore.core.errors import StoreError

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def _lower_case_emails() -> None:
    bind = op.get_bind()
    shared = bind.execute(
        sa.text(
            "SELECT lower(email), min(username), max(username) FROM users "
            "WHERE email IS NOT NULL GROUP BY lower(email) HAVING count(*) > 1"
        )
    ).first()
    if shared is not None:
        email, first, second = shared
        raise StoreError(
            f"users {first!r} and {second!r} share the e-mail address {email!r}, which must be "
            "unique from now on; give one of them another address (or none) and open the app "
            "store again: nothing was changed",
            message_zh=f"用户 {first!r} 与 {second!r} 的电子邮箱 {email!r} 相同，邮箱须唯一；"
            "请修改其中一个后重新打开应用库：未做任何更改",
        )
    bind.execute(sa.text("UPDATE users SET email = lower(email) WHERE email IS NOT NULL"))


def upgrade() -> None:
    _lower_case_emails()
    with op.batch_alter_table("users") as batch:
        batch.create_unique_constraint(op.f("uq_users_email"), ["email"])

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.Column("ended_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("session_hash", name=op.f("uq_web_sessions_session_hash")),
        sa.CheckConstraint(
            "end_reason IN ('logout', 'rotated', 'idle', 'expired', 'password', 'role', "
            "'inactive', 'reset')",
            name=op.f("ck_web_sessions_end_reason"),
        ),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])

    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("login", sa.String(320), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_login_attempts_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            "outcome IN ('ok', 'failed', 'throttled')", name=op.f("ck_login_attempts_outcome")
        ),
    )
    op.create_index(op.f("ix_login_attempts_login_at"), "login_attempts", ["login", "at"])
    op.create_index(op.f("ix_login_attempts_user_id_at"), "login_attempts", ["user_id", "at"])
    op.create_index(op.f("ix_login_attempts_address_at"), "login_attempts", ["address", "at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_login_attempts_address_at"), table_name="login_attempts")
    op.drop_index(op.f("ix_login_attempts_user_id_at"), table_name="login_attempts")
    op.drop_index(op.f("ix_login_attempts_login_at"), table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_index(op.f("ix_web_sessions_expires_at"), table_name="web_sessions")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_email"), type_="unique")

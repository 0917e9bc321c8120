"""Real-time feedback: event versions, alert rules and states, alerts, notification channels
(encrypted webhook URLs and secrets) and deliveries (in-app notifications and dead letters).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
KINDS = "('wecom', 'dingtalk', 'feishu', 'email', 'inapp')"


def upgrade() -> None:
    op.create_table(
        "event_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("record_key", sa.String(255), nullable=False),
        sa.Column("event_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_versions")),
        sa.UniqueConstraint("table_name", "record_key",
                            name=op.f("uq_event_versions_table_name_record_key")),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_rules_name")),
    )
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_name", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_raised_at", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_states")),
        sa.UniqueConstraint("rule_name", "subject_id",
                            name=op.f("uq_alert_states_rule_name_subject_id")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_name", sa.String(64), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("raised_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("deliver_after", UTC_TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.CheckConstraint("status IN ('pending', 'delivered')", name=op.f("ck_alerts_status")),
    )
    op.create_index(op.f("ix_alerts_rule_name"), "alerts", ["rule_name"])
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_notification_channels_name")),
        sa.CheckConstraint(f"kind IN {KINDS}", name=op.f("ck_notification_channels_kind")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("sent_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("read_at", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"],
                                name=op.f("fk_deliveries_alert_id_alerts"), ondelete="SET NULL"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'dead')",
                           name=op.f("ck_deliveries_status")),
        sa.CheckConstraint(f"channel IN {KINDS}", name=op.f("ck_deliveries_channel")),
    )
    op.create_index(op.f("ix_deliveries_status_next_attempt_at"), "deliveries",
                    ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_deliveries_status_next_attempt_at"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("notification_channels")
    op.drop_index(op.f("ix_alerts_rule_name"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("alert_states")
    op.drop_table("alert_rules")
    op.drop_table("event_versions")

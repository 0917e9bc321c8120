"""The app store's tables of real-time feedback (issue 14): the newest event time of each
record, alert rules and their state, raised alerts, notification channels (their webhook URL
and secret encrypted) and deliveries (in-app notifications, and the dead-letter list).

Imported at the end of :mod:`salescore.appstore.models`, so that ``Base.metadata`` holds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from salescore.appstore.models import NAME, TITLE, Base, _one_of
from salescore.appstore.timestamps import utcnow

DeliveryStatus = Literal["pending", "sent", "dead"]
ChannelKind = Literal["wecom", "dingtalk", "feishu", "email", "inapp"]
AlertStatus = Literal["pending", "delivered"]

DELIVERY_STATUSES: tuple[DeliveryStatus, ...] = get_args(DeliveryStatus)
CHANNEL_KINDS: tuple[ChannelKind, ...] = get_args(ChannelKind)
ALERT_STATUSES: tuple[AlertStatus, ...] = get_args(AlertStatus)
KEY = 255  # a record's key as an event names it (several columns joined)


class EventVersion(Base):
    """The event time of the newest accepted event of one record (table and key): an event
    about the record that is not newer is not applied again."""

    __tablename__ = "event_versions"
    __table_args__ = (UniqueConstraint("table_name", "record_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(NAME))
    record_key: Mapped[str] = mapped_column(String(KEY))
    event_at: Mapped[datetime] = mapped_column()


class AlertRuleRow(Base):
    """One alert rule as declared (``spec``: the validated rule, as JSON), and who set it."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column()
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(NAME))


class AlertState(Base):
    """Whether one rule's condition holds for one subject now, and when it was last raised:
    an alert is raised when it starts to hold (once per crossing)."""

    __tablename__ = "alert_states"
    __table_args__ = (UniqueConstraint("rule_name", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_name: Mapped[str] = mapped_column(String(NAME))
    subject_id: Mapped[str] = mapped_column(String(NAME))
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_raised_at: Mapped[datetime | None] = mapped_column()


class Alert(Base):
    """One raised alert: the rule, subject and period, the value against the threshold, the
    message in both languages, and when it may be delivered (after the quiet hours)."""

    __tablename__ = "alerts"
    __table_args__ = (CheckConstraint(_one_of("status", ALERT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_name: Mapped[str] = mapped_column(String(NAME), index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(NAME))
    period: Mapped[str] = mapped_column(String(NAME))
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    message: Mapped[dict[str, Any]] = mapped_column()
    link: Mapped[str] = mapped_column(String(TITLE))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    deliver_after: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[AlertStatus] = mapped_column(String(16), default="pending")


class NotificationChannel(Base):
    """A group robot (WeCom, DingTalk, Feishu): its webhook URL and signing secret, encrypted
    with the workspace's key (never stored or logged in clear), and the language it speaks."""

    __tablename__ = "notification_channels"
    __table_args__ = (CheckConstraint(_one_of("kind", CHANNEL_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    kind: Mapped[ChannelKind] = mapped_column(String(16))
    url_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One message to one recipient over one channel: a group robot (``target``: the
    channel's name), an e-mail address, or a user's in-app inbox (their username). Pending
    until sent; retried with back-off; ``dead`` (the dead-letter list) after the last try."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(_one_of("status", DELIVERY_STATUSES), name="status"),
        CheckConstraint(_one_of("channel", CHANNEL_KINDS), name="channel"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    channel: Mapped[ChannelKind] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(TITLE))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(TITLE))
    status: Mapped[DeliveryStatus] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column()


class ReportScheduleRow(Base):
    """One report schedule as declared (``spec``: the validated schedule, as JSON), since when
    it holds (a first run is its first time after that), and its last run."""

    __tablename__ = "report_schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column()
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(NAME))

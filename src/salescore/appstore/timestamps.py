"""Timestamps in the app store: always timezone-aware UTC, on SQLite as on PostgreSQL.

PostgreSQL keeps ``timestamptz`` and hands back aware values; SQLite keeps no zone at all and hands
back naive ones. :class:`UtcDateTime` hides the difference so that code comparing an expiry with
:func:`utcnow` behaves the same on both.

>>> utcnow().tzinfo is UTC
True
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A ``TIMESTAMP WITH TIME ZONE`` that accepts only aware values and returns them in UTC.

    A naive datetime is refused (``ValueError``) rather than guessed at: whether it meant UTC or
    local time cannot be known here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; the app store keeps UTC")
        utc = value.astimezone(UTC)
        # SQLite stores no offset: keep the naive UTC wall time so that text order is time order.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

"""Writing the audit log, and turning Python values into the JSON it keeps.

Every change to a plan, a target, a score override or a user goes through :func:`record_audit` in
the same session (so the same transaction) as the change itself: either both are kept or neither.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from salescore.appstore.models import AuditEntry


def json_default(value: object) -> Any:
    """How values that JSON lacks are written: dates ISO 8601, decimals as exact strings.

    >>> json.dumps({"d": date(2025, 3, 1), "x": Decimal("1.10")}, default=json_default)
    '{"d": "2025-03-01", "x": "1.10"}'
    """
    match value:
        case datetime() | date():
            return value.isoformat()
        case Decimal():
            return str(value)
        case Enum():
            return value.value
        case PurePath():
            return str(value)
        case set() | frozenset():
            return sorted(value, key=str)
        case _:
            raise TypeError(f"{type(value).__name__} cannot be written to the audit log as JSON")


def json_dumps(value: object) -> str:
    """JSON text as the app store writes it (Chinese kept readable, not ``\\u`` escaped)."""
    return json.dumps(value, default=json_default, ensure_ascii=False)


def _as_json(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # Round-trip now so that what the session holds equals what a later read will return.
    return None if value is None else dict(json.loads(json_dumps(dict(value))))


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Add one audit row to ``session`` and flush it; it commits with the session.

    ``action`` is ``<entity>.<verb>`` (``plan.adopt``, ``user.create``, ``target.set``,
    ``score.override``); ``actor`` a username, or ``system`` / ``cli``. ``before`` and ``after``
    are the changed entity's fields as JSON objects (``None`` when it did not exist); values that
    JSON lacks are converted by :func:`json_default`, others are refused with ``TypeError``.
    """
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_as_json(before),
        after=_as_json(after),
        reason=reason,
    )
    session.add(entry)
    session.flush()
    return entry


def audit_entries(
    session: Session,
    *,
    limit: int = 50,
    before_id: int | None = None,
    entity: str | None = None,
    actor: str | None = None,
) -> list[AuditEntry]:
    """The newest ``limit`` audit rows (of ``entity``, by ``actor``, if given), newest first;
    ``before_id`` continues a listing after the last row seen."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(0, limit))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    return list(session.scalars(query))


def last_change(session: Session, entities: Iterable[str]) -> datetime | None:
    """When an audit row of one of ``entities`` was last written (UTC), if ever: what "data as
    of" on a page is read from (``import_run``, ``warehouse``)."""
    return session.scalar(select(func.max(AuditEntry.at)).where(
        AuditEntry.entity.in_(list(entities))))

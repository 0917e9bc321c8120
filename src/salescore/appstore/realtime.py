"""Reading and writing the real-time feedback tables (:mod:`salescore.appstore.realtime_models`):
the newest event time of each record; the callers above the app store import no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from salescore.appstore.realtime_models import EventVersion

__all__ = ["record_versions", "stored_versions"]

_CHUNK = 500  # keys per IN list: well under every backend's limit on bound parameters


def stored_versions(session: Session, table: str, keys: Iterable[str]) -> dict[str, datetime]:
    """The newest accepted event time of each of ``keys`` of ``table`` that has one."""
    wanted = list(dict.fromkeys(keys))
    out: dict[str, datetime] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        rows = session.execute(select(EventVersion.record_key, EventVersion.event_at).where(
            EventVersion.table_name == table, EventVersion.record_key.in_(chunk)))
        out.update({key: at for key, at in rows})
    return out


def record_versions(session: Session, table: str, versions: Mapping[str, datetime]) -> None:
    """Keep ``versions`` (key -> event time) as the newest of ``table``'s records, where newer
    than what is kept."""
    if not versions:
        return
    existing: dict[str, EventVersion] = {}
    keys = list(versions)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        for row in session.scalars(select(EventVersion).where(
                tuple_(EventVersion.table_name, EventVersion.record_key).in_(
                    [(table, k) for k in chunk]))):
            existing[row.record_key] = row
    for key, at in versions.items():
        row = existing.get(key)
        if row is None:
            session.add(EventVersion(table_name=table, record_key=key, event_at=at))
        elif row.event_at < at:
            row.event_at = at

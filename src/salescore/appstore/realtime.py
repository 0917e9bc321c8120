"""Reading and writing the real-time feedback tables (:mod:`salescore.appstore.realtime_models`):
the newest event time of each record, alert rules and states, channels and deliveries; the
callers above the app store import no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from salescore.appstore.audit import record_audit
from salescore.appstore.realtime_models import (
    Alert,
    AlertRuleRow,
    AlertState,
    Delivery,
    EventVersion,
    NotificationChannel,
    ReportScheduleRow,
)
from salescore.appstore.timestamps import utcnow

__all__ = ["Alert", "AlertRuleRow", "AlertState", "Delivery", "NotificationChannel",
           "alerts_of", "channels", "deliveries", "due_deliveries", "find_channel",
           "find_delivery", "record_versions", "replace_rules", "replace_schedules",
           "rule_states", "stored_schedules",
           "settle_alerts", "stored_rules", "stored_versions"]

_CHUNK = 500  # keys per IN list: well under every backend's limit on bound parameters


def stored_versions(session: Session, table: str, keys: Iterable[str]) -> dict[str, datetime]:
    """The newest accepted event time of each of ``keys`` of ``table`` that has one."""
    wanted = list(dict.fromkeys(keys))
    out: dict[str, datetime] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        rows = session.execute(select(EventVersion.record_key, EventVersion.event_at).where(
            EventVersion.table_name == table, EventVersion.record_key.in_(chunk)))
        for key, at in rows.tuples():  # a Result has keys(): update() would misread it
            out[key] = at
    return out


def record_versions(session: Session, table: str, versions: Mapping[str, datetime]) -> None:
    """Keep ``versions`` (key -> event time) as the newest of ``table``'s records, where newer
    than what is kept. New keys are inserted in one statement (a batch of events is hundreds
    of them: the ORM's unit of work would cost more than the import)."""
    if not versions:
        return
    held = stored_versions(session, table, versions)
    fresh = [{"table_name": table, "record_key": k, "event_at": at}
             for k, at in versions.items() if k not in held]
    newer = [{"k": k, "at": at} for k, at in versions.items() if k in held and held[k] < at]
    core = EventVersion.__table__
    assert isinstance(core, Table)
    if fresh:
        session.execute(insert(core), fresh)
    if newer:
        session.execute(update(core).where(core.c.table_name == table,
                                           core.c.record_key == bindparam("k"))
                        .values(event_at=bindparam("at")), newer)


# -- alert rules, their state, alerts ---------------------------------------------------------
def stored_rules(session: Session) -> list[AlertRuleRow]:
    """Every stored alert rule, by name."""
    return list(session.scalars(select(AlertRuleRow).order_by(AlertRuleRow.name)))


def replace_rules(session: Session, specs: Mapping[str, Mapping[str, Any]], actor: str
                  ) -> tuple[list[str], list[str], list[str]]:
    """Make the stored rules exactly ``specs`` (name -> spec); audited. The names added,
    changed and removed. A removed rule's states go with it."""
    held = {row.name: row for row in stored_rules(session)}
    added, changed, removed = [], [], []
    for name, spec in specs.items():
        row = held.pop(name, None)
        if row is None:
            session.add(AlertRuleRow(name=name, spec=dict(spec), enabled=bool(
                spec.get("enabled", True)), updated_by=actor))
            added.append(name)
        elif row.spec != dict(spec):
            row.spec, row.enabled, row.updated_by = dict(spec), bool(
                spec.get("enabled", True)), actor
            row.updated_at = utcnow()
            changed.append(name)
    for name, row in held.items():
        session.delete(row)
        session.execute(delete(AlertState).where(AlertState.rule_name == name))
        removed.append(name)
    if added or changed or removed:
        record_audit(session, actor=actor, action="alerts.rules", entity="alert_rules",
                     entity_id="*", after={"added": added, "changed": changed,
                                           "removed": removed})
    return added, changed, removed


def stored_schedules(session: Session) -> list[ReportScheduleRow]:
    """Every stored report schedule, by name."""
    return list(session.scalars(select(ReportScheduleRow).order_by(ReportScheduleRow.name)))


def replace_schedules(session: Session, specs: Mapping[str, Mapping[str, Any]], actor: str,
                      now: datetime | None = None) -> tuple[list[str], list[str], list[str]]:
    """Make the stored report schedules exactly ``specs`` (name -> spec); audited. The names
    added, changed and removed. An added or changed schedule holds from ``now`` (its first
    run is its first time after that); an unchanged one keeps its last run."""
    held = {row.name: row for row in stored_schedules(session)}
    now = now or utcnow()
    added, changed, removed = [], [], []
    for name, spec in specs.items():
        row = held.pop(name, None)
        enabled = bool(spec.get("enabled", True))
        if row is None:
            session.add(ReportScheduleRow(name=name, spec=dict(spec), enabled=enabled,
                                          since=now, updated_at=now, updated_by=actor))
            added.append(name)
        elif row.spec != dict(spec):
            row.spec, row.enabled, row.updated_by = dict(spec), enabled, actor
            row.since = row.updated_at = now
            changed.append(name)
    for name, row in held.items():
        session.delete(row)
        removed.append(name)
    if added or changed or removed:
        record_audit(session, actor=actor, action="reports.schedules",
                     entity="report_schedules", entity_id="*",
                     after={"added": added, "changed": changed, "removed": removed})
    return added, changed, removed


def rule_states(session: Session, rule: str) -> dict[str, AlertState]:
    return {s.subject_id: s for s in session.scalars(
        select(AlertState).where(AlertState.rule_name == rule))}


def alerts_of(session: Session, *, subjects: Iterable[str] | None = None,
              limit: int = 100) -> list[Alert]:
    """The newest alerts (of ``subjects`` alone, when given)."""
    query = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if subjects is not None:
        query = query.where(Alert.subject_id.in_(list(subjects)))
    return list(session.scalars(query))


# -- channels and deliveries ------------------------------------------------------------------
def find_channel(session: Session, name: str) -> NotificationChannel | None:
    return session.scalar(select(NotificationChannel).where(NotificationChannel.name == name))


def channels(session: Session) -> list[NotificationChannel]:
    return list(session.scalars(select(NotificationChannel).order_by(NotificationChannel.name)))


def due_deliveries(session: Session, now: datetime, limit: int = 200) -> list[Delivery]:
    """Pending deliveries whose time has come, oldest first."""
    return list(session.scalars(select(Delivery).where(
        Delivery.status == "pending", Delivery.next_attempt_at <= now
    ).order_by(Delivery.id).limit(limit)))


def deliveries(session: Session, *, status: str | None = None, target: str | None = None,
               channel: str | None = None, limit: int = 100) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Delivery.status == status)
    if target is not None:
        query = query.where(Delivery.target == target)
    if channel is not None:
        query = query.where(Delivery.channel == channel)
    return list(session.scalars(query))


def find_delivery(session: Session, delivery_id: int) -> Delivery | None:
    return session.get(Delivery, delivery_id)


def settle_alerts(session: Session, alert_ids: Iterable[int]) -> None:
    """Mark delivered the alerts of ``alert_ids`` none of whose deliveries is pending."""
    for alert_id in set(alert_ids):
        pending = session.scalar(select(Delivery.id).where(
            Delivery.alert_id == alert_id, Delivery.status == "pending").limit(1))
        alert = session.get(Alert, alert_id)
        if alert is not None and pending is None:
            alert.status = "delivered"

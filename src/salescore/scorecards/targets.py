"""Setting one target through the API: the warehouse row and its audit entry, together.

The ``targets`` table is a warehouse table (imports fill it too); every change made here is also
written to the app store's audit log (``target.set``): who, when, the value before and after, and
why. The two stores cannot share a transaction, so the order is chosen for the failure that is
least harmful: the warehouse change is made inside its transaction, the audit entry is committed,
and only then is the warehouse change committed. A failure before the audit commits changes
nothing; the only window left (the warehouse failing to commit after the audit did) leaves an
audit entry for a change that did not happen, never a change without one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from salescore.appstore.audit import record_audit
from salescore.appstore.store import AppStore
from salescore.core.errors import ConfigError, PeriodError
from salescore.core.periods import Calendar
from salescore.engine.warehouse import Warehouse
from salescore.semantic.catalog import Catalog

__all__ = ["TargetChange", "TargetScope", "set_target"]

TargetScope = Literal["rep", "team"]


@dataclass(frozen=True)
class TargetChange:
    """One target set: its key, the value before (``None``: there was none) and after, and the
    audit entry that records it."""

    scope: TargetScope
    scope_id: str
    period: str
    kpi: str
    before: float | None
    after: float
    actor: str
    reason: str
    at: datetime
    audit_id: int


def _sql(warehouse: Warehouse, statement: str) -> str:
    # DuckDB takes ? placeholders, psycopg %s.
    return statement.replace("?", "%s") if warehouse.dialect == "postgres" else statement


def set_target(
    warehouse: Warehouse,
    app: AppStore,
    *,
    catalog: Catalog,
    calendar: Calendar,
    scope: str,
    scope_id: str,
    period: str,
    kpi: str,
    value: float,
    actor: str,
    reason: str,
) -> TargetChange:
    """Set the target of ``scope`` (rep or team) ``scope_id`` for ``kpi`` in ``period``.

    The period is stored in canonical form (``2025-q1`` → ``2025-Q1``), replacing a row of the
    same period written another way. Raises :class:`ConfigError` for an unknown scope, KPI, rep
    or team, a value that is not a finite number, or an empty reason; :class:`PeriodError` for
    a period that cannot be read.
    """
    if scope not in ("rep", "team"):
        raise ConfigError(f"a target's scope is rep or team, not {scope!r}",
                          message_zh=f"目标的对象类型只能是 rep 或 team，而不是 {scope!r}")
    catalog.kpi(kpi)
    label = str(calendar.parse(period))
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"a target is a finite number, not {value!r}",
                          message_zh=f"目标须为有限数值，而不是 {value!r}")
    if not reason or not reason.strip():
        raise ConfigError("say why the target changes (reason): it goes to the audit log",
                          message_zh="请说明修改目标的原因（reason）：它会写入审计日志")
    if not actor or not actor.strip():
        raise ConfigError("say who sets the target (actor)", message_zh="请指明设定人（actor）")
    table, column = ("reps", "rep_id") if scope == "rep" else ("teams", "team_id")
    found = warehouse.execute_sql(_sql(warehouse, f"SELECT 1 FROM {table} WHERE {column} = ?"),
                                  (scope_id,))
    if not found:
        raise ConfigError(f"there is no {scope} {scope_id!r} in the {table} table",
                          message_zh=f"{table} 表中没有 {scope_id!r}")
    with warehouse.transaction():
        rows = warehouse.execute_sql(
            _sql(warehouse, "SELECT period, value, set_by, reason FROM targets "
                            "WHERE scope = ? AND scope_id = ? AND kpi = ?"),
            (scope, scope_id, kpi))
        same = [row for row in rows if _same_period(calendar, str(row[0]), label)]
        before = float(same[0][1]) if same else None
        for row in same:
            warehouse.execute_sql(
                _sql(warehouse, "DELETE FROM targets WHERE scope = ? AND scope_id = ? "
                                "AND kpi = ? AND period = ?"),
                (scope, scope_id, kpi, row[0]))
        warehouse.execute_sql(
            _sql(warehouse, "INSERT INTO targets (scope, scope_id, period, kpi, value, set_by, "
                            "reason) VALUES (?, ?, ?, ?, ?, ?, ?)"),
            (scope, scope_id, label, kpi, float(value), actor, reason))
        with app.session() as session:
            entry = record_audit(
                session, actor=actor, action="target.set", entity="target",
                entity_id=f"{scope}:{scope_id}:{label}:{kpi}",
                before=None if not same else {"value": before, "set_by": same[0][2],
                                              "reason": same[0][3]},
                after={"value": float(value), "set_by": actor, "reason": reason},
                reason=reason)
            audit_id, at = entry.id, entry.at
    return TargetChange(scope="rep" if scope == "rep" else "team", scope_id=scope_id,
                        period=label, kpi=kpi, before=before, after=float(value), actor=actor,
                        reason=reason, at=at, audit_id=audit_id)


def _same_period(calendar: Calendar, written: str, label: str) -> bool:
    try:
        return str(calendar.parse(written)) == label
    except PeriodError:
        return False

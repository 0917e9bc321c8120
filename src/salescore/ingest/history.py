"""Keeping ``opportunity_history``: what an import changed in an opportunity's amount,
expected close date, stage or status, appended as a row valid from the import.

The warehouse's ``opportunities`` row holds only an opportunity's current values; pipeline
changes between two dates need what they were then. So every import of opportunities, in
the same transaction as its upsert, appends one ``opportunity_history`` row for each
opportunity whose current values differ from its latest history row (or that has none),
``valid_from`` the import's time (the opportunities table carries no modified timestamp to
use instead). An import that changes nothing appends nothing, so importing the same file
twice leaves the history as it was. History rows may also be imported directly (a CRM's
field history), and the demo writes its own.
"""

from __future__ import annotations

from datetime import UTC, datetime

from salescore.engine.warehouse import Warehouse
from salescore.model.tables import Table

__all__ = ["HISTORY", "TRACKED", "record_history"]

HISTORY = "opportunity_history"
TRACKED = ("stage", "status", "amount", "currency", "expected_close_date")
"""The columns of an opportunity whose every change is kept."""


def record_history(warehouse: Warehouse, declared: Table, *, at: datetime | None = None) -> int:
    """After an import into ``declared`` (only ``opportunities`` has a history; any other
    table is left alone), append a history row valid from ``at`` (default: now, UTC) for
    every opportunity whose tracked values changed since its latest row; the rows appended.
    Runs inside the caller's transaction."""
    if declared.name != "opportunities":
        return 0
    when = (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    stamp = f"TIMESTAMP '{when.isoformat(sep=' ')}'"
    columns = ", ".join(TRACKED)
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM h.{c}" for c in TRACKED)
    latest = (f"SELECT opportunity_id, MAX(valid_from) AS valid_from FROM {HISTORY} "
              f"GROUP BY opportunity_id")
    select = (
        f"SELECT o.opportunity_id, {stamp}, {', '.join(f'o.{c}' for c in TRACKED)} "
        f"FROM opportunities o LEFT JOIN ({latest}) l ON l.opportunity_id = o.opportunity_id "
        f"LEFT JOIN {HISTORY} h ON h.opportunity_id = l.opportunity_id "
        f"AND h.valid_from = l.valid_from "
        f"WHERE h.opportunity_id IS NULL OR ({differs})")
    before = _count(warehouse)
    warehouse.execute_sql(
        f"INSERT INTO {HISTORY} (opportunity_id, valid_from, {columns}) {select}")
    return _count(warehouse) - before


def _count(warehouse: Warehouse) -> int:
    return int(warehouse.execute_sql(f"SELECT COUNT(*) FROM {HISTORY}")[0][0])

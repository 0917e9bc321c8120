"""Real-time feedback for one session (``session.realtime``): events in, alert rules and their
evaluation, notifications and reports (issue 14). The pieces are in :mod:`salescore.realtime`;
this puts them together with the session's scope, warehouse and app store.

Events go through the session's import (:meth:`Session.import_arrow`), so that whatever an
import maintains (the quality report, the import runs, derived facts and roll-ups) an event
maintains too, in the same transaction as the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from salescore.appstore.realtime import record_versions, stored_versions
from salescore.core.text import Text
from salescore.ingest.problems import IngestError
from salescore.ingest.validation import table_rule
from salescore.model.tables import table
from salescore.realtime.events import (
    Event,
    EventError,
    arrow_rows,
    parse_events,
    plan_batch,
)

if TYPE_CHECKING:
    from salescore.workspace.session import Session

__all__ = ["EventsOutcome", "Realtime"]


@dataclass(frozen=True)
class EventsOutcome:
    """What one batch of events did: how many were received, applied (inserted, updated,
    unchanged as the import counts them), rejected (with per-event errors, as the import
    reports rejected rows), and left out as superseded, stale or duplicate."""

    received: int
    accepted: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    stale: int = 0
    duplicate: int = 0
    errors: list[EventError] = field(default_factory=list)
    tables: tuple[str, ...] = ()

    @property
    def rejected(self) -> int:
        return len({e.index for e in self.errors})

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        return {"received": self.received, "accepted": self.accepted,
                "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected,
                "superseded": self.superseded, "stale": self.stale,
                "duplicate": self.duplicate,
                "errors": [e.to_dict(locale) for e in self.errors]}


class Realtime:
    """Events, alerts, notifications and reports as ``session`` may use them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _app(self) -> Any:
        return self.session.workspace._app

    # -- events in ----------------------------------------------------------------------------
    def accept_events(self, payload: Any, *, actor: str = "api",
                      now: datetime | None = None) -> EventsOutcome:
        """Apply a batch of events (see :mod:`salescore.realtime.events`): the newest per
        record, through the import; the versions of the applied records kept in the app store
        once the warehouse has committed. Needs the writable scope, as an import does."""
        self.session.scope.require_writes("sending events", "发送事件")
        parsed = parse_events(payload, now=now or datetime.now(UTC))
        received = len(parsed.events) + len({e.index for e in parsed.errors})
        stored: dict[tuple[str, str], datetime] = {}
        with self._app.session() as db:
            for name in {e.table for e in parsed.events}:
                keys = [e.key for e in parsed.events if e.table == name]
                stored.update({(name, k): at for k, at in stored_versions(db, name, keys).items()})
        plan = plan_batch(parsed.events, stored)
        errors = list(parsed.errors)
        apply = self._completed(plan.apply, errors)
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        accepted: dict[str, dict[str, datetime]] = {}
        for name, members, data in arrow_rows(apply):
            try:
                result = self.session.import_arrow(name, data, name="events", actor=actor)
            except IngestError as exc:  # the group cannot be imported at all: each event told
                errors.extend(EventError(e.index, Text(exc.message, exc.message_zh or
                                                       exc.message)) for e in members)
                continue
            bad: set[int] = set()
            for reject in result.rejects.to_pylist():
                event = members[int(reject["row"]) - 1]
                bad.add(event.index)
                errors.append(EventError(event.index, Text(reject["reason"],
                                                           reject["reason_zh"]),
                                         reject["field"], reject["value"]))
            if not result.loaded:
                bad.update(e.index for e in members)
                continue
            for key in counts:
                counts[key] += int(getattr(result, key))
            for event in members:
                if event.index not in bad:
                    accepted.setdefault(name, {})[event.key] = event.at
        with self._app.session() as db:
            for name, versions in accepted.items():
                record_versions(db, name, versions)
        errors.sort(key=lambda e: e.index)
        return EventsOutcome(
            received=received, accepted=sum(len(v) for v in accepted.values()),
            superseded=len(plan.superseded), stale=len(plan.stale),
            duplicate=len(plan.duplicate), errors=errors, tables=tuple(sorted(accepted)),
            **counts)

    def _completed(self, events: list[Event], errors: list[EventError]) -> list[Event]:
        """``events`` with the required columns a partial update leaves out (an opportunity's
        owner and creation time, when only its stage changed) taken from the stored record, so
        that the import, which asks every row for them, takes the update; an event that leaves
        them out of a record not stored is an error."""
        import ibis

        from salescore.workspace.session import unbound

        out: list[Event] = []
        wanting: dict[str, list[Event]] = {}
        for event in events:
            declared = table(event.table)
            derived = set(table_rule(event.table).derives)
            needed = [c.name for c in declared.columns
                      if c.required and c.name not in event.row and c.name not in derived]
            (wanting.setdefault(event.table, []) if needed else out).append(event)
        for name, members in wanting.items():
            declared = table(name)
            stored_rows: dict[str, dict[str, Any]] = {}
            expr = unbound(name)
            keys = [e.key for e in members]
            if len(declared.key) == 1:
                expr = expr.filter(expr[declared.key[0]].isin(keys))
            else:
                joined = ibis.literal("|").join([expr[k].cast("string") for k in declared.key])
                expr = expr.filter(joined.isin(keys))
            for row in self.session.runner.rows(expr):
                stored_rows["|".join(str(row[k]) for k in declared.key)] = row
            derived = set(table_rule(name).derives)
            required = [c.name for c in declared.columns
                        if c.required and c.name not in derived]
            for event in members:
                found = stored_rows.get(event.key)
                if found is None:
                    missing = [c for c in required if c not in event.row]
                    errors.append(EventError(event.index, Text(
                        f"{name} {event.key} is not stored, and the event has no "
                        f"{', '.join(missing)}",
                        f"{name} 中没有 {event.key}，且事件缺少 {', '.join(missing)}"),
                        missing[0], ""))
                    continue
                row = dict(event.row)
                for column in required:
                    if column not in row:
                        row[column] = _as_sent(found[column])
                out.append(Event(event.index, event.table, row, event.key, event.at))
        out.sort(key=lambda e: e.index)
        return out


def _as_sent(value: Any) -> Any:
    """A stored value as an event would send it: a warehouse time (naive UTC) with its zone."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    return value

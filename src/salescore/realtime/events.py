"""Events: canonical rows that arrive one by one or in batches, over HTTP or NATS.

An event is ``{"table": "opportunities", "row": {...canonical columns...}, "at": "<ISO time>"}``;
``at`` is when the record was in that state (default: when the event arrived). Events go into
the warehouse through the same import as a file (``Session.import_arrow``: the same cleaning,
validation, per-row rejects and upsert by key), a group of events per table and column set, so
that a partial update (an opportunity's stage alone) leaves the other columns as they are.

What this module adds is the ordering: of several events about one record (its table's key) the
one with the newest ``at`` wins, in a batch and against what was accepted before. An event
delivered twice, or one older than the record's newest, is not applied (``duplicate``,
``stale``). :func:`plan_batch` decides that from the envelopes and the stored versions alone.

>>> from datetime import datetime, UTC
>>> batch = parse_events([
...     {"table": "teams", "row": {"team_id": "t1", "name": "East"}, "at": "2025-03-01T10:00Z"},
...     {"table": "teams", "row": {"team_id": "t1", "name": "Old"}, "at": "2025-03-01T09:00Z"},
...     {"table": "nope", "row": {}}], now=datetime(2025, 3, 1, tzinfo=UTC))
>>> [e.key for e in batch.events], [err.reason.en for err in batch.errors]
(['t1', 't1'], ["unknown table 'nope'"])
>>> plan = plan_batch(batch.events, {})
>>> [(e.row["name"], e.index) for e in plan.apply], plan.superseded
([('East', 0)], [1])
>>> plan_batch(batch.events, {("teams", "t1"): batch.events[0].at}).duplicate
[]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from salescore.core.text import Text
from salescore.model.tables import TABLE_NAMES, table

__all__ = ["Event", "EventError", "Parsed", "Plan", "arrow_rows", "parse_events", "plan_batch"]

MAX_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class Event:
    """One event: its place in the batch, table, row (as sent), record key and time."""

    index: int
    table: str
    row: Mapping[str, Any]
    key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class EventError:
    """Why event ``index`` of a batch was not applied: the column and value where one is to
    blame, and the reason in both languages (as the import reports a rejected row)."""

    index: int
    reason: Text
    column: str | None = None
    value: str | None = None

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        return {"index": self.index, "column": self.column, "value": self.value,
                "reason": self.reason.get(locale)}


@dataclass(frozen=True)
class Parsed:
    events: list[Event] = field(default_factory=list)
    errors: list[EventError] = field(default_factory=list)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        at = value
    else:
        text = str(value).strip()
        at = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def parse_events(payload: Any, *, now: datetime | None = None) -> Parsed:
    """The events of ``payload`` (a list of events, or ``{"events": [...]}``) and the errors
    of those whose envelope is wrong (no table, a row without its key, a bad time)."""
    now = now or datetime.now(UTC)
    items = payload.get("events") if isinstance(payload, Mapping) else payload
    out = Parsed()
    if not isinstance(items, Sequence) or isinstance(items, str | bytes):
        out.errors.append(EventError(0, Text("expected a list of events, or {\"events\": [...]}",
                                             "应为事件列表，或 {\"events\": [...]}")))
        return out
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            out.errors.append(EventError(i, Text("an event is an object with table and row",
                                                 "事件应为包含 table 和 row 的对象")))
            continue
        name, row = item.get("table"), item.get("row")
        if name not in TABLE_NAMES:
            out.errors.append(EventError(i, Text(f"unknown table {name!r}",
                                                 f"未知的表 {name!r}"), "table", str(name)))
            continue
        if not isinstance(row, Mapping) or not row:
            out.errors.append(EventError(i, Text("row must be an object of columns",
                                                 "row 应为列名到值的对象"), "row"))
            continue
        declared = table(str(name))
        missing = [k for k in declared.key if row.get(k) in (None, "")]
        if missing:
            out.errors.append(EventError(i, Text(
                f"the row has no {', '.join(missing)} (the key of {name})",
                f"该行缺少 {name} 的主键 {', '.join(missing)}"), missing[0], ""))
            continue
        try:
            at = _time(item["at"]) if item.get("at") not in (None, "") else now
        except ValueError:
            out.errors.append(EventError(i, Text("at is not an ISO 8601 time",
                                                 "at 不是 ISO 8601 时间"), "at", str(item["at"])))
            continue
        key = "|".join(str(row[k]) for k in declared.key)
        out.events.append(Event(i, str(name), row, key, at))
    return out


@dataclass(frozen=True)
class Plan:
    """What to apply (each record's events in the batch folded into one, newer than the stored
    one), and the indexes left out: an older event of a record folded into a newer one of the
    same batch (``superseded``), one not newer than the record's stored event (``stale``), or
    a single event exactly as old as it (``duplicate``: delivered again)."""

    apply: list[Event]
    superseded: list[int]
    stale: list[int]
    duplicate: list[int]


def plan_batch(events: Sequence[Event], stored: Mapping[tuple[str, str], datetime]) -> Plan:
    """One event per record: its events in the batch folded in time order (a later one's
    columns over an earlier one's; a later one in the batch wins a tie), kept only when newer
    than ``stored`` (``(table, key) -> event time``)."""
    by_record: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        by_record.setdefault((event.table, event.key), []).append(event)
    apply: list[Event] = []
    superseded: list[int] = []
    stale: list[int] = []
    duplicate: list[int] = []
    for record, members in by_record.items():
        members = sorted(members, key=lambda e: (e.at, e.index))
        last = members[-1]
        before = stored.get(record)
        if before is not None:
            if last.at == before and len(members) == 1:
                duplicate.append(last.index)
                continue
            if last.at <= before:
                stale.extend(e.index for e in members)
                continue
            members = [e for e in members if e.at > before] or [last]
        row: dict[str, Any] = {}
        for event in members:
            row.update(event.row)
        superseded.extend(e.index for e in members[:-1])
        apply.append(Event(last.index, last.table, row, last.key, last.at))
    apply.sort(key=lambda e: e.index)
    return Plan(apply, sorted(superseded), sorted(stale), sorted(duplicate))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def arrow_rows(events: Sequence[Event]) -> list[tuple[str, list[Event], pa.Table]]:
    """The events grouped by table and set of columns, each group as an Arrow table of text
    (the importer cleans it as it cleans a file), in the order the groups first appear."""
    groups: dict[tuple[str, tuple[str, ...]], list[Event]] = {}
    for event in events:
        groups.setdefault((event.table, tuple(sorted(event.row))), []).append(event)
    out = []
    for (name, columns), members in groups.items():
        data = {c: pa.array([_text(e.row.get(c)) for e in members], pa.string())
                for c in columns}
        out.append((name, members, pa.table(data)))
    return out

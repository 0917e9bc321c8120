"""What a column path of a source means: its type, allowed values and the joins it takes.

A path is a column of the source's table, one of the source's computed columns, or
``fk.column`` through a reference declared in :mod:`salescore.model.tables`.

>>> from salescore.semantic.catalog import shipped_catalog
>>> src = shipped_catalog().source("opportunities")
>>> c = resolve(src, "customer_id.region")
>>> c.type.value, [s.table for s in c.steps]
('string', ['customers'])
>>> resolve(src, "amount").is_money
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from salescore.model.tables import TABLE_NAMES, DataType, table
from salescore.semantic.specs import (
    Duration,
    RelatedCount,
    SequenceNumber,
    Source,
    TimeToFirst,
    TimeToNext,
)

IDLE_FROM = "idle_from"
IDLE_TO = "idle_to"


class UnknownColumn(KeyError):
    """A path that does not resolve; ``str()`` says why."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class Step:
    """One join: the current row's ``column`` holds a key of ``table``'s ``key``."""

    column: str
    table: str
    key: str


@dataclass(frozen=True, slots=True)
class ResolvedColumn:
    """A path's final column: where it is, its type and the joins that reach it."""

    path: str
    table: str
    column: str
    type: DataType
    allowed: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    computed: bool = False
    time_unit: str | None = None  # for durations: seconds/minutes/hours/days

    @property
    def is_money(self) -> bool:
        return self.type is DataType.DECIMAL

    @property
    def is_numeric(self) -> bool:
        return self.type in (DataType.INTEGER, DataType.FLOAT, DataType.DECIMAL)

    @property
    def is_temporal(self) -> bool:
        return self.type in (DataType.TIMESTAMP, DataType.DATE)


def computed_type(column: Duration | TimeToNext | TimeToFirst | RelatedCount | SequenceNumber
                  ) -> DataType:
    match column:
        case Duration() | TimeToNext() | TimeToFirst():
            return DataType.FLOAT
        case RelatedCount() | SequenceNumber():
            return DataType.INTEGER
        case _:
            assert_never(column)


def resolve_in_table(table_name: str, path: str) -> ResolvedColumn:
    """Resolve ``path`` from canonical table ``table_name`` through declared references."""
    if table_name not in TABLE_NAMES:
        raise UnknownColumn(f"unknown table {table_name!r}")
    parts = path.split(".")
    current = table(table_name)
    steps: list[Step] = []
    for i, part in enumerate(parts):
        if part not in current.column_names:
            raise UnknownColumn(f"table {current.name!r} has no column {part!r}"
                                + (f" (in {path!r})" if len(parts) > 1 else ""))
        col = current.column(part)
        if i == len(parts) - 1:
            return ResolvedColumn(path, current.name, part, col.type, col.allowed, tuple(steps))
        if col.references is None:
            raise UnknownColumn(f"{current.name}.{part} references no table, so {path!r} cannot "
                                "follow it")
        steps.append(Step(part, col.references.table, col.references.column))
        current = table(col.references.table)
    raise UnknownColumn(f"empty column path {path!r}")  # pragma: no cover - split gives >= 1


def resolve(source: Source, path: str) -> ResolvedColumn:
    """Resolve ``path`` on ``source``: a computed column, an idle-spell column or a table path.

    Raises :class:`UnknownColumn` naming the table and column that do not exist.
    """
    for computed in source.columns:
        if computed.name == path:
            unit = getattr(computed, "unit", None)
            return ResolvedColumn(path, source.table, path, computed_type(computed),
                                  computed=True, time_unit=unit.value if unit else None)
    if source.idle_spells is not None and path in (IDLE_FROM, IDLE_TO):
        return ResolvedColumn(path, source.table, path, DataType.DATE, computed=True)
    return resolve_in_table(source.table, path)

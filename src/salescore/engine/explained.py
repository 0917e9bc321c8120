"""What an explanation of a KPI value is, and how it is kept: plain Python, no Ibis, no Arrow,
no database.

:func:`salescore.engine.explain.explain_kpis` builds these from the warehouse; a scoring run keeps
them beside the scores (:func:`pack`, bytes for the app store), so that a stored score is
explained later from what it was computed from, with the standard library alone
(:func:`unpack`: ``salescore score show`` loads neither the query engine nor Arrow).

>>> part = ExplainPart("deals_won", "count(*) of opportunities", "统计 opportunities", 2,
...                    Rows(("opportunity_id",), (("o1", "o2"),)))
>>> e = Explanation("deals_won", "deals_won", "rep", "r1", "2025-03", 2, "deals_won",
...                 "deals_won = 2", (part,))
>>> unpack(pack({"deals_won": e}))["deals_won"] == e
True
>>> part.rows.slice(1).to_pylist()
[{'opportunity_id': 'o2'}]
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salescore.core.text import Text

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ExplainPart", "Explanation", "Notice", "Rows", "pack", "unpack"]


@dataclass(frozen=True)
class Rows:
    """Records as plain Python values, column by column: ``values[i]`` holds the values of
    ``column_names[i]``, one per row (strings, numbers, booleans, dates, times, decimals or
    ``None``). What the Arrow table of a query gives with :meth:`from_arrow`, and read as
    one: ``num_rows``, ``column``, ``slice``, ``take``, ``filter``, ``to_pylist``.

    >>> rows = Rows(("id", "value"), (("o1", "o2", "o3"), (5, None, 7)))
    >>> rows.num_rows, rows.column("value"), rows.filter([True, False, True]).column("id")
    (3, (5, None, 7), ('o1', 'o3'))
    """

    column_names: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]

    def __post_init__(self) -> None:
        if len(self.column_names) != len(self.values):
            raise ValueError(f"{len(self.column_names)} column names for "
                             f"{len(self.values)} columns")
        if len({len(v) for v in self.values}) > 1:
            raise ValueError("the columns have different numbers of rows")

    @classmethod
    def from_arrow(cls, table: pa.Table) -> Rows:
        """The rows of an Arrow table, as Python values (Arrow's own conversion)."""
        return cls(tuple(table.column_names),
                   tuple(tuple(column.to_pylist()) for column in table.columns))

    @property
    def num_rows(self) -> int:
        return len(self.values[0]) if self.values else 0

    def column(self, name: str) -> tuple[Any, ...]:
        """The values of column ``name`` (:class:`KeyError` if there is none)."""
        try:
            return self.values[self.column_names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def slice(self, offset: int = 0, length: int | None = None) -> Rows:
        """``length`` rows (all the rest when ``None``) from row ``offset``."""
        end = None if length is None else offset + length
        return Rows(self.column_names, tuple(v[offset:end] for v in self.values))

    def take(self, indices: Sequence[int]) -> Rows:
        """The rows at ``indices``, in that order."""
        return Rows(self.column_names, tuple(tuple(v[i] for i in indices) for v in self.values))

    def filter(self, keep: Sequence[bool]) -> Rows:
        """The rows where ``keep`` is true, in their order."""
        if len(keep) != self.num_rows:
            raise ValueError(f"{len(keep)} flags for {self.num_rows} rows")
        return Rows(self.column_names,
                    tuple(tuple(x for x, k in zip(v, keep, strict=True) if k)
                          for v in self.values))

    def to_pylist(self) -> list[dict[str, Any]]:
        """One dict per row, by column name."""
        return [dict(zip(self.column_names, row, strict=True))
                for row in zip(*self.values, strict=True)] if self.values else []


@dataclass(frozen=True)
class Notice:
    """Something the person asking should know about a result (en, zh-CN)."""

    message: str
    message_zh: str

    def localized(self, locale: str) -> str:
        return Text(self.message, self.message_zh).get(locale)


@dataclass(frozen=True)
class ExplainPart:
    """One input of the KPI: what it aggregates, the value, and the rows it was computed from."""

    name: str
    description: str
    description_zh: str
    value: float | int | None
    rows: Rows
    unconverted: int = 0  # amounts among ``rows`` that cannot be converted: the value is null


@dataclass(frozen=True)
class Explanation:
    kpi: str
    output: str
    by: str
    subject: str
    period: str
    value: float | int | None
    formula: str
    arithmetic: str
    parts: tuple[ExplainPart, ...]
    reason: Notice | None = None  # why the value is null, where that is not for want of data


# -- kept as bytes -----------------------------------------------------------------------------
# Format 2 (written): MAGIC, the format number as one byte, then one zlib-compressed JSON
# document: the explanations by KPI, each part naming its rows by number in "tables" (inputs
# shared by several KPIs share their rows), each table as column names, kinds and values.
# Format 1 (written by the first kept records, December 2026; read still, never written):
# an 8-byte length, a JSON header, then each table as an Arrow IPC stream, zstd-compressed.
FORMAT = 2
MAGIC = b"SCR"
_LENGTH = struct.Struct(">Q")
_LEVEL = 6  # zlib's default: near its smallest at a fraction of its slowest level's time
# Values JSON has no type for: written as text with their kind, read back as they were.
_WRITE: dict[type, tuple[str, Callable[[Any], Any]]] = {
    date: ("date", date.isoformat), datetime: ("datetime", datetime.isoformat),
    Decimal: ("decimal", str)}
_READ: dict[str, Callable[[Any], Any]] = {
    "date": date.fromisoformat, "datetime": datetime.fromisoformat, "decimal": Decimal}
_JSON = frozenset((str, int, float, bool))


def _kept_column(name: str, values: tuple[Any, ...]) -> tuple[str | None, list[Any]]:
    """A column's kind (``None``: as JSON reads it) and its values as JSON writes them."""
    types = {type(v) for v in values if v is not None}
    if types <= _JSON:
        return None, list(values)
    if len(types) == 1 and (only := next(iter(types))) in _WRITE:
        kind, write = _WRITE[only]
        return kind, [None if v is None else write(v) for v in values]
    raise TypeError(f"explanation rows: column {name!r} holds "
                    f"{', '.join(sorted(t.__name__ for t in types))}, which cannot be kept")


def pack(explanations: Mapping[str, Explanation]) -> bytes:
    """``explanations`` (by KPI) as bytes that :func:`unpack` reads back equal: each distinct
    rows table once, with the rest, in one compressed JSON document (format :data:`FORMAT`)."""
    tables: list[dict[str, Any]] = []
    index: dict[int, int] = {}

    def table_no(rows: Rows) -> int:
        if id(rows) not in index:
            index[id(rows)] = len(tables)
            kept = [_kept_column(n, v) for n, v in zip(rows.column_names, rows.values,
                                                        strict=True)]
            tables.append({"columns": list(rows.column_names),
                           "kinds": [kind for kind, _ in kept],
                           "values": [values for _, values in kept]})
        return index[id(rows)]

    kpis = {name: {"output": e.output, "by": e.by, "subject": e.subject, "period": e.period,
                   "value": e.value, "formula": e.formula, "arithmetic": e.arithmetic,
                   "reason": None if e.reason is None else [e.reason.message,
                                                            e.reason.message_zh],
                   "parts": [{"name": p.name, "description": p.description,
                              "description_zh": p.description_zh, "value": p.value,
                              "unconverted": p.unconverted, "rows": table_no(p.rows)}
                             for p in e.parts]}
            for name, e in explanations.items()}
    document = json.dumps({"kpis": kpis, "tables": tables}, ensure_ascii=False,
                          separators=(",", ":"))
    return MAGIC + bytes((FORMAT,)) + zlib.compress(document.encode("utf-8"), _LEVEL)


def unpack(data: bytes) -> dict[str, Explanation]:
    """The explanations :func:`pack` kept, equal to those it was given; bytes of format 1 are
    read too (with Arrow, imported for them alone)."""
    if data[:len(MAGIC)] == MAGIC:
        number = data[len(MAGIC)]
        if number != FORMAT:
            raise ValueError(f"kept explanation of an unknown format {number!r}")
        document = json.loads(zlib.decompress(data[len(MAGIC) + 1:]).decode("utf-8"))
        tables = [Rows(tuple(t["columns"]),
                       tuple(tuple(v) if kind is None else
                             tuple(None if x is None else _READ[kind](x) for x in v)
                             for kind, v in zip(t["kinds"], t["values"], strict=True)))
                  for t in document["tables"]]
        kpis = document["kpis"]
    else:
        kpis, tables = _unpack_format_1(data)
    out: dict[str, Explanation] = {}
    for name, e in kpis.items():
        parts = tuple(ExplainPart(p["name"], p["description"], p["description_zh"], p["value"],
                                  tables[p["rows"]], p["unconverted"]) for p in e["parts"])
        reason = Notice(*e["reason"]) if e["reason"] else None
        out[name] = Explanation(name, e["output"], e["by"], e["subject"], e["period"],
                                e["value"], e["formula"], e["arithmetic"], parts, reason)
    return out


def _unpack_format_1(data: bytes) -> tuple[dict[str, Any], list[Rows]]:
    """The explanations by KPI and the rows tables of format 1 bytes."""
    import pyarrow as pa

    size = _LENGTH.unpack_from(data, 0)[0]
    at = _LENGTH.size
    header = json.loads(data[at:at + size].decode("utf-8"))
    at += size
    if header.get("format") != 1:
        raise ValueError(f"kept explanation of an unknown format {header.get('format')!r}")
    tables: list[Rows] = []
    while at < len(data):
        size = _LENGTH.unpack_from(data, at)[0]
        at += _LENGTH.size
        with pa.ipc.open_stream(pa.py_buffer(data[at:at + size])) as reader:
            tables.append(Rows.from_arrow(reader.read_all()))
        at += size
    return header["kpis"], tables

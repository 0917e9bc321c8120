"""What an explanation of a KPI value is, and how it is kept: no Ibis, no database.

:func:`salescore.engine.explain.explain_kpis` builds these from the warehouse; a scoring run keeps
them beside the scores (:func:`pack`, bytes for the app store), so that a stored score is
explained later from what it was computed from, without the query engine (:func:`unpack`).

>>> part = ExplainPart("deals_won", "count(*) of opportunities", "统计 opportunities", 2,
...                    pa.table({"opportunity_id": ["o1", "o2"]}))
>>> e = Explanation("deals_won", "deals_won", "rep", "r1", "2025-03", 2, "deals_won",
...                 "deals_won = 2", (part,))
>>> unpack(pack({"deals_won": e}))["deals_won"] == e
True
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from salescore.core.text import Text

__all__ = ["ExplainPart", "Explanation", "Notice", "pack", "unpack"]


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
    rows: pa.Table
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


# -- kept as bytes: a JSON header, then each distinct rows table as an Arrow IPC stream --------
_FORMAT = 1
_LENGTH = struct.Struct(">Q")


def pack(explanations: Mapping[str, Explanation]) -> bytes:
    """``explanations`` (by KPI) as bytes: one JSON header and each distinct rows table once
    (inputs shared by several KPIs share their rows), Arrow IPC, zstd-compressed."""
    tables: list[pa.Table] = []
    index: dict[int, int] = {}

    def table_no(rows: pa.Table) -> int:
        if id(rows) not in index:
            index[id(rows)] = len(tables)
            tables.append(rows)
        return index[id(rows)]

    header: dict[str, Any] = {"format": _FORMAT, "kpis": {
        name: {"output": e.output, "by": e.by, "subject": e.subject, "period": e.period,
               "value": e.value, "formula": e.formula, "arithmetic": e.arithmetic,
               "reason": None if e.reason is None else [e.reason.message, e.reason.message_zh],
               "parts": [{"name": p.name, "description": p.description,
                          "description_zh": p.description_zh, "value": p.value,
                          "unconverted": p.unconverted, "rows": table_no(p.rows)}
                         for p in e.parts]}
        for name, e in explanations.items()}}
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    chunks = [_LENGTH.pack(len(head)), head]
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    for rows in tables:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, rows.schema, options=options) as writer:
            writer.write_table(rows)
        body = sink.getvalue().to_pybytes()
        chunks += [_LENGTH.pack(len(body)), body]
    return b"".join(chunks)


def unpack(data: bytes) -> dict[str, Explanation]:
    """The explanations :func:`pack` kept, equal to those it was given."""
    size = _LENGTH.unpack_from(data, 0)[0]
    at = _LENGTH.size
    header = json.loads(data[at:at + size].decode("utf-8"))
    at += size
    if header.get("format") != _FORMAT:
        raise ValueError(f"kept explanation of an unknown format {header.get('format')!r}")
    tables: list[pa.Table] = []
    while at < len(data):
        size = _LENGTH.unpack_from(data, at)[0]
        at += _LENGTH.size
        with pa.ipc.open_stream(pa.py_buffer(data[at:at + size])) as reader:
            tables.append(reader.read_all())
        at += size
    out: dict[str, Explanation] = {}
    for name, e in header["kpis"].items():
        parts = tuple(ExplainPart(p["name"], p["description"], p["description_zh"], p["value"],
                                  tables[p["rows"]], p["unconverted"]) for p in e["parts"])
        reason = Notice(*e["reason"]) if e["reason"] else None
        out[name] = Explanation(name, e["output"], e["by"], e["subject"], e["period"],
                                e["value"], e["formula"], e["arithmetic"], parts, reason)
    return out

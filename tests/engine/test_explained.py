"""Kept explanations (engine/explained.py): the rows of every kind the warehouse gives come back
equal and of the same type, shared rows are kept once, and bytes of the first format (Arrow IPC)
are still read."""

from __future__ import annotations

import json
import struct
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from salescore.engine.explained import (
    FORMAT,
    MAGIC,
    ExplainPart,
    Explanation,
    Notice,
    Rows,
    pack,
    unpack,
)

# One column of each kind a canonical table holds (string, integer, float, decimal, boolean,
# date, timestamp), and a timestamp with a zone; each with a null.
ROWS = Rows(
    ("opportunity_id", "n", "x", "amount", "won", "day", "closed_at", "seen_at"),
    (("o1", "o2", None), (1, None, 2**62), (0.1, float("inf"), None),
     (Decimal("1234.5600"), None, Decimal("-0.0001")), (True, False, None),
     (date(2025, 3, 1), None, date(2024, 12, 31)),
     (datetime(2025, 3, 1, 9, 30, 5, 123456), None, datetime(2025, 3, 31, 23, 59, 59)),
     (datetime(2025, 3, 1, 9, 30, tzinfo=UTC), None, None)))


def explanation(kpi: str, *parts: ExplainPart, reason: Notice | None = None) -> Explanation:
    return Explanation(kpi, kpi, "rep", "r1", "2025-03", parts[0].value if parts else None,
                       kpi, f"{kpi} = 2", parts, reason)


def test_every_kind_of_value_comes_back_equal_and_of_its_type() -> None:
    part = ExplainPart("deals_won", "count(*) of opportunities", "统计 opportunities", 2, ROWS)
    kept = {"deals_won": explanation("deals_won", part,
                                     reason=Notice("no rate for EUR", "没有 EUR 汇率"))}
    back = unpack(pack(kept))
    assert back == kept
    rows = back["deals_won"].parts[0].rows
    for before, after in zip(ROWS.values, rows.values, strict=True):
        assert [type(v) for v in after] == [type(v) for v in before]
    assert rows.column("amount")[0] == Decimal("1234.5600")
    assert str(rows.column("amount")[0]) == "1234.5600"  # the scale too, as it is shown


def test_rows_shared_by_several_parts_and_kpis_are_kept_once() -> None:
    """A conversion's two counts list the same rows, and two KPIs reading one input share
    the part: the rows are written once and read back as one object."""
    den = ExplainPart("entered", "d", "d", 3, ROWS)
    num = ExplainPart("went on", "n", "n", 1, ROWS.filter([True, False, False]))
    kept = {"conversion": explanation("conversion", den, num),
            "entered": explanation("entered", den)}
    data = pack(kept)
    document = json.loads(zlib.decompress(data[len(MAGIC) + 1:]))
    assert len(document["tables"]) == 2
    back = unpack(data)
    assert back == kept
    assert back["conversion"].parts[0].rows is back["entered"].parts[0].rows


def test_kept_bytes_name_their_format_and_an_unknown_one_is_refused() -> None:
    data = pack({"deals_won": explanation("deals_won",
                                          ExplainPart("deals_won", "d", "d", 0, ROWS))})
    assert data[:4] == MAGIC + bytes((FORMAT,)) == b"SCR\x02"
    with pytest.raises(ValueError, match="unknown format 3"):
        unpack(MAGIC + b"\x03" + data[4:])


def test_a_value_that_cannot_be_kept_is_named() -> None:
    rows = Rows(("rep", "span"), (("r1",), ((1, 2),)))
    with pytest.raises(TypeError, match="column 'span' holds tuple"):
        pack({"k": explanation("k", ExplainPart("k", "d", "d", 1, rows))})


def _format_1(explanations: dict[str, Explanation], tables: list[pa.Table]) -> bytes:
    """Bytes as the first kept records were written (December 2026): an 8-byte length, a JSON
    header, each part's rows by number, then each table as a zstd Arrow IPC stream."""
    length = struct.Struct(">Q")
    header: dict[str, Any] = {"format": 1, "kpis": {
        name: {"output": e.output, "by": e.by, "subject": e.subject, "period": e.period,
               "value": e.value, "formula": e.formula, "arithmetic": e.arithmetic,
               "reason": None if e.reason is None else [e.reason.message, e.reason.message_zh],
               "parts": [{"name": p.name, "description": p.description,
                          "description_zh": p.description_zh, "value": p.value,
                          "unconverted": p.unconverted, "rows": i} for i, p in enumerate(e.parts)]}
        for name, e in explanations.items()}}
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    chunks = [length.pack(len(head)), head]
    for table in tables:
        sink = pa.BufferOutputStream()
        options = pa.ipc.IpcWriteOptions(compression="zstd")
        with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
            writer.write_table(table)
        body = sink.getvalue().to_pybytes()
        chunks += [length.pack(len(body)), body]
    return b"".join(chunks)


def test_records_kept_in_the_first_format_are_still_read() -> None:
    table = pa.table({"opportunity_id": ["o1", "o2"], "value": [Decimal("10.5000"), None],
                      "closed_at": [datetime(2025, 3, 2, 8), datetime(2025, 3, 9, 17)]},
                     schema=pa.schema([("opportunity_id", pa.string()),
                                       ("value", pa.decimal128(18, 4)),
                                       ("closed_at", pa.timestamp("us"))]))
    empty = table.slice(0, 0)
    rows = Rows(("opportunity_id", "value", "closed_at"),
                (("o1", "o2"), (Decimal("10.5000"), None),
                 (datetime(2025, 3, 2, 8), datetime(2025, 3, 9, 17))))
    kept = {"revenue_won": explanation(
        "revenue_won", ExplainPart("revenue_won", "sum", "合计", 10.5, rows),
        ExplainPart("lost", "none", "无", 0, Rows(rows.column_names, ((), (), ()))))}
    assert unpack(_format_1(kept, [table, empty])) == kept


def test_rows_read_like_the_arrow_table_they_come_from() -> None:
    table = pa.table({"rep": ["r2", "r1", "r2"], "value": [1.5, None, 3.0]})
    rows = Rows.from_arrow(table)
    assert rows == Rows(("rep", "value"), (("r2", "r1", "r2"), (1.5, None, 3.0)))
    assert (rows.num_rows, rows.column_names) == (3, ("rep", "value"))
    assert rows.to_pylist() == table.to_pylist()
    assert rows.slice(1, 1).to_pylist() == table.slice(1, 1).to_pylist()
    assert rows.take([2, 0]).column("value") == (3.0, 1.5)
    assert rows.filter([False, True, True]).column("rep") == ("r1", "r2")
    assert Rows((), ()).num_rows == 0 and Rows((), ()).to_pylist() == []
    with pytest.raises(KeyError):
        rows.column("amount")
    with pytest.raises(ValueError, match="different numbers of rows"):
        Rows(("a", "b"), ((1,), (1, 2)))

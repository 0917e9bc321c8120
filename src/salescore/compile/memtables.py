"""Small tables that travel inside an expression (calendar, team membership, rates), by name.

Names are unique per compile by default, because PostgreSQL registers an in-memory table as a
temporary table under its name and refuses a second one with the same name; for SQL snapshots the
name is derived from the content instead, so the SQL text is stable.
"""

from __future__ import annotations

import hashlib
import itertools

import ibis
import ibis.expr.operations as ops
import pyarrow as pa
from ibis.formats.pyarrow import PyArrowTableProxy

_COUNTER = itertools.count()


def named_memtable(kind: str, data: pa.Table, *, stable: bool) -> ibis.Table:
    """An in-memory table called ``salescore_<kind>_<suffix>`` holding ``data``."""
    if stable:
        digest = hashlib.sha1(kind.encode())
        for batch in data.to_batches():
            for column in batch.columns:
                digest.update(str(column.to_pylist()).encode())
        suffix = digest.hexdigest()[:10]
    else:
        suffix = f"{next(_COUNTER)}_{hashlib.sha1(str(id(data)).encode()).hexdigest()[:6]}"
    return memtable_called(f"salescore_{kind}_{suffix}", data)


def memtable_called(name: str, data: pa.Table) -> ibis.Table:
    """An in-memory table called ``name`` holding ``data``."""
    op = ops.InMemoryTable(name=name, schema=ibis.Schema.from_pyarrow(data.schema),
                           data=PyArrowTableProxy(data))
    return op.to_expr()

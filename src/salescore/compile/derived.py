"""Derived facts: what a window or a join computes per row, kept beside the canonical rows.

A computed column of a source that needs a window over other rows (the time to the next reply,
the days in a stage, a customer's order number) or a join with another table (an opportunity's
first outbound touch) is worked out once when rows arrive and kept in a table of its own,
``derived__<source>__<column>`` (the source's key and ``value``), instead of on every query. Each
import recomputes only the partitions (or rows) it touched (:mod:`salescore.engine.maintain`).
A query whose context lists the column as stored (:attr:`CompileContext.stored`) joins the kept
value on the key instead of computing the window.

Kept values are computed over every row of the organisation: a viewer whose scope sees part of
a partition (a rep who sees only their own orders of a customer) reads the number the whole
partition gives (the customer's real order number), not one counted among the visible rows.

>>> from salescore.semantic.catalog import shipped_catalog
>>> cat = shipped_catalog()
>>> [f"{s.name}.{c.name}" for s, c in storable_columns(cat)][:2]
['opportunities.first_outbound_hours', 'stage_changes.days_in_stage']
>>> derived_name(cat.source("orders"), "customer_order_number")
'derived__orders__customer_order_number'
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import assert_never

import ibis
import ibis.expr.datatypes as dt

from salescore.compile.context import CompileContext, all_history
from salescore.compile.filters import columns_of
from salescore.compile.rows import SourceRows
from salescore.semantic.catalog import Catalog
from salescore.semantic.specs import (
    ComputedColumn,
    Duration,
    RelatedCount,
    SequenceNumber,
    Source,
    TimeToFirst,
    TimeToNext,
)

Storable = TimeToNext | SequenceNumber | TimeToFirst
VALUE = "value"
SPELLS = "__idle_spells"
"""The name a source's kept idle spells go by in :attr:`CompileContext.stored`."""


def derived_name(src: Source, column: str) -> str:
    """The table keeping computed ``column`` of ``src``."""
    return f"derived__{src.name}__{column}"


def storable(src: Source, c: ComputedColumn) -> bool:
    """Whether ``c`` is kept at import: a window or a first-touch join over plain columns of
    a source without idle spells or filters through references."""
    if src.idle_spells is not None or any("." in p for p in columns_of(src.filters)):
        return False
    match c:
        case TimeToNext():
            used = {*c.partition_by, c.time} | columns_of(c.filters)
        case SequenceNumber():
            used = {*c.partition_by, c.time}
        case TimeToFirst():
            used = {c.column, c.anchor, *src.key} | columns_of(c.filters)
        case Duration() | RelatedCount():
            return False
        case _:
            assert_never(c)
    return not any("." in p for p in used)


def storable_columns(catalog: Catalog) -> Iterator[tuple[Source, Storable]]:
    """Every computed column of ``catalog`` that is kept at import, with its source."""
    for src in catalog.sources.values():
        for c in src.columns:
            if isinstance(c, TimeToNext | SequenceNumber | TimeToFirst) and storable(src, c):
                yield src, c


def value_type(c: Storable) -> dt.DataType:
    return dt.int64 if isinstance(c, SequenceNumber) else dt.float64


def derived_schema(src: Source, c: Storable) -> ibis.Schema:
    """The kept table's columns: the source's key (as the canonical table types it) and
    ``value``."""
    from salescore.compile.schema import schema

    canonical = schema(src.table)
    return ibis.schema({**{k: canonical[k] for k in src.key},
                        VALUE: value_type(c).copy(nullable=True)})


def derived_table(src: Source, c: Storable) -> ibis.Table:
    """The unbound kept table of ``c``."""
    return ibis.table(derived_schema(src, c), name=derived_name(src, c.name))


def derived_rows(src: Source, c: Storable, ctx: CompileContext, *,
                 partitions: ibis.Table | None = None, keys: ibis.Table | None = None
                 ) -> ibis.Table:
    """The kept rows of ``c`` (key and ``value``), computed from the canonical rows.

    ``partitions`` (a window's partition columns) keeps only the rows of those partitions, all
    of them, before the window; ``keys`` (the source's key columns) keeps only those rows
    (for a per-row join such as the first touch). Neither: every row.
    """
    plain = CompileContext(ctx.calendar, ctx.buckets, pipeline=ctx.pipeline)

    def narrow(rows: SourceRows) -> SourceRows:
        t = rows.table
        if partitions is not None:
            cols = list(partitions.columns)
            p = partitions.select(*cols).distinct().rename({f"__p_{n}": n for n in cols})
            preds = [t[n].identical_to(p[f"__p_{n}"]) for n in cols]
            t = t.join(p, preds).select(*rows.table.columns)
        if keys is not None:
            k = keys.select(*src.key).distinct().rename({f"__k_{n}": n for n in src.key})
            t = t.join(k, [t[n] == k[f"__k_{n}"] for n in src.key]).select(*rows.table.columns)
        return SourceRows(src, t)

    rows = SourceRows.build(src, {c.name}, plain, prefilter=narrow)
    t = rows.table
    return t.select(*(t[rows.name(k)].name(k) for k in src.key),
                    t[rows.name(c.name)].cast(value_type(c)).name(VALUE))


def partition_columns(c: Storable) -> tuple[str, ...] | None:
    """The columns a window is partitioned by (``None`` for a per-row join)."""
    match c:
        case TimeToNext() | SequenceNumber():
            return tuple(c.partition_by)
        case TimeToFirst():
            return None
        case _:
            assert_never(c)


# -- idle spells --------------------------------------------------------------------------------
def spells_storable(src: Source) -> bool:
    """Whether ``src``'s idle spells are kept at import: a one-column key, and the start, end
    and touches read from plain columns (no reference to follow)."""
    sp = src.idle_spells
    if sp is None or len(src.key) != 1:
        return False
    used = {sp.start, sp.end, sp.touches_on, sp.touches_time} | columns_of(src.filters)
    return not any("." in p for p in used)


def spells_name(src: Source) -> str:
    """The table keeping the idle spells of ``src``."""
    return f"derived__{src.name}__idle_spells"


def spells_schema(src: Source) -> ibis.Schema:
    """The kept spells' columns: the source's key, ``idle_from`` and ``idle_to`` (dates)."""
    from salescore.compile.schema import schema
    from salescore.semantic.columns import IDLE_FROM, IDLE_TO

    key = src.key[0]
    return ibis.schema({key: schema(src.table)[key], IDLE_FROM: dt.date, IDLE_TO: dt.date})


def spells_table(src: Source) -> ibis.Table:
    """The unbound kept idle spells of ``src``."""
    return ibis.table(spells_schema(src), name=spells_name(src))


def spells_rows(src: Source, ctx: CompileContext, *, keys: ibis.Column | None = None
                ) -> ibis.Table:
    """The idle spells of ``src``'s rows (key, ``idle_from``, ``idle_to``; a row per spell),
    computed from the canonical rows; ``keys`` keeps only those rows'. ``ctx`` must know the
    time zone's offsets over the data's whole range (the spells are in local days)."""
    from salescore.semantic.columns import IDLE_FROM, IDLE_TO

    # Buckets over the whole range: the raw path leaves out the rows not open in its buckets'
    # days, and every row's spells are kept.
    first, last = ctx.zone_range
    plain = CompileContext(ctx.calendar, all_history(first, last, None, ctx.calendar),
                           pipeline=ctx.pipeline, zone_first=ctx.zone_first,
                           zone_last=ctx.zone_last)
    key = src.key[0]

    def narrow(rows: SourceRows) -> SourceRows:
        assert keys is not None
        return SourceRows(src, rows.table.filter(rows.col(key).isin(keys)))

    rows = SourceRows.build(src, set(), plain, prefilter=narrow if keys is not None else None)
    t = rows.table
    return t.select(t[rows.name(key)].name(key), t[IDLE_FROM].cast(dt.date).name(IDLE_FROM),
                    t[IDLE_TO].cast(dt.date).name(IDLE_TO))

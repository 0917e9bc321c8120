"""A source's rows as an unbound Ibis table, with the columns a query reads.

Column paths through references become left joins (one per referenced table, however many of its
columns are read); computed columns become window functions or joins; a source with idle spells
becomes one row per spell. Only the columns asked for are built.

>>> from salescore.semantic.catalog import shipped_catalog
>>> from salescore.compile.context import CompileContext, buckets_for
>>> from salescore.core.periods import Calendar, parse_period
>>> ctx = CompileContext(Calendar(), buckets_for(parse_period("2025-Q1"), None, Calendar()))
>>> rows = SourceRows.build(shipped_catalog().source("opportunities"), {"customer_id.region"}, ctx)
>>> rows.name("customer_id.region"), "p__customer_id__region" in rows.table.columns
('p__customer_id__region', True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import assert_never

import ibis
import ibis.expr.types as ir

from salescore.compile.context import CompileContext
from salescore.compile.filters import all_of, columns_of
from salescore.compile.schema import unbound
from salescore.compile.timezone import local_day
from salescore.core.errors import ConfigError
from salescore.model.tables import DataType, table
from salescore.semantic.columns import IDLE_FROM, IDLE_TO, resolve, resolve_in_table
from salescore.semantic.specs import (
    ComputedColumn,
    Duration,
    RelatedCount,
    SequenceNumber,
    Source,
    TimeToFirst,
    TimeToNext,
)

FAR_FUTURE = date(9999, 12, 31)


def alias(path: str) -> str:
    """The column name of a joined-in path: ``customer_id.region`` → ``p__customer_id__region``."""
    return path if "." not in path else "p__" + path.replace(".", "__")


def with_paths(t: ibis.Table, table_name: str, paths: Iterable[str]) -> ibis.Table:
    """``t`` (rows of canonical ``table_name``) with every path in ``paths`` as a column named
    :func:`alias` (path); one left join per referenced table, recursively."""
    nested: dict[str, set[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        if rest:
            nested.setdefault(head, set()).add(rest)
    for fk, subs in sorted(nested.items()):
        ref = table(table_name).column(fk).references
        if ref is None:
            raise ConfigError(f"{table_name}.{fk} references no table",
                              message_zh=f"{table_name}.{fk} 未引用任何表")
        other = with_paths(unbound(ref.table), ref.table, subs)
        picked = {alias(f"{fk}.{s}"): other[alias(s)] for s in sorted(subs)}
        right = other.select(__k=other[ref.column], **picked)
        joined = t.left_join(right, t[fk] == right["__k"])
        t = joined.select(*t.columns, *picked)
    return t


def nullable(t: ibis.Table) -> ibis.Table:
    """``t`` with every column's type nullable, as set operations need equal schemas."""
    return t.cast({name: typ.copy(nullable=True) for name, typ in t.schema().items()})


def _time_diff(later: ir.TimestampValue, earlier: ir.TimestampValue, unit_seconds: int
               ) -> ir.FloatingValue:
    seconds = later.epoch_seconds() - earlier.epoch_seconds()
    return seconds.cast("float64") / float(unit_seconds)


@dataclass(frozen=True)
class SourceRows:
    """The rows of one source: ``table`` holds every requested path under :meth:`name`."""

    source: Source
    table: ibis.Table

    def name(self, path: str) -> str:
        return alias(path)

    def col(self, path: str) -> ir.Value:
        return self.table[alias(path)]

    @classmethod
    def build(cls, source: Source, paths: Iterable[str], ctx: CompileContext, *,
              narrow: tuple[str, Sequence[str]] | None = None,
              prefilter: Callable[[SourceRows], SourceRows] | None = None,
              base: Callable[[ibis.Table], ibis.Table] | None = None) -> SourceRows:
        """The rows of ``source`` with ``paths`` (and the key and rep) available.

        ``narrow`` (a path and its values) says that only those rows are wanted in the end: they
        are kept before the computed columns that look at another table (first touch, related
        counts), so that those are worked out for these rows alone, unless a computed column
        needs the source's other rows too (a window, idle spells), in which case the caller's
        later filter does it. ``prefilter`` narrows the rows before any computed column (the
        partitions an import touched). ``base`` narrows the source's own table before any
        reference is joined (an import's rep-days).

        A computed column listed in ``ctx.stored`` is read from the table that keeps it
        (:mod:`salescore.compile.derived`), joined on the key, instead of being computed.
        """
        wanted = set(paths) | set(source.key) | {source.rep}
        computed = {c.name: c for c in source.columns}
        for path in list(wanted):
            if path in computed:
                wanted |= _inputs(computed[path])
        spells = source.idle_spells
        if spells is not None:
            wanted |= {spells.start, spells.end}
        wanted |= columns_of(source.filters)
        table_paths = {p for p in wanted if p not in computed and p not in (IDLE_FROM, IDLE_TO)}
        for p in table_paths:
            resolve_in_table(source.table, p)  # a clear error before Ibis gives a vaguer one
        own = unbound(source.table)
        t = with_paths(base(own) if base is not None else own, source.table, table_paths)
        rows = cls(source, t)
        cond = all_of(source.filters, rows.col, ctx.pipeline)
        if cond is not None:
            rows = cls(source, rows.table.filter(cond))
        if prefilter is not None:
            rows = prefilter(rows)
        needed = [computed[name] for name in sorted(p for p in wanted if p in computed)]
        kept = [c for c in needed if (source.name, c.name) in ctx.stored]
        needed = [c for c in needed if (source.name, c.name) not in ctx.stored]
        alone = spells is None and not any(isinstance(c, TimeToNext | SequenceNumber)
                                           for c in needed)
        if narrow is not None and alone:
            path, values = narrow
            rows = cls(source, rows.table.filter(rows.col(path).isin(list(values))))
        for c in kept:
            rows = cls(source, rows._with_kept(c))
        for c in needed:
            if isinstance(c, TimeToFirst | RelatedCount):
                rows = cls(source, rows._with_joined(c, ctx))
        # One projection for every window column: windows sharing a partition and order are
        # then computed in one pass (DuckDB sorts once), not one nested query each.
        local = {c.name: rows._window_column(c, ctx) for c in needed
                 if isinstance(c, Duration | TimeToNext | SequenceNumber)}
        if local:
            rows = cls(source, rows.table.mutate(**local))
        if spells is not None:
            rows = rows._spells(ctx)
        return rows

    def _order(self, time: str) -> list[ir.Value]:
        return [self.col(time), *(self.col(k) for k in self.source.key)]

    def _window_column(self, c: Duration | TimeToNext | SequenceNumber, ctx: CompileContext
                       ) -> ir.Value:
        """A computed column that needs no join: row arithmetic or a window function."""
        match c:
            case Duration():
                return _time_diff(self.col(c.end), self.col(c.start), c.unit.seconds)
            case TimeToNext():
                part = [self.col(p) for p in c.partition_by]
                time = self.col(c.time)
                if c.filters:
                    cond = all_of(c.filters, self.col, ctx.pipeline)
                    assert cond is not None
                    w = ibis.window(group_by=part, order_by=self._order(c.time), rows=(1, None))
                    nxt = ibis.cases((cond, time)).min().over(w)
                else:
                    w = ibis.window(group_by=part, order_by=self._order(c.time))
                    nxt = time.lead().over(w)
                return _time_diff(nxt, time, c.unit.seconds)
            case SequenceNumber():
                part = [self.col(p) for p in c.partition_by]
                w = ibis.window(group_by=part, order_by=self._order(c.time))
                return ibis.row_number().over(w) + 1
            case _:
                assert_never(c)

    def _with_kept(self, c: ComputedColumn) -> ibis.Table:
        """This source's table with computed column ``c`` read from where it is kept."""
        from salescore.compile.derived import VALUE, derived_table

        assert isinstance(c, TimeToNext | SequenceNumber | TimeToFirst)
        t = self.table
        kept = derived_table(self.source, c)
        keys = [self.name(k) for k in self.source.key]
        right = kept.select(**{f"__d_{k}": kept[k] for k in self.source.key},
                            **{c.name: kept[VALUE]})
        joined = t.left_join(right, [t[a] == right[f"__d_{k}"]
                                     for a, k in zip(keys, self.source.key, strict=True)])
        return joined.select(*t.columns, c.name)

    def _with_joined(self, c: TimeToFirst | RelatedCount, ctx: CompileContext) -> ibis.Table:
        """This source's table with computed column ``c``, which looks at another table."""
        t = self.table
        match c:
            case TimeToFirst():
                other = unbound(c.table)
                cond = all_of(c.filters, other.__getitem__, ctx.pipeline)
                if cond is not None:
                    other = other.filter(cond)
                other = other.select(__o=other[c.other], __t=other[c.time])
                keys = [self.name(k) for k in self.source.key]
                mine = t.select(*keys, __c=self.col(c.column), __a=self.col(c.anchor))
                hits = mine.join(other, [mine["__c"] == other["__o"],
                                         other["__t"] >= mine["__a"]])
                first = hits.group_by(keys).aggregate(
                    **{c.name: _time_diff(hits["__t"].min(), hits["__a"].min(), c.unit.seconds)})
                return t.left_join(first, keys).select(*t.columns, c.name)
            case RelatedCount():
                other = unbound(c.table)
                cond = all_of(c.filters, other.__getitem__, ctx.pipeline)
                if cond is not None:
                    other = other.filter(cond)
                counts = other.group_by(__o=other[c.other]).aggregate(__n=other.count())
                looked = t.left_join(counts, self.col(c.column) == counts["__o"])
                return looked.select(*t.columns, **{c.name: looked["__n"].fill_null(0)})
            case _:
                assert_never(c)

    def local_day(self, path: str, ctx: CompileContext) -> ir.DateValue:
        """The local date of column ``path`` (a date column is already local)."""
        col = self.col(path)
        kind = resolve(self.source, path).type
        if kind is DataType.DATE:
            return col
        first, last = ctx.zone_range
        return local_day(col, ctx.calendar.zone, first, last)

    def _spells(self, ctx: CompileContext) -> SourceRows:
        sp = self.source.idle_spells
        assert sp is not None
        if len(self.source.key) != 1:
            raise ConfigError("idle spells need a source with a one-column key",
                              message_zh="空闲时段要求数据源的主键只有一列")
        key = self.name(self.source.key[0])
        first, last = ctx.zone_range
        zone = ctx.calendar.zone
        t = self.table
        from salescore.compile.derived import SPELLS, spells_table

        if (self.source.name, SPELLS) in ctx.stored:
            # Kept at import (salescore.compile.derived): one row per spell, by key.
            kept = spells_table(self.source)
            spells = kept.select(__k=kept[self.source.key[0]], **{
                IDLE_FROM: kept[IDLE_FROM], IDLE_TO: kept[IDLE_TO]})
            return SourceRows(self.source,
                              t.join(spells, t[key] == spells["__k"]).drop("__k"))
        own = t.select(__k=t[key], __start=self.local_day(sp.start, ctx),
                       __end=self.local_day(sp.end, ctx))
        # Only the rows open at some time in the buckets' days can have a spell there (a spell
        # runs from some days after a touch to the next touch or the close): the other rows'
        # touches are left out before the window, which is the cost of this source.
        lo, hi = ctx.buckets.first_day, ctx.buckets.last_day
        own = own.filter(own["__start"] <= hi, own["__end"].isnull() | (own["__end"] >= lo))
        acts = unbound(sp.touches_table)
        acts = acts.filter(acts[sp.touches_on].notnull())
        acts = acts.semi_join(own, acts[sp.touches_on] == own["__k"])
        # no distinct of its own: the union below keeps each (row, day) once
        acts = acts.select(__k=acts[sp.touches_on],
                           __d=local_day(acts[sp.touches_time], zone, first, last))
        touches = ibis.union(nullable(own.select("__k", __d=own["__start"])), nullable(acts),
                             distinct=True)
        joined = touches.join(own, "__k")
        joined = joined.filter(
            (joined["__d"] >= joined["__start"])
            & (joined["__d"] < joined["__end"].fill_null(ibis.literal(FAR_FUTURE)))
        )
        w = ibis.window(group_by=joined["__k"], order_by=joined["__d"])
        nxt = joined["__d"].lead().over(w)
        spells = joined.select(
            "__k",
            **{IDLE_FROM: joined["__d"] + ibis.interval(days=sp.days),
               IDLE_TO: ibis.least(nxt, joined["__end"])},
        )
        spells = spells.filter(spells[IDLE_TO].isnull() | (spells[IDLE_FROM] < spells[IDLE_TO]))
        out = t.join(spells, t[key] == spells["__k"]).drop("__k")
        return SourceRows(self.source, out)


def _inputs(c: ComputedColumn) -> set[str]:
    match c:
        case Duration():
            return {c.start, c.end}
        case TimeToNext():
            return {*c.partition_by, c.time} | columns_of(c.filters)
        case TimeToFirst():
            return {c.column, c.anchor}
        case RelatedCount():
            return {c.column}
        case SequenceNumber():
            return {*c.partition_by, c.time}
        case _:
            assert_never(c)

"""Daily roll-ups: additive measures kept per rep × local day × one dimension at a time.

For every source and time column the catalogue's additive measures use (counts, sums, and
averages kept as a sum and a count), a roll-up table ``rollup__<source>__<time>`` holds one row
per rep, local day and value of each dimension the source can be split by (``dim`` names the
dimension, ``''`` for none, ``dim_value`` its value as text), with one column per measure (an
average: ``<column>__s`` and ``<column>__n``). A query for reps, teams (through the team tree at
query time), the company or one dimension then adds up days instead of reading every row: the
rows, their joins and their time zone conversion were paid once, at import.

What is not additive stays on the raw rows: medians, minima and maxima, distinct counts,
snapshots (open pipeline at a period's end), conversions and period-over-period retention,
targets placed by period label, the ``customer`` dimension (as fine as the rows), money in
another currency than the reporting one (converted at each row's own day's rate), and measures
reading a column whose value depends on rows of other tables that an import would not tell
(a related count).

>>> from salescore.semantic.catalog import shipped_catalog
>>> from salescore.model.org import Pipeline
>>> specs = rollup_specs(shipped_catalog(), Pipeline())
>>> [s.name for s in specs][:2]
['rollup__activities__occurred_at', 'rollup__opportunities__closed_at']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from salescore.compile.context import CompileContext
from salescore.compile.derived import storable
from salescore.compile.filters import all_of, columns_of
from salescore.compile.rows import SourceRows
from salescore.compile.timezone import local_day
from salescore.model.org import Pipeline
from salescore.model.tables import MONEY_SCALE, table
from salescore.semantic.catalog import Catalog
from salescore.semantic.columns import resolve
from salescore.semantic.kpi_plan import MeasureUse, plan_kpis
from salescore.semantic.specs import Agg, Duration, Source

REP = "rep"
DAY = "day"
DIM = "dim"
DIM_VALUE = "dim_value"
ROW_DAY = "__day"
LEFT_OUT = frozenset({"customer"})
EXACT = dt.Decimal(38, MONEY_SCALE)


def fingerprint(u: MeasureUse) -> str:
    """What identifies a measure in a roll-up: its whole definition but its description."""
    m = u.measure.model_dump(mode="json", exclude={"description", "name"})
    return hashlib.sha1(json.dumps(m, sort_keys=True).encode()).hexdigest()[:16]


def kind_of(src: Source, u: MeasureUse) -> str | None:
    """How measure ``u`` adds up over days (``count``, ``sum``, ``avg``), or ``None`` when it
    must be answered from the raw rows."""
    m = u.measure
    if m.time is None or m.snapshot is not None or "." in m.time:
        return None
    if src.idle_spells is not None or src.period_label is not None:
        return None
    computed = {c.name: c for c in src.columns}
    if m.time in computed:
        return None
    for path in {m.column or "", *columns_of(m.filters)} - {""}:
        c = computed.get(path)
        if c is not None and not (isinstance(c, Duration) or storable(src, c)):
            return None
    match m.agg:
        case Agg.COUNT:
            return "count"
        case Agg.SUM:
            return "sum"
        case Agg.AVG:
            return "avg"
        case _:
            return None


def _visible_with(current: str, path: str) -> bool:
    """Whether, for every visible row of table ``current``, the row that reference ``path``
    leads to is visible too (a customer of a visible activity; an opportunity of a visible
    stage change), hop by hop; a plain column always is."""
    *hops, _ = path.split(".")
    for fk in hops:
        ref = table(current).column(fk).references
        if ref is None:
            return False
        owner = table(current).owner
        target = table(ref.table).owner
        covered = (owner is not None and owner.via == fk) or target is None or \
            (target is not None and current in target.referenced_by)
        if not covered:
            return False
        current = ref.table
    return True


def _rep_owned(current: str, path: str) -> bool:
    """Whether every row whose rep (reached by ``path``) is in a scope is visible to it."""
    owner = table(current).owner
    if owner is None:
        return True
    if "." not in path:
        return path in owner.reps
    fk, rest = path.split(".", 1)
    ref = table(current).column(fk).references
    return ref is not None and owner.via == fk and _rep_owned(ref.table, rest)


def scope_safe(src: Source, u: MeasureUse) -> bool:
    """Whether a scoped session may answer measure ``u`` from roll-up rows of the reps in its
    reach (at grain rep or team) and get what its raw rows give: every row of a rep in reach is
    visible to it, and every reference the measure reads leads to rows visible with it (a
    filter on another rep's team would read NULL for a rep out of reach).

    >>> from salescore.semantic.catalog import shipped_catalog
    >>> from salescore.model.org import Pipeline
    >>> specs = {s.name: s for s in rollup_specs(shipped_catalog(), Pipeline())}
    >>> spec = specs["rollup__assists_given__occurred_at"]
    >>> [(u.column, scope_safe(spec.source, u)) for u, _ in spec.measures][-1]
    ('m__cross_team_assists', False)
    """
    if not _rep_owned(src.table, src.rep):
        return False
    computed = {c.name: c for c in src.columns}
    paths = {u.measure.column or "", u.measure.time or "", *columns_of(u.measure.filters)}
    for path in paths - {""}:
        c = computed.get(path)
        if isinstance(c, Duration):
            if not (_visible_with(src.table, c.start) and _visible_with(src.table, c.end)):
                return False
        elif c is None and not _visible_with(src.table, path):
            return False
    return True


@dataclass(frozen=True)
class RollupSpec:
    """One roll-up table: a source, the time column placing its rows, the measures it keeps
    (each with its kind) and the dimensions it is split by."""

    source: Source
    time: str
    measures: tuple[tuple[MeasureUse, str], ...]
    dimensions: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"rollup__{self.source.name}__{self.time}"

    def is_money(self, u: MeasureUse) -> bool:
        m = u.measure
        return bool(m.column) and resolve(self.source, m.column or "").is_money

    def value_columns(self) -> dict[str, dt.DataType]:
        """The measure columns of the table and their types."""
        out: dict[str, dt.DataType] = {}
        for u, kind in self.measures:
            match kind:
                case "count":
                    out[u.column] = dt.int64
                case "sum":
                    out[u.column] = EXACT if self.is_money(u) else dt.float64
                case _:
                    out[f"{u.column}__s"] = dt.float64
                    out[f"{u.column}__n"] = dt.int64
        return out


def rollup_specs(catalog: Catalog, pipeline: Pipeline) -> list[RollupSpec]:
    """The roll-ups that keep every additive measure the catalogue's KPIs use."""
    plan = plan_kpis(catalog, list(catalog.kpis), stages=pipeline.open_stage_names())
    grouped: dict[tuple[str, str], list[tuple[MeasureUse, str]]] = {}
    for u in plan.measures:
        src = catalog.source(u.source)
        kind = kind_of(src, u)
        if kind is None:
            continue
        assert u.measure.time is not None
        grouped.setdefault((src.name, u.measure.time), []).append((u, kind))
    out = []
    for (source_name, time), uses in grouped.items():
        src = catalog.source(source_name)
        dims = tuple(d for d in src.dimensions if d not in LEFT_OUT)
        out.append(RollupSpec(src, time, tuple(uses), dims))
    return out


def rollup_rows(spec: RollupSpec, ctx: CompileContext, extra: Sequence[str] = (), *,
                within: tuple[Any, Any] | None = None, pairs: ibis.Table | None = None
                ) -> SourceRows:
    """The source's rows with what the roll-up needs: the rep, the dimensions, every measure's
    column and filters, and the local day (``__day``) of the time column (rows without one
    are left out); ``extra`` paths besides. ``within`` (from, until) keeps only the rows whose
    time is in that half-open range, before any join (an import's days); ``pairs`` (text
    ``r``, date ``d``) keeps only the rows of those reps on those local days, before any join
    too (the source's rep must then be a column of its own table)."""
    src = spec.source
    paths = {*extra, src.rep, spec.time, *(src.dimensions[d] for d in spec.dimensions)}
    for u, _ in spec.measures:
        paths |= {u.measure.column or "", *columns_of(u.measure.filters)} - {""}

    def near(own: ibis.Table) -> ibis.Table:
        col = own[spec.time]
        if within is not None:
            own = own.filter((col >= within[0]) & (col < within[1]))
        if pairs is not None:
            assert "." not in src.rep and "." not in spec.time
            own = own.filter(col.notnull())
            day = own[spec.time] if not own[spec.time].type().is_timestamp() else \
                local_day(own[spec.time], ctx.calendar.zone, *ctx.zone_range)
            rep = own[src.rep].cast("string")
            own = own.semi_join(pairs, [rep.identical_to(pairs["r"]), day == pairs["d"]])
        return own

    narrowed = within is not None or pairs is not None
    rows = SourceRows.build(src, paths, ctx, base=near if narrowed else None)
    t = rows.table.filter(rows.col(spec.time).notnull())
    t = t.mutate(**{ROW_DAY: SourceRows(src, t).local_day(spec.time, ctx)})
    return SourceRows(src, t)


def rollup_aggregate(spec: RollupSpec, rows: SourceRows, ctx: CompileContext) -> ibis.Table:
    """The roll-up's rows from ``rows`` (as :func:`rollup_rows` gives them): one grouped pass
    per dimension and one without, stacked."""
    t = rows.table
    aggs: dict[str, ir.Value] = {}
    for u, kind in spec.measures:
        m = u.measure
        where = all_of(m.filters, rows.col, ctx.pipeline)
        col = t[rows.name(m.column)] if m.column else None
        match kind:
            case "count":
                aggs[u.column] = t.count(where=where) if col is None else col.count(where=where)
            case "sum":
                assert col is not None
                typ = EXACT if spec.is_money(u) else dt.float64
                aggs[u.column] = col.cast(typ).sum(where=where)
            case _:
                assert col is not None
                value = col.cast("float64")
                aggs[f"{u.column}__s"] = value.sum(where=where)
                aggs[f"{u.column}__n"] = value.count(where=where)
    types = spec.value_columns()
    rep = t[rows.name(spec.source.rep)].cast("string")
    parts = []
    for dim in ("", *spec.dimensions):
        value = t[rows.name(spec.source.dimensions[dim])].cast("string") if dim else \
            ibis.null(dt.string)
        grouped = t.group_by(**{REP: rep, DAY: t[ROW_DAY], DIM: ibis.literal(dim, dt.string),
                                DIM_VALUE: value}).aggregate(**aggs)
        parts.append(grouped.select(
            grouped[REP].cast(dt.String(nullable=True)).name(REP),
            grouped[DAY].cast(dt.Date(nullable=True)).name(DAY),
            grouped[DIM].cast(dt.String(nullable=True)).name(DIM),
            grouped[DIM_VALUE].cast(dt.String(nullable=True)).name(DIM_VALUE),
            *(grouped[c].cast(typ.copy(nullable=True)).name(c) for c, typ in types.items())))
    return ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]


def rollup_schema(spec: RollupSpec) -> ibis.Schema:
    return ibis.schema({REP: dt.string, DAY: dt.date, DIM: dt.string, DIM_VALUE: dt.string,
                        **spec.value_columns()})


def rollup_table(name: str, columns: Sequence[tuple[str, dt.DataType]]) -> ibis.Table:
    """An unbound roll-up table ``name`` with ``columns`` besides its keys."""
    return ibis.table(ibis.schema({REP: dt.string, DAY: dt.date, DIM: dt.string,
                                   DIM_VALUE: dt.string, **dict(columns)}), name=name)

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
from salescore.semantic.kpi_plan import ConversionUse, MeasureUse, plan_kpis
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
                within: tuple[Any, Any] | None = None, pairs: ibis.Table | None = None,
                by_month: bool = False, pair_item: str | None = None) -> SourceRows:
    """The source's rows with what the roll-up needs: the rep, the dimensions, every measure's
    column and filters, and the local day (``__day``) of the time column (rows without one
    are left out); ``extra`` paths besides. ``within`` (from, until) keeps only the rows whose
    time is in that half-open range, before any join (an import's days); ``pairs`` (text
    ``r``, date ``d``) keeps only the rows of those reps on those local days, before any join
    too (the source's rep must then be a column of its own table). ``by_month``: ``__day``
    (and the days of ``pairs``) is the first day of the local month instead; ``pair_item``
    (a column of the source's own table): ``pairs`` has a third column ``i``, and only the
    rows of those (rep, day, item) triples are kept."""
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
            if by_month:
                day = month_of(day)
            on = [rep.identical_to(pairs["r"]), day == pairs["d"]]
            if pair_item is not None:
                on.append(own[pair_item].cast("string").identical_to(pairs["i"]))
            own = own.semi_join(pairs, on)
        return own

    narrowed = within is not None or pairs is not None
    rows = SourceRows.build(src, paths, ctx, base=near if narrowed else None)
    t = rows.table.filter(rows.col(spec.time).notnull())
    day = SourceRows(src, t).local_day(spec.time, ctx)
    t = t.mutate(**{ROW_DAY: month_of(day) if by_month else day})
    return SourceRows(src, t)


def month_of(day: ir.DateValue) -> ir.DateValue:
    """The first day of ``day``'s month (a date)."""
    return ibis.date(day.year(), day.month(), 1)


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


# -- distinct items per rep and day -------------------------------------------------------------
ITEM = "item"


def _plain_or_kept(src: Source, paths: set[str]) -> bool:
    """Whether every path is a column of the source's own table, or a kept derived fact of it
    (a window kept at import), never a reference or a column computed per query."""
    computed = {c.name: c for c in src.columns}
    for path in paths - {""}:
        c = computed.get(path)
        if c is not None:
            if isinstance(c, Duration) or not storable(src, c):
                return False
        elif "." in path:
            return False
    return True


def _items_allowed(src: Source, time: str, item: str) -> bool:
    if src.idle_spells is not None or src.period_label is not None or columns_of(src.filters):
        return False
    computed = {c.name for c in src.columns}
    return "." not in time and time not in computed and "." not in item and item not in computed


def conversion_fingerprint(u: ConversionUse) -> str:
    """What identifies a conversion in a kept item table: its rows, item, time and filters."""
    k = u.kpi.model_dump(mode="json", by_alias=True,
                         include={"source", "entity", "time", "from_", "to"})
    return hashlib.sha1(json.dumps(k, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ItemSpec:
    """Distinct items (``item``: a customer, an opportunity) kept per rep × local month.

    One row per rep, local month (``day``: its first day) and item with a 0/1 flag per
    measure (the item had a row passing the measure's filters that month) or, for
    conversions, per conversion: ``__den`` (a row passing ``from``) and ``__num`` (such a
    row, and the item ever reached ``to``).
    A distinct count for any set of reps and whole months (a month, quarter, year, fiscal
    year) is then the number of distinct items flagged among their rows: exact, however the
    months add up; for one rep and one month, the number of flagged rows. Months, not days:
    a rep meets mostly other customers each day, so a daily table is nearly as long as the
    rows themselves (3.7 M of 5.1 M activities on the medium demo), a monthly one under a
    third (1.6 M); weeks and day ranges are answered from the raw rows. Only the rows that pass some
    flag are kept. A conversion's flags depend on the item's other rows, so its table is
    recomputed per item an import touches (:attr:`per_item`); a distinct count's per rep,
    month and item (where the rep is a column of the source's own table; else per month).
    """

    source: Source
    time: str
    item: str
    measures: tuple[MeasureUse, ...] = ()
    conversions: tuple[ConversionUse, ...] = ()
    dimensions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        kind = "conversions" if self.conversions else "items"
        return f"{kind}__{self.source.name}__{self.time}__{self.item}"

    @property
    def per_item(self) -> bool:
        return bool(self.conversions)

    def paths(self) -> set[str]:
        """Every column path its rows read."""
        out = {self.source.rep, self.time, self.item}
        for u in self.measures:
            out |= columns_of(u.measure.filters)
        for c in self.conversions:
            out |= columns_of(c.kpi.from_) | columns_of(c.kpi.to)
        return out

    def value_columns(self) -> dict[str, dt.DataType]:
        out: dict[str, dt.DataType] = {u.column: dt.int64 for u in self.measures}
        for c in self.conversions:
            out[c.denominator] = dt.int64
            out[c.numerator] = dt.int64
        return out

    def schema(self) -> ibis.Schema:
        return ibis.schema({REP: dt.string, DAY: dt.date, ITEM: dt.string,
                            **self.value_columns()})


def item_specs(catalog: Catalog, pipeline: Pipeline) -> list[ItemSpec]:
    """The item tables that keep every distinct count, period-over-period comparison and
    conversion of the catalogue's KPIs that can be kept (plain columns of the source's own
    table, or kept windows)."""
    plan = plan_kpis(catalog, list(catalog.kpis), stages=pipeline.open_stage_names())
    measures: dict[tuple[str, str, str], dict[str, MeasureUse]] = {}
    uses = [*plan.measures,
            *(MeasureUse(p.previous.removesuffix("__prev").replace("p__", "m__", 1), p.measure)
              for p in plan.pops)]
    for u in uses:
        m = u.measure
        src = catalog.source(m.source)
        if m.agg is not Agg.COUNT_DISTINCT or m.time is None or m.snapshot is not None \
                or m.column is None or not _items_allowed(src, m.time, m.column) \
                or not _plain_or_kept(src, columns_of(m.filters)):
            continue
        found = measures.setdefault((src.name, m.time, m.column), {})
        found.setdefault(fingerprint(u), u)
    out = [ItemSpec(catalog.source(s), time, item, tuple(found.values()))
           for (s, time, item), found in measures.items()]
    convs: dict[tuple[str, str, str], list[ConversionUse]] = {}
    for c in plan.conversions:
        k = c.kpi
        src = catalog.source(k.source)
        if not _items_allowed(src, k.time, k.entity) or \
                not _plain_or_kept(src, columns_of(k.from_) | columns_of(k.to)):
            continue
        convs.setdefault((src.name, k.time, k.entity), []).append(c)
    out += [ItemSpec(catalog.source(s), time, item, conversions=tuple(cs))
            for (s, time, item), cs in convs.items()]
    return out


def with_reached(rows: SourceRows, conversions: Sequence[ConversionUse], pipeline: Pipeline
                 ) -> SourceRows:
    """``rows`` with each conversion's flag: 1 where the row's item ever reached ``to``.

    One grouped pass per item column gives every flag, joined back on the item (cheaper than
    one window per conversion)."""
    by_entity: dict[str, list[ConversionUse]] = {}
    for c in conversions:
        by_entity.setdefault(c.kpi.entity, []).append(c)
    for entity, uses in by_entity.items():
        t = rows.table
        flags = {}
        for c in uses:
            reached = all_of(c.kpi.to, rows.col, pipeline)
            assert reached is not None
            flags[c.flag] = ibis.cases((reached, 1), else_=0).max()
        items = t.group_by(__item=rows.col(entity)).aggregate(**flags)
        joined = t.left_join(items, rows.col(entity) == items["__item"])
        rows = SourceRows(rows.source, joined.select(*t.columns, *flags))
    return rows


def item_rows(spec: ItemSpec, ctx: CompileContext, *, items: ibis.Column | None = None,
              within: tuple[Any, Any] | None = None, pairs: ibis.Table | None = None
              ) -> SourceRows:
    """The source's rows an item table is built from, with the local month (``__day``, its
    first day) and,
    for conversions, the reached flags (over all of an item's rows, whenever). ``items``
    keeps only those items' rows (before the flags: all their rows); ``within`` and ``pairs``
    as :func:`rollup_rows` (for distinct counts only)."""
    src = spec.source
    if not spec.per_item:
        assert items is None
        return _rollup_like_rows(spec, ctx, within=within, pairs=pairs)
    assert within is None and pairs is None

    def narrow(rows: SourceRows) -> SourceRows:
        assert items is not None
        return SourceRows(src, rows.table.filter(rows.col(spec.item).isin(items)))

    rows = SourceRows.build(src, spec.paths(), ctx,
                            prefilter=narrow if items is not None else None)
    rows = with_reached(rows, spec.conversions, ctx.pipeline)
    t = rows.table.filter(rows.col(spec.time).notnull())
    t = t.mutate(**{ROW_DAY: month_of(SourceRows(src, t).local_day(spec.time, ctx))})
    return SourceRows(src, t)


def item_aggregate(spec: ItemSpec, rows: SourceRows, ctx: CompileContext) -> ibis.Table:
    """The item table's rows from ``rows`` (as :func:`item_rows` gives them): one per rep,
    day and item with a row passing some flag."""
    names = list(spec.value_columns())
    conds = [_flag(spec, rows, n, ctx).fill_null(False) for n in names]
    any_flag = conds[0]
    for more in conds[1:]:
        any_flag = any_flag | more
    t = rows.table.filter(any_flag)
    view = SourceRows(rows.source, t)
    rebuilt = {name: _flag(spec, view, name, ctx) for name in names}
    grouped = t.group_by(**{
        REP: t[rows.name(spec.source.rep)].cast("string"), DAY: t[ROW_DAY],
        ITEM: t[rows.name(spec.item)].cast("string")}).aggregate(
        **{name: ibis.cases((cond, 1), else_=0).max() for name, cond in rebuilt.items()})
    types = spec.schema()
    return grouped.select(*(grouped[c].cast(typ.copy(nullable=True)).name(c)
                            for c, typ in types.items()))


def _flag(spec: ItemSpec, rows: SourceRows, name: str, ctx: CompileContext
          ) -> ir.BooleanValue:
    """Flag column ``name``'s condition over ``rows``."""
    t = rows.table
    item = t[rows.name(spec.item)]
    for u in spec.measures:
        if u.column == name:
            where = all_of(u.measure.filters, rows.col, ctx.pipeline)
            return item.notnull() if where is None else where & item.notnull()
    for c in spec.conversions:
        came = all_of(c.kpi.from_, rows.col, ctx.pipeline)
        assert came is not None
        if c.denominator == name:
            return came
        if c.numerator == name:
            return came & (t[c.flag] == 1)
    raise KeyError(name)


def _rollup_like_rows(spec: ItemSpec, ctx: CompileContext, *,
                      within: tuple[Any, Any] | None, pairs: ibis.Table | None) -> SourceRows:
    as_rollup = RollupSpec(spec.source, spec.time, tuple((u, "distinct") for u in spec.measures),
                           ())
    triples = pairs is not None and "i" in pairs.columns
    return rollup_rows(as_rollup, ctx, [spec.item], within=within, pairs=pairs, by_month=True,
                       pair_item=spec.item if triples else None)

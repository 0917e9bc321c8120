"""KPIs to one unbound Ibis expression: one grouped pass per source and placement, then formulas.

For every source the plan reads, the rows are built once (:mod:`salescore.compile.rows`), placed
in periods (by the local date of a timestamp joined to a small calendar table, by a snapshot at a
period's end or start, or by a period label), given their subject (rep, every team up the tree,
the company, or a dimension value) and aggregated in one ``GROUP BY`` with one filtered aggregate
per measure. The aggregates of all sources are stacked and folded into one row per subject and
period, joined onto the grid of every subject and period, and each output column's formula is
evaluated there: ratios divide sums at the requested grain, and a division by zero is NULL.

Missing values: a count or sum of a subject with no rows in a period is 0; an average, median,
minimum, maximum or any ratio is NULL (there is nothing to average, or the denominator is 0).
An unknown value (NULL) is left out of sums and averages, never read as 0; the row still counts
in counts and conversions.

Money is summed exactly (as decimals, to 4 places) and becomes a float only once aggregated.
Where amounts may be in another currency than the reporting one, each is converted with the
rate of its day; a money aggregate over any amount that cannot be converted (no rate that day,
or no currency) is NULL, not the sum of the rest, and :attr:`CompiledKpis.unconvertible` names
the outputs that read one.

>>> from salescore.semantic.catalog import shipped_catalog
>>> from salescore.compile.context import CompileContext, buckets_for
>>> from salescore.core.periods import Calendar, Grain, parse_period
>>> ctx = CompileContext(Calendar(), buckets_for(parse_period("2025-Q1"), Grain.MONTH, Calendar()))
>>> q = compile_kpis(shipped_catalog(), ["win_rate", "revenue_won"], "rep", ctx)
>>> q.expr.columns
('rep_id', 'period', 'win_rate', 'revenue_won')
>>> "GROUP BY" in q.sql("duckdb")
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, assert_never

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from salescore.compile.context import Bucket, CompileContext, RollupColumn
from salescore.compile.filters import all_of, columns_of
from salescore.compile.memtables import named_memtable
from salescore.compile.rollups import DAY as DAY_KEY
from salescore.compile.rollups import (
    DIM,
    DIM_VALUE,
    ITEM,
    REP,
    conversion_fingerprint,
    fingerprint,
    rollup_table,
    with_reached,
)
from salescore.compile.rows import FAR_FUTURE, SourceRows, nullable
from salescore.compile.schema import unbound
from salescore.core.errors import ConfigError
from salescore.core.periods import Grain, Period, month_end
from salescore.model.tables import MONEY_SCALE
from salescore.semantic.catalog import Catalog
from salescore.semantic.columns import resolve
from salescore.semantic.expression import ARITHMETIC, Binary, Expr, Negate, Number, Ref
from salescore.semantic.kpi_plan import (
    ConversionUse,
    MeasureUse,
    Output,
    PopUse,
    QueryPlan,
    plan_kpis,
)
from salescore.semantic.specs import Agg, Source

SUBJECT = "__subject"
PERIOD = "__period"
DAY = "__day"
BUILT_IN_GRAINS = ("rep", "team", "company")
COMPANY = "company"


def subject_column(by: str) -> str | None:
    """The output column naming the subject: ``rep_id``, ``team_id``, none for the company, or
    the dimension's name."""
    match by:
        case "rep":
            return "rep_id"
        case "team":
            return "team_id"
        case "company":
            return None
        case _:
            return by


@dataclass(frozen=True, slots=True)
class Placement:
    """How rows land in periods: by a time column, a snapshot, or a period label."""

    kind: Literal["time", "snapshot", "label"]
    time: str | None = None
    at: Literal["end", "start"] | None = None
    valid_from: str | None = None
    valid_to: str | None = None


@dataclass(frozen=True)
class CompiledKpis:
    """The compiled query and what it returns.

    ``expr`` has the subject column (unless the grain is the company), ``period`` and one column
    per output, one row per subject and period. ``missing`` lists outputs that are NULL because
    their source cannot be split by the requested dimension.
    """

    expr: ibis.Table
    plan: QueryPlan
    by: str
    outputs: tuple[str, ...]
    subject: str | None
    missing: tuple[str, ...] = ()
    passes: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    unconvertible: tuple[str, ...] = ()
    """Outputs over money that may be in a currency the context has no rate for: NULL where
    any such amount is among their rows."""
    from_rollups: tuple[str, ...] = ()
    """The aggregated measure columns answered from daily roll-ups or kept item tables (the
    rest: raw rows)."""
    from_items: tuple[str, ...] = ()
    """The distinct counts (measure columns), conversions (numerator columns) and
    period-over-period comparisons (previous-period columns) answered from kept item tables
    (:class:`salescore.compile.rollups.ItemSpec`)."""

    def sql(self, dialect: str = "duckdb") -> str:
        """The SQL text of the query in ``dialect`` (duckdb, postgres, pyspark, trino, ...)."""
        if dialect == "pyspark":
            _pyspark_options()
        return str(ibis.to_sql(self.expr, dialect=dialect))


class _SparkCompileOptions(ibis.config.Config):
    treat_nan_as_null: bool = False


def _pyspark_options() -> None:
    """Ibis's PySpark compiler reads ``ibis.options.pyspark``, which only the PySpark backend
    registers; printing Spark SQL must not need pyspark installed, so stand in with the default."""
    if getattr(ibis.options, "pyspark", None) is not None:
        return
    try:
        ibis.pyspark  # noqa: B018 - loading the backend registers its options
    except (ImportError, AttributeError):
        ibis.options.pyspark = _SparkCompileOptions()


def check_grain(catalog: Catalog, by: str) -> None:
    if by in BUILT_IN_GRAINS or by in catalog.dimensions():
        return
    known = ", ".join([*BUILT_IN_GRAINS, *catalog.dimensions()])
    raise ConfigError(f"unknown grain {by!r} (use one of {known})",
                      message_zh=f"未知的统计对象 {by!r}（可用：{known}）")


def compile_kpis(catalog: Catalog, names: Sequence[str], by: str, ctx: CompileContext
                 ) -> CompiledKpis:
    """Compile KPIs ``names`` for subjects ``by`` over ``ctx.buckets`` into one expression."""
    check_grain(catalog, by)
    plan = plan_kpis(catalog, names, stages=ctx.pipeline.open_stage_names())
    return _Compiler(catalog, plan, by, ctx).compile()


class _Compiler:
    def __init__(self, catalog: Catalog, plan: QueryPlan, by: str, ctx: CompileContext) -> None:
        self.catalog = catalog
        self.plan = plan
        self.by = by
        self.ctx = ctx
        self.count_columns = plan.count_columns()
        self.converted = self._converted_measures()
        self.days = self._day_table()
        self.periods = self._period_table()
        self.passes = 0
        self._rollups = {r.fingerprint: r for r in ctx.rollups}
        self.from_rollups: set[str] = set()
        self.from_items: set[str] = set()

    def _converted_measures(self) -> frozenset[str]:
        """Measure columns aggregating money that may need converting: each gets a companion
        count of the amounts that could not be (``<column>__unconverted``)."""
        if self.ctx.fx is None:
            return frozenset()
        out = set()
        for u in self.plan.measures:
            src = self.catalog.source(u.source)
            m = u.measure
            if src.currency and m.column and not m.agg.is_count and \
                    resolve(src, m.column).is_money:
                out.add(u.column)
        return frozenset(out)

    # -- small tables ---------------------------------------------------------------------------
    def _day_table(self) -> ibis.Table:
        days: list[date] = []
        index: list[int] = []
        for bucket in self.ctx.buckets.all:
            n = bucket.days
            days += [bucket.start + timedelta(days=i) for i in range(n)]
            index += [bucket.index] * n
        data = pa.table({"day": pa.array(days, pa.date32()), "period": pa.array(index, pa.int64())})
        return named_memtable("days", data, stable=self.ctx.stable_names)

    def _period_table(self) -> ibis.Table:
        buckets = self.ctx.buckets.periods
        data = pa.table({
            "period": pa.array([b.index for b in buckets], pa.int64()),
            "label": pa.array([b.label for b in buckets], pa.string()),
            "end_day": pa.array([b.end for b in buckets], pa.date32()),
            "day_before": pa.array([b.start - timedelta(days=1) for b in buckets], pa.date32()),
        })
        return named_memtable("periods", data, stable=self.ctx.stable_names)

    def _membership(self) -> ibis.Table:
        reps = [m[0] for m in self.ctx.membership]
        teams = [m[1] for m in self.ctx.membership]
        data = pa.table({"rep": pa.array(reps, pa.string()), "team": pa.array(teams, pa.string())})
        return named_memtable("teams", data, stable=self.ctx.stable_names)

    def _target_periods(self) -> ibis.Table:
        spans = self.ctx.target_periods
        data = pa.table({
            "label": pa.array([s[0] for s in spans], pa.string()),
            "start_day": pa.array([s[1] for s in spans], pa.date32()),
            "end_day": pa.array([s[2] for s in spans], pa.date32()),
            # Coarseness: a longer labelled period outranks the shorter ones inside it.
            "rank": pa.array([(s[2] - s[1]).days for s in spans], pa.int64()),
        })
        return named_memtable("target_periods", data, stable=self.ctx.stable_names)

    def _fx_table(self) -> ibis.Table:
        """Daily rates, each carried forward to the next known day (nearest earlier rate)."""
        assert self.ctx.fx is not None
        by_currency: dict[str, dict[date, float]] = {}
        for r in self.ctx.fx:
            by_currency.setdefault(r.currency, {})[r.day] = r.rate
        cur: list[str] = []
        days: list[date] = []
        rates: list[float] = []
        for currency, known in sorted(by_currency.items()):
            day = min(known)
            last = max(max(known), self.ctx.buckets.last_day)
            rate = known[day]
            while day <= last:
                rate = known.get(day, rate)
                cur.append(currency)
                days.append(day)
                rates.append(rate)
                day += timedelta(days=1)
        data = pa.table({"currency": pa.array(cur, pa.string()),
                         "day": pa.array(days, pa.date32()),
                         "rate": pa.array(rates, pa.float64())})
        return named_memtable("fx", data, stable=self.ctx.stable_names)

    # -- the query ------------------------------------------------------------------------------
    def compile(self) -> CompiledKpis:
        parts: list[ibis.Table] = []
        missing_sources: set[str] = set()
        for source_name in self.plan.sources():
            src = self.catalog.source(source_name)
            if self._subject_path(src) is None and self.by not in BUILT_IN_GRAINS:
                missing_sources.add(source_name)
                continue
            parts += self._source_parts(src)
        types = self._column_types()
        present = {c for part in parts for c in part.columns}
        combined = self._combine(parts, types) if parts else None
        result = self._grid(combined)
        if combined is not None:
            joined = result.left_join(combined, [SUBJECT, PERIOD])
            result = joined.select(*result.columns, *(c for c in combined.columns
                                                      if c not in (SUBJECT, PERIOD)))
        result = result.join(self.periods, result[PERIOD] == self.periods["period"])
        values = {}
        for out in self.plan.outputs:
            values[out.name] = self._evaluate(out.formula, result, present, types)
        subject = subject_column(self.by)
        cols: dict[str, ir.Value] = {}
        if subject is not None:
            cols[subject] = result[SUBJECT]
        cols["period"] = result["label"]
        cols.update(values)
        # Period labels sort chronologically within one grain (ISO forms, zero-padded).
        expr = result.select(**cols).order_by([*([subject] if subject else []), "period"])
        missing = tuple(o.name for o in self.plan.outputs
                        if _refs(o.formula) - present and _sources_of(o, self.plan) &
                        missing_sources)
        unconvertible = tuple(o.name for o in self.plan.outputs
                              if _refs(o.formula) & self.converted & present)
        return CompiledKpis(expr, self.plan, self.by, tuple(values), subject, missing,
                            self.passes, unconvertible=unconvertible,
                            from_rollups=tuple(u.column for u in self.plan.measures
                                               if u.column in self.from_rollups),
                            from_items=tuple(sorted(self.from_items)))

    def _column_types(self) -> dict[str, dt.DataType]:
        types: dict[str, dt.DataType] = {}
        for u in self.plan.measures:
            types[u.column] = dt.int64 if u.column in self.count_columns else dt.float64
            if u.column in self.converted:
                types[_unconverted(u.column)] = dt.int64
        for c in self.plan.conversions:
            types[c.numerator] = types[c.denominator] = dt.int64
        for p in self.plan.pops:
            types[p.previous] = types[p.retained] = dt.int64
        return types

    def _combine(self, parts: list[ibis.Table], types: dict[str, dt.DataType]) -> ibis.Table:
        names = list(types)
        aligned = []
        for part in parts:
            cols: dict[str, ir.Value] = {
                SUBJECT: part[SUBJECT].cast(dt.String(nullable=True)),
                PERIOD: part[PERIOD].cast(dt.Int64(nullable=True)),
            }
            for name in names:
                typ = types[name].copy(nullable=True)
                cols[name] = part[name].cast(typ) if name in part.columns else \
                    ibis.null(typ)
            aligned.append(nullable(part.select(**cols)))
        stacked = ibis.union(*aligned, distinct=False) if len(aligned) > 1 else aligned[0]
        present = {c for part in parts for c in part.columns}
        return stacked.group_by([SUBJECT, PERIOD]).aggregate(
            **{name: stacked[name].max() for name in names if name in present})

    def _grid(self, combined: ibis.Table | None) -> ibis.Table:
        periods = self.periods.select(**{PERIOD: self.periods["period"]})
        match self.by:
            case "rep":
                reps = unbound("reps")
                subjects = reps.select(**{SUBJECT: reps["rep_id"]})
            case "team":
                teams = unbound("teams")
                subjects = teams.select(**{SUBJECT: teams["team_id"]})
            case "company":
                return periods.mutate(**{SUBJECT: ibis.literal(COMPANY)}).select(SUBJECT, PERIOD)
            case _:
                if combined is None:
                    return periods.mutate(**{SUBJECT: ibis.null(dt.string)}).select(
                        SUBJECT, PERIOD).filter(ibis.literal(False))
                keys = combined.select(SUBJECT, PERIOD)
                return keys.filter(keys[PERIOD] >= 0)
        if self.ctx.subjects is not None:
            subjects = subjects.filter(subjects[SUBJECT].isin(list(self.ctx.subjects)))
        return subjects.cross_join(periods).select(SUBJECT, PERIOD)

    def _evaluate(self, expr: Expr, t: ibis.Table, present: set[str],
                  types: dict[str, dt.DataType]) -> ir.Value:
        match expr:
            case Number(value=value):
                return ibis.literal(value, type="float64")
            case Ref(name=name):
                if name not in present:
                    return ibis.null(types.get(name, dt.float64))
                col = t[name]
                value = col.fill_null(0) if name in self.plan.fill_zero else col
                if name in self.converted:
                    # Not the sum of the amounts that could be converted: unknown.
                    return ibis.cases((t[_unconverted(name)].fill_null(0) > 0,
                                       ibis.null(value.type())), else_=value)
                return value
            case Negate(operand=inner):
                return -self._evaluate(inner, t, present, types)
            case Binary(op=op, left=left, right=right):
                a = self._evaluate(left, t, present, types)
                b = self._evaluate(right, t, present, types)
                if op == "/":
                    return a.cast("float64") / b.cast("float64").nullif(0)
                combined: ir.Value = ARITHMETIC[op](a, b)
                return combined
            case _:
                assert_never(expr)

    # -- one source -----------------------------------------------------------------------------
    def _subject_path(self, src: Source) -> str | None:
        match self.by:
            case "rep" | "team":
                return src.rep
            case "company":
                return None
            case _:
                return src.dimensions.get(self.by)

    def kept_in_rollup(self, src: Source, u: MeasureUse) -> RollupColumn | None:
        """Where measure ``u`` can be answered from a roll-up at this grain (``None``: from
        the raw rows)."""
        if not self.ctx.rollups:
            return None
        found = self._rollups.get(fingerprint(u))
        if found is None or u.column in self.converted:
            return None
        if self.by not in BUILT_IN_GRAINS and self.by not in found.dimensions:
            return None
        if self.ctx.reach is not None and not (found.scoped and self.by in ("rep", "team")):
            return None
        return found

    def _rollup_parts(self, src: Source, uses: Sequence[tuple[MeasureUse, RollupColumn]]
                      ) -> list[ibis.Table]:
        """Measures answered from roll-ups: one grouped pass per roll-up table over its days."""
        by_table: dict[str, list[tuple[MeasureUse, RollupColumn]]] = {}
        for u, kept in uses:
            by_table.setdefault(kept.table, []).append((u, kept))
        parts = []
        start, last = self.ctx.buckets.periods[0].start, self.ctx.buckets.last_day
        for name, group in by_table.items():
            columns: list[tuple[str, dt.DataType]] = []
            for u, kept in group:
                if kept.kind == "avg":
                    columns += [(f"{kept.column}__s", dt.float64), (f"{kept.column}__n", dt.int64)]
                else:
                    columns.append((kept.column, _kept_type(src, u, kept)))
            r = rollup_table(name, columns)
            dim = self.by if self.by not in BUILT_IN_GRAINS else ""
            r = r.filter((r[DIM] == dim) & (r[DAY_KEY] >= start) & (r[DAY_KEY] <= last))
            if self.ctx.reach is not None:
                r = r.filter(r[REP].isin(list(self.ctx.reach)))
            t = self._kept_subjects(r)
            aggs: dict[str, ir.Value] = {}
            for u, kept in group:
                if kept.kind == "avg":
                    total = t[f"{kept.column}__s"].sum()
                    n = t[f"{kept.column}__n"].sum()
                    aggs[u.column] = total / n.cast("float64").nullif(0)
                else:
                    aggs[u.column] = t[kept.column].sum()
            self.passes += 1
            self.from_rollups.update(u.column for u, _ in group)
            parts.append(t.group_by([SUBJECT, PERIOD]).aggregate(**aggs))
        return parts

    def _kept_items(self, key: str) -> RollupColumn | None:
        """Where a distinct count, period-over-period comparison or conversion (by its
        fingerprint) is kept in an item table usable at this grain (``None``: raw rows).
        Item tables hold every rep's rows and flags worked out over every row: not for a
        scoped session, nor a dimension grain; and they are kept per month: only for
        buckets of whole months."""
        found = self._rollups.get(key)
        if found is None or found.kind not in ("distinct", "conversion"):
            return None
        if self.by not in BUILT_IN_GRAINS or self.ctx.reach is not None:
            return None
        if not all(_whole_months(b) for b in self.ctx.buckets.all):
            return None
        return found

    def _item_parts(self, uses: Sequence[tuple[Use, RollupColumn]]) -> list[ibis.Table]:
        """Distinct counts, period-over-period items and conversions read from kept item
        tables: per subject, period and item the flags' maximum, then their sums."""
        by_table: dict[str, list[tuple[Use, RollupColumn]]] = {}
        for u, kept in uses:
            by_table.setdefault(kept.table, []).append((u, kept))
        parts: list[ibis.Table] = []
        buckets = self.ctx.buckets
        for name, group in by_table.items():
            flags: dict[str, None] = {}
            for _, kept in group:
                if kept.kind == "conversion":
                    flags[kept.column] = None
                    flags[_numerator(kept.column)] = None
                else:
                    flags[kept.column] = None
            r = ibis.table(ibis.schema({REP: dt.string, DAY_KEY: dt.date, ITEM: dt.string,
                                        **dict.fromkeys(flags, dt.int64)}), name=name)
            with_previous = any(isinstance(u, PopUse) for u, _ in group)
            first = buckets.first_day if with_previous else buckets.periods[0].start
            r = r.filter((r[DAY_KEY] >= first) & (r[DAY_KEY] <= buckets.last_day))
            t = self._kept_subjects(r)
            # A rep's month holds each item once: with one month per bucket, its rows are
            # already one per subject, period and item.
            unique = self.by == "rep" and all(
                b.start.day == 1 and b.end == month_end(b.start.year, b.start.month)
                for b in buckets.all)
            per_item = t if unique else t.group_by([SUBJECT, PERIOD, ITEM]).aggregate(
                **{f: t[f].max() for f in flags})
            sums: dict[str, ir.Value] = {}
            for u, kept in group:
                match u:
                    case MeasureUse():
                        sums[u.column] = per_item[kept.column].sum()
                        self.from_rollups.add(u.column)
                        self.from_items.add(u.column)
                    case ConversionUse():
                        sums[u.denominator] = per_item[kept.column].sum()
                        sums[u.numerator] = per_item[_numerator(kept.column)].sum()
                        self.from_items.add(u.numerator)
                    case PopUse():
                        self.from_items.add(u.previous)
                        got = per_item.filter(per_item[kept.column] == 1)
                        parts += self._pop_of(got.select(SUBJECT, PERIOD, __item=got[ITEM]), u,
                                              distinct=False)
            if sums:
                self.passes += 2
                parts.append(per_item.group_by([SUBJECT, PERIOD]).aggregate(**sums))
        return parts

    def _kept_subjects(self, r: ibis.Table) -> ibis.Table:
        """Kept rows (``rep``, ``day``) with their period and subject (rep, team, company)."""
        days = self.days
        j = r.join(days, r[DAY_KEY] == days["day"])
        t = j.select(*r.columns, **{PERIOD: days["period"]})
        match self.by:
            case "rep":
                t = t.mutate(**{SUBJECT: t[REP]})
            case "team":
                m = self._membership()
                j2 = t.join(m, t[REP] == m["rep"])
                t = j2.select(*t.columns, **{SUBJECT: m["team"]})
            case "company":
                t = t.mutate(**{SUBJECT: ibis.literal(COMPANY)})
            case _:
                t = t.mutate(**{SUBJECT: t[DIM_VALUE]})
        if self.ctx.subjects is not None and self.by != "company":
            t = t.filter(t[SUBJECT].isin(list(self.ctx.subjects)))
        return t

    def _source_parts(self, src: Source) -> list[ibis.Table]:
        measures = [u for u in self.plan.measures if u.source == src.name]
        kept = [(u, k) for u in measures if (k := self.kept_in_rollup(src, u)) is not None]
        additive = [(u, k) for u, k in kept if k.kind != "distinct"]
        parts_kept = self._rollup_parts(src, additive) if additive else []
        conversions = [u for u in self.plan.conversions if u.source == src.name]
        pops = [u for u in self.plan.pops if u.source == src.name]
        items: list[tuple[Use, RollupColumn]] = [
            (u, k) for u, k in kept
            if k.kind == "distinct" and self._kept_items(k.fingerprint) is not None]
        items += [(c, k) for c in conversions
                  if (k := self._kept_items(conversion_fingerprint(c))) is not None]
        items += [(p, k) for p in pops
                  if (k := self._kept_items(fingerprint(MeasureUse("", p.measure)))) is not None]
        if items:
            parts_kept += self._item_parts(items)
        done = {id(u) for u, _ in items}
        measures = [u for u in measures if u.column not in self.from_rollups]
        conversions = [c for c in conversions if id(c) not in done]
        pops = [p for p in pops if id(p) not in done]
        paths: set[str] = set()
        subject_path = self._subject_path(src)
        if subject_path:
            paths.add(subject_path)
        if src.currency:
            paths.add(src.currency)
        if src.period_label:
            paths.add(src.period_label)
        for u in measures:
            m = u.measure
            paths |= {p for p in (m.column, m.time, m.valid_from, m.valid_to) if p}
            paths |= columns_of(m.filters)
        for c in conversions:
            paths |= {c.kpi.entity, c.kpi.time} | columns_of(c.kpi.from_) | columns_of(c.kpi.to)
        for p in pops:
            paths |= {p.measure.time or "", p.measure.column or ""} - {""}
            paths |= columns_of(p.measure.filters)
        if not (measures or conversions or pops):
            return parts_kept
        rows = SourceRows.build(src, paths, self.ctx)
        rows = self._reached(rows, conversions)
        groups: dict[Placement, list[MeasureUse]] = {}
        for u in measures:
            groups.setdefault(_placement(src, u), []).append(u)
        by_time: dict[tuple[str, str], list[ConversionUse]] = {}
        for c in conversions:
            by_time.setdefault((c.kpi.time, c.kpi.entity), []).append(c)
        parts = []
        for placement, uses in groups.items():
            if placement.kind == "label":
                parts.append(self._aggregate_labelled(rows, placement, uses))
            else:
                parts.append(self._aggregate(rows, placement, uses))
        for (time_column, _), convs in by_time.items():
            parts.append(self._aggregate_conversions(rows, time_column, convs))
        for p in pops:
            parts += self._pop(rows, p)
        return parts_kept + parts

    def _reached(self, rows: SourceRows, conversions: Sequence[ConversionUse]) -> SourceRows:
        """``rows`` with each conversion's flag (:func:`salescore.compile.rollups.with_reached`)."""
        return with_reached(rows, conversions, self.ctx.pipeline)

    def _time_bounds(self, first: date) -> tuple[datetime, datetime]:
        return self.ctx.calendar.utc_bounds(Period(first, self.ctx.buckets.last_day, Grain.RANGE))

    def _place(self, rows: SourceRows, placement: Placement, *, with_previous: bool = False
               ) -> ibis.Table:
        """``rows`` with ``__period`` (and ``__day``, the local day that placed them)."""
        t = rows.table
        buckets = self.ctx.buckets
        match placement.kind:
            case "time":
                assert placement.time is not None
                first = buckets.first_day if with_previous else buckets.periods[0].start
                col = rows.col(placement.time)
                if col.type().is_timestamp():
                    lo, hi = self._time_bounds(first)
                    t = t.filter((col >= lo) & (col < hi))
                else:
                    t = t.filter((col >= first) & (col <= buckets.last_day))
                t = t.mutate(**{DAY: rows.local_day(placement.time, self.ctx)})
                days = self.days
                joined = t.join(days, t[DAY] == days["day"])
                return joined.select(*t.columns, **{PERIOD: days["period"]})
            case "snapshot":
                assert placement.valid_from is not None
                start = rows.col(placement.valid_from)
                lo, hi = self._time_bounds(buckets.periods[0].start - timedelta(days=1))
                if start.type().is_timestamp():
                    t = t.filter(start < hi)
                t = t.mutate(**{DAY: rows.local_day(placement.valid_from, self.ctx)})
                if placement.valid_to is not None:
                    until = rows.local_day(placement.valid_to, self.ctx)
                else:
                    until = ibis.null(dt.date)
                t = t.mutate(__until=until.fill_null(ibis.literal(FAR_FUTURE)))
                p = self.periods
                snap = p["end_day"] if placement.at == "end" else p["day_before"]
                joined = t.join(p, [t[DAY] <= snap, t["__until"] > snap])
                return joined.select(*t.columns, **{PERIOD: p["period"]})
            case "label":
                assert rows.source.period_label is not None
                spans = self._target_periods()
                label = rows.col(rows.source.period_label)
                j = t.join(spans, label == spans["label"])
                j = j.select(*t.columns, __start=spans["start_day"], __end=spans["end_day"],
                             __rank=spans["rank"])
                days = self.days
                j2 = j.join(days, j["__start"] == days["day"])
                j2 = j2.select(*j.columns, **{PERIOD: days["period"], DAY: j["__start"]})
                p = self.periods
                j3 = j2.join(p, j2[PERIOD] == p["period"])
                j3 = j3.filter(j3["__end"] <= j3["end_day"])
                return j3.select(*j2.columns)
            case _:
                assert_never(placement.kind)

    def _subjects(self, rows: SourceRows, t: ibis.Table) -> ibis.Table:
        """``t`` with ``__subject``: the rep, each of its teams, the company or a dimension."""
        src = rows.source
        match self.by:
            case "rep":
                t = t.mutate(**{SUBJECT: t[rows.name(src.rep)].cast("string")})
            case "team":
                m = self._membership()
                j = t.join(m, t[rows.name(src.rep)] == m["rep"])
                t = j.select(*t.columns, **{SUBJECT: m["team"]})
            case "company":
                t = t.mutate(**{SUBJECT: ibis.literal(COMPANY)})
            case _:
                path = src.dimensions[self.by]
                t = t.mutate(**{SUBJECT: t[rows.name(path)].cast("string")})
        if self.ctx.subjects is not None and self.by != "company":
            t = t.filter(t[SUBJECT].isin(list(self.ctx.subjects)))
        return t

    def _money(self, rows: SourceRows, t: ibis.Table, uses: Sequence[MeasureUse]) -> ibis.Table:
        """Join today's rate where a money column is aggregated and amounts may be foreign."""
        src = rows.source
        if self.ctx.fx is None or src.currency is None:
            return t
        if not any(u.measure.column and resolve(src, u.measure.column).is_money for u in uses):
            return t
        fx = self._fx_table()
        j = t.left_join(fx, [t[rows.name(src.currency)] == fx["currency"], t[DAY] == fx["day"]])
        return j.select(*t.columns, __rate=fx["rate"])

    def _value(self, rows: SourceRows, t: ibis.Table, column: str, *, exact: bool = False
               ) -> ir.Value:
        """A numeric column as float64, money converted to the reporting currency; with
        ``exact``, money stays a decimal (to be summed exactly), a converted amount rounded to
        the money scale."""
        src = rows.source
        col = t[rows.name(column)]
        money = resolve(src, column).is_money
        if money and src.currency is not None and self.ctx.fx is not None:
            same = t[rows.name(src.currency)] == self.ctx.currency
            converted = col.cast("float64") * t["__rate"]
            if exact:
                return ibis.cases((same, col.cast(_EXACT)), else_=converted.cast(_EXACT))
            return ibis.cases((same, col.cast("float64")), else_=converted)
        if money and exact:
            return col.cast(_EXACT)
        return col.cast("float64") if col.type().is_numeric() else col

    def _unconverted(self, rows: SourceRows, t: ibis.Table, u: MeasureUse) -> ir.Value:
        """How many amounts of measure ``u`` could not be converted: known, but without a
        currency, or in another one with no rate on their day."""
        src = rows.source
        m = u.measure
        assert m.column is not None and src.currency is not None
        amount = t[rows.name(m.column)]
        same = (t[rows.name(src.currency)] == self.ctx.currency).fill_null(False)
        lost = amount.notnull() & ~same & t["__rate"].isnull()
        where = all_of(m.filters, rows.col, self.ctx.pipeline)
        return t.count(where=lost if where is None else where & lost)

    def _aggregate(self, rows: SourceRows, placement: Placement, uses: Sequence[MeasureUse]
                   ) -> ibis.Table:
        placed = self._place(rows, placement)
        placed = self._money(rows, placed, uses)
        placed = self._subjects(rows, placed)
        view = SourceRows(rows.source, placed)
        aggs = {u.column: self._measure_agg(view, placed, u) for u in uses}
        aggs |= {_unconverted(u.column): self._unconverted(view, placed, u) for u in uses
                 if u.column in self.converted}
        self.passes += 1
        return placed.group_by([SUBJECT, PERIOD]).aggregate(**aggs)

    def _aggregate_conversions(self, rows: SourceRows, time_column: str,
                               uses: Sequence[ConversionUse]) -> ibis.Table:
        """Distinct items that came (and went on) per subject and period, in two grouped passes:
        first one row per item, then sums; cheaper than one COUNT(DISTINCT) per conversion."""
        placed = self._subjects(rows, self._place(rows, Placement("time", time=time_column)))
        view = SourceRows(rows.source, placed)
        per_item: dict[str, ir.Value] = {}
        for u in uses:
            came = all_of(u.kpi.from_, view.col, self.ctx.pipeline)
            assert came is not None
            per_item[u.denominator] = ibis.cases((came, 1), else_=0).max()
            per_item[u.numerator] = ibis.cases((came & (placed[u.flag] == 1), 1), else_=0).max()
        entity = uses[0].kpi.entity
        items = placed.group_by([SUBJECT, PERIOD, placed[view.name(entity)].name("__item")]
                                ).aggregate(**per_item)
        self.passes += 2
        return items.group_by([SUBJECT, PERIOD]).aggregate(
            **{name: items[name].sum() for name in per_item})

    def _aggregate_labelled(self, rows: SourceRows, placement: Placement,
                            uses: Sequence[MeasureUse]) -> ibis.Table:
        """Rows placed by period label (targets): where rows of several grains fall within one
        period (a quarter's own target and its months' targets), only the coarsest grain counts,
        per measure, so a target is never counted twice."""
        placed = self._subjects(rows, self._place(rows, placement))
        view = SourceRows(rows.source, placed)
        first: dict[str, ir.Value] = {}
        measures = list(uses)
        for u in measures:
            first[u.column] = self._measure_agg(view, placed, u)
            where = all_of(u.measure.filters, view.col, self.ctx.pipeline)
            first[u.column + "__n"] = placed.count(where=where)
        by_rank = placed.group_by([SUBJECT, PERIOD, "__rank"]).aggregate(**first)
        keys = [by_rank[SUBJECT], by_rank[PERIOD]]
        tops = {u.column + "__top": ibis.cases((by_rank[u.column + "__n"] > 0, by_rank["__rank"]))
                .max().over(ibis.window(group_by=keys)) for u in measures}
        ranked = by_rank.mutate(**tops)
        self.passes += 1
        return ranked.group_by([SUBJECT, PERIOD]).aggregate(**{
            u.column: ranked[u.column].sum(where=ranked["__rank"] == ranked[u.column + "__top"])
            for u in measures})

    def _measure_agg(self, view: SourceRows, t: ibis.Table, u: MeasureUse) -> ir.Value:
        m = u.measure
        where = all_of(m.filters, view.col, self.ctx.pipeline)
        if m.agg is Agg.COUNT and m.column is None:
            return t.count(where=where)
        assert m.column is not None
        if m.agg.is_count:
            raw = t[view.name(m.column)]
            return raw.count(where=where) if m.agg is Agg.COUNT else raw.nunique(where=where)
        value = self._value(view, t, m.column)
        match m.agg:
            case Agg.COUNT | Agg.COUNT_DISTINCT:
                raise AssertionError("counted above")
            case Agg.SUM:
                # Money adds up exactly; it becomes a float once summed (in _combine).
                return self._value(view, t, m.column, exact=True).sum(where=where)
            case Agg.AVG:
                return value.mean(where=where)
            case Agg.MEDIAN:
                # NULL out the rows that do not pass instead of `where=`: Spark rejects a
                # filtered percentile, and a median skips NULLs on every backend alike.
                kept = value if where is None else ibis.cases((where, value))
                return kept.median()
            case Agg.MIN:
                return value.min(where=where)
            case Agg.MAX:
                return value.max(where=where)
            case _:
                assert_never(m.agg)

    def _pop(self, rows: SourceRows, use: PopUse) -> list[ibis.Table]:
        """Previous period's items, and how many of them came back, per subject and period."""
        m = use.measure
        assert m.time is not None and m.column is not None
        placed = self._place(rows, Placement("time", time=m.time), with_previous=True)
        placed = self._subjects(rows, placed)
        view = SourceRows(rows.source, placed)
        where = all_of(m.filters, view.col, self.ctx.pipeline)
        if where is not None:
            placed = placed.filter(where)
        return self._pop_of(placed.select(SUBJECT, PERIOD, __item=placed[view.name(m.column)]),
                            use)

    def _pop_of(self, seen: ibis.Table, use: PopUse, *, distinct: bool = True
                ) -> list[ibis.Table]:
        """Previous period's items and those that came back, from ``seen`` (subject, period
        and ``__item`` of every row that counts; ``distinct=False``: each once already)."""
        items = seen.distinct() if distinct else seen
        items = items.filter(items["__item"].notnull())
        before = items.select(SUBJECT, __item=items["__item"],
                              **{PERIOD: items[PERIOD] + 1})
        kept = items.join(before, [SUBJECT, PERIOD, "__item"])
        self.passes += 2
        return [
            before.group_by([SUBJECT, PERIOD]).aggregate(**{use.previous: before.count()}),
            kept.group_by([SUBJECT, PERIOD]).aggregate(**{use.retained: kept.count()}),
        ]


    def rows_of(self, use: MeasureUse | ConversionUse | PopUse) -> ibis.Table:
        """The rows behind one aggregated input, for the subject and bucket of the context."""
        src = self.catalog.source(use.source)
        paths: set[str] = set(src.key) | {src.rep}
        subject_path = self._subject_path(src)
        if subject_path:
            paths.add(subject_path)
        for p in (src.currency, src.period_label):
            if p:
                paths.add(p)
        match use:
            case MeasureUse(measure=m):
                paths |= {p for p in (m.column, m.time, m.valid_from, m.valid_to) if p}
                paths |= columns_of(m.filters)
                placement = _placement(src, use)
            case ConversionUse(kpi=k):
                paths |= {k.entity, k.time} | columns_of(k.from_) | columns_of(k.to)
                placement = Placement("time", time=k.time)
            case PopUse(measure=m):
                assert m.time is not None
                paths |= {m.time, m.column or ""} - {""}
                paths |= columns_of(m.filters)
                placement = Placement("time", time=m.time)
        narrow = (src.rep, self.ctx.subjects) if self.by == "rep" and self.ctx.subjects else None
        rows = SourceRows.build(src, paths, self.ctx, narrow=narrow)
        if isinstance(use, ConversionUse):
            reached = all_of(use.kpi.to, rows.col, self.ctx.pipeline)
            assert reached is not None
            flag = ibis.cases((reached, 1), else_=0).max().over(
                ibis.window(group_by=rows.col(use.kpi.entity)))
            rows = SourceRows(src, rows.table.mutate(**{use.flag: flag}))
        placed = self._place(rows, placement, with_previous=isinstance(use, PopUse))
        placed = self._money(rows, placed, [use] if isinstance(use, MeasureUse) else [])
        placed = self._subjects(rows, placed)
        view = SourceRows(src, placed)
        filters = use.kpi.from_ if isinstance(use, ConversionUse) else use.measure.filters
        where = all_of(filters, view.col, self.ctx.pipeline)
        if where is not None:
            placed = placed.filter(where)
        keep: dict[str, ir.Value] = {k: placed[view.name(k)] for k in src.key}
        keep["rep"] = placed[view.name(src.rep)]
        keep["local_day"] = placed[DAY]
        match use:
            case MeasureUse(measure=m):
                placed = placed.filter(placed[PERIOD] == 0)
                if placement.kind == "time" and placement.time:
                    keep[placement.time] = placed[view.name(placement.time)]
                for p in (placement.valid_from, placement.valid_to):
                    if p:
                        keep[p] = placed[view.name(p)]
                if src.period_label:
                    keep[src.period_label] = placed[view.name(src.period_label)]
                    keep["span_days"] = placed["__rank"]
                if m.column is not None:
                    keep["value"] = placed[view.name(m.column)] if m.agg.is_count else \
                        self._value(view, placed, m.column)
                if use.column in self.converted and m.column is not None:
                    # An amount that could not be converted: known, but its value is null.
                    keep["unconverted"] = placed[view.name(m.column)].notnull() & \
                        keep["value"].isnull()
            case ConversionUse(kpi=k):
                placed = placed.filter(placed[PERIOD] == 0)
                keep[k.time] = placed[view.name(k.time)]
                keep["item"] = placed[view.name(k.entity)]
                keep["reached"] = placed[use.flag] == 1
            case PopUse(measure=m):
                assert m.time is not None and m.column is not None
                placed = placed.filter(placed[PERIOD].isin([-1, 0]))
                keep[m.time] = placed[view.name(m.time)]
                keep["item"] = placed[view.name(m.column)]
                keep["which"] = ibis.cases((placed[PERIOD] == 0, "current"), else_="previous")
        return placed.select(**keep).order_by("local_day")


_EXACT = dt.Decimal(38, MONEY_SCALE)


def _kept_type(src: Source, u: MeasureUse, kept: RollupColumn) -> dt.DataType:
    if kept.kind == "count":
        return dt.int64
    m = u.measure
    return _EXACT if m.column and resolve(src, m.column).is_money else dt.float64


def _whole_months(b: Bucket) -> bool:
    """Whether bucket ``b`` runs from a month's first day to a month's last."""
    return b.start.day == 1 and b.end == month_end(b.end.year, b.end.month)


def _numerator(denominator: str) -> str:
    """A kept conversion's numerator column, beside its denominator ``<base>__den``."""
    return denominator.removesuffix("__den") + "__num"


def _unconverted(column: str) -> str:
    """The companion column counting a money measure's amounts that could not be converted."""
    return f"{column}__unconverted"


def _placement(src: Source, u: MeasureUse) -> Placement:
    m = u.measure
    if m.snapshot is not None:
        return Placement("snapshot", at=m.snapshot, valid_from=m.valid_from, valid_to=m.valid_to)
    if m.time is not None:
        return Placement("time", time=m.time)
    if src.period_label is not None:
        return Placement("label")
    raise ConfigError(f"measure {m.name!r} has no time, snapshot or period label",
                      message_zh=f"度量 {m.name!r} 没有 time、snapshot 或周期标签")


def _refs(expr: Expr) -> set[str]:
    return set(expr.names())


def _sources_of(out: Output, plan: QueryPlan) -> set[str]:
    """The sources whose aggregates ``out``'s formula reads."""
    refs = _refs(out.formula)
    found = {u.source for u in plan.measures if u.column in refs}
    found |= {u.source for u in plan.conversions if {u.numerator, u.denominator} & refs}
    found |= {u.source for u in plan.pops if {u.previous, u.retained} & refs}
    return found


# -- explain: the rows behind one subject's number ------------------------------------------------


Use = MeasureUse | ConversionUse | PopUse


def explain_rows(catalog: Catalog, names: str | Sequence[str], by: str, ctx: CompileContext
                 ) -> tuple[QueryPlan, list[tuple[Use, ibis.Table]]]:
    """For KPIs ``names`` (planned together, so an input they share is listed once), every
    aggregated input and an expression listing its rows.

    ``ctx`` should hold one bucket and ``ctx.subjects`` the one subject. Measure rows carry the
    source's key, the rep, the local day that placed them and ``value`` (converted to the
    reporting currency where it is money); conversion rows carry ``item`` and ``reached``;
    period-over-period rows carry ``item`` and ``which`` (``previous`` or ``current``).
    """
    check_grain(catalog, by)
    wanted = [names] if isinstance(names, str) else list(names)
    plan = plan_kpis(catalog, wanted, stages=ctx.pipeline.open_stage_names())
    compiler = _Compiler(catalog, plan, by, ctx)
    uses: tuple[Use, ...] = (*plan.measures, *plan.conversions, *plan.pops)
    return plan, [(u, compiler.rows_of(u)) for u in uses]

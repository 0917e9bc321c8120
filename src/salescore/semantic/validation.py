"""KPI catalogue rules: small classes (:class:`~salescore.semantic.rules.Rule`) that each look at
a catalogue and yield issues with file:line.

Every rule has one invalid fixture in ``tests/semantic/fixtures/kpi_invalid/`` that it catches.

>>> from salescore.semantic.catalog import shipped_catalog
>>> validate(shipped_catalog())
[]
>>> [r.name for r in RULES][:3]
['duplicate-name', 'unknown-table', 'unknown-column']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import assert_never

from salescore.core.text import Text
from salescore.model.org import Pipeline
from salescore.model.tables import TABLE_NAMES, DataType, table
from salescore.semantic.catalog import Catalog, SpecKind
from salescore.semantic.columns import ResolvedColumn, UnknownColumn, resolve, resolve_in_table
from salescore.semantic.expression import (
    Binary,
    Expr,
    ExpressionError,
    Negate,
    Number,
    Ref,
    parse_expression,
)
from salescore.semantic.issues import Issue
from salescore.semantic.rules import Rule, run_rules
from salescore.semantic.specs import (
    STAGE_PLACEHOLDER,
    Agg,
    ConversionKpi,
    DerivedKpi,
    Duration,
    Filter,
    Kpi,
    Measure,
    Op,
    PeriodOverPeriodKpi,
    RatioKpi,
    RelatedCount,
    SequenceNumber,
    SimpleKpi,
    Source,
    TimeToFirst,
    TimeToNext,
    Unit,
)


@dataclass(frozen=True)
class Context:
    """What rules may look at besides the catalogue: the pipeline, when an org is known."""

    catalog: Catalog
    pipeline: Pipeline | None = None

    def issue(self, rule: str, en: str, zh: str, kind: SpecKind, name: str,
              *path: str | int) -> Issue:
        """An issue of ``rule`` at spec ``name`` (or its field ``path``) of the catalogue."""
        return Issue(rule, Text(en, zh), self.catalog.where(kind, name, *path))


class DuplicateNames(Rule[Context]):
    """A name is declared twice in one catalogue folder."""

    name = "duplicate-name"

    def check(self, ctx: Context) -> Iterator[Issue]:
        for dup in ctx.catalog.duplicates:
            yield self.issue(f"{dup.kind} {dup.name!r} is declared twice (first at "
                             f"{dup.first.file}:{dup.first.line})",
                             f"{dup.kind} {dup.name!r} 重复声明"
                             f"（首次在 {dup.first.file}:{dup.first.line}）",
                             location=dup.second.at())


class UnknownTable(Rule[Context]):
    """A source (or a computed column) names a table that is not canonical."""

    name = "unknown-table"

    def check(self, ctx: Context) -> Iterator[Issue]:
        for src in ctx.catalog.sources.values():
            for table_name, path in _tables_of(src):
                if table_name not in TABLE_NAMES:
                    yield ctx.issue(self.name,
                                    f"source {src.name!r}: unknown table {table_name!r} "
                                    f"(known: {', '.join(TABLE_NAMES)})",
                                    f"数据源 {src.name!r}：未知的表 {table_name!r}",
                                    "source", src.name, *path)


def _tables_of(src: Source) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    yield src.table, ("table",)
    for i, col in enumerate(src.columns):
        if isinstance(col, TimeToFirst | RelatedCount):
            yield col.table, ("columns", i, "table")
    if src.idle_spells is not None:
        yield src.idle_spells.touches_table, ("idle_spells", "touches_table")


class UnknownColumnRule(Rule[Context]):
    """A column path that does not exist in the source's table (or through its references)."""

    name = "unknown-column"

    def check(self, ctx: Context) -> Iterator[Issue]:
        for src in ctx.catalog.sources.values():
            if src.table not in TABLE_NAMES:
                continue
            for path, where in _source_paths(src):
                yield from self._one(ctx, "source", src.name, src, path, where)
        for m in ctx.catalog.measures.values():
            msrc = ctx.catalog.sources.get(m.source)
            if msrc is None or msrc.table not in TABLE_NAMES:
                continue
            for path, where in _measure_paths(m):
                yield from self._one(ctx, "measure", m.name, msrc, path, where)
        for k in ctx.catalog.kpis.values():
            if isinstance(k, ConversionKpi):
                ksrc = ctx.catalog.sources.get(k.source)
                if ksrc is None or ksrc.table not in TABLE_NAMES:
                    continue
                paths: list[tuple[str, tuple[str | int, ...]]] = [
                    (k.entity, ("entity",)), (k.time, ("time",))]
                paths += _filter_paths(k.from_, "from")
                paths += _filter_paths(k.to, "to")
                for path, where in paths:
                    yield from self._one(ctx, "kpi", k.name, ksrc, path, where)

    def _one(self, ctx: Context, kind: SpecKind, name: str, src: Source, path: str,
             where: tuple[str | int, ...]) -> Iterator[Issue]:
        try:
            if where and where[0] == "columns" and len(where) > 2 and where[2] in ("other",
                                                                                 "time", "filters"):
                col = src.columns[int(where[1])]
                if isinstance(col, TimeToFirst | RelatedCount) and col.table in TABLE_NAMES:
                    resolve_in_table(col.table, path)
                    return
            if where and where[0] == "idle_spells" and where[1] in ("touches_on", "touches_time"):
                assert src.idle_spells is not None
                if src.idle_spells.touches_table in TABLE_NAMES:
                    resolve_in_table(src.idle_spells.touches_table, path)
                return
            resolve(src, path)
        except UnknownColumn as exc:
            yield ctx.issue(self.name, f"{kind} {name!r}: {exc}",
                            f"{_ZH[kind]} {name!r}：列 {path!r} 不存在（{exc}）",
                            kind, name, *where)


_ZH: dict[SpecKind, str] = {"source": "数据源", "measure": "度量", "kpi": "指标"}


def _filter_paths(filters: Iterable[Filter], field: str | tuple[str | int, ...]
                  ) -> list[tuple[str, tuple[str | int, ...]]]:
    prefix = (field,) if isinstance(field, str) else field
    out: list[tuple[str, tuple[str | int, ...]]] = []
    for i, f in enumerate(filters):
        out.append((f.column, (*prefix, i, "column")))
        if f.op in (Op.EQ_COLUMN, Op.NE_COLUMN):
            out.append((str(f.values[0]), (*prefix, i, "values")))
    return out


def _source_paths(src: Source) -> list[tuple[str, tuple[str | int, ...]]]:
    paths: list[tuple[str, tuple[str | int, ...]]] = [(k, ("key",)) for k in src.key]
    paths.append((src.rep, ("rep",)))
    paths += [(t, ("times",)) for t in src.times]
    if src.period_label:
        paths.append((src.period_label, ("period_label",)))
    if src.currency:
        paths.append((src.currency, ("currency",)))
    paths += [(p, ("dimensions", d)) for d, p in src.dimensions.items()]
    paths += _filter_paths(src.filters, "filters")
    for i, col in enumerate(src.columns):
        here: tuple[str | int, ...] = ("columns", i)
        match col:
            case Duration():
                paths += [(col.start, (*here, "start")), (col.end, (*here, "end"))]
            case TimeToNext():
                paths += [(p, (*here, "partition_by")) for p in col.partition_by]
                paths.append((col.time, (*here, "time")))
                paths += _filter_paths(col.filters, (*here, "filters"))
            case TimeToFirst():
                paths += [(col.column, (*here, "column")), (col.anchor, (*here, "anchor")),
                          (col.other, (*here, "other")), (col.time, (*here, "time"))]
                paths += _filter_paths(col.filters, (*here, "filters"))
            case RelatedCount():
                paths += [(col.column, (*here, "column")), (col.other, (*here, "other"))]
                paths += _filter_paths(col.filters, (*here, "filters"))
            case SequenceNumber():
                paths += [(p, (*here, "partition_by")) for p in col.partition_by]
                paths.append((col.time, (*here, "time")))
            case _:
                assert_never(col)
    if src.idle_spells is not None:
        sp = src.idle_spells
        paths += [(sp.start, ("idle_spells", "start")), (sp.end, ("idle_spells", "end")),
                  (sp.touches_on, ("idle_spells", "touches_on")),
                  (sp.touches_time, ("idle_spells", "touches_time"))]
    return paths


def _measure_paths(m: Measure) -> list[tuple[str, tuple[str | int, ...]]]:
    paths: list[tuple[str, tuple[str | int, ...]]] = []
    for field, value in (("column", m.column), ("time", m.time), ("valid_from", m.valid_from),
                         ("valid_to", m.valid_to)):
        if value is not None:
            paths.append((value, (field,)))
    return paths + _filter_paths(m.filters, "filters")


class UnknownName(Rule[Context]):
    """A measure names an unknown source; a KPI an unknown measure, source or KPI."""

    name = "unknown-name"

    def check(self, ctx: Context) -> Iterator[Issue]:
        cat = ctx.catalog
        for m in cat.measures.values():
            if m.source not in cat.sources:
                yield ctx.issue(self.name, f"measure {m.name!r}: unknown source {m.source!r}",
                                f"度量 {m.name!r}：未知的数据源 {m.source!r}",
                                "measure", m.name, "source")
        for k in cat.kpis.values():
            refs: list[tuple[str, str, str]] = []  # (kind, name, field)
            match k:
                case SimpleKpi() | PeriodOverPeriodKpi():
                    refs.append(("measure", k.measure, "measure"))
                case RatioKpi():
                    refs += [("measure", k.numerator, "numerator"),
                             ("measure", k.denominator, "denominator")]
                case ConversionKpi():
                    refs.append(("source", k.source, "source"))
                case DerivedKpi():
                    try:
                        names = parse_expression(k.expression).names()
                    except ExpressionError:
                        names = frozenset()
                    refs += [("kpi", n, "expression") for n in sorted(names)]
                case _:
                    assert_never(k)
            for kind, ref, field in refs:
                known = {"measure": cat.measures, "source": cat.sources, "kpi": cat.kpis}[kind]
                if ref not in known:
                    yield ctx.issue(self.name, f"kpi {k.name!r}: unknown {kind} {ref!r}",
                                    f"指标 {k.name!r}：未知的{_ZH[kind]} {ref!r}",  # type: ignore[index]
                                    "kpi", k.name, field)


class ExpressionGrammar(Rule[Context]):
    """A derived KPI's expression is outside ``+ - * /``, parentheses, numbers and names."""

    name = "expression"

    def check(self, ctx: Context) -> Iterator[Issue]:
        for k in ctx.catalog.kpis.values():
            if isinstance(k, DerivedKpi):
                try:
                    parse_expression(k.expression)
                except ExpressionError as exc:
                    yield ctx.issue(self.name, f"kpi {k.name!r}: {exc}",
                                    f"指标 {k.name!r}：表达式只能包含 + - * /、括号、数字和指标名"
                                    f"（{exc}）",
                                    "kpi", k.name, "expression")


class Cycles(Rule[Context]):
    """Derived KPIs that depend on themselves, directly or through others."""

    name = "cycle"

    def check(self, ctx: Context) -> Iterator[Issue]:
        graph: dict[str, list[str]] = {}
        for k in ctx.catalog.kpis.values():
            if isinstance(k, DerivedKpi):
                try:
                    graph[k.name] = sorted(parse_expression(k.expression).names())
                except ExpressionError:
                    graph[k.name] = []
        reported: set[frozenset[str]] = set()
        for start in sorted(graph):
            cycle = _find_cycle(start, graph)
            if cycle and frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                chain = " -> ".join([*cycle, cycle[0]])
                yield ctx.issue(self.name, f"kpi {start!r} depends on itself: {chain}",
                                f"指标 {start!r} 循环依赖自身：{chain}",
                                "kpi", start, "expression")


def _find_cycle(start: str, graph: dict[str, list[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, []):
            if nxt == start:
                return path
            if nxt not in path and nxt in graph:
                stack.append((nxt, [*path, nxt]))
    return None


class ColumnTypes(Rule[Context]):
    """Types that cannot work: a sum of text, a non-timestamp time, a value a column never holds."""

    name = "type"

    def check(self, ctx: Context) -> Iterator[Issue]:
        cat = ctx.catalog
        for src in cat.sources.values():
            for t in src.times:
                col = _try(src, t)
                if col is not None and not col.is_temporal:
                    yield ctx.issue(self.name,
                                    f"source {src.name!r}: time {t!r} is {col.type.value}, not a "
                                    "timestamp or date",
                                    f"数据源 {src.name!r}：时间列 {t!r} 不是时间戳或日期",
                                    "source", src.name, "times")
            rep = _try(src, src.rep)
            if rep is not None and rep.type is not DataType.STRING:
                yield ctx.issue(self.name, f"source {src.name!r}: rep {src.rep!r} is "
                                f"{rep.type.value}, not a rep id",
                                f"数据源 {src.name!r}：rep 列不是销售编号",
                                "source", src.name, "rep")
            yield from self._filters(ctx, "source", src.name, src, src.filters, ("filters",))
        for m in cat.measures.values():
            found = cat.sources.get(m.source)
            if found is None:
                continue
            src = found
            if m.time is not None and m.time not in src.times:
                yield ctx.issue(self.name, f"measure {m.name!r}: time {m.time!r} is not one of "
                                f"source {src.name!r}'s times ({', '.join(src.times) or 'none'})",
                                f"度量 {m.name!r}：时间列 {m.time!r} 不在数据源 "
                                f"{src.name!r} 的 times 中",
                                "measure", m.name, "time")
            if m.time is None and m.snapshot is None and src.period_label is None:
                yield ctx.issue(self.name, f"measure {m.name!r}: needs `time` (one of "
                                f"{', '.join(src.times)}) or `snapshot`",
                                f"度量 {m.name!r}：需要 time 或 snapshot", "measure", m.name)
            col = _try(src, m.column) if m.column else None
            if col is not None and m.agg in (Agg.SUM, Agg.AVG, Agg.MEDIAN) and not col.is_numeric:
                yield ctx.issue(self.name, f"measure {m.name!r}: {m.agg.value} of {m.column!r}, "
                                f"which is {col.type.value}, not a number",
                                f"度量 {m.name!r}：不能对非数值列 {m.column!r} 求 {m.agg.value}",
                                "measure", m.name, "agg")
            for field, value in (("valid_from", m.valid_from), ("valid_to", m.valid_to)):
                vcol = _try(src, value) if value else None
                if vcol is not None and not vcol.is_temporal:
                    yield ctx.issue(self.name, f"measure {m.name!r}: {field} {value!r} is "
                                    f"{vcol.type.value}, not a timestamp or date",
                                    f"度量 {m.name!r}：{field} 不是时间戳或日期",
                                    "measure", m.name, field)
            yield from self._filters(ctx, "measure", m.name, src, m.filters, ("filters",))
        for k in cat.kpis.values():
            if isinstance(k, ConversionKpi) and k.source in cat.sources:
                src = cat.sources[k.source]
                if k.time not in src.times:
                    yield ctx.issue(self.name, f"kpi {k.name!r}: time {k.time!r} is not one of "
                                    f"source {src.name!r}'s times",
                                    f"指标 {k.name!r}：时间列不在数据源的 times 中",
                                    "kpi", k.name, "time")
                yield from self._filters(ctx, "kpi", k.name, src, k.from_, ("from",))
                yield from self._filters(ctx, "kpi", k.name, src, k.to, ("to",))

    def _filters(self, ctx: Context, kind: SpecKind, name: str, src: Source,
                 filters: Iterable[Filter], where: tuple[str | int, ...]) -> Iterator[Issue]:
        for i, f in enumerate(filters):
            col = _try(src, f.column)
            if col is None or f.op in (Op.EQ_COLUMN, Op.NE_COLUMN, Op.IS_NULL, Op.NOT_NULL):
                continue
            for value in f.values:
                problem = _value_problem(col, f.op, value, ctx.pipeline)
                if problem:
                    yield ctx.issue(self.name, f"{kind} {name!r}: filter on {f.column!r}: "
                                    f"{problem}",
                                    f"{_ZH[kind]} {name!r}：列 {f.column!r} 的筛选值无效："
                                    f"{problem}",
                                    kind, name, *where, i, "values")


def _try(src: Source, path: str | None) -> ResolvedColumn | None:
    if path is None:
        return None
    try:
        return resolve(src, path)
    except UnknownColumn:
        return None


def _value_problem(col: ResolvedColumn, op: Op, value: object,
                   pipeline: Pipeline | None) -> str | None:
    if op is Op.STAGE_AFTER:
        if value == STAGE_PLACEHOLDER or pipeline is None:
            return None
        return None if value in pipeline.stage_names() else \
            f"{value!r} is not a stage of the pipeline ({', '.join(pipeline.stage_names())})"
    if value == STAGE_PLACEHOLDER:
        return None
    if col.is_numeric and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"{value!r} is not a number, but {col.path} is {col.type.value}"
    if col.type is DataType.BOOLEAN and not isinstance(value, bool):
        return f"{value!r} is not true/false"
    if col.type is DataType.STRING and not isinstance(value, str):
        return f"{value!r} is not text, but {col.path} is text"
    if col.allowed and value not in col.allowed:
        return f"{value!r} is never in {col.path} (allowed: {', '.join(col.allowed)})"
    return None


# -- units and descriptions --------------------------------------------------------------------
_TIME_UNITS = {"days": Unit.DAYS, "hours": Unit.HOURS, "minutes": Unit.MINUTES}


def _measure_kind(cat: Catalog, measure_name: str) -> str | None:
    """What a measure's number is: count, money, days/hours/minutes, other; None if unknown."""
    m = cat.measures.get(measure_name)
    if m is None:
        return None
    if m.agg.is_count:
        return "count"
    src = cat.sources.get(m.source)
    col = _try(src, m.column) if src else None
    if col is None:
        return None
    if col.is_money:
        return "money"
    if col.time_unit in _TIME_UNITS:
        return col.time_unit
    return "other"


class UnitsAgree(Rule[Context]):
    """A KPI's unit must follow from what it aggregates: a count is a count, money is money,
    a ratio of two counts is a ratio; ``+``/``-`` in a derived KPI need operands of one unit."""

    name = "unit"

    def check(self, ctx: Context) -> Iterator[Issue]:
        cat = ctx.catalog
        for k in cat.kpis.values():
            problem = self._problem(cat, k)
            if problem:
                en, field = problem
                yield ctx.issue(self.name, f"kpi {k.name!r}: {en}",
                                f"指标 {k.name!r}：单位 {k.unit.value!r} 与计算方式不符（{en}）",
                                "kpi", k.name, field)

    def _problem(self, cat: Catalog, k: Kpi) -> tuple[str, str] | None:
        match k:
            case SimpleKpi():
                kind = _measure_kind(cat, k.measure)
                if kind == "count" and k.unit is not Unit.COUNT:
                    return f"measure {k.measure!r} counts, so the unit is count, not " \
                           f"{k.unit.value}", "unit"
                if kind == "money" and k.unit is not Unit.MONEY:
                    return f"measure {k.measure!r} aggregates money, so the unit is money, " \
                           f"not {k.unit.value}", "unit"
                if kind in _TIME_UNITS and k.unit is not _TIME_UNITS[kind]:
                    return f"measure {k.measure!r} is in {kind}, not {k.unit.value}", "unit"
                if kind not in (None, "count") and k.unit is Unit.COUNT:
                    return f"measure {k.measure!r} does not count rows, so the unit cannot be " \
                           "count", "unit"
                if kind not in (None, "money") and k.unit is Unit.MONEY:
                    return f"measure {k.measure!r} is not money", "unit"
            case RatioKpi():
                num, den = _measure_kind(cat, k.numerator), _measure_kind(cat, k.denominator)
                if num is None or den is None:
                    return None
                if k.unit is Unit.COUNT:
                    return "a ratio of two measures is not a count", "unit"
                if k.unit is Unit.MONEY and not (num == "money" and den == "count"):
                    return f"money per {den} needs a money numerator and a count denominator " \
                           f"(got {num} / {den})", "unit"
                if k.unit is Unit.RATIO and num != den and "other" not in (num, den):
                    return f"a ratio (share) divides like by like, not {num} by {den}", "unit"
            case ConversionKpi():
                if k.unit is not Unit.RATIO:
                    return f"a conversion is a share, so the unit is ratio, not {k.unit.value}", \
                        "unit"
            case PeriodOverPeriodKpi():
                want = Unit.RATIO if k.output == "retention_rate" else Unit.COUNT
                if k.unit is not want:
                    return f"output {k.output} is a {want.value}, not {k.unit.value}", "unit"
            case DerivedKpi():
                try:
                    expr = parse_expression(k.expression)
                except ExpressionError:
                    return None
                bad = _additive_mismatch(expr, cat)
                if bad:
                    return bad, "expression"
            case _:
                assert_never(k)
        return None


def _additive_mismatch(expr: Expr, cat: Catalog) -> str | None:
    def unit(e: Expr) -> Unit | None | str:
        match e:
            case Number():
                return None
            case Ref(name=name):
                kpi = cat.kpis.get(name)
                return kpi.unit if kpi is not None else None
            case Negate(operand=inner):
                return unit(inner)
            case Binary(op=op, left=left, right=right):
                lu, ru = unit(left), unit(right)
                if isinstance(lu, str) and not isinstance(lu, Unit):
                    return lu
                if isinstance(ru, str) and not isinstance(ru, Unit):
                    return ru
                if op in ("+", "-"):
                    if lu is not None and ru is not None and lu != ru:
                        verb = "add" if op == "+" else "subtract"
                        return f"cannot {verb} {lu} and {ru} ({left} {op} {right})"
                    return lu if lu is not None else ru
                return None
            case _:
                assert_never(e)

    found = unit(expr)
    return found if isinstance(found, str) and not isinstance(found, Unit) else None


_WORDS_EN: tuple[tuple[re.Pattern[str], frozenset[Agg], str], ...] = (
    (re.compile(r"\bmedian\b", re.I), frozenset({Agg.MEDIAN}), "median"),
    (re.compile(r"\b(average|mean)\b", re.I), frozenset({Agg.AVG}), "average"),
    (re.compile(r"\b(number of|count of|how many)\b", re.I),
     frozenset({Agg.COUNT, Agg.COUNT_DISTINCT}), "number of"),
    (re.compile(r"\b(total|sum of)\b", re.I), frozenset({Agg.SUM}), "total"),
)
_WORDS_ZH: tuple[tuple[re.Pattern[str], frozenset[Agg], str], ...] = (
    (re.compile(r"中位数"), frozenset({Agg.MEDIAN}), "中位数"),
    (re.compile(r"平均"), frozenset({Agg.AVG}), "平均"),
    (re.compile(r"数量|个数|次数|人数"), frozenset({Agg.COUNT, Agg.COUNT_DISTINCT}), "数量"),
    (re.compile(r"总额|总和|合计|总计|总数"), frozenset({Agg.SUM}), "总额"),
)


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.;。；])\s*", text.strip(), maxsplit=1)[0]


class DescriptionAgrees(Rule[Context]):
    """The first sentence of a simple KPI's description must not name another aggregation
    ("average" over a sum, "median" over an average), in either language; a ratio, derived,
    conversion or period-over-period KPI is never described as a median."""

    name = "description"

    def check(self, ctx: Context) -> Iterator[Issue]:
        for k in ctx.catalog.kpis.values():
            for lang, text, words in (("en", k.description.en, _WORDS_EN),
                                      ("zh", k.description.zh, _WORDS_ZH)):
                first = _first_sentence(text)
                if isinstance(k, SimpleKpi):
                    m = ctx.catalog.measures.get(k.measure)
                    if m is None:
                        continue
                    for pattern, aggs, word in words:
                        if pattern.search(first):
                            if m.agg not in aggs:
                                yield self._issue(ctx, k, lang, word, m.agg.value)
                            break
                elif words[0][0].search(first):
                    yield self._issue(ctx, k, lang, words[0][2], k.type)

    def _issue(self, ctx: Context, k: Kpi, lang: str, word: str, actual: str) -> Issue:
        return ctx.issue(self.name,
                         f"kpi {k.name!r}: the {lang} description says {word!r} but the KPI "
                         f"computes {actual}",
                         f"指标 {k.name!r}：{lang} 描述写的是“{word}”，但实际计算方式是 {actual}",
                         "kpi", k.name, "description", lang)


class PeriodOverPeriodShape(Rule[Context]):
    """A period-over-period KPI compares sets of items: its measure counts distinct items placed
    by a timestamp."""

    name = "period-over-period"

    def check(self, ctx: Context) -> Iterator[Issue]:
        for k in ctx.catalog.kpis.values():
            if not isinstance(k, PeriodOverPeriodKpi):
                continue
            m = ctx.catalog.measures.get(k.measure)
            if m is None:
                continue
            if m.agg is not Agg.COUNT_DISTINCT or m.time is None:
                yield ctx.issue(self.name, f"kpi {k.name!r}: measure {m.name!r} must be a "
                                "count_distinct placed by `time`",
                                f"指标 {k.name!r}：度量 {m.name!r} 必须是按 time 归期的 "
                                "count_distinct",
                                "kpi", k.name, "measure")


class PerStage(Rule[Context]):
    """``per: stage`` needs a source with a ``stage`` dimension; ``{stage}`` needs
    ``per: stage``."""

    name = "per-stage"

    def check(self, ctx: Context) -> Iterator[Issue]:
        cat = ctx.catalog
        for k in cat.kpis.values():
            filters: list[Filter] = []
            sources: list[Source] = []
            match k:
                case SimpleKpi() | PeriodOverPeriodKpi():
                    ms = [cat.measures.get(k.measure)]
                case RatioKpi():
                    ms = [cat.measures.get(k.numerator), cat.measures.get(k.denominator)]
                case ConversionKpi():
                    ms = []
                    filters += [*k.from_, *k.to]
                    if k.source in cat.sources:
                        sources.append(cat.sources[k.source])
                case DerivedKpi():
                    ms = []
                case _:
                    assert_never(k)
            for m in ms:
                if m is not None:
                    filters += m.filters
                    if m.source in cat.sources:
                        sources.append(cat.sources[m.source])
            uses = any(STAGE_PLACEHOLDER in f.values for f in filters)
            if k.per == "stage":
                for src in sources:
                    if "stage" not in src.dimensions:
                        yield ctx.issue(self.name, f"kpi {k.name!r}: per stage, but source "
                                        f"{src.name!r} has no `stage` dimension",
                                        f"指标 {k.name!r}：按阶段拆分，但数据源 {src.name!r} "
                                        "没有 stage 维度",
                                        "kpi", k.name, "per")
                if isinstance(k, DerivedKpi | PeriodOverPeriodKpi):
                    yield ctx.issue(self.name, f"kpi {k.name!r}: a {k.type} KPI cannot be per "
                                    "stage", f"指标 {k.name!r}：{k.type} 类型不能按阶段拆分",
                                    "kpi", k.name, "per")
            elif uses:
                yield ctx.issue(self.name, f"kpi {k.name!r}: a filter uses {STAGE_PLACEHOLDER} "
                                "but the KPI is not `per: stage`",
                                f"指标 {k.name!r}：筛选使用了 {STAGE_PLACEHOLDER}，"
                                "但指标没有 per: stage",
                                "kpi", k.name)


RULES: tuple[Rule[Context], ...] = (
    DuplicateNames(),
    UnknownTable(),
    UnknownColumnRule(),
    UnknownName(),
    ExpressionGrammar(),
    Cycles(),
    ColumnTypes(),
    UnitsAgree(),
    DescriptionAgrees(),
    PeriodOverPeriodShape(),
    PerStage(),
)


def validate(catalog: Catalog, *, pipeline: Pipeline | None = None) -> list[Issue]:
    """Every issue every rule finds, sorted by file and line."""
    issues = run_rules(RULES, Context(catalog, pipeline))
    return sorted(issues, key=lambda i: (*i.place, i.rule))


__all__ = ["RULES", "Context", "Rule", "validate", "table"]

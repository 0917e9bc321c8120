"""From KPI names to what must be aggregated: measure uses per source, and a formula per output.

Every output column is a formula (:mod:`salescore.semantic.expression` nodes) over aggregated
columns: a simple KPI is its measure, a ratio divides two measures, a derived KPI substitutes the
formulas of the KPIs it names, a conversion divides two distinct counts and a period-over-period
KPI combines the previous period's items with those retained. Because every formula is evaluated
on aggregates of the requested grain, a team's ratio is always its sum over its sum.

A KPI ``per: stage`` gives one output per open stage of the pipeline, named ``kpi[stage]``.

>>> from salescore.semantic.catalog import shipped_catalog
>>> p = plan_kpis(shipped_catalog(), ["win_rate", "nps"], stages=("lead", "won"))
>>> [o.name for o in p.outputs], str(p.outputs[0].formula)
(['win_rate', 'nps'], '(m__deals_won / m__deals_closed)')
>>> sorted({u.measure.source for u in p.measures})
['opportunities', 'surveys']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import assert_never

from salescore.core.errors import ConfigError
from salescore.semantic.catalog import Catalog
from salescore.semantic.expression import Binary, Expr, Negate, Number, Ref, parse_expression
from salescore.semantic.specs import (
    STAGE_PLACEHOLDER,
    ConversionKpi,
    DerivedKpi,
    Filter,
    Kpi,
    Measure,
    PeriodOverPeriodKpi,
    RatioKpi,
    SimpleKpi,
    Unit,
)


@dataclass(frozen=True, slots=True)
class MeasureUse:
    """A measure to aggregate into ``column`` (its ``{stage}`` filters already filled in)."""

    column: str
    measure: Measure

    @property
    def source(self) -> str:
        return self.measure.source


@dataclass(frozen=True, slots=True)
class ConversionUse:
    """A conversion KPI's two distinct counts: items that reached ``from``, and of those the
    items that also reached ``to`` (tracked in the row flag ``flag``)."""

    kpi: ConversionKpi
    denominator: str
    numerator: str
    flag: str

    @property
    def source(self) -> str:
        return self.kpi.source


@dataclass(frozen=True, slots=True)
class PopUse:
    """A period-over-period comparison of ``measure``'s items."""

    measure: Measure
    previous: str
    retained: str

    @property
    def source(self) -> str:
        return self.measure.source


@dataclass(frozen=True, slots=True)
class Output:
    """One output column: its name, the KPI it shows and its formula over aggregated columns."""

    name: str
    kpi: Kpi
    stage: str | None
    formula: Expr

    @property
    def unit(self) -> Unit:
        return self.kpi.unit


@dataclass(frozen=True)
class QueryPlan:
    """What computing some KPIs aggregates: each output's formula and the measure,
    conversion and period-over-period uses it reads (a *query plan*; the word *plan* alone
    means a scorecard plan, :class:`salescore.semantic.plan.Plan`)."""

    outputs: tuple[Output, ...]
    measures: tuple[MeasureUse, ...]
    conversions: tuple[ConversionUse, ...]
    pops: tuple[PopUse, ...]
    fill_zero: frozenset[str] = field(default_factory=frozenset)

    def sources(self) -> tuple[str, ...]:
        """The sources to aggregate, in first-use order."""
        seen: dict[str, None] = {}
        uses: tuple[MeasureUse | ConversionUse | PopUse, ...] = (
            *self.measures, *self.conversions, *self.pops)
        for use in uses:
            seen.setdefault(use.source, None)
        return tuple(seen)

    def count_columns(self) -> frozenset[str]:
        """Aggregated columns holding integer counts."""
        cols = {u.column for u in self.measures if u.measure.agg.is_count}
        cols |= {c for u in self.conversions for c in (u.denominator, u.numerator)}
        cols |= {c for u in self.pops for c in (u.previous, u.retained)}
        return frozenset(cols)


def _fill(filters: Sequence[Filter], stage: str | None) -> tuple[Filter, ...]:
    if stage is None:
        return tuple(filters)
    return tuple(
        f.model_copy(update={"values": tuple(stage if v == STAGE_PLACEHOLDER else v
                                             for v in f.values)})
        for f in filters
    )


class _Planner:
    def __init__(self, catalog: Catalog, stages: Sequence[str]) -> None:
        self.catalog = catalog
        self.stages = tuple(stages)
        self.measures: dict[tuple[str, str | None], MeasureUse] = {}
        self.conversions: dict[tuple[str, str | None], ConversionUse] = {}
        self.pops: dict[str, PopUse] = {}
        self.fill_zero: set[str] = set()
        self.stack: list[str] = []

    def _suffix(self, stage: str | None) -> str:
        return "" if stage is None else f"__s{self.stages.index(stage)}"

    def measure(self, name: str, stage: str | None) -> Ref:
        key = (name, stage)
        if key not in self.measures:
            m = self.catalog.measure(name)
            m = m.model_copy(update={"filters": _fill(m.filters, stage)})
            column = f"m__{name}{self._suffix(stage)}"
            self.measures[key] = MeasureUse(column, m)
            if m.agg.is_additive:
                self.fill_zero.add(column)
        return Ref(self.measures[key].column)

    def formula(self, kpi: Kpi, stage: str | None) -> Expr:
        match kpi:
            case SimpleKpi():
                return self.measure(kpi.measure, stage)
            case RatioKpi():
                ratio: Expr = Binary("/", self.measure(kpi.numerator, stage),
                                     self.measure(kpi.denominator, stage))
                return ratio if kpi.scale == 1 else Binary("*", Number(kpi.scale), ratio)
            case DerivedKpi():
                return self._substitute(parse_expression(kpi.expression), kpi.name)
            case ConversionKpi():
                key = (kpi.name, stage)
                if key not in self.conversions:
                    filled = kpi.model_copy(update={"from_": _fill(kpi.from_, stage),
                                                    "to": _fill(kpi.to, stage)})
                    base = f"c__{kpi.name}{self._suffix(stage)}"
                    use = ConversionUse(filled, f"{base}__den", f"{base}__num", f"{base}__flag")
                    self.conversions[key] = use
                    self.fill_zero.update((use.denominator, use.numerator))
                use = self.conversions[key]
                return Binary("/", Ref(use.numerator), Ref(use.denominator))
            case PeriodOverPeriodKpi():
                if kpi.measure not in self.pops:
                    m = self.catalog.measure(kpi.measure)
                    base = f"p__{kpi.measure}"
                    self.pops[kpi.measure] = PopUse(m, f"{base}__prev", f"{base}__kept")
                    self.fill_zero.update((f"{base}__prev", f"{base}__kept"))
                pop = self.pops[kpi.measure]
                prev, kept = Ref(pop.previous), Ref(pop.retained)
                match kpi.output:
                    case "retention_rate":
                        return Binary("/", kept, prev)
                    case "retained":
                        return kept
                    case "churned":
                        return Binary("-", prev, kept)
                    case _:
                        assert_never(kpi.output)
            case _:
                assert_never(kpi)

    def _substitute(self, expr: Expr, owner: str) -> Expr:
        match expr:
            case Number():
                return expr
            case Ref(name=name):
                ref = self.catalog.kpi(name)
                if ref.per is not None:
                    raise ConfigError(
                        f"KPI {owner!r} uses {name!r}, which is per {ref.per}; a derived KPI can "
                        "only use KPIs with one value", message_zh=f"指标 {owner!r} 引用了按"
                        f"{ref.per}拆分的指标 {name!r}；派生指标只能引用单值指标")
                if name in self.stack:
                    raise ConfigError(f"KPI {name!r} depends on itself",
                                      message_zh=f"指标 {name!r} 循环依赖自身")
                self.stack.append(name)
                try:
                    return self.formula(ref, None)
                finally:
                    self.stack.pop()
            case Negate(operand=inner):
                return Negate(self._substitute(inner, owner))
            case Binary(op=op, left=left, right=right):
                return Binary(op, self._substitute(left, owner), self._substitute(right, owner))
            case _:
                assert_never(expr)


def plan_kpis(catalog: Catalog, names: Sequence[str], *, stages: Sequence[str]) -> QueryPlan:
    """The plan for KPIs ``names`` (in that order); ``stages`` are the stages ``per: stage``
    KPIs are split into (the pipeline's open stages). Unknown names raise ConfigError."""
    planner = _Planner(catalog, stages)
    outputs: list[Output] = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        kpi = catalog.kpi(name)
        planner.stack = [name]
        if kpi.per == "stage":
            for stage in planner.stages:
                outputs.append(Output(f"{name}[{stage}]", kpi, stage,
                                      planner.formula(kpi, stage)))
        else:
            outputs.append(Output(name, kpi, None, planner.formula(kpi, None)))
    return QueryPlan(tuple(outputs), tuple(planner.measures.values()),
                tuple(planner.conversions.values()), tuple(planner.pops.values()),
                frozenset(planner.fill_zero))

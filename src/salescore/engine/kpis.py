"""Compute KPIs on the warehouse: gather the context, compile once, run one query.

The engine asks the warehouse a few small questions first (the date range of the data when the
period is ``all``, the team tree for team roll-ups, the target periods, the currencies and rates),
compiles every requested KPI into one expression (:mod:`salescore.compile.kpis`) and runs it on
the warehouse's backend (DuckDB, PostgreSQL, or any Ibis backend holding the canonical tables).

>>> from salescore.engine.warehouse import Warehouse
>>> with Warehouse.open("duckdb://:memory:") as wh:
...     wh.create_tables()
...     engine = KpiEngine(wh.backend)
...     result = engine.compute(KpiRequest(("deals_won",), by="company", period="2025-Q1"))
...     result.table.to_pylist()
[{'period': '2025-Q1', 'deals_won': 0}]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from hashlib import sha256
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

from salescore.compile.context import (
    Buckets,
    CompileContext,
    FxRate,
    RollupColumn,
    all_history,
    buckets_for,
    team_membership,
)
from salescore.compile.kpis import CompiledKpis, check_grain, compile_kpis
from salescore.compile.memtables import memtable_called
from salescore.compile.rows import nullable
from salescore.compile.schema import unbound
from salescore.compile.timezone import offsets
from salescore.core.errors import PeriodError
from salescore.core.lru import Lru
from salescore.core.periods import Calendar, Grain
from salescore.engine.explained import Notice
from salescore.engine.maintain import KeptState, read_state
from salescore.engine.runner import Prepared, Runner
from salescore.engine.sql_store import (
    SqlStore,
    StoredQuery,
    arrow_from_text,
    arrow_to_text,
    canonical,
)
from salescore.engine.warehouse import Warehouse
from salescore.model.org import OrgSettings
from salescore.semantic.catalog import Catalog, shipped_catalog
from salescore.semantic.columns import resolve
from salescore.semantic.kpi_plan import QueryPlan, plan_kpis
from salescore.semantic.specs import Source

ALL_PERIODS = "all"


@dataclass(frozen=True)
class KpiRequest:
    """Which KPIs, for which subjects (``by``), over which ``period`` (a label or ``all``),
    split by ``grain`` (``None``: the whole period is one row). ``subjects`` keeps only those
    subject keys (rep or team ids, dimension values)."""

    kpis: tuple[str, ...]
    by: str = "rep"
    period: str = ALL_PERIODS
    grain: Grain | None = None
    subjects: tuple[str, ...] | None = None

    @classmethod
    def of(cls, kpis: Sequence[str], *, by: str = "rep", period: str = ALL_PERIODS,
           grain: Grain | str | None = None, subjects: Sequence[str] | None = None
           ) -> KpiRequest:
        """A request from plain arguments: each KPI once, in order; ``grain`` by name or not;
        ``subjects`` any sequence (``None``: every subject).

        >>> KpiRequest.of(["win_rate", "win_rate"], grain="month").grain
        <Grain.MONTH: 'month'>
        """
        return cls(tuple(dict.fromkeys(kpis)), by=by, period=period,
                   grain=Grain(grain) if grain else None,
                   subjects=tuple(subjects) if subjects is not None else None)


@dataclass(frozen=True)
class KpiResult:
    """A computed KPI table: subject column (unless the company), ``period``, one column per
    output; plus what was run and anything to note. ``reasons``: why an output's value is
    null where it is and is not simply without data (amounts that cannot be converted to
    the reporting currency), for each output that has such a null."""

    table: pa.Table
    request: KpiRequest
    outputs: tuple[str, ...]
    subject: str | None
    notices: tuple[Notice, ...] = ()
    queries: int = 0
    passes: int = 0
    seconds: float = 0.0
    sql: str = ""
    reasons: dict[str, Notice] = field(default_factory=dict)

    def to_pandas(self) -> Any:
        return self.table.to_pandas()


@dataclass
class KpiEngine:
    """Computes KPIs of ``catalog`` (the shipped one by default) through ``backend``: a
    :class:`Runner` (the session's, with its scope), or any Ibis backend that holds the
    canonical tables under their names (a :class:`Warehouse`'s ``backend``, a PySpark
    session's, ...), which is run with the everything-scope."""

    backend: BaseBackend | Runner
    settings: OrgSettings = field(default_factory=OrgSettings)
    catalog: Catalog = field(default_factory=shipped_catalog)

    use_rollups: bool = True
    """Answer from daily roll-ups where they are kept and a KPI allows it (``False``: every
    measure from the raw rows, as the comparison of the two paths needs)."""
    use_derived: bool = True
    """Read kept derived facts instead of computing windows (``False``: compute them)."""
    version: Callable[[], Hashable] | None = None
    """What changes whenever the warehouse's rows may have (a session passes its warehouse's
    count of writes). What the engine asked the warehouse before compiling (the kept tables,
    the data's range, the team tree, target periods, rates) is kept per request while it
    stays the same; ``None``: kept for the engine's life, which a caller that writes between
    requests ends by making a new engine."""
    whole_rows: Callable[[ibis.Table], list[dict[str, Any]]] | None = None
    """Where a context query may be asked of the whole organisation instead of the scope
    (the data's range for a named period, a bound a wider range serves as well), when the
    caller keeps those answers; ``None``: within the scope."""
    memo: MutableMapping[Any, list[dict[str, Any]]] | None = None
    """Where the answers of the small context queries (the data's range, the team tree, the
    currencies) are kept by query, when the caller keeps them while the data stands (a
    session's, per data stamp and scope); ``None``: asked each time."""
    sql_store: SqlStore | None = None
    """Where compiled queries are kept on disk for later processes (a workspace's,
    :mod:`salescore.engine.sql_store`); ``None``: compiled in each process."""

    def __post_init__(self) -> None:
        self.runner = self.backend if isinstance(self.backend, Runner) else Runner(self.backend)
        self._kept: tuple[Hashable, KeptState | None] | None = None
        self._contexts: dict[tuple[KpiRequest, Hashable],
                             tuple[QueryPlan, CompileContext, tuple[Notice, ...]]] = {}

    def _version(self) -> Hashable:
        return self.version() if self.version is not None else None

    def kept(self) -> KeptState | None:
        """What the warehouse keeps beside the canonical tables, when it was built with
        today's settings (read again only when :attr:`version` changed)."""
        if not self.use_derived:
            return None
        version = self._version()
        if self._kept is None or self._kept[0] != version:
            state = read_state(self.runner.backend)
            self._kept = (version, state if state is not None and state.matches(self.settings)
                          else None)
        return self._kept[1]

    @property
    def calendar(self) -> Calendar:
        return self.settings.calendar

    def _scalar_rows(self, expr: ibis.Table) -> list[dict[str, Any]]:
        if self.memo is None:
            return self.runner.rows(expr)
        key = expr.op()  # structural: the same query built again is the same key
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self.runner.rows(expr)
        return [dict(r) for r in found]

    def context(self, request: KpiRequest, plan: QueryPlan) -> tuple[CompileContext, list[Notice]]:
        """Ask the warehouse what compiling ``request`` needs to know (a few small queries)."""
        notices: list[Notice] = []
        cal = self.calendar
        sources = [self.catalog.source(s) for s in plan.sources()]
        zone_first = zone_last = None
        buckets: Buckets
        if request.period.strip().lower() == ALL_PERIODS or _has_dst(cal):
            # For a named period the range only bounds the days whose offsets are known
            # exactly: the whole organisation's (kept by the caller) serves every scope.
            first, last = self._data_range(
                sources, whole=request.period.strip().lower() != ALL_PERIODS)
            zone_first, zone_last = first, last
        if request.period.strip().lower() == ALL_PERIODS:
            today = date.today()
            buckets = all_history(zone_first or today, zone_last or today, request.grain, cal)
        else:
            buckets = buckets_for(cal.parse(request.period), request.grain, cal)
        membership: tuple[tuple[str, str], ...] = ()
        if request.by == "team":
            membership = self._membership()
        spans: tuple[tuple[str, date, date], ...] = ()
        if any(s.period_label for s in sources):
            spans, bad = self._target_periods(sources, cal)
            if bad:
                shown = ", ".join(sorted(bad)[:5])
                notices.append(Notice(f"target periods not understood and left out: {shown}",
                                      f"无法识别的目标周期（已忽略）：{shown}"))
        fx, lacking = self._fx(plan, notices)
        stored: frozenset[tuple[str, str]] = frozenset()
        rollups: tuple[RollupColumn, ...] = ()
        reach: tuple[str, ...] | None = None
        kept = self.kept()
        if kept is not None:
            stored = kept.stored()
            if self.use_rollups:
                rollups = kept.rollup_columns()
                # Roll-ups hold every rep's rows: a narrower scope reads its reps' rows (the
                # shape's: a marked list, that each run fills, where the runner marks).
                shape = self.runner.shape
                if not shape.everything:
                    assert shape.reps is not None
                    reach = tuple(sorted(shape.reps))
        ctx = CompileContext(
            calendar=cal, buckets=buckets, pipeline=self.settings.pipeline,
            currency=self.settings.organisation.currency, membership=membership,
            target_periods=spans, fx=fx, zone_first=zone_first, zone_last=zone_last,
            subjects=request.subjects, unconvertible=lacking, stored=stored, rollups=rollups,
            reach=reach,
        )
        return ctx, notices

    def prepare(self, request: KpiRequest) -> tuple[QueryPlan, CompileContext, list[Notice]]:
        """What compiling ``request`` needs: its query plan and the context asked of the
        warehouse (a few small queries), with the notices gathered on the way."""
        key = (request, self._version())
        hit = self._contexts.get(key)
        if hit is not None:
            return hit[0], hit[1], list(hit[2])
        check_grain(self.catalog, request.by)
        plan = plan_kpis(self.catalog, request.kpis,
                         stages=self.settings.pipeline.open_stage_names())
        ctx, notices = self.context(request, plan)
        if len(self._contexts) >= _PREPARED_SIZE:
            self._contexts.clear()
        self._contexts[key] = (plan, ctx, tuple(notices))
        return plan, ctx, notices

    def compile(self, request: KpiRequest) -> tuple[CompiledKpis, list[Notice]]:
        """The compiled query for ``request`` and the notices gathered on the way."""
        _, ctx, notices = self.prepare(request)
        return self.compile_in(request, ctx, notices), notices

    def compile_in(self, request: KpiRequest, ctx: CompileContext,
                   notices: list[Notice] | None = None) -> CompiledKpis:
        """``request`` compiled in a context already gathered (a note is added to
        ``notices`` for KPIs empty at this grain)."""
        compiled = compile_kpis(self.catalog, request.kpis, request.by, ctx)
        _note_missing(compiled, request, notices)
        return compiled

    def prepared_in(self, request: KpiRequest, ctx: CompileContext,
                    notices: list[Notice] | None = None) -> tuple[CompiledKpis, Prepared]:
        """``request`` compiled in ``ctx`` and made ready to run in this engine's scope,
        compiled once per (catalogue, scope, request, context): the same request in the same
        context again, from any engine on a catalogue of the same definitions, builds no
        expression and generates no SQL. The context holds everything compiling reads
        (periods, rates, team tree, kept tables), so a change in the warehouse that matters
        makes a new key."""
        key = (catalog_digest(self.catalog), self.runner.backend.name, self.runner.shape,
               request, ctx)
        hit = _PREPARED.get(key)
        if hit is not None:
            _note_missing(hit[0], request, notices)
            return hit
        # Kept on disk for DuckDB alone: elsewhere nothing is compiled to SQL text here.
        store = self.sql_store if self.runner.backend.name == "duckdb" else None
        stored_key = "" if store is None else self._stored_key(request, ctx)
        found = None if store is None else store.get(stored_key)
        if found is not None:
            compiled, prepared = _from_store(found, request, self.catalog, ctx)
            _note_missing(compiled, request, notices)
        else:
            compiled = self.compile_in(request, ctx, notices)
            prepared = self.runner.prepare(compiled.expr)
            if store is not None:
                store.put(stored_key, _to_store(compiled, prepared))
        _PREPARED.put(key, (compiled, prepared))
        return compiled, prepared

    def _stored_key(self, request: KpiRequest, ctx: CompileContext) -> str:
        """The key of ``request`` compiled in ``ctx`` within this engine's scope in
        :attr:`sql_store`."""
        assert self.sql_store is not None
        reach = self.runner.shape
        return self.sql_store.key(
            "kpis", catalog_digest(self.catalog), self.runner.backend.name,
            None if reach.everything else (reach.reps, reach.teams), request, ctx)

    def compute(self, request: KpiRequest) -> KpiResult:
        """Run ``request``; one query for the KPIs (plus the small context queries)."""
        started = time.perf_counter()
        before = self.runner.queries
        plan, ctx, notices = self.prepare(request)
        compiled, prepared = self.prepared_in(request, ctx, notices)
        table = self.runner.run_prepared(prepared)
        reasons: dict[str, Notice] = {}
        unconvertible = self.unconvertible(ctx)
        if unconvertible is not None:
            reasons = {name: unconvertible for name in compiled.unconvertible
                       if table.column(name).null_count}
        return KpiResult(
            table=table, request=request, outputs=compiled.outputs, subject=compiled.subject,
            notices=tuple(notices), queries=self.runner.queries - before,
            passes=compiled.passes,
            seconds=time.perf_counter() - started, reasons=reasons,
        )

    def unconvertible(self, ctx: CompileContext) -> Notice | None:
        """Why a money KPI is null in ``ctx`` where amounts cannot be converted to the
        reporting currency, with the commands that fix it (``None`` when all can be)."""
        if ctx.fx is None or not ctx.unconvertible:
            return None
        return unconvertible_reason(ctx.currency, dict(ctx.unconvertible))

    # -- context queries ---------------------------------------------------------------------
    def _data_range(self, sources: Sequence[Source], *, whole: bool = False
                    ) -> tuple[date | None, date | None]:
        parts = []
        seen: set[tuple[str, str]] = set()
        for src in sources:
            for t in src.times:
                if "." in t or (src.table, t) in seen:
                    continue
                seen.add((src.table, t))
                tbl = unbound(src.table)
                col = tbl[t]
                if not col.type().is_timestamp():
                    continue
                parts.append(nullable(tbl.aggregate(lo=col.min(), hi=col.max())))
        if not parts:
            return None, None
        stacked = ibis.union(*parts) if len(parts) > 1 else parts[0]
        ask = self.whole_rows if whole and self.whole_rows is not None else self._scalar_rows
        row = ask(stacked.aggregate(lo=stacked["lo"].min(), hi=stacked["hi"].max()))[0]
        lo, hi = row["lo"], row["hi"]
        if lo is None or hi is None:
            return None, None
        cal = self.calendar
        return cal.local_date(_naive(lo)), cal.local_date(_naive(hi))

    def _membership(self) -> tuple[tuple[str, str], ...]:
        teams = unbound("teams").select("team_id", "parent_team_id")
        reps = unbound("reps").select("rep_id", "team_id")
        t_rows = self._scalar_rows(teams)
        r_rows = self._scalar_rows(reps)
        return team_membership([(r["team_id"], r["parent_team_id"]) for r in t_rows],
                               [(r["rep_id"], r["team_id"]) for r in r_rows])

    def _target_periods(self, sources: Sequence[Source], cal: Calendar
                        ) -> tuple[tuple[tuple[str, date, date], ...], set[str]]:
        spans: list[tuple[str, date, date]] = []
        bad: set[str] = set()
        for src in sources:
            if not src.period_label:
                continue
            tbl = unbound(src.table)
            for row in self._scalar_rows(tbl.select(label=tbl[src.period_label]).distinct()):
                label = row["label"]
                if label is None:
                    continue
                try:
                    p = cal.parse(label)
                except PeriodError:
                    bad.add(label)
                    continue
                spans.append((label, p.start, p.end))
        return tuple(sorted(set(spans))), bad

    def _fx(self, plan: QueryPlan, notices: list[Notice]
            ) -> tuple[tuple[FxRate, ...] | None, tuple[tuple[str | None, int], ...]]:
        """The rates to compile with (``None``: every amount is in the reporting currency), and
        the amounts by currency (``None``: no currency) that no rate converts: in a currency
        with no rate at all, or dated before its first rate."""
        money: dict[tuple[str, str, str], set[str]] = {}
        for u in plan.measures:
            src = self.catalog.source(u.source)
            m = u.measure
            if not (src.currency and m.column and resolve(src, m.column).is_money) or \
                    "." in m.column or "." in src.currency:
                continue
            times = money.setdefault((src.table, m.column, src.currency), set())
            if m.time and "." not in m.time:
                times.add(m.time)
        if not money:
            return None, ()
        reporting = self.settings.organisation.currency
        foreign: dict[str | None, tuple[int, date | None]] = {}
        for (table_name, column, currency), times in sorted(money.items()):
            tbl = unbound(table_name)
            known = tbl.filter(tbl[column].notnull()
                               & (tbl[currency].isnull() | (tbl[currency] != reporting)))
            firsts = {f"t{i}": known[t].min() for i, t in enumerate(sorted(times))}
            for r in self._scalar_rows(known.group_by(c=known[currency]).aggregate(
                    n=known.count(), **firsts)):
                days = [_as_date(v) for k, v in r.items() if k in firsts and v is not None]
                n, first = foreign.get(r["c"], (0, None))
                foreign[r["c"]] = (n + int(r["n"]), min([*days, *([first] if first else [])],
                                                        default=None))
        if not foreign:
            return None, ()
        fx = unbound("fx_rates")
        rates = [FxRate(r["currency"], r["day"], float(r["rate"]))
                 for r in self._scalar_rows(fx.select("currency", "day", "rate"))]
        first_rate: dict[str, date] = {}
        for rate in rates:
            first_rate[rate.currency] = min(rate.day, first_rate.get(rate.currency, rate.day))
        lacking = tuple(sorted(
            ((code, n) for code, (n, first) in foreign.items()
             if code is None or code not in first_rate
             or (first is not None and first < first_rate[code])),
            key=lambda kv: (-kv[1], str(kv[0]))))
        if lacking:
            notices.append(unconvertible_reason(reporting, dict(lacking)))
        return tuple(rates), lacking


_PREPARED_SIZE = 256
_PREPARED: Lru[tuple[Any, ...], tuple[CompiledKpis, Prepared]] = Lru(_PREPARED_SIZE)
"""Compiled and prepared requests, least recently used first (see :meth:`KpiEngine.prepared_in`)."""


def catalog_digest(catalog: Catalog) -> str:
    """What identifies every definition in ``catalog`` (sources, measures, KPIs), worked out
    once per catalogue object (for the last :data:`_DIGESTS_SIZE` of them)."""
    found = _DIGESTS.get(id(catalog))
    if found is not None and found[0] is catalog:
        return found[1]
    digest = sha256(canonical((catalog.sources, catalog.measures, catalog.kpis))
                    .encode()).hexdigest()
    _DIGESTS.put(id(catalog), (catalog, digest))
    return digest


_DIGESTS_SIZE = 64
_DIGESTS: Lru[int, tuple[Catalog, str]] = Lru(_DIGESTS_SIZE)


def _to_store(compiled: CompiledKpis, prepared: Prepared) -> StoredQuery:
    """``compiled`` as kept on disk. Its in-memory tables' names are unique in this process
    alone: they are renamed after their content (``salescore_kept_<digest>``, a name no
    compile gives), so that another process registering them cannot meet a table of its own
    with the same name and other rows."""
    assert prepared.sql is not None
    sql, memtables = prepared.sql, []
    for m in prepared.memtables:
        data = arrow_to_text(m.data.to_pyarrow(m.schema))
        name = "salescore_kept_" + sha256(data.encode()).hexdigest()[:20]
        sql = sql.replace(m.name, name)
        memtables.append((name, data))
    schema = compiled.expr.schema()
    return StoredQuery(
        sql=sql, columns=tuple((n, str(t)) for n, t in schema.items()),
        outputs=compiled.outputs, subject=compiled.subject, missing=compiled.missing,
        passes=compiled.passes, notes=compiled.notes, unconvertible=compiled.unconvertible,
        from_rollups=compiled.from_rollups, memtables=tuple(memtables))


def _from_store(found: StoredQuery, request: KpiRequest, catalog: Catalog,
                ctx: CompileContext) -> tuple[CompiledKpis, Prepared]:
    """A compiled request read back from the store: its expression stands for the result's
    columns alone (what running it needs), its SQL is run as kept."""
    expr = ibis.table(ibis.schema(dict(found.columns)), name="stored_kpis")
    plan = plan_kpis(catalog, request.kpis, stages=ctx.pipeline.open_stage_names())
    compiled = CompiledKpis(
        expr=expr, plan=plan, by=request.by, outputs=found.outputs, subject=found.subject,
        missing=found.missing, passes=found.passes, notes=found.notes,
        unconvertible=found.unconvertible, from_rollups=found.from_rollups)
    memtables = tuple(memtable_called(name, arrow_from_text(data)).op()
                      for name, data in found.memtables)
    return compiled, Prepared(expr, found.sql, memtables)


def _note_missing(compiled: CompiledKpis, request: KpiRequest,
                  notices: list[Notice] | None) -> None:
    if compiled.missing and notices is not None:
        shown = ", ".join(compiled.missing)
        notices.append(Notice(
            f"empty at grain {request.by!r}, whose sources have no such dimension: {shown}",
            f"以下指标的数据源没有“{request.by}”维度，结果为空：{shown}"))


def unconvertible_reason(reporting: str, lacking: Mapping[str | None, int]) -> Notice:
    """Why money KPIs are null over amounts that cannot be converted to ``reporting`` (rows
    by currency, ``None`` for amounts without one), and the commands that fix it.

    >>> print(unconvertible_reason("CNY", {"USD": 12}).message)  # doctest: +NORMALIZE_WHITESPACE
    null, not 0, where amounts cannot be converted to CNY: USD (12 rows) without an exchange
    rate on their day. Import rates with `salescore import fx_rates RATES.csv` (columns
    currency, day, rate), or report in USD with `salescore settings set currency USD`
    """
    shown = ", ".join(f"{code or '(no currency)'} ({n:,} rows)"
                      for code, n in sorted(lacking.items(), key=lambda kv: (-kv[1], str(kv[0]))))
    shown_zh = "、".join(f"{code or '（无币种）'}（{n:,} 行）"
                        for code, n in sorted(lacking.items(),
                                              key=lambda kv: (-kv[1], str(kv[0]))))
    codes = [c for c in lacking if c is not None]
    switch = switch_zh = ""
    if len(codes) == 1:
        switch = f", or report in {codes[0]} with `salescore settings set currency {codes[0]}`"
        switch_zh = f"；或用 `salescore settings set currency {codes[0]}` 改以 {codes[0]} 报告"
    return Notice(
        f"null, not 0, where amounts cannot be converted to {reporting}: {shown} without an "
        f"exchange rate on their day. Import rates with `salescore import fx_rates RATES.csv` "
        f"(columns currency, day, rate){switch}",
        f"无法折算为 {reporting} 的金额使指标为空（而非 0）：{shown_zh} 在其日期没有汇率。"
        f"请用 `salescore import fx_rates 汇率.csv` 导入汇率（列 currency、day、rate）{switch_zh}")


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _naive(value: datetime | date) -> datetime | date:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _has_dst(cal: Calendar) -> bool:
    """Whether the zone's offset changed in the last 30 years (a fixed offset needs no range)."""
    today = date.today()
    return len(offsets(cal.zone, date(today.year - 30, 1, 1), date(today.year + 2, 1, 1))) > 1


def compute_kpis(warehouse: Warehouse | BaseBackend, kpis: Sequence[str], *, by: str = "rep",
                 period: str = ALL_PERIODS, grain: Grain | str | None = None,
                 settings: OrgSettings | None = None, catalog: Catalog | None = None,
                 subjects: Sequence[str] | None = None) -> KpiResult:
    """Compute ``kpis`` on ``warehouse`` (or an Ibis backend); the function form of
    :class:`KpiEngine`."""
    backend = warehouse.backend if isinstance(warehouse, Warehouse) else warehouse
    engine = KpiEngine(backend, settings or OrgSettings(), catalog or shipped_catalog())
    request = KpiRequest.of(kpis, by=by, period=period, grain=grain, subjects=subjects)
    return engine.compute(request)



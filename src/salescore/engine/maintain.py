"""Keeping derived facts and daily roll-ups beside the canonical rows.

:func:`rebuild` builds them all from the canonical rows for a catalogue and the organisation's
settings, and records what it built in the table ``salescore_kept`` (each kept table with the
specification it was built from, and the settings: the time zone places rows in local days,
the pipeline fills stage filters). An import then keeps exactly those up to date in its own
transaction (:class:`KeptChanges`, called by :func:`salescore.ingest.loading.load`):

1. before it writes, the stored versions of the rows it is about to change are copied aside;
2. after it writes, each kept window is recomputed for the partitions the old and new rows
   fall in (a rep and customer's activities, an opportunity's stage changes, a customer's
   orders), each first touch for the rows it may have changed;
3. each roll-up is recomputed for the local days of the rows the import touched: its own rows
   (old and new days), rows whose kept facts changed, and rows reading a changed row through a
   reference (a customer's region). Roll-up rows of other days are not read;
4. each item table of distinct counts likewise, per touched rep, month and item; each item
   table of conversions per touched item (an opportunity whose stage entries or owner
   changed), from all of that item's rows.

Nothing is kept on a warehouse where :func:`rebuild` never ran (the engine then reads raw
rows), and :class:`~salescore.engine.warehouse.Warehouse.append` (bulk loading, bypassing
imports) leaves kept tables stale, so it drops the record: the engine reads raw rows until the
next rebuild. The engine reads kept tables only where the record's settings are today's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.datatypes as dt
from ibis.backends import BaseBackend

from salescore.compile.context import CompileContext, RollupColumn, buckets_for
from salescore.compile.derived import (
    SPELLS,
    VALUE,
    Storable,
    derived_name,
    derived_rows,
    partition_columns,
    spells_name,
    spells_rows,
    spells_storable,
    storable_columns,
)
from salescore.compile.filters import columns_of
from salescore.compile.rollups import (
    DAY,
    DIM,
    ITEM,
    REP,
    ROW_DAY,
    ItemSpec,
    RollupSpec,
    conversion_fingerprint,
    fingerprint,
    item_aggregate,
    item_rows,
    item_specs,
    month_of,
    rollup_aggregate,
    rollup_rows,
    rollup_specs,
    scope_safe,
)
from salescore.compile.rows import SourceRows, nullable
from salescore.compile.schema import schema, unbound
from salescore.core.periods import Calendar, month_end, parse_period
from salescore.engine.warehouse import Warehouse
from salescore.model.org import OrgSettings, Pipeline
from salescore.model.tables import table
from salescore.semantic.catalog import Catalog
from salescore.semantic.kpi_plan import ConversionUse, MeasureUse
from salescore.semantic.specs import ConversionKpi, Measure, Source, TimeToFirst

STATE = "salescore_kept"
BEFORE = "_salescore_kept_before"
PAIRS = "_salescore_kept_pairs"
Hook = Callable[[str], None]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class KeptState:
    """What :func:`rebuild` built: the settings, the kept windows and the roll-ups."""

    timezone: str
    pipeline: Pipeline
    derived: tuple[tuple[Source, Storable], ...]
    rollups: tuple[RollupSpec, ...]
    spells: tuple[Source, ...] = ()
    """Sources whose idle spells are kept (:func:`salescore.compile.derived.spells_rows`)."""
    items: tuple[ItemSpec, ...] = ()
    """Distinct items per rep and month (:class:`salescore.compile.rollups.ItemSpec`)."""

    def matches(self, settings: OrgSettings) -> bool:
        return (self.timezone == settings.organisation.timezone
                and self.pipeline == settings.pipeline)

    def stored(self) -> frozenset[tuple[str, str]]:
        return frozenset({*((s.name, c.name) for s, c in self.derived),
                          *((s.name, SPELLS) for s in self.spells)})

    def rollup_columns(self) -> tuple[RollupColumn, ...]:
        out = [RollupColumn(fingerprint(u), spec.name, u.column, kind, spec.dimensions,
                            scope_safe(spec.source, u))
               for spec in self.rollups for u, kind in spec.measures]
        for items in self.items:
            out += [RollupColumn(fingerprint(u), items.name, u.column, "distinct", ())
                    for u in items.measures]
            out += [RollupColumn(conversion_fingerprint(c), items.name, c.denominator,
                                 "conversion", ()) for c in items.conversions]
        return tuple(out)


def _has_state(backend: BaseBackend | Warehouse) -> bool:
    if isinstance(backend, Warehouse):
        return bool(backend.execute_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = "
            f"'{STATE}' AND table_schema = current_schema()")[0][0])
    query = ("SELECT count(*) FROM information_schema.tables WHERE table_name = "
             f"'{STATE}' AND table_schema = current_schema()")
    if backend.name == "duckdb":
        return bool(backend.con.execute(query).fetchall()[0][0])
    if backend.name == "postgres":
        with backend.con.cursor() as cur:
            cur.execute(query)
            return bool(cur.fetchall()[0][0])
    try:
        return STATE in backend.list_tables()
    except Exception:  # noqa: BLE001 - a backend that cannot list tables keeps nothing
        return False


def read_state(backend: BaseBackend | Warehouse) -> KeptState | None:
    """What is kept on ``backend`` (``None``: nothing, or stale since a bulk load)."""
    if not _has_state(backend):
        return None
    if isinstance(backend, Warehouse):
        rows = [{"kind": k, "name": n, "spec": s}
                for k, n, s in backend.execute_sql(f"SELECT kind, name, spec FROM {STATE}")]
    else:
        rows = backend.to_pyarrow(ibis.table({"kind": "string", "name": "string",
                                              "spec": "string"}, name=STATE)).to_pylist()
    settings = next((r for r in rows if r["kind"] == "settings"), None)
    if settings is None:
        return None
    spec = json.loads(settings["spec"])
    derived = []
    rollups = []
    spells = []
    items = []
    for r in rows:
        body = json.loads(r["spec"])
        if r["kind"] == "derived":
            src = Source.model_validate(body["source"])
            c = next(c for c in src.columns if c.name == body["column"])
            derived.append((src, c))
        elif r["kind"] == "rollup":
            src = Source.model_validate(body["source"])
            measures = tuple((MeasureUse(column, Measure.model_validate(m)), kind)
                             for m, column, kind in body["measures"])
            rollups.append(RollupSpec(src, body["time"], measures, tuple(body["dimensions"])))
        elif r["kind"] == "spells":
            spells.append(Source.model_validate(body["source"]))
        elif r["kind"] == "items":
            src = Source.model_validate(body["source"])
            ms = tuple(MeasureUse(column, Measure.model_validate(m))
                       for m, column in body["measures"])
            cs = tuple(ConversionUse(ConversionKpi.model_validate(k), den, num, flag)
                       for k, den, num, flag in body["conversions"])
            items.append(ItemSpec(src, body["time"], body["item"], ms, cs))
    return KeptState(spec["timezone"], Pipeline.model_validate(spec["pipeline"]),
                     tuple(derived), tuple(rollups), tuple(spells),  # type: ignore[arg-type]
                     tuple(items))


def forget(warehouse: Warehouse) -> None:
    """Mark every kept table stale (after a load that bypassed imports)."""
    if _has_state(warehouse):
        warehouse.execute_sql(f"DELETE FROM {STATE}")


class _Sql:
    def __init__(self, warehouse: Warehouse) -> None:
        self.wh = warehouse

    def text(self, expr: ibis.Expr) -> str:
        return str(ibis.to_sql(expr, dialect=self.wh.dialect))

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        return self.wh.execute_sql(sql)

    def temp(self, name: str, expr: ibis.Table) -> ibis.Table:
        self.run(f"DROP TABLE IF EXISTS {_q(name)}")
        self.run(f"CREATE TEMP TABLE {_q(name)} AS {self.text(expr)}")
        return ibis.table(expr.schema(), name=name)

    def insert(self, name: str, expr: ibis.Table) -> None:
        cols = ", ".join(_q(c) for c in expr.columns)
        self.run(f"INSERT INTO {_q(name)} ({cols}) {self.text(expr)}")


def _context(warehouse: Warehouse, timezone: str, pipeline: Pipeline,
             tables: Sequence[tuple[str, str]], stored: frozenset[tuple[str, str]] = frozenset()
             ) -> CompileContext:
    """A context whose time zone offsets are exact over the data's whole range."""
    cal = Calendar(timezone=timezone)
    first = last = None
    for name, column in sorted(set(tables)):
        lo, hi = warehouse.execute_sql(f"SELECT min({column}), max({column}) FROM {name}")[0]
        if lo is None:
            continue
        lo_d = lo if isinstance(lo, date) and not hasattr(lo, "hour") else lo.date()
        hi_d = hi if isinstance(hi, date) and not hasattr(hi, "hour") else hi.date()
        first = lo_d if first is None else min(first, lo_d)
        last = hi_d if last is None else max(last, hi_d)
    today = date.today()
    first, last = first or today, max(last or today, today)
    buckets = buckets_for(parse_period(str(today.year)), None, cal)
    return CompileContext(cal, buckets, pipeline=pipeline, zone_first=first - timedelta(days=2),
                          zone_last=last + timedelta(days=2), stored=stored)


def rebuild(warehouse: Warehouse, catalog: Catalog, settings: OrgSettings, *,
            hook: Hook | None = None) -> KeptState:
    """Build every derived fact and roll-up of ``catalog`` from the canonical rows, in one
    transaction, replacing what was kept; what is now kept."""
    notify = hook or (lambda _: None)
    sql = _Sql(warehouse)
    derived = list(storable_columns(catalog))
    specs = rollup_specs(catalog, settings.pipeline)
    kept_items = item_specs(catalog, settings.pipeline)
    tz = settings.organisation.timezone
    with warehouse.transaction():
        if _has_state(warehouse):
            for (name,) in warehouse.execute_sql(f"SELECT name FROM {STATE} WHERE kind <> "
                                                 "'settings'"):
                sql.run(f"DROP TABLE IF EXISTS {_q(str(name))}")
            sql.run(f"DROP TABLE {STATE}")
        sql.run(f"CREATE TABLE {STATE} (kind VARCHAR, name VARCHAR, spec VARCHAR)")
        spelled = [s for s in catalog.sources.values() if spells_storable(s)]
        stored = frozenset({*((s.name, c.name) for s, c in derived),
                            *((s.name, SPELLS) for s in spelled)})
        ctx = _context(warehouse, tz, settings.pipeline, _timed(specs, spelled, kept_items),
                       stored)
        for src in spelled:
            notify(f"idle spells {src.name}")
            name = spells_name(src)
            sql.run(f"DROP TABLE IF EXISTS {_q(name)}")
            sql.run(f"CREATE TABLE {_q(name)} AS {sql.text(spells_rows(src, ctx))}")
            _record(warehouse, "spells", name, {"source": src.model_dump(mode="json")})
        for src, c in derived:
            notify(f"derived {src.name}.{c.name}")
            name = derived_name(src, c.name)
            sql.run(f"DROP TABLE IF EXISTS {_q(name)}")
            sql.run(f"CREATE TABLE {_q(name)} AS {sql.text(derived_rows(src, c, ctx))}")
            _record(warehouse, "derived", name, {"source": src.model_dump(mode="json"),
                                                 "column": c.name})
        for spec in specs:
            notify(f"rollup {spec.name}")
            rows = _materialised(sql, rollup_rows(spec, ctx))
            # Stored in (dimension, day, rep) order: a query of some days at one dimension
            # reads the few row groups holding them (DuckDB skips the rest by their min/max).
            _create_sorted(sql, spec.name, rollup_aggregate(spec, rows, ctx), (DIM, DAY, REP))
            _record(warehouse, "rollup", spec.name, {
                "source": spec.source.model_dump(mode="json"), "time": spec.time,
                "measures": [[u.measure.model_dump(mode="json"), u.column, kind]
                             for u, kind in spec.measures],
                "dimensions": list(spec.dimensions)})
        for items in kept_items:
            notify(f"items {items.name}")
            rows = _materialised(sql, item_rows(items, ctx))
            _create_sorted(sql, items.name, item_aggregate(items, rows, ctx), (DAY, REP, ITEM))
            _record(warehouse, "items", items.name, {
                "source": items.source.model_dump(mode="json"), "time": items.time,
                "item": items.item,
                "measures": [[u.measure.model_dump(mode="json"), u.column]
                             for u in items.measures],
                "conversions": [[c.kpi.model_dump(mode="json", by_alias=True), c.denominator,
                                 c.numerator, c.flag] for c in items.conversions]})
        _record(warehouse, "settings", "", {
            "timezone": tz, "pipeline": settings.pipeline.model_dump(mode="json")})
    state = read_state(warehouse)
    assert state is not None
    return state


def _timed(specs: Sequence[RollupSpec], spelled: Sequence[Source],
           items: Sequence[ItemSpec] = ()) -> list[tuple[str, str]]:
    """The (table, time column) pairs whose range the kept tables' local days must cover."""
    out = [(s.source.table, s.time) for s in specs] + [(i.source.table, i.time) for i in items]
    for src in spelled:
        sp = src.idle_spells
        assert sp is not None
        out += [(src.table, sp.start), (src.table, sp.end), (sp.touches_table, sp.touches_time)]
    return out


def _record(warehouse: Warehouse, kind: str, name: str, spec: dict[str, Any]) -> None:
    warehouse.execute_sql(f"INSERT INTO {STATE} VALUES (?, ?, ?)" if warehouse.dialect ==
                          "duckdb" else f"INSERT INTO {STATE} VALUES (%s, %s, %s)",
                          (kind, name, json.dumps(spec, sort_keys=True)))


def _create_sorted(sql: _Sql, name: str, expr: ibis.Table, order: Sequence[str]) -> None:
    """Table ``name`` made again from ``expr``, its rows stored in ``order``."""
    sql.run(f"DROP TABLE IF EXISTS {_q(name)}")
    sql.run(f"CREATE TABLE {_q(name)} AS SELECT * FROM ({sql.text(expr)}) AS r "
            f"ORDER BY {', '.join(_q(c) for c in order)}")


def _materialised(sql: _Sql, rows: SourceRows) -> SourceRows:
    return SourceRows(rows.source, sql.temp("_salescore_rollup_rows", rows.table))


class KeptChanges:
    """One import's upkeep of what is kept: :meth:`before` ahead of writing, :meth:`after`
    once written, both inside the import's transaction."""

    def __init__(self, warehouse: Warehouse, table_name: str, stage: str) -> None:
        self.wh = warehouse
        self.sql = _Sql(warehouse)
        self.table = table_name
        self.stage = stage
        self.state = read_state(warehouse)
        self.key = table(table_name).key
        self.seconds = 0.0

    @property
    def active(self) -> bool:
        return self.state is not None

    def _stage_keys(self) -> ibis.Table:
        s = ibis.table(schema(self.table), name=self.stage)
        return s.select(*self.key)

    def _current(self) -> ibis.Table:
        """The stored rows with a key in the import (as they are now)."""
        t = unbound(self.table)
        k = self._stage_keys().rename({f"__s_{c}": c for c in self.key})
        return t.join(k, [t[c] == k[f"__s_{c}"] for c in self.key]).select(*t.columns)

    def before(self) -> None:
        """Copy aside the stored versions of the rows about to change."""
        if self.state is None:
            return
        started = time.perf_counter()
        self.before_rows = self.sql.temp(BEFORE, self._current())
        self.seconds += time.perf_counter() - started

    def after(self, notify: Hook | None = None) -> None:
        """Recompute what the written rows changed."""
        state = self.state
        if state is None:
            return
        started = time.perf_counter()
        say = notify or (lambda _: None)
        ctx = _context(self.wh, state.timezone, state.pipeline,
                       _timed(state.rollups, state.spells, state.items), state.stored())
        for i, src in enumerate(state.spells):
            if self._spells(src, ctx, f"_salescore_kept_spells_{i}"):
                say(f"idle spells {src.name}")
        touched: dict[str, list[ibis.Table]] = {}
        for i, (src, c) in enumerate(state.derived):
            keys = self._derived(src, c, ctx, f"_salescore_kept_keys_{i}")
            if keys is not None:
                say(f"derived {src.name}.{c.name}")
                touched.setdefault(src.name, []).append(keys)
        for spec in state.rollups:
            self._rollup(spec, ctx, touched.get(spec.source.name, []), say)
        for items in state.items:
            if items.per_item:
                self._per_item(items, ctx, touched.get(items.source.name, []), say)
            else:
                self._rollup(items, ctx, touched.get(items.source.name, []), say)
        self.sql.run(f"DROP TABLE IF EXISTS {BEFORE}")
        self.seconds += time.perf_counter() - started

    # -- derived facts ----------------------------------------------------------------------
    def _derived(self, src: Source, c: Storable, ctx: CompileContext, temp: str
                 ) -> ibis.Table | None:
        """Recompute kept column ``c`` where the import may have changed it; the keys of the
        source rows recomputed (``None``: the import cannot change it)."""
        name = derived_name(src, c.name)
        part = partition_columns(c)
        base = unbound(src.table)
        if part is not None:
            if src.table != self.table:
                return None
            parts = ibis.union(self.before_rows.select(*part), self._current().select(*part),
                               distinct=True)
            parts = self.sql.temp(temp + "_p", parts)
            p = parts.rename({f"__p_{n}": n for n in part})
            keys = base.join(p, [base[n].identical_to(p[f"__p_{n}"]) for n in part]
                             ).select(*src.key)
            keys = self.sql.temp(temp, keys)
            fresh = derived_rows(src, c, ctx, partitions=parts)
        else:
            assert isinstance(c, TimeToFirst)
            if self.table == src.table:
                keys = self.sql.temp(temp, self._stage_keys().select(*src.key))
            elif self.table == c.table:
                values = ibis.union(self.before_rows.select(v=self.before_rows[c.other]),
                                    self._current().select(v=self._current()[c.other]),
                                    distinct=True)
                keys = base.filter(base[c.column].isin(values["v"])).select(*src.key)
                keys = self.sql.temp(temp, keys)
            else:
                return None
            fresh = derived_rows(src, c, ctx, keys=keys)
        # Only the rows whose value changed (or that are new) are written, and only they
        # reach the roll-ups: a new activity changes its neighbours' reply times, not the
        # whole history of its rep and customer.
        fresh = self.sql.temp(temp + "_f", fresh)
        match_keys = " AND ".join(f"k.{_q(k)} = d.{_q(k)}" for k in src.key)
        self.sql.run(f"DROP TABLE IF EXISTS {_q(temp + '_c')}")
        self.sql.run(f"CREATE TEMP TABLE {_q(temp + '_c')} AS SELECT k.* FROM "
                     f"{_q(temp + '_f')} k WHERE NOT EXISTS (SELECT 1 FROM {_q(name)} d WHERE "
                     f"{match_keys} AND k.{VALUE} IS NOT DISTINCT FROM d.{VALUE})")
        changed = ibis.table(fresh.schema(), name=temp + "_c")
        alias = "AS d" if self.wh.dialect == "duckdb" else "d"
        self.sql.run(f"DELETE FROM {_q(name)} {alias} WHERE EXISTS (SELECT 1 FROM "
                     f"{_q(temp + '_c')} k WHERE {match_keys})")
        self.sql.insert(name, changed)
        return changed.select(*src.key)

    # -- idle spells ------------------------------------------------------------------------
    def _spells(self, src: Source, ctx: CompileContext, temp: str) -> bool:
        """Recompute the kept idle spells of the rows the import touched: its own rows, or
        the rows its touches (old and new) point at; whether any could have changed."""
        sp = src.idle_spells
        assert sp is not None
        key = src.key[0]
        if self.table == src.table:
            keys = self._stage_keys().select(k=self._stage_keys()[self.key[0]])
        elif self.table == sp.touches_table:
            current = self._current()
            keys = ibis.union(self.before_rows.select(k=self.before_rows[sp.touches_on]),
                              current.select(k=current[sp.touches_on]), distinct=True)
            keys = keys.filter(keys["k"].notnull())
        else:
            return False
        keys = self.sql.temp(temp, keys)
        if not self.sql.run(f"SELECT count(*) FROM {_q(temp)}")[0][0]:
            return False
        name = spells_name(src)
        self.sql.run(f"DELETE FROM {_q(name)} WHERE {_q(key)} IN (SELECT k FROM {_q(temp)})")
        self.sql.insert(name, spells_rows(src, ctx, keys=keys["k"]))
        return True

    # -- roll-ups ---------------------------------------------------------------------------
    def _rollup(self, spec: RollupSpec | ItemSpec, ctx: CompileContext,
                kept_keys: list[ibis.Table], say: Hook) -> None:
        src = spec.source
        through = self._paths_through(spec)
        # Which rows were touched needs only their key, time and references: not the
        # dimensions and kept facts the roll-up itself reads.
        rows = SourceRows.build(src, {spec.time, *through}, ctx)
        t = rows.table.filter(rows.col(spec.time).notnull())
        rows = SourceRows(src, t)
        hits: list[ibis.BooleanValue] = []

        def by_keys(keys: ibis.Table) -> ibis.BooleanValue:
            if len(src.key) == 1:
                k = src.key[0]
                return t[rows.name(k)].isin(keys[k])
            packed = ibis.literal("\x1f").join([keys[k].cast("string") for k in src.key])
            mine = ibis.literal("\x1f").join([t[rows.name(k)].cast("string") for k in src.key])
            return mine.isin(packed)

        if src.table == self.table:
            hits.append(by_keys(self._stage_keys()))
        for keys in kept_keys:
            hits.append(by_keys(keys))
        for path in through:
            hits.append(t[rows.name(path)].isin(self._stage_keys()[self.key[0]]))
        # Roll-up rows are per rep and day: where the rep is a column of the imported table
        # itself (an activity's rep, not an opportunity's owner through a reference), only the
        # (rep, day) pairs of the touched rows, old and new, are recomputed; otherwise whole
        # days (every rep's rows of those days).
        by_rep = src.table == self.table and "." not in src.rep and not through
        pair_sets: list[ibis.Table] = []

        monthly = isinstance(spec, ItemSpec)

        # An item table's rows are per rep, month and item: with the rep at hand, only the
        # touched (rep, month, item) triples are recomputed, not the reps' whole months.
        triples = monthly and by_rep

        def pairs_of(rows: SourceRows) -> ibis.Table:
            rep = rows.col(src.rep).cast("string") if by_rep else ibis.null(dt.string)
            day = rows.local_day(spec.time, ctx)
            cols: dict[str, ibis.Value] = {"r": rep, "d": month_of(day) if monthly else day}
            if triples:
                assert isinstance(spec, ItemSpec)
                cols["i"] = rows.col(spec.item).cast("string")
            return nullable(rows.table.select(**cols))

        if hits:
            cond = hits[0]
            for more in hits[1:]:
                cond = cond | more
            pair_sets.append(pairs_of(SourceRows(src, t.filter(cond))))
        if src.table == self.table:
            pair_sets.append(pairs_of(SourceRows(
                src, self.before_rows.filter(self.before_rows[spec.time].notnull()))))
        if not pair_sets:
            return
        union = ibis.union(*pair_sets, distinct=True) if len(pair_sets) > 1 else \
            pair_sets[0].distinct()
        pairs = self.sql.temp(PAIRS, union.filter(union["d"].notnull()))
        days = sorted(d for (d,) in self.sql.run(f"SELECT DISTINCT d FROM {PAIRS}"))
        if not days:
            return
        say(f"rollup {spec.name}")
        # An item table's days are months' first days: its rows run to the month's end.
        until = month_end(days[-1].year, days[-1].month) if monthly else days[-1]
        lo, hi = ctx.calendar.utc_bounds(parse_period(f"{days[0]}..{until}"))
        within: tuple[Any, Any]
        if schema(src.table)[spec.time].is_timestamp():
            within = (lo - timedelta(days=1), hi + timedelta(days=1))
        else:
            within = (days[0], until + timedelta(days=1))
        alias = "AS x" if self.wh.dialect == "duckdb" else "x"
        if by_rep:
            same_item = f" AND x.{_q(ITEM)} IS NOT DISTINCT FROM p.i" if triples else ""
            self.sql.run(f"DELETE FROM {_q(spec.name)} {alias} USING {PAIRS} p WHERE "
                         f"x.{_q(REP)} IS NOT DISTINCT FROM p.r AND x.{_q(DAY)} = p.d"
                         + same_item)
            kept = _kept_rows(spec, ctx, within=within, pairs=pairs).table
        else:
            quoted = ", ".join(f"DATE '{d.isoformat()}'" for d in days)
            self.sql.run(f"DELETE FROM {_q(spec.name)} WHERE {_q(DAY)} IN ({quoted})")
            rows = _kept_rows(spec, ctx, within=within)
            t = rows.table
            kept = t.filter(t[ROW_DAY].isin(days))
        materialised = _materialised(self.sql, SourceRows(src, kept))
        self.sql.insert(spec.name, _kept_aggregate(spec, materialised, ctx))

    def _paths_through(self, spec: RollupSpec | ItemSpec) -> list[str]:
        """The prefixes of the roll-up's reference paths that name a row of the imported
        table (``customer_id`` of ``customer_id.region`` when customers are imported)."""
        if len(self.key) != 1:
            return []
        src = spec.source
        if isinstance(spec, ItemSpec):
            paths = spec.paths()
        else:
            paths = {src.rep, *(src.dimensions[d] for d in spec.dimensions)}
            for u, _ in spec.measures:
                paths |= {u.measure.column or "", *columns_of(u.measure.filters)} - {""}
        out = set()
        for path in paths:
            parts = path.split(".")
            current = src.table
            for i, fk in enumerate(parts[:-1]):
                ref = table(current).column(fk).references
                if ref is None:
                    break
                if ref.table == self.table:
                    out.add(".".join(parts[: i + 1]))
                current = ref.table
        return sorted(out)

    # -- items recomputed per item ----------------------------------------------------------
    def _per_item(self, spec: ItemSpec, ctx: CompileContext, kept_keys: list[ibis.Table],
                  say: Hook) -> None:
        """Recompute the kept rows of the items the import touched (a conversion's flags
        read all of an item's rows): the items of its own rows (old and new), of rows whose
        kept facts changed, and of rows reading an imported row through a reference (an
        opportunity's owner)."""
        src = spec.source
        base = unbound(src.table)
        found: list[ibis.Table] = []
        if src.table == self.table:
            current = self._current()
            found += [self.before_rows.select(k=self.before_rows[spec.item]),
                      current.select(k=current[spec.item])]
        for keys in kept_keys:
            k = keys.rename({f"__k_{n}": n for n in src.key})
            hit = base.join(k, [base[n] == k[f"__k_{n}"] for n in src.key])
            found.append(hit.select(k=hit[spec.item]))
        for path in self._paths_through(spec):
            hit = base.filter(base[path].isin(self._stage_keys()[self.key[0]]))
            found.append(hit.select(k=hit[spec.item]))
        if not found:
            return
        union = ibis.union(*(nullable(f) for f in found), distinct=True)
        temp = "_salescore_kept_items"
        items = self.sql.temp(temp, union.filter(union["k"].notnull()))
        if not self.sql.run(f"SELECT count(*) FROM {_q(temp)}")[0][0]:
            return
        say(f"items {spec.name}")
        self.sql.run(f"DELETE FROM {_q(spec.name)} WHERE {_q(ITEM)} IN "
                     f"(SELECT CAST(k AS VARCHAR) FROM {_q(temp)})")
        rows = _materialised(self.sql, item_rows(spec, ctx, items=items["k"]))
        self.sql.insert(spec.name, item_aggregate(spec, rows, ctx))


def _kept_rows(spec: RollupSpec | ItemSpec, ctx: CompileContext, *,
               within: tuple[Any, Any] | None = None, pairs: ibis.Table | None = None
               ) -> SourceRows:
    if isinstance(spec, ItemSpec):
        return item_rows(spec, ctx, within=within, pairs=pairs)
    return rollup_rows(spec, ctx, within=within, pairs=pairs)


def _kept_aggregate(spec: RollupSpec | ItemSpec, rows: SourceRows, ctx: CompileContext
                    ) -> ibis.Table:
    if isinstance(spec, ItemSpec):
        return item_aggregate(spec, rows, ctx)
    return rollup_aggregate(spec, rows, ctx)

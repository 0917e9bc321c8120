"""Explain a number: the records behind one subject's KPI in one period, and how they add up.

Each input of the KPI (a measure, a conversion's two counts, a period-over-period comparison) is
listed with its rows and its aggregate worked out from those rows; the formula is then shown with
the numbers put in, next to the value the engine computes, so a reader can check every step.

>>> from salescore.engine.warehouse import Warehouse
>>> with Warehouse.open("duckdb://:memory:") as wh:
...     wh.create_tables()
...     e = explain_kpi(KpiEngine(wh.backend), "win_rate", subject="r1", period="2025-Q1")
...     e.arithmetic, e.value
('deals_won / deals_closed = 0 / 0 = NULL', None)
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, assert_never

from salescore.compile.kpis import Use, explain_rows
from salescore.core.errors import ConfigError
from salescore.core.lru import MISSING, Lru
from salescore.engine.explained import ExplainPart, Explanation, Rows
from salescore.engine.kpis import KpiEngine, KpiRequest, catalog_digest
from salescore.engine.runner import Prepared, sql_text
from salescore.semantic.expression import ARITHMETIC, Binary, Expr, Negate, Number, Ref
from salescore.semantic.kpi_plan import ConversionUse, MeasureUse, Output, PopUse, QueryPlan
from salescore.semantic.specs import Agg, Filter, Op

if TYPE_CHECKING:
    import pyarrow as pa


def _filters_text(filters: tuple[Filter, ...]) -> str:
    out = []
    for f in filters:
        match f.op:
            case Op.IS_NULL | Op.NOT_NULL:
                out.append(f"{f.column} {f.op.value}")
            case _:
                values = ", ".join(str(v) for v in f.values)
                out.append(f"{f.column} {f.op.value} {values}")
    return " and ".join(out)


def _aggregate(agg: Agg, rows: Rows) -> float | int | None:
    if agg is Agg.COUNT:
        if "value" in rows.column_names:
            return sum(1 for v in rows.column("value") if v is not None)
        return rows.num_rows
    values = [v for v in rows.column("value") if v is not None]
    match agg:
        case Agg.COUNT_DISTINCT:
            return len(set(values))
        case Agg.SUM:
            return float(sum(values))
        case Agg.AVG:
            return statistics.fmean(values) if values else None
        case Agg.MEDIAN:
            return float(statistics.median(values)) if values else None
        case Agg.MIN:
            return min(values) if values else None
        case Agg.MAX:
            return max(values) if values else None
        case Agg.COUNT:
            raise AssertionError("handled above")
        case _:
            assert_never(agg)


def _parts(use: MeasureUse | ConversionUse | PopUse, rows: Rows, stages: tuple[str, ...]
           ) -> list[tuple[str, ExplainPart]]:
    """(internal column, part) pairs for one input."""
    match use:
        case MeasureUse(measure=m):
            if "span_days" in rows.column_names and rows.num_rows:
                # As in the query: only the longest labelled periods inside this one count.
                longest = max(rows.column("span_days"))
                rows = rows.filter([d == longest for d in rows.column("span_days")])
            how = f"{m.agg.value}({m.column or '*'}) of {m.source}"
            when = f"by {m.time}" if m.time else (f"valid at period {m.snapshot}" if m.snapshot
                                                   else "by period label")
            where = _filters_text(m.filters)
            text = f"{how} where {where}, {when}" if where else f"{how}, {when}"
            unconverted = sum(1 for v in rows.column("unconverted") if v) \
                if "unconverted" in rows.column_names else 0
            value = None if unconverted else _aggregate(m.agg, rows)
            return [(use.column, ExplainPart(_display(use.column, stages), text,
                                             text.replace(" where ", " 条件 ")
                                             .replace(" by ", " 按 "),
                                             value, rows, unconverted))]
        case ConversionUse(kpi=k):
            items = rows.column("item")
            reached = rows.column("reached")
            came = {i for i in items if i is not None}
            went = {i for i, r in zip(items, reached, strict=True) if i is not None and r}
            den = ExplainPart(_display(use.denominator, stages),
                              f"distinct {k.entity} where {_filters_text(k.from_)}, by {k.time}",
                              f"不同 {k.entity} 条件 {_filters_text(k.from_)}，按 {k.time}",
                              len(came), rows)
            num = ExplainPart(_display(use.numerator, stages),
                              f"of those, distinct {k.entity} with a row where "
                              f"{_filters_text(k.to)}",
                              f"其中存在 {_filters_text(k.to)} 记录的不同 {k.entity}",
                              len(went), rows.filter([bool(r) for r in reached]))
            return [(use.denominator, den), (use.numerator, num)]
        case PopUse(measure=m):
            items = rows.column("item")
            which = rows.column("which")
            before = {i for i, w in zip(items, which, strict=True) if w == "previous" and i}
            now = {i for i, w in zip(items, which, strict=True) if w == "current" and i}
            prev = ExplainPart(_display(use.previous, stages),
                               f"distinct {m.column} in the previous period",
                               f"上一期的不同 {m.column}", len(before), rows)
            kept = ExplainPart(_display(use.retained, stages),
                               "of those, seen again in this period",
                               "其中本期再次出现的", len(before & now), rows)
            return [(use.previous, prev), (use.retained, kept)]
        case _:
            assert_never(use)


_ROLES = {"den": "entered", "num": "went on", "prev": "previous period", "kept": "kept"}


def _display(column: str, stages: tuple[str, ...] = ()) -> str:
    """A readable name for an internal column: ``m__deals_won`` → ``deals_won``,
    ``c__stage_conversion__s1__num`` → ``stage_conversion[qualified] went on``."""
    parts = column.split("__")[1:]
    name = parts[0] if parts else column
    role = ""
    for extra in parts[1:]:
        if extra.startswith("s") and extra[1:].isdigit() and int(extra[1:]) < len(stages):
            name += f"[{stages[int(extra[1:])]}]"
        elif extra in _ROLES:
            role = f" ({_ROLES[extra]})"
    return name + role


def _text(expr: Expr, values: Mapping[str, Any] | None, stages: tuple[str, ...] = ()) -> str:
    match expr:
        case Number(value=number):
            return f"{number:g}"
        case Ref(name=name):
            if values is None:
                return _display(name, stages)
            found = values.get(name)
            return "NULL" if found is None else f"{found:g}"
        case Negate(operand=inner):
            return f"-{_text(inner, values, stages)}"
        case Binary(op=op, left=left, right=right):
            a, b = _text(left, values, stages), _text(right, values, stages)
            a = f"({a})" if isinstance(left, Binary) else a
            b = f"({b})" if isinstance(right, Binary) else b
            return f"{a} {op} {b}"
        case _:
            assert_never(expr)


def explain_kpis(engine: KpiEngine, names: Sequence[str], *, subject: str, period: str,
                 by: str = "rep", stage: str | None = None) -> dict[str, Explanation]:
    """The rows behind each KPI of ``names`` for ``subject`` (a rep id by default; ``by`` picks
    the grain) in ``period``; for a KPI ``per: stage``, ``stage`` picks the stage (default: the
    first).

    One pass for all of them: the KPIs are planned once, the context is gathered once, and
    each input they read (an input shared by several KPIs once) is listed by one query; each
    value is its formula over the inputs' values, evaluated as the compiled query evaluates
    it. So the queries are bounded by the context's few and the number of distinct inputs.
    """
    return _explain(engine, names, (subject,), period, by, stage).get(subject, {})


def explain_reps(engine: KpiEngine, names: Sequence[str], reps: Sequence[str], *, period: str
                 ) -> dict[str, dict[str, Explanation]]:
    """:func:`explain_kpis` for each of ``reps`` at once, in the same few queries as for one:
    each input's rows are listed for all of them and split by rep. Equal, rep by rep, to
    explaining each alone (what a scoring run keeps beside its scores)."""
    return _explain(engine, names, tuple(dict.fromkeys(reps)), period, "rep", None)


def _explain(engine: KpiEngine, names: Sequence[str], subjects: tuple[str, ...], period: str,
             by: str, stage: str | None) -> dict[str, dict[str, Explanation]]:
    wanted = tuple(dict.fromkeys(names))
    if not wanted or not subjects:
        return {}
    if len(subjects) > 1 and by != "rep":
        raise ValueError("several subjects are explained at once only by rep")
    label = str(engine.settings.calendar.parse(period))
    found = _for_one(engine, wanted, subjects[0], period, by) if len(subjects) == 1 else None
    if found is not None:
        plan, ctx, listed = found
    else:
        request = KpiRequest.of(wanted, by=by, period=period, subjects=subjects)
        plan, ctx, _ = engine.prepare(request)
        listed = [(use, engine.runner.run(expr))
                  for use, expr in explain_rows(engine.catalog, wanted, by, ctx)[1]]
    stages = engine.settings.pipeline.open_stage_names()
    parts_by_subject: dict[str, dict[str, ExplainPart]] = {s: {} for s in subjects}
    for use, rows in listed:
        for subject, own in _split(rows, subjects):
            for column, part in _parts(use, own, stages):
                parts_by_subject[subject][column] = part
    reason = None
    out: dict[str, dict[str, Explanation]] = {}
    for subject, parts_by_column in parts_by_subject.items():
        explained: dict[str, Explanation] = {}
        for name in wanted:
            output = _pick(plan, name, stage)
            used = output.formula.names()
            parts = tuple(p for c, p in parts_by_column.items() if c in used)
            inputs = {c: p.value for c, p in parts_by_column.items() if c in used}
            unknown = frozenset(c for c, p in parts_by_column.items()
                                if c in used and p.unconverted)
            value = _value(output.formula, inputs, plan.fill_zero - unknown)
            formula = _text(output.formula, None, stages)
            shown = "NULL" if value is None else f"{value:g}"
            arithmetic = formula if isinstance(output.formula, Ref) else \
                f"{formula} = {_text(output.formula, inputs, stages)}"
            if unknown and reason is None:
                reason = engine.unconvertible(ctx)
            explained[name] = Explanation(kpi=name, output=output.name, by=by, subject=subject,
                                          period=label, value=value, formula=formula,
                                          arithmetic=f"{arithmetic} = {shown}", parts=parts,
                                          reason=reason if unknown else None)
        out[subject] = explained
    return out


SUBJECT_MARK = "salescore_subject_3f9a1c7e"
"""The subject an explanation's queries are compiled for once per KPI, period and scope: its
SQL literal is replaced by each subject's (the subject enters the queries only as a literal)."""

_FOR_ONE: Lru[tuple[Any, ...], tuple[Any, Any, list[tuple[Use, Prepared]]] | None] = Lru(256)


def _for_one(engine: KpiEngine, wanted: tuple[str, ...], subject: str, period: str, by: str
             ) -> tuple[QueryPlan, Any, list[tuple[Use, pa.Table]]] | None:
    """The rows behind ``wanted`` for one subject, from queries compiled once for every
    subject of the same KPIs, grain, period, context and scope shape (DuckDB: every narrowed
    scope has one, :attr:`Runner.shape`): a drill-down's first visit for another rep or team,
    or by another manager, builds no expression and generates no SQL. ``None`` where the
    queries cannot be shared (another backend, or the subject not found in the SQL as the
    one literal it should be): those are compiled for the subject itself."""
    if engine.runner.backend.name != "duckdb" or by == "company":
        return None
    request = KpiRequest.of(wanted, by=by, period=period, subjects=(SUBJECT_MARK,))
    plan, ctx, _ = engine.prepare(request)
    key = (catalog_digest(engine.catalog), engine.runner.shape, request, ctx)
    hit = _FOR_ONE.get(key, MISSING)
    if hit is MISSING:
        prepared = [(use, engine.runner.prepare(expr))
                    for use, expr in explain_rows(engine.catalog, wanted, by, ctx)[1]]
        # Shared only when every query names the subject as exactly this literal.
        hit = (plan, ctx, prepared) if prepared and all(
            p.sql is not None and _MARK_SQL in p.sql for _, p in prepared) else None
        _FOR_ONE.put(key, hit)
    if hit is None:
        return None
    plan, ctx, prepared = hit
    literal = sql_text(subject)
    return plan, ctx, [
        (use, engine.runner.run_prepared(dataclasses.replace(
            p, sql=(p.sql or "").replace(_MARK_SQL, literal)))) for use, p in prepared]


_MARK_SQL = sql_text(SUBJECT_MARK)


def _split(table: pa.Table, subjects: tuple[str, ...]) -> list[tuple[str, Rows]]:
    """The rows of ``table`` of each subject (by their ``rep``), in the query's order; one
    subject takes them all, as the query listed only theirs."""
    rows = Rows.from_arrow(table)
    if len(subjects) == 1:
        return [(subjects[0], rows)]
    at: dict[str, list[int]] = {}
    for i, rep in enumerate(rows.column("rep")):
        at.setdefault(rep, []).append(i)
    # A rep without rows gets no rows of the same columns, as a query of theirs would.
    return [(s, rows.take(at.get(s, ()))) for s in subjects]


def _value(expr: Expr, inputs: Mapping[str, float | int | None], fill_zero: frozenset[str]
           ) -> float | int | None:
    """``expr`` over the inputs' values, as the compiled query evaluates it: a missing count
    or sum is 0, any other missing input makes the value unknown, and dividing by 0 gives
    unknown (``nullif``)."""
    match expr:
        case Number(value=number):
            return float(number)
        case Ref(name=name):
            found = inputs.get(name)
            return 0 if found is None and name in fill_zero else found
        case Negate(operand=inner):
            inner_value = _value(inner, inputs, fill_zero)
            return None if inner_value is None else -inner_value
        case Binary(op=op, left=left, right=right):
            a, b = _value(left, inputs, fill_zero), _value(right, inputs, fill_zero)
            if a is None or b is None:
                return None
            if op == "/":
                return None if b == 0 else float(a) / float(b)
            result: float | int = ARITHMETIC[op](a, b)
            return result
        case _:
            assert_never(expr)


def explain_kpi(engine: KpiEngine, name: str, *, subject: str, period: str, by: str = "rep",
                stage: str | None = None) -> Explanation:
    """The rows behind KPI ``name`` of ``subject`` in ``period`` (see :func:`explain_kpis`)."""
    return explain_kpis(engine, [name], subject=subject, period=period, by=by,
                        stage=stage)[name]


def _pick(plan: QueryPlan, name: str, stage: str | None) -> Output:
    outputs = [o for o in plan.outputs if o.kpi.name == name]
    if stage is None:
        return outputs[0]
    for out in outputs:
        if out.stage == stage:
            return out
    stages = ", ".join(o.stage or "" for o in outputs)
    raise ConfigError(f"no stage {stage!r} for this KPI (stages: {stages})",
                      message_zh=f"该指标没有阶段 {stage!r}（可用：{stages}）")

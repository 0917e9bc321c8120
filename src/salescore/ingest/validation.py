"""Validation from the one table declaration: types, required values, allowed values, ranges,
the pipeline's stages and statuses, the rules a table adds, and keys repeated within one file.

A rule that holds for one table only (an opportunity's status follows from its stage; a
target's period is a period label) is a :class:`TableRule` in :data:`TABLE_RULES`, keyed by the
table's name, so that the generic import names no table.

Each check returns :class:`~salescore.ingest.problems.Problem` masks with a reason in English
and Chinese; nothing here touches the warehouse. Row rules (``closed_at`` not before
``created_at``...) and references are checked where the existing rows are at hand, in
:mod:`salescore.ingest.loading`.

>>> from salescore.model.org import Pipeline
>>> r = resolve_stages(pa.array(["Proposal", "方案报价", "Demo", None]), Pipeline())
>>> r.values.to_pylist(), r.unknown
(['proposal', 'proposal', None, None], {'Demo': 1})
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import assert_never

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salescore.core.errors import PeriodError
from salescore.core.periods import parse_period
from salescore.ingest.cleaning import (
    Cleaned,
    DateOptions,
    DateOrder,
    as_text,
    case_fold,
    clean_text,
    to_boolean,
    to_choice,
    to_currency,
    to_date,
    to_duration,
    to_email,
    to_float,
    to_integer,
    to_money,
    to_phone,
    to_timestamp,
)
from salescore.ingest.problems import Problem, Reason
from salescore.ingest.transform import MappedColumn
from salescore.model.org import Pipeline
from salescore.model.tables import MONEY_SCALE, Column, DataType, Table


@dataclass(frozen=True, slots=True)
class CleanContext:
    """What cleaning needs beyond the column: the mapping's and the organisation's defaults."""

    timezone: str = "UTC"
    date_order: DateOrder | None = None
    decimal_separator: str = "."
    fiscal_year_start_month: int = 1


def is_identifier(declared: Table, column: Column) -> bool:
    """Keys, references, codes and closed sets: text where full-width punctuation and line
    breaks are noise, not meaning."""
    return (column.name in declared.key or column.references is not None
            or bool(column.allowed) or column.name in ("currency", "period", "kpi"))


def _date_options(col: MappedColumn, ctx: CleanContext) -> DateOptions:
    spec = col.spec
    return DateOptions(
        order=spec.date_order if spec and spec.date_order else ctx.date_order,
        timezone=(spec.timezone if spec and spec.timezone else ctx.timezone),
        formats=spec.format if spec else (),
        default_time=spec.default_seconds() if spec else 0,
    )


def clean_column(declared: Table, column: Column, col: MappedColumn,
                 ctx: CleanContext) -> Cleaned:
    """``col``'s values as ``column``'s declared type, with the problems found."""
    spec = col.spec
    how = spec.clean if spec else None
    separator = (spec.decimal_separator if spec and spec.decimal_separator
                 else ctx.decimal_separator)
    raw = col.raw
    cleaned: Cleaned
    match column.type:
        case DataType.STRING:
            if how == "email" or (how is None and column.name == "email"):
                cleaned = to_email(raw)
            elif how == "phone":
                cleaned = to_phone(raw)
            elif how == "none":
                cleaned = Cleaned(as_text(raw))
            elif column.name == "currency":
                cleaned = to_currency(raw)
            elif column.allowed:
                cleaned = to_choice(raw, column.allowed)
            else:
                cleaned = clean_text(raw, identifier=is_identifier(declared, column))
                if how in ("lower", "upper"):
                    cleaned = Cleaned(case_fold(cleaned.values, how), cleaned.problems)
        case DataType.INTEGER:
            cleaned = to_duration(raw) if how == "duration" else to_integer(raw)
        case DataType.FLOAT:
            cleaned = to_float(raw, separator)
        case DataType.DECIMAL:
            cleaned = to_money(raw, separator)
        case DataType.BOOLEAN:
            cleaned = to_boolean(raw)
        case DataType.DATE:
            cleaned = to_date(raw, _date_options(col, ctx))
        case DataType.TIMESTAMP:
            cleaned = to_timestamp(raw, _date_options(col, ctx))
        case _:
            assert_never(column.type)
    if spec is not None and spec.multiply is not None:
        cleaned = _scaled(cleaned, column, spec.multiply)
    further = table_rule(declared.name).cleaners.get(column.name)
    if further is not None:
        cleaned = further(cleaned, ctx)
    return Cleaned(cleaned.values, col.problems + cleaned.problems)


def _scaled(cleaned: Cleaned, column: Column, factor: float) -> Cleaned:
    values = cleaned.values
    scaled = pc.multiply(values.cast(pa.float64()), factor)
    match column.type:
        case DataType.INTEGER:
            return Cleaned(pc.round(scaled).cast(pa.int64()), cleaned.problems)
        case DataType.DECIMAL:
            return Cleaned(pc.round(scaled, ndigits=MONEY_SCALE).cast(values.type, safe=False),
                           cleaned.problems)
        case _:
            return Cleaned(scaled, cleaned.problems)


def _periods(cleaned: Cleaned, ctx: CleanContext) -> Cleaned:
    """Target periods as canonical labels (``2025-q1`` → ``2025-Q1``); others rejected."""
    text = cleaned.values
    distinct = pc.unique(text.filter(pc.is_valid(text)))
    labels: list[str | None] = []
    for value in distinct.to_pylist():
        try:
            labels.append(str(parse_period(
                value, fiscal_year_start_month=ctx.fiscal_year_start_month)))
        except PeriodError:
            labels.append(None)
    canonical = pc.take(pa.array(labels, pa.string()), pc.index_in(text, value_set=distinct))
    bad = pc.fill_null(pc.and_(pc.is_valid(text), pc.is_null(canonical)), False)
    problems = cleaned.problems
    if bad.true_count:
        problems += (Problem(bad, Reason(
            "not a period (2025-03, 2025-Q1, 2025-W07, 2025, FY2025, 2025-01-01..2025-03-31)",
            "不是周期（2025-03、2025-Q1、2025-W07、2025、FY2025、2025-01-01..2025-03-31）")),)
    return Cleaned(canonical, problems)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def check_column(column: Column, cleaned: Cleaned,
                 excused: pa.BooleanArray | None = None) -> tuple[Problem, ...]:
    """Required and range checks of one cleaned column (type problems are already in it); a
    missing value is not reported on ``excused`` rows (already rejected for its cause)."""
    values = cleaned.values
    problems: list[Problem] = []
    already = cleaned.bad() if excused is None else pc.or_(cleaned.bad(), excused)
    if column.required:
        missing = pc.and_(pc.is_null(values), pc.invert(already))
        if missing.true_count:
            problems.append(Problem(missing, Reason("required value missing", "缺少必填值")))
    if column.type in (DataType.INTEGER, DataType.FLOAT, DataType.DECIMAL):
        numbers = values.cast(pa.float64())
        if column.minimum is not None:
            low = pc.fill_null(pc.less(numbers, column.minimum), False)
            if low.true_count:
                shown = _number_text(column.minimum)
                problems.append(Problem(low, Reason(f"below the minimum {shown}",
                                                    f"小于最小值 {shown}")))
        if column.maximum is not None:
            high = pc.fill_null(pc.greater(numbers, column.maximum), False)
            if high.true_count:
                shown = _number_text(column.maximum)
                problems.append(Problem(high, Reason(f"above the maximum {shown}",
                                                     f"大于最大值 {shown}")))
    return tuple(problems)


# -- stages and statuses ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Stages:
    """Stages as the pipeline names them (null where unknown) and the unknown ones by count."""

    values: pa.Array
    unknown_mask: pa.BooleanArray
    unknown: dict[str, int]


def _stage_lookup(pipeline: Pipeline) -> dict[str, str]:
    """Pipeline stage names by every spelling the import accepts: the name, then case-folded
    names, then the English and Chinese labels (first one wins)."""
    lookup: dict[str, str] = {s.name: s.name for s in pipeline.stages}
    for s in pipeline.stages:
        lookup.setdefault(s.name.casefold(), s.name)
    for s in pipeline.stages:
        if s.label is not None:
            for label in (s.label.en, s.label.zh):
                lookup.setdefault(label.casefold(), s.name)
    return lookup


def resolve_stages(stage: pa.Array, pipeline: Pipeline) -> Stages:
    """Each value as a pipeline stage: its name, or (ignoring case) its name or label."""
    lookup = _stage_lookup(pipeline)
    distinct = pc.unique(stage.filter(pc.is_valid(stage)))
    names = [lookup.get(v) or lookup.get(v.casefold()) for v in distinct.to_pylist()]
    index = pc.index_in(stage, value_set=distinct)
    values = pc.take(pa.array(names, pa.string()), index)
    unknown_mask = pc.fill_null(pc.and_(pc.is_valid(stage), pc.is_null(values)), False)
    counts = Counter(stage.filter(unknown_mask).to_pylist())
    first_seen = {v: i for i, v in reversed(list(enumerate(stage.filter(unknown_mask)
                                                           .to_pylist())))}
    unknown = {k: counts[k] for k in sorted(counts, key=lambda k: first_seen[k])}
    return Stages(values, unknown_mask, unknown)


def unknown_stage_problem(stages: Stages, pipeline: Pipeline) -> tuple[Problem, ...]:
    if not stages.unknown_mask.true_count:
        return ()
    known = ", ".join(pipeline.stage_names())
    return (Problem(stages.unknown_mask, Reason(
        f"stage not in the organisation's pipeline ({known}); map it in the mapping's values, "
        "or import with --add-stages",
        f"阶段不在组织的销售流程中（{known}）；请在映射的 values 中对应，"
        "或使用 --add-stages 导入")),)


def derive_status(stage: pa.Array, status: pa.Array | None, pipeline: Pipeline
                  ) -> tuple[pa.Array, tuple[Problem, ...]]:
    """Status filled in from the stage where missing; a status that contradicts the stage's
    status in the pipeline is a problem, reported per stage and status."""
    names = pa.array(list(pipeline.stage_names()), pa.string())
    statuses = pa.array([s.status for s in pipeline.stages], pa.string())
    derived = pc.take(statuses, pc.index_in(stage, value_set=names))
    if status is None:
        return derived, ()
    clash = pc.fill_null(pc.and_(pc.and_(pc.is_valid(status), pc.is_valid(derived)),
                                 pc.not_equal(status, derived)), False)
    problems: list[Problem] = []
    if clash.true_count:
        pairs = pa.table({"stage": stage.filter(clash), "status": status.filter(clash)})
        for pair in pairs.group_by(["stage", "status"]).aggregate([]).to_pylist():
            expected = pipeline.status_of(pair["stage"])
            mask = pc.and_(clash, pc.and_(pc.equal(stage, pair["stage"]),
                                          pc.equal(status, pair["status"])))
            problems.append(Problem(pc.fill_null(mask, False), Reason(
                f"status {pair['status']} contradicts stage {pair['stage']} "
                f"({expected} in the pipeline)",
                f"状态 {pair['status']} 与阶段 {pair['stage']}（流程中为 {expected}）矛盾")))
    return pc.coalesce(status, derived), tuple(problems)


# -- rules of one table ---------------------------------------------------------------------
Derive = Callable[[Table, Mapping[str, Cleaned], Pipeline], dict[str, Cleaned]]
"""A table's rule over its cleaned columns (stages already as the pipeline names them): the
columns it fills in or checks, each with every problem it has."""


def _derives_nothing(declared: Table, cleaned: Mapping[str, Cleaned], pipeline: Pipeline
                     ) -> dict[str, Cleaned]:
    """The rule of a table that adds none."""
    return {}


@dataclass(frozen=True, slots=True)
class TableRule:
    """What one table adds to the generic import beyond its declaration.

    ``derives`` maps a column the rule can fill in to the column it fills it from: a file that
    provides the second need not provide the first. ``cleaners`` clean a column further once it
    has its declared type. ``derive`` runs once stages are resolved; the columns it returns are
    complete, so the generic required and range checks leave them alone.
    """

    derives: Mapping[str, str] = field(default_factory=dict)
    cleaners: Mapping[str, Callable[[Cleaned, CleanContext], Cleaned]] = field(
        default_factory=dict)
    derive: Derive = _derives_nothing


def status_from_stage(declared: Table, cleaned: Mapping[str, Cleaned], pipeline: Pipeline
                      ) -> dict[str, Cleaned]:
    """An opportunity's status follows from its stage: filled in where the file has none, a
    problem where it contradicts the stage's status in the pipeline, and not reported missing
    where the stage is bad (the stage's problem says why).

    >>> from salescore.model.tables import table
    >>> stage = Cleaned(pa.array(["won", "proposal", None]))
    >>> out = status_from_stage(table("opportunities"), {"stage": stage}, Pipeline())
    >>> out["status"].values.to_pylist(), out["status"].problems
    (['won', 'open', None], ())
    """
    if "stage" not in cleaned:
        return {}
    stage, given = cleaned["stage"], cleaned.get("status")
    status, clashes = derive_status(stage.values, given.values if given else None, pipeline)
    if given is None:
        # Derived from every known stage: missing only where the stage is already rejected.
        return {"status": Cleaned(status)}
    found = Cleaned(status, given.problems + clashes)
    checks = check_column(declared.column("status"), found, stage.bad())
    return {"status": Cleaned(status, found.problems + checks)}


TABLE_RULES: dict[str, TableRule] = {
    "opportunities": TableRule(derives={"status": "stage"}, derive=status_from_stage),
    "targets": TableRule(cleaners={"period": _periods}),
}
_NO_RULE = TableRule()


def table_rule(name: str) -> TableRule:
    """The rule that table ``name`` adds to the import; one that adds nothing if it has none."""
    return TABLE_RULES.get(name, _NO_RULE)


# -- keys repeated in one file ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Duplicates:
    """Rows to drop because an identical row with the same key comes first (``collapsed``),
    and rows whose key repeats with different values (``conflicts``: row → the other rows)."""

    collapsed: np.ndarray
    conflicts: dict[int, list[int]]


def find_duplicates(data: pa.Table, key: Sequence[str], row: str) -> Duplicates:
    """Rows of ``data`` (good rows, with row numbers in column ``row``) that share a key."""
    n = data.num_rows
    none = Duplicates(np.zeros(n, dtype=bool), {})
    if n == 0:
        return none
    if len(key) == 1 and pc.count_distinct(data.column(key[0]), mode="all").as_py() == n:
        return none
    per_key = data.group_by(list(key)).aggregate([(row, "count")])
    if per_key.num_rows == n:
        return none
    values = [c for c in data.column_names if c != row]
    versions = data.group_by(values).aggregate([(row, "min")])
    per_key_versions = versions.group_by(list(key)).aggregate([(f"{row}_min", "count")])
    clashing = per_key_versions.filter(pc.greater(per_key_versions.column(
        f"{row}_min_count"), 1)).select(list(key))
    conflicts: dict[int, list[int]] = {}
    if clashing.num_rows:
        involved = data.join(clashing, keys=list(key), join_type="inner")
        groups = involved.group_by(list(key)).aggregate([(row, "list")])
        for rows in groups.column(f"{row}_list").to_pylist():
            ordered = sorted(rows)
            for r in ordered:
                conflicts[r] = [o for o in ordered if o != r]
    firsts = versions.column(f"{row}_min")
    row_numbers = data.column(row)
    collapsed = pc.invert(pc.is_in(row_numbers, value_set=firsts)).to_numpy(
        zero_copy_only=False)
    if conflicts:
        in_conflict = pc.is_in(row_numbers, value_set=pa.array(list(conflicts), pa.int64()))
        collapsed &= ~in_conflict.to_numpy(zero_copy_only=False)
    return Duplicates(collapsed, conflicts)

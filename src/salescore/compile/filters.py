"""Filters (data: column, operator, values) as Ibis predicates.

>>> from salescore.compile.schema import unbound
>>> t = unbound("opportunities")
>>> str(predicate(Filter(column="status", op="in", values=["won", "lost"]), t.__getitem__,
...               Pipeline()).type())
'boolean'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from typing import assert_never

import ibis
import ibis.expr.types as ir

from salescore.core.errors import ConfigError
from salescore.model.org import Pipeline
from salescore.semantic.specs import STAGE_PLACEHOLDER, Filter, Op

ColumnOf = Callable[[str], ir.Value]


def stages_after(pipeline: Pipeline, stage: str) -> tuple[str, ...]:
    """The stages later than ``stage`` in pipeline order that are progress (open or won)."""
    names = pipeline.stage_names()
    if stage not in names:
        raise ConfigError(f"{stage!r} is not a stage of the pipeline ({', '.join(names)})",
                          message_zh=f"{stage!r} 不是销售流程中的阶段（{'、'.join(names)}）")
    later = pipeline.stages[names.index(stage) + 1:]
    return tuple(s.name for s in later if s.status != "lost")


def predicate(f: Filter, column: ColumnOf, pipeline: Pipeline) -> ir.BooleanValue:
    """The predicate of one filter; ``column`` maps a column path to its expression."""
    if STAGE_PLACEHOLDER in f.values:
        raise ConfigError(f"filter on {f.column!r} still holds {STAGE_PLACEHOLDER}: the KPI "
                          "must be `per: stage`", message_zh=f"列 {f.column!r} 的筛选仍含 "
                          f"{STAGE_PLACEHOLDER}：指标需要 per: stage")
    col = column(f.column)
    values = list(f.values)
    match f.op:
        case Op.EQ:
            return col == values[0]
        case Op.NE:
            return col != values[0]
        case Op.IN:
            return col.isin(values)
        case Op.NOT_IN:
            return ~col.isin(values)
        case Op.GT:
            return col > values[0]
        case Op.GE:
            return col >= values[0]
        case Op.LT:
            return col < values[0]
        case Op.LE:
            return col <= values[0]
        case Op.IS_NULL:
            return col.isnull()
        case Op.NOT_NULL:
            return col.notnull()
        case Op.EQ_COLUMN:
            return col == column(str(values[0]))
        case Op.NE_COLUMN:
            return col != column(str(values[0]))
        case Op.STAGE_AFTER:
            later = stages_after(pipeline, str(values[0]))
            return col.isin(list(later)) if later else ibis.literal(False)
        case _:
            assert_never(f.op)


def all_of(filters: Sequence[Filter], column: ColumnOf, pipeline: Pipeline
           ) -> ir.BooleanValue | None:
    """The conjunction of ``filters``; ``None`` when there are none."""
    preds = [predicate(f, column, pipeline) for f in filters]
    return reduce(lambda a, b: a & b, preds) if preds else None


def columns_of(filters: Sequence[Filter]) -> set[str]:
    """Every column path the filters read."""
    out: set[str] = set()
    for f in filters:
        out.add(f.column)
        if f.op in (Op.EQ_COLUMN, Op.NE_COLUMN):
            out.add(str(f.values[0]))
    return out

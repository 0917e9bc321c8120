"""The tables scoring reads, checked and turned into aligned pandas frames.

Scoring takes what the KPI engine returns (an Arrow table: a subject key column, optionally
``period``, one column per KPI) or the same as a pandas DataFrame. Numbers of any kind (integers,
decimals for money, floats) become float64 and a null stays NaN: a missing value is never turned
into 0 here. A table that lacks a column the plan needs is a programming error in the caller, so
it raises :class:`ScoringInputError` rather than scoring a line as "no data".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salescore.core.errors import PeriodError, SalescoreError
from salescore.core.periods import Period, parse_period

__all__ = [
    "ScoringInputError",
    "TableLike",
    "columns_of",
    "kpi_frame",
    "members_frame",
    "target_values",
]

TableLike: TypeAlias = "pa.Table | pd.DataFrame"


class ScoringInputError(SalescoreError, ValueError):
    """A table given to scoring lacks a column, repeats a key, or holds a non-number."""


def columns_of(table: TableLike, columns: Sequence[str], what: str) -> pd.DataFrame:
    """``columns`` of ``table`` as a pandas frame; :class:`ScoringInputError` naming any absent."""
    names = list(table.column_names) if isinstance(table, pa.Table) else list(table.columns)
    absent = [name for name in columns if name not in names]
    if absent:
        listed = ", ".join(absent)
        raise ScoringInputError(
            f"{what} has no column {listed} (it has: {', '.join(map(str, names))})",
            message_zh=f"{what} 缺少列 {listed}（现有列：{', '.join(map(str, names))}）",
        )
    if isinstance(table, pa.Table):
        return table.select(list(columns)).to_pandas()
    return table.loc[:, list(columns)].copy()


def _as_float(column: pd.Series, name: str, what: str) -> np.ndarray:
    try:
        return column.astype("float64").to_numpy(copy=True)
    except (TypeError, ValueError):
        raise ScoringInputError(
            f"{what} column {name} must hold numbers",
            message_zh=f"{what} 的列 {name} 须为数值",
        ) from None


def _keys(column: pd.Series, name: str, what: str) -> pd.Index:
    if column.isna().any():
        raise ScoringInputError(f"{what} has an empty {name}",
                                message_zh=f"{what} 中有空的 {name}")
    keys = pd.Index(column.astype(str).to_numpy(dtype=object), name=name)
    if keys.has_duplicates:
        repeated = ", ".join(sorted(set(keys[keys.duplicated()]))[:5])
        raise ScoringInputError(
            f"{what} has more than one row for {name} {repeated}",
            message_zh=f"{what} 中 {name} {repeated} 出现了多行",
        )
    return keys


def _arrow_numbers_to_float(table: pa.Table, kpis: Sequence[str]) -> pa.Table:
    # Casting in Arrow keeps nulls null and turns decimal money into float without Python objects.
    for name in kpis:
        index = table.column_names.index(name)
        column = table.column(index)
        if column.type != pa.float64() and (
            pa.types.is_integer(column.type)
            or pa.types.is_floating(column.type)
            or pa.types.is_decimal(column.type)
            or pa.types.is_null(column.type)
        ):
            table = table.set_column(index, name, pc.cast(column, pa.float64()))
    return table


def _check_labels(labels: pd.Series, period: Period, what: str) -> None:
    """Refuse a period column whose labels are not of the period's grain at all.

    A period with no rows is fine (nothing happened, or there is no previous period), but labels
    written another way (dates, another grain) would match nothing and make every line "no
    data" without a word.
    """
    for label in pd.unique(labels):
        try:
            parsed = parse_period(str(label),
                                  fiscal_year_start_month=period.fiscal_year_start_month)
        except PeriodError:
            continue
        if parsed.grain == period.grain:
            return
    if len(labels):
        shown = ", ".join(str(label) for label in pd.unique(labels)[:3])
        raise ScoringInputError(
            f"{what}: the period column holds {shown}, not {period.grain.value} labels such as "
            f"{period}",
            message_zh=f"{what}：period 列的值为 {shown}，不是 {period} 这样的周期标签",
        )


def kpi_frame(
    table: TableLike,
    *,
    key: str,
    kpis: Sequence[str],
    period: Period | None,
    what: str,
) -> pd.DataFrame:
    """``table``'s KPI columns as float64, indexed by ``key`` (as strings), one row per key.

    With a ``period`` column in the table, only the rows of ``period`` are kept (so that one
    engine result spanning many periods can be passed for both the period and the one before).
    """
    names = list(table.column_names) if isinstance(table, pa.Table) else list(table.columns)
    wanted = list(dict.fromkeys(kpis))
    columns = [key, *(["period"] if "period" in names else []), *wanted]
    if isinstance(table, pa.Table) and all(c in names for c in columns):
        table = _arrow_numbers_to_float(table, wanted)
    frame = columns_of(table, columns, what)
    if "period" in names and period is not None:
        labels = frame["period"].astype(str).str.strip().str.upper()
        _check_labels(labels, period, what)
        frame = frame.loc[(labels == str(period)).to_numpy()]
    index = _keys(frame[key], key, what)
    data = {name: _as_float(frame[name], name, what) for name in dict.fromkeys(kpis)}
    return pd.DataFrame(data, index=index)


def members_frame(table: TableLike) -> pd.DataFrame:
    """The subjects of a scoring run: ``rep_id`` (unique) and ``team_id``, both strings.

    Row order is kept; it is the order of the results.
    """
    frame = columns_of(table, ["rep_id", "team_id"], "members")
    reps = _keys(frame["rep_id"], "rep_id", "members")
    if frame["team_id"].isna().any():
        lonely = ", ".join(reps[frame["team_id"].isna().to_numpy()][:5])
        raise ScoringInputError(
            f"members without a team_id: {lonely}",
            message_zh=f"以下成员没有 team_id：{lonely}",
        )
    teams = frame["team_id"].astype(str).to_numpy(dtype=object)
    return pd.DataFrame({"rep_id": reps.to_numpy(), "team_id": teams})


def target_values(
    table: TableLike, *, scope: str, period: Period, kpis: Sequence[str]
) -> dict[str, pd.Series]:
    """Per KPI: the targets table's values for ``scope`` (rep or team) and ``period``, by id.

    Period labels are compared in canonical form (``2025-q1`` is ``2025-Q1``). A target that
    appears twice for the same scope, id, period and KPI is an error: which one holds is unclear.
    """
    frame = columns_of(table, ["scope", "scope_id", "period", "kpi", "value"], "targets")
    wanted = (
        (frame["scope"].astype(str).str.strip().str.lower() == scope)
        & (frame["period"].astype(str).str.strip().str.upper() == str(period))
        & frame["kpi"].astype(str).isin(list(kpis))
    )
    frame = frame.loc[wanted.to_numpy()]
    result: dict[str, pd.Series] = {}
    for kpi in dict.fromkeys(kpis):
        rows = frame.loc[(frame["kpi"].astype(str) == kpi).to_numpy()]
        ids = _keys(rows["scope_id"], "scope_id", f"targets ({scope}, {period}, {kpi})")
        result[kpi] = pd.Series(_as_float(rows["value"], "value", "targets"), index=ids)
    return result

"""Amounts an import brings that cannot be converted to the reporting currency, and the warning
that says so: how many per currency, and the commands that fix it.

An amount in another currency than the reporting one is converted with ``fx_rates``; one in a
currency with no rate at all, or with no currency, cannot be, and every money KPI over it is
null (never 0) until a rate arrives or the reporting currency changes.

>>> print(unconverted_warning((("USD", 830),), "CNY").en)  # doctest: +NORMALIZE_WHITESPACE
830 amounts in USD cannot be converted to CNY (no exchange rate): money KPIs over them are
null, not 0. Import rates with `salescore import fx_rates RATES.csv` (columns currency, day,
rate), or, if USD is what you report in, `salescore settings set currency USD`
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salescore.engine.warehouse import Warehouse
from salescore.ingest.problems import Reason
from salescore.ingest.readers import ROW
from salescore.model.tables import DataType, Table

Unconverted = tuple[tuple[str | None, int], ...]
"""Amounts that cannot be converted, by currency (``None``: no currency), commonest first."""


def unconverted_amounts(warehouse: Warehouse, declared: Table, loaded: pa.Table,
                        reporting: str, rejected_rows: Sequence[int] = ()) -> Unconverted:
    """The known amounts among ``loaded`` (less ``rejected_rows``, by :data:`ROW`) whose
    currency is none, or another than ``reporting`` with no rate in ``fx_rates``."""
    money = [c.name for c in declared.columns if c.type is DataType.DECIMAL]
    if not money or "currency" not in loaded.column_names or not loaded.num_rows:
        return ()
    known = np.zeros(loaded.num_rows, dtype=bool)
    for name in money:
        if name in loaded.column_names:
            known |= pc.is_valid(loaded.column(name)).to_numpy(zero_copy_only=False)
    if rejected_rows and ROW in loaded.column_names:
        gone = pc.is_in(loaded.column(ROW), value_set=pa.array(list(rejected_rows), pa.int64()))
        known &= ~gone.to_numpy(zero_copy_only=False)
    currency = loaded.column("currency").to_pylist()
    rated = {str(r[0]) for r in warehouse.execute_sql("SELECT DISTINCT currency FROM fx_rates")}
    counts: dict[str | None, int] = {}
    for code, has_amount in zip(currency, known, strict=True):
        if has_amount and code != reporting and (code is None or code not in rated):
            counts[code] = counts.get(code, 0) + 1
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def unconverted_warning(unconverted: Unconverted, reporting: str) -> Reason:
    """What an import says of ``unconverted`` amounts, with the commands that fix it."""
    shown = ", ".join(f"{n:,} amounts in {code}" if code else f"{n:,} amounts without a currency"
                      for code, n in unconverted)
    shown_zh = "，".join(f"{code} 金额 {n:,} 笔" if code else f"无币种金额 {n:,} 笔"
                         for code, n in unconverted)
    codes = [code for code, _ in unconverted if code]
    switch = switch_zh = ""
    if len(codes) == 1:
        switch = (f", or, if {codes[0]} is what you report in, "
                  f"`salescore settings set currency {codes[0]}`")
        switch_zh = (f"；若报告币种应为 {codes[0]}，请执行 "
                     f"`salescore settings set currency {codes[0]}`")
    return Reason(
        f"{shown} cannot be converted to {reporting} (no exchange rate): money KPIs over them "
        "are null, not 0. Import rates with `salescore import fx_rates RATES.csv` (columns "
        f"currency, day, rate){switch}",
        f"{shown_zh}无法折算为 {reporting}（没有汇率）：相关金额指标为空而非 0。请用 "
        f"`salescore import fx_rates 汇率.csv` 导入汇率（列 currency、day、rate）{switch_zh}")

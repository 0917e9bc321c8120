"""Market trends: revenue, deals and win rate by segment, product, region and channel over
months, seasonally adjusted where there are two years of history, and the fastest-growing and
fastest-shrinking named.

Pure functions over the KPI tables a session returns (one row per value of the dimension and
month); the statistics are not Ibis. Seasonal adjustment is statsmodels' STL (period 12,
robust): adjusted = observed − seasonal component. It needs :data:`MIN_SEASONAL_MONTHS`
months with a value in every month; a shorter or gappy series is shown raw, with a note.
Growth compares the last :data:`GROWTH_MONTHS` months with the ones before (the same months of
the previous year with two years of history, so the season cancels out): a relative change of
the sum for revenue and deals, a change in percentage points for the win rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from salescore.core.text import Text

__all__ = ["DIMENSIONS", "GROWTH_MONTHS", "MEASURES", "MIN_SEASONAL_MONTHS", "Series",
           "growth", "seasonal_adjust", "series_of", "trend_words"]

DIMENSIONS = ("segment", "product", "region", "channel")
MEASURES = ("revenue_won", "opportunities_created", "win_rate")
"""Revenue won, deals created and win rate: the KPIs of the catalogue a trend follows."""
SEASON = 12
MIN_SEASONAL_MONTHS = 24
GROWTH_MONTHS = 12

DIMENSION_NAMES = {
    "company": Text("company", "全公司"), "segment": Text("segment", "客户分层"),
    "product": Text("product", "产品"), "region": Text("region", "区域"),
    "channel": Text("channel", "渠道")}
MEASURE_NAMES = {
    "revenue_won": Text("revenue won", "赢单收入"),
    "opportunities_created": Text("deals created", "新建商机数"),
    "win_rate": Text("win rate", "赢单率")}


@dataclass(frozen=True)
class Series:
    """One value of a dimension (``None``: unknown; the company for ``by`` company) and one
    measure over ``months``: ``raw`` per month, ``adjusted`` (``None`` when not adjusted),
    ``seasonal`` (the component taken out), and ``growth`` (see :func:`growth`)."""

    by: str
    value: str | None
    measure: str
    raw: list[float | None]
    adjusted: list[float | None] | None
    seasonal: list[float | None] | None
    growth: float | None


def seasonal_adjust(values: Sequence[float | None]) -> tuple[list[float], list[float]] | None:
    """``(adjusted, seasonal)`` by STL with a 12-month season, or ``None`` when the series is
    shorter than :data:`MIN_SEASONAL_MONTHS` or has a month without a value.

    >>> pattern = [0, -2, 1, 0, 3, -1, 2, -4, 1, 0, 2, -2]
    >>> adjusted, seasonal = seasonal_adjust([10 + i + pattern[i % 12] for i in range(24)])
    >>> [round(x, 6) for x in seasonal[:12]] == pattern
    True
    """
    if len(values) < MIN_SEASONAL_MONTHS or any(v is None for v in values):
        return None
    import numpy as np
    from statsmodels.tsa.seasonal import STL  # loaded only when a series is adjusted

    x = np.asarray(values, dtype=float)
    seasonal = STL(x, period=SEASON, robust=True).fit().seasonal
    return [float(v) for v in x - seasonal], [float(v) for v in seasonal]


def growth(values: Sequence[float | None], measure: str) -> float | None:
    """The last :data:`GROWTH_MONTHS` months (half the series when shorter than two years)
    against as many before: relative change of the sum (revenue, deals), or the change of the
    mean in points (win rate); ``None`` when a half has no value or the earlier sum is not
    positive.

    >>> growth([10, 10, 12, 13], "revenue_won")
    0.25
    """
    half = min(GROWTH_MONTHS, len(values) // 2)
    if half == 0:
        return None
    late = [v for v in values[-half:] if v is not None]
    early = [v for v in values[-2 * half:-half] if v is not None]
    if not late or not early:
        return None
    if measure == "win_rate":
        return sum(late) / len(late) - sum(early) / len(early)
    if sum(early) <= 0:
        return None
    return sum(late) / sum(early) - 1


def series_of(rows: Iterable[Mapping[str, Any]], *, by: str, months: Sequence[str]
              ) -> list[Series]:
    """The series of every value of ``by`` and every measure of :data:`MEASURES` from a KPI
    table by ``by`` (no column for the company) and month; a month without a row has 0
    revenue and deals and no win rate. Values in order, unknown last."""
    key = None if by == "company" else by
    table: dict[str | None, dict[str, Mapping[str, Any]]] = {}
    for row in rows:
        table.setdefault(row[key] if key else None, {})[row["period"]] = row
    if by == "company" and not table:
        table[None] = {}
    out = []
    for value in sorted(table, key=lambda v: (v is None, v or "")):
        got = table[value]
        for measure in MEASURES:
            raw: list[float | None] = []
            for m in months:
                v = (got.get(m) or {}).get(measure)
                raw.append(float(v) if v is not None else (None if measure == "win_rate"
                                                            else 0.0))
            done = seasonal_adjust(raw)
            out.append(Series(by=by, value=value, measure=measure, raw=raw,
                              adjusted=list(done[0]) if done else None,
                              seasonal=list(done[1]) if done else None,
                              growth=growth(raw, measure)))
    return out


def _amount(g: float, measure: str) -> Text:
    if measure == "win_rate":
        points = f"{g * 100:+.1f}"
        return Text(f"{points} points", f"{points} 个百分点")
    return Text.same(f"{g * 100:+.0f} %")


def trend_words(series: Sequence[Series], measure: str, months: int) -> Text:
    """The fastest-growing and fastest-shrinking value of any dimension for ``measure``, in
    plain words; what is said when nothing can be compared."""
    ranked = [s for s in series if s.measure == measure and s.by != "company"
              and s.value is not None and s.growth is not None]
    name = MEASURE_NAMES[measure]
    half = min(GROWTH_MONTHS, months // 2)
    if not ranked or half == 0:
        return Text(f"There is not enough history to compare the {name.en} of segments, "
                    "products, regions and channels.",
                    f"历史数据不足，无法比较各客户分层、产品、区域和渠道的{name.zh}。")
    up = max(ranked, key=lambda s: s.growth or 0.0)
    down = min(ranked, key=lambda s: s.growth or 0.0)

    def who(s: Series) -> Text:
        d = DIMENSION_NAMES[s.by]
        return Text(f"{d.en} {s.value}", f"{d.zh}「{s.value}」")

    span = Text(f"the last {half} months against the {half} before",
                f"最近 {half} 个月对比此前 {half} 个月")
    parts_en, parts_zh = [], []
    assert up.growth is not None and down.growth is not None
    if up.growth > 0:
        a = _amount(up.growth, measure)
        parts_en.append(f"Fastest-growing {name.en}: {who(up).en}, {a.en}")
        parts_zh.append(f"{name.zh}增长最快的是{who(up).zh}，{a.zh}")
    if down.growth < 0:
        a = _amount(down.growth, measure)
        parts_en.append(f"fastest-shrinking: {who(down).en}, {a.en}" if parts_en
                        else f"Fastest-shrinking {name.en}: {who(down).en}, {a.en}")
        parts_zh.append(f"萎缩最快的是{who(down).zh}，{a.zh}" if parts_zh
                        else f"{name.zh}萎缩最快的是{who(down).zh}，{a.zh}")
    if not parts_en:
        return Text(f"The {name.en} of every segment, product, region and channel held steady "
                    f"({span.en}).",
                    f"各客户分层、产品、区域和渠道的{name.zh}均持平（{span.zh}）。")
    return Text("; ".join(parts_en) + f" ({span.en}).", "；".join(parts_zh) + f"（{span.zh}）。")

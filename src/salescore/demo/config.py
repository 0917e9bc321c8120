"""What to generate: the scale, the seed, the locale and the window the data covers.

The window ends on ``end``, by default yesterday in the organisation's time zone, so that this
month and this quarter are periods in progress, as people see them; pass ``end`` for the same
rows on any day.

>>> c = DemoConfig(end=date(2026, 10, 31))
>>> c.start, c.end
(datetime.date(2024, 11, 1), datetime.date(2026, 10, 31))
>>> DemoConfig(end=date(2026, 12, 6)).start  # 23 whole months and six days of December
datetime.date(2025, 1, 1)
>>> c.spec.reps, c.spec.opportunities
(50, 10000)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, assert_never
from zoneinfo import ZoneInfo

from salescore.core.errors import ConfigError
from salescore.demo.vocab import Locale, vocabulary

Scale = Literal["small", "medium", "large"]
REFERENCE_MONTHS = 24  # the sizes below are for a 24-month window; other windows scale linearly


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    """The shape of one scale: tree size and the nominal row counts for 24 months."""

    regions: int
    teams_per_region: int
    reps: int  # every row of the reps table, managers included
    opportunities: int
    activities: int
    activity_intensity: float  # the base of the deal activity rate (docs/demo.md)
    block_opportunities: int  # reps are generated in blocks of whole teams of about this many deals


def scale_spec(scale: Scale) -> ScaleSpec:
    """The nominal sizes of ``scale``."""
    match scale:
        case "small":
            return ScaleSpec(3, 2, 50, 10_000, 150_000, 9.0, 200_000)
        case "medium":
            return ScaleSpec(5, 11, 500, 500_000, 5_000_000, 5.7, 120_000)
        case "large":
            return ScaleSpec(7, 30, 2_000, 5_000_000, 50_000_000, 5.7, 120_000)
        case _:
            assert_never(scale)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


FIRST_END = date(2000, 1, 31)
LAST_END = date(2099, 12, 31)


def _utc_now() -> datetime:
    """The clock, read only for the default end (tests replace it to fix "today")."""
    return datetime.now(UTC)


def yesterday(timezone: str, now: datetime | None = None) -> date:
    """The local day before ``now`` (default: the clock) in ``timezone``: the default end.

    >>> at = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)  # 04:00 on the 7th in Shanghai
    >>> yesterday("Asia/Shanghai", at), yesterday("Europe/Berlin", at)
    (datetime.date(2026, 12, 6), datetime.date(2026, 12, 5))
    """
    moment = _utc_now() if now is None else now
    return moment.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)


def parse_end(text: str) -> date:
    """The end date a person wrote (``YYYY-MM-DD``), or :class:`ConfigError` in both languages.

    >>> parse_end(" 2026-10-31 ")
    datetime.date(2026, 10, 31)
    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"the demo's end {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-10-31",
            message_zh=f"演示数据的截止日期 {text!r} 不是日期：请写成 YYYY-MM-DD，例如 2026-10-31",
        ) from None


@dataclass(frozen=True)
class DemoConfig:
    """One demo organisation: same config, same rows.

    The data covers the ``months`` calendar months up to ``end``'s month, from the first day of
    the first to ``end`` (inclusive), so the last month may be in progress. Without ``end`` it
    is yesterday in the organisation's time zone (:func:`yesterday`), read once, when the config
    is made: the one thing that depends on the wall clock, and the config then holds the date.
    """

    scale: Scale = "small"
    seed: int = 42
    locale: Locale = "en"
    end: date = None  # type: ignore[assignment]  # None: yesterday, set in __post_init__
    months: int = 24

    def __post_init__(self) -> None:
        if self.scale not in ("small", "medium", "large"):
            raise ConfigError(f"unknown demo scale {self.scale!r} (small, medium or large)",
                              message_zh=f"未知的演示规模 {self.scale!r}（small、medium 或 large）")
        if self.locale not in ("en", "zh_CN"):
            raise ConfigError(f"unknown demo locale {self.locale!r} (en or zh_CN)",
                              message_zh=f"未知的演示语言 {self.locale!r}（en 或 zh_CN）")
        if not 6 <= self.months <= 120:
            raise ConfigError(f"demo months must be 6..120, not {self.months}",
                              message_zh=f"演示月数须在 6 到 120 之间，而不是 {self.months}")
        if self.seed < 0:
            raise ConfigError(f"demo seed must be >= 0, not {self.seed}",
                              message_zh=f"随机种子须大于等于 0，而不是 {self.seed}")
        if self.end is None:
            object.__setattr__(self, "end", yesterday(vocabulary(self.locale).timezone))
        if not isinstance(self.end, date) or isinstance(self.end, datetime) \
                or not FIRST_END <= self.end <= LAST_END:
            raise ConfigError(
                f"the demo's end must be a date from {FIRST_END} to {LAST_END}, not {self.end}",
                message_zh=f"演示数据的截止日期须在 {FIRST_END} 到 {LAST_END} 之间，"
                           f"而不是 {self.end}")

    @property
    def start(self) -> date:
        """The first local day the data covers: the first of a month."""
        return _add_months(self.end.replace(day=1), 1 - self.months)

    @property
    def days(self) -> int:
        """The local days the data covers."""
        return (self.end - self.start).days + 1

    @property
    def today(self) -> date:
        """The day after the data: the demo's "today", whose month and quarter have targets."""
        return self.end + timedelta(days=1)

    @property
    def spec(self) -> ScaleSpec:
        return scale_spec(self.scale)

    @property
    def volume(self) -> float:
        """How much bigger than the nominal 24-month sizes this window is (a last month in
        progress counts for the share of its days that the window holds)."""
        whole = (_add_months(self.start, self.months) - self.start).days
        return self.months / REFERENCE_MONTHS * (self.days / whole)

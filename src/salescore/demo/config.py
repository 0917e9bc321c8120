"""What to generate: the scale, the seed, the locale and the window the data covers.

>>> c = DemoConfig()
>>> c.start, c.end
(datetime.date(2024, 11, 1), datetime.date(2026, 10, 31))
>>> c.spec.reps, c.spec.opportunities
(50, 10000)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, assert_never

from salescore.core.errors import ConfigError
from salescore.demo.vocab import Locale

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


@dataclass(frozen=True)
class DemoConfig:
    """One demo organisation: same config, same rows (nothing depends on the wall clock).

    The data covers ``months`` whole months of local days ending with ``end`` (inclusive).
    """

    scale: Scale = "small"
    seed: int = 42
    locale: Locale = "en"
    end: date = date(2026, 10, 31)
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

    @property
    def start(self) -> date:
        """The first local day the data covers."""
        return _add_months(self.end + timedelta(days=1), -self.months)

    @property
    def spec(self) -> ScaleSpec:
        return scale_spec(self.scale)

    @property
    def volume(self) -> float:
        """How much bigger than the nominal 24-month sizes this window is."""
        return self.months / REFERENCE_MONTHS

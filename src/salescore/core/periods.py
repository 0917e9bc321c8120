"""Reporting periods: days, ISO weeks, months, quarters, years, fiscal years and quarters, ranges.

A :class:`Period` is a closed run of local calendar days ``[start, end]`` with a
:class:`Grain`. Every period has one canonical label, and :func:`parse_period` reads exactly those
labels back:

=================  ===========================  ==============================================
grain              label                        meaning
=================  ===========================  ==============================================
``day``            ``2025-03-07``               one day
``week``           ``2025-W07``                 ISO week: Monday to Sunday
``month``          ``2025-03``                  calendar month
``quarter``        ``2025-Q1``                  calendar quarter (Q1 = January to March)
``year``           ``2025``                     calendar year
``fiscal_year``    ``FY2025``                   fiscal year, named by the year it ends in
``fiscal_quarter`` ``FY2025-Q2``                quarter of a fiscal year, Q1 first
``range``          ``2025-01-01..2025-03-31``   any closed run of days, both ends included
=================  ===========================  ==============================================

Conventions:

- Weeks are ISO 8601 weeks. They start on Monday, and the label year is the ISO year, which can
  differ from the calendar year at the turn of the year: ``2025-W01`` runs 2024-12-30..2025-01-05,
  and 2021-01-01 lies in ``2020-W53``.
- A fiscal year starts on the first day of ``fiscal_year_start_month`` and is named by the calendar
  year it ends in. With start month 4, ``FY2025`` is 2024-04-01..2025-03-31; with start month 1 it
  is calendar 2025. Fiscal ``Q1`` begins at the fiscal year start (start month 4: ``FY2025-Q1`` is
  2024-04-01..2024-06-30).
- ``Period.fiscal_year_start_month`` only means something for the two fiscal grains; for every
  other grain it is stored as 1, so that ``2025-03`` is one value whatever calendar produced it.
- Labels and parsing are case-insensitive on input (``fy2025-q1`` is read) and canonical (upper
  case) on output. Years are written with four digits.
- The time zone belongs to the organisation (:class:`Calendar`): a timestamp counts in the period of
  its local date. Naive datetimes are UTC, as the warehouse stores them.

Example:

>>> p = parse_period("FY2025-Q1", fiscal_year_start_month=4)
>>> p.start, p.end
(datetime.date(2024, 4, 1), datetime.date(2024, 6, 30))
>>> str(p.next()), p.days
('FY2025-Q2', 91)
>>> [str(m) for m in parse_period("2025-Q1").split(Grain.MONTH)]
['2025-01', '2025-02', '2025-03']
>>> cal = Calendar(timezone="Asia/Shanghai")
>>> str(cal.period_of(datetime(2025, 3, 31, 16, 30), Grain.QUARTER))
'2025-Q2'
>>> cal.utc_bounds(cal.parse("2025-04"))
(datetime.datetime(2025, 3, 31, 16, 0), datetime.datetime(2025, 4, 30, 16, 0))
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from salescore.core.errors import ConfigError, PeriodError

__all__ = [
    "Calendar",
    "Grain",
    "RELATIVE_PERIODS",
    "Period",
    "local_date",
    "month_end",
    "parse_period",
    "period_of",
    "periods_between",
]

_ONE_DAY = timedelta(days=1)


class Grain(StrEnum):
    """How long a period is. ``Grain("month")`` and ``Grain("Month")`` both give ``Grain.MONTH``."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    FISCAL_QUARTER = "fiscal_quarter"
    FISCAL_YEAR = "fiscal_year"
    RANGE = "range"

    @classmethod
    def _missing_(cls, value: object) -> Grain | None:
        # Grains come from YAML and the command line, where "Month" or "MONTH" are meant alike.
        if isinstance(value, str):
            lowered = value.strip().lower()
            for member in cls:
                if member.value == lowered:
                    return member
        return None

    @property
    def zh(self) -> str:
        """The grain's name in Chinese, for messages: ``Grain.QUARTER.zh == "季度"``."""
        return _GRAIN_ZH[self]

    @property
    def is_fiscal(self) -> bool:
        """Whether periods of this grain depend on the fiscal year start month."""
        return self in (Grain.FISCAL_QUARTER, Grain.FISCAL_YEAR)


@dataclass(frozen=True, order=True)
class Period:
    """A closed run of days ``[start, end]`` of one grain; immutable, hashable, ordered by start.

    Construction checks that the dates fit the grain (a ``month`` period starts on the 1st and
    ends on the month's last day) and raises :class:`PeriodError` if not. For non-fiscal grains
    ``fiscal_year_start_month`` is normalised to 1 (see the module docstring).
    """

    start: date
    end: date
    grain: Grain
    fiscal_year_start_month: int = 1

    def __post_init__(self) -> None:
        # Frozen dataclass: normalising fields has to go through object.__setattr__.
        try:
            grain = Grain(self.grain)
        except ValueError:
            names = ", ".join(g.value for g in Grain)
            raise PeriodError(
                f"unknown grain {self.grain!r} (use one of {names})",
                message_zh=f"未知的粒度 {self.grain!r}（可用：{names}）",
            ) from None
        object.__setattr__(self, "grain", grain)
        _check_fiscal_month(self.fiscal_year_start_month)
        if not grain.is_fiscal:
            object.__setattr__(self, "fiscal_year_start_month", 1)
        for value in (self.start, self.end):
            if isinstance(value, datetime) or not isinstance(value, date):
                kind = type(value).__name__
                raise PeriodError(
                    f"a period is made of dates, not {kind} {value!r}",
                    message_zh=f"期间的起止必须是日期（date），而不是 {kind} {value!r}",
                )
        if self.start > self.end:
            raise PeriodError(
                f"period {self.start.isoformat()}..{self.end.isoformat()} ends before it starts",
                message_zh=f"期间 {self.start.isoformat()}..{self.end.isoformat()} 的结束早于开始",
            )
        if grain is not Grain.RANGE:
            bounds = _checked_bounds(self.start, grain, self.fiscal_year_start_month)
            if bounds != (self.start, self.end):
                raise PeriodError(
                    f"{self.start.isoformat()}..{self.end.isoformat()} is not a {grain.value} "
                    f"(the {grain.value} of {self.start.isoformat()} is "
                    f"{bounds[0].isoformat()}..{bounds[1].isoformat()})",
                    message_zh=f"{self.start.isoformat()}..{self.end.isoformat()} 不是一个完整的"
                    f"{_GRAIN_ZH[grain]}（{self.start.isoformat()} 所在的{_GRAIN_ZH[grain]}是 "
                    f"{bounds[0].isoformat()}..{bounds[1].isoformat()}）",
                )

    def __str__(self) -> str:
        grain = self.grain
        match grain:
            case Grain.DAY:
                return self.start.isoformat()
            case Grain.WEEK:
                iso = self.start.isocalendar()
                return f"{iso.year:04d}-W{iso.week:02d}"
            case Grain.MONTH:
                return f"{self.start.year:04d}-{self.start.month:02d}"
            case Grain.QUARTER:
                return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
            case Grain.YEAR:
                return f"{self.start.year:04d}"
            case Grain.FISCAL_YEAR:
                return f"FY{self.end.year:04d}"
            case Grain.FISCAL_QUARTER:
                fy = self.fiscal_year_start_month
                quarter = (self.start.month - fy) % 12 // 3 + 1
                return f"FY{_fiscal_year_name(self.start, fy):04d}-Q{quarter}"
            case Grain.RANGE:
                return f"{self.start.isoformat()}..{self.end.isoformat()}"
            case _:
                assert_never(grain)

    @property
    def label(self) -> str:
        """The canonical label, the same as ``str(self)``; :func:`parse_period` reads it back."""
        return str(self)

    @property
    def days(self) -> int:
        """The number of days in the period, both ends counted."""
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        """Whether the day ``d`` lies in the period.

        A datetime is refused (TypeError): which day it falls on depends on the time zone, so turn
        it into a local date first (:func:`local_date` or :meth:`Calendar.period_of`).
        """
        if isinstance(d, datetime):
            raise TypeError(
                "Period.contains takes a date; convert timestamps with local_date() first"
            )
        return self.start <= d <= self.end

    def overlaps(self, other: Period) -> bool:
        """Whether the two periods share at least one day."""
        return self.start <= other.end and other.start <= self.end

    def next(self) -> Period:
        """The period of the same grain that starts the day after this one ends.

        For a range: the range of the same length right after it. Raises :class:`PeriodError`
        past the last representable date (9999-12-31).
        """
        if self.grain is Grain.RANGE:
            start = _shift(self.end, 1)
            return Period(start, _shift(start, self.days - 1), Grain.RANGE)
        return period_of(_shift(self.end, 1), self.grain,
                         fiscal_year_start_month=self.fiscal_year_start_month)

    def previous(self) -> Period:
        """The period of the same grain that ends the day before this one starts.

        For a range: the range of the same length right before it.
        """
        if self.grain is Grain.RANGE:
            end = _shift(self.start, -1)
            return Period(_shift(end, 1 - self.days), end, Grain.RANGE)
        return period_of(_shift(self.start, -1), self.grain,
                         fiscal_year_start_month=self.fiscal_year_start_month)

    def split(self, grain: Grain, *, fiscal_year_start_month: int | None = None) -> list[Period]:
        """Every period of ``grain`` that overlaps this one, in order.

        The first and last pieces may stick out: a month split into weeks starts with the ISO week
        holding the 1st, which may begin in the month before. Split into ``range`` gives this
        period's days as one range. Fiscal grains use ``fiscal_year_start_month`` if given, else
        this period's own (which is 1 for non-fiscal periods: pass it, or use
        :meth:`Calendar.split`).
        """
        fy = self.fiscal_year_start_month if fiscal_year_start_month is None \
            else fiscal_year_start_month
        return periods_between(self.start, self.end, grain, fiscal_year_start_month=fy)


_GRAIN_ZH: dict[Grain, str] = {
    Grain.DAY: "日",
    Grain.WEEK: "周",
    Grain.MONTH: "月",
    Grain.QUARTER: "季度",
    Grain.YEAR: "年",
    Grain.FISCAL_QUARTER: "财季",
    Grain.FISCAL_YEAR: "财年",
    Grain.RANGE: "日期区间",
}


def _check_fiscal_month(month: object) -> None:
    # bool is an int, but True as a month is a bug upstream, not January.
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise PeriodError(
            f"fiscal_year_start_month must be a month number 1-12, not {month!r}",
            message_zh=f"财年起始月份必须是 1-12 的月份数字，而不是 {month!r}",
        )


def _shift(d: date, days: int) -> date:
    try:
        return d + timedelta(days=days)
    except OverflowError:
        raise PeriodError(
            f"{d.isoformat()} {days:+d} days is outside the supported dates 0001-01-01..9999-12-31",
            message_zh=f"{d.isoformat()} {days:+d} 天超出了支持的日期范围 0001-01-01..9999-12-31",
        ) from None


def _month_start(year: int, month: int) -> date:
    """The 1st of ``month`` months after January of ``year`` (month may run past 12 or below 1)."""
    index = year * 12 + month - 1
    return date(index // 12, index % 12 + 1, 1)


def month_end(year: int, month: int) -> date:
    """The last day of month ``month`` of ``year`` (a month past 12 runs into later years)."""
    first = _month_start(year, month)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _fiscal_year_name(d: date, fiscal_year_start_month: int) -> int:
    """The calendar year in which the fiscal year holding ``d`` ends."""
    if fiscal_year_start_month != 1 and d.month >= fiscal_year_start_month:
        return d.year + 1
    return d.year


def _bounds(d: date, grain: Grain, fy: int) -> tuple[date, date]:
    """First and last day of the ``grain`` period holding ``d``; may raise ValueError/Overflow."""
    y, m = d.year, d.month
    match grain:
        case Grain.DAY | Grain.RANGE:
            return d, d
        case Grain.WEEK:
            start = d - timedelta(days=d.weekday())
            return start, start + timedelta(days=6)
        case Grain.MONTH:
            return _month_start(y, m), month_end(y, m)
        case Grain.QUARTER:
            first = (m - 1) // 3 * 3 + 1
            return _month_start(y, first), month_end(y, first + 2)
        case Grain.YEAR:
            return date(y, 1, 1), date(y, 12, 31)
        case Grain.FISCAL_YEAR:
            start_year = y if m >= fy else y - 1
            return _month_start(start_year, fy), month_end(start_year, fy + 11)
        case Grain.FISCAL_QUARTER:
            first = m - (m - fy) % 3
            return _month_start(y, first), month_end(y, first + 2)
        case _:
            assert_never(grain)


def _checked_bounds(d: date, grain: Grain, fy: int) -> tuple[date, date]:
    try:
        return _bounds(d, grain, fy)
    except (ValueError, OverflowError):
        raise PeriodError(
            f"the {grain.value} of {d.isoformat()} reaches outside the supported dates "
            "0001-01-01..9999-12-31",
            message_zh=f"{d.isoformat()} 所在的{_GRAIN_ZH[grain]}超出了支持的日期范围 "
            "0001-01-01..9999-12-31",
        ) from None


def period_of(d: date, grain: Grain, *, fiscal_year_start_month: int = 1) -> Period:
    """The period of ``grain`` that holds the day ``d``.

    For ``range`` it is the one-day range ``d..d``. A datetime is refused (TypeError): use
    :meth:`Calendar.period_of`, which knows the time zone. Raises :class:`PeriodError` if the period
    would reach outside 0001-01-01..9999-12-31.

    >>> str(period_of(date(2021, 1, 1), Grain.WEEK))
    '2020-W53'
    >>> str(period_of(date(2025, 3, 7), Grain.FISCAL_YEAR, fiscal_year_start_month=4))
    'FY2025'
    """
    if isinstance(d, datetime):
        raise TypeError("period_of takes a date; use Calendar.period_of for timestamps")
    grain = Grain(grain)
    _check_fiscal_month(fiscal_year_start_month)
    start, end = _checked_bounds(d, grain, fiscal_year_start_month)
    return Period(start, end, grain, fiscal_year_start_month)


def periods_between(
    first: date, last: date, grain: Grain, *, fiscal_year_start_month: int = 1
) -> list[Period]:
    """Every period of ``grain`` that overlaps the days ``[first, last]``, in order.

    The periods touch without gaps or overlaps; the first may start before ``first`` and the last
    may end after ``last``. For ``range`` the answer is the single range ``first..last``. Raises
    :class:`PeriodError` if ``last`` is before ``first``.

    >>> [str(p) for p in periods_between(date(2025, 1, 30), date(2025, 3, 1), Grain.MONTH)]
    ['2025-01', '2025-02', '2025-03']
    """
    if first > last:
        raise PeriodError(
            f"{first.isoformat()}..{last.isoformat()} ends before it starts",
            message_zh=f"{first.isoformat()}..{last.isoformat()} 的结束早于开始",
        )
    grain = Grain(grain)
    if grain is Grain.RANGE:
        return [Period(first, last, Grain.RANGE)]
    period = period_of(first, grain, fiscal_year_start_month=fiscal_year_start_month)
    out = [period]
    # Stop on the end date rather than calling next() once more: the period after the last one
    # may not exist (near 9999-12-31).
    while period.end < last:
        period = period.next()
        out.append(period)
    return out


_FORMS_EN = (
    "2025-03-07 (day), 2025-W07 (ISO week), 2025-03 (month), 2025-Q1 (quarter), 2025 (year), "
    "FY2025 (fiscal year), FY2025-Q1 (fiscal quarter), 2025-01-01..2025-03-31 (range of days)"
)
_FORMS_ZH = (
    "2025-03-07（日）、2025-W07（ISO 周）、2025-03（月）、2025-Q1（季度）、2025（年）、"
    "FY2025（财年）、FY2025-Q1（财季）、2025-01-01..2025-03-31（日期区间）"
)

# re.ASCII: without it \d also matches digits of other scripts, which int() would accept.
_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_PATTERNS: tuple[tuple[Grain, re.Pattern[str]], ...] = (
    (Grain.DAY, re.compile(_DATE, re.ASCII)),
    (Grain.WEEK, re.compile(r"(\d{4})-W(\d{2})", re.ASCII)),
    (Grain.MONTH, re.compile(r"(\d{4})-(\d{2})", re.ASCII)),
    (Grain.QUARTER, re.compile(r"(\d{4})-Q(\d)", re.ASCII)),
    (Grain.YEAR, re.compile(r"(\d{4})", re.ASCII)),
    (Grain.FISCAL_YEAR, re.compile(r"FY(\d{4})", re.ASCII)),
    (Grain.FISCAL_QUARTER, re.compile(r"FY(\d{4})-Q(\d)", re.ASCII)),
    (Grain.RANGE, re.compile(_DATE + r"\s*\.\.\s*" + _DATE, re.ASCII)),
)


def _bad(text: str, why_en: str = "", why_zh: str = "") -> PeriodError:
    reason_en = f" ({why_en})" if why_en else ""
    reason_zh = f"（{why_zh}）" if why_zh else ""
    return PeriodError(
        f"cannot read period {text!r}{reason_en}; write it as one of: {_FORMS_EN}",
        message_zh=f"无法识别期间 {text!r}{reason_zh}；可用的写法：{_FORMS_ZH}",
    )


def _from_match(grain: Grain, g: tuple[str, ...], fy: int) -> Period:
    """Build the period a label names; ValueError/OverflowError/PeriodError on impossible values."""
    n = [int(x) for x in g]
    match grain:
        case Grain.DAY:
            d = date(n[0], n[1], n[2])
            return Period(d, d, Grain.DAY)
        case Grain.WEEK:
            monday = date.fromisocalendar(n[0], n[1], 1)
            return Period(monday, monday + timedelta(days=6), Grain.WEEK)
        case Grain.MONTH:
            if not 1 <= n[1] <= 12:
                raise ValueError("month")
            return period_of(date(n[0], n[1], 1), Grain.MONTH)
        case Grain.QUARTER:
            if not 1 <= n[1] <= 4:
                raise ValueError("quarter")
            return period_of(date(n[0], 3 * n[1] - 2, 1), Grain.QUARTER)
        case Grain.YEAR:
            return Period(date(n[0], 1, 1), date(n[0], 12, 31), Grain.YEAR)
        case Grain.FISCAL_YEAR | Grain.FISCAL_QUARTER:
            quarter = n[1] if grain is Grain.FISCAL_QUARTER else 1
            if not 1 <= quarter <= 4:
                raise ValueError("quarter")
            start_year = n[0] if fy == 1 else n[0] - 1
            first = _month_start(start_year, fy + 3 * (quarter - 1))
            return period_of(first, grain, fiscal_year_start_month=fy)
        case Grain.RANGE:
            return Period(date(n[0], n[1], n[2]), date(n[3], n[4], n[5]), Grain.RANGE)
        case _:
            assert_never(grain)


def parse_period(text: str, *, fiscal_year_start_month: int = 1) -> Period:
    """Read a period label (the forms in the module docstring), case-insensitive, spaces trimmed.

    ``parse_period(str(p), fiscal_year_start_month=...) == p`` for every period ``p``. The fiscal
    start month only matters for ``FY...`` labels. Raises :class:`PeriodError`, in English and
    Chinese, naming the text and the accepted forms.

    >>> p = parse_period(" 2025-w07 ")
    >>> p.grain, p.start.isoformat(), p.end.isoformat()
    (<Grain.WEEK: 'week'>, '2025-02-10', '2025-02-16')
    >>> str(parse_period("FY2025", fiscal_year_start_month=7).start)
    '2024-07-01'
    """
    _check_fiscal_month(fiscal_year_start_month)
    if not isinstance(text, str):
        raise _bad(repr(text), "not a string", "不是字符串")
    cleaned = text.strip().upper()
    for grain, pattern in _PATTERNS:
        found = pattern.fullmatch(cleaned)
        if found is None:
            continue
        try:
            return _from_match(grain, found.groups(), fiscal_year_start_month)
        except PeriodError as err:
            raise _bad(text, err.message, err.message_zh) from None
        except (ValueError, OverflowError):
            raise _bad(
                text,
                f"no such {grain.value}",
                f"不存在这样的{_GRAIN_ZH[grain]}",
            ) from None
    raise _bad(text)


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(
            f"unknown time zone {tz!r} (use an IANA name such as Asia/Shanghai or Europe/Berlin)",
            message_zh=f"未知的时区 {tz!r}（请使用 IANA 名称，例如 Asia/Shanghai、Europe/Berlin）",
        ) from None


def local_date(ts: datetime | date, tz: str | ZoneInfo) -> date:
    """The calendar day, in time zone ``tz``, on which the instant ``ts`` falls.

    Naive datetimes are read as UTC (the warehouse stores naive UTC); aware ones are converted. A
    plain date is taken to be local already and returned as it is. An unknown zone raises
    :class:`ConfigError`.

    >>> local_date(datetime(2025, 3, 31, 16, 30), "Asia/Shanghai")
    datetime.date(2025, 4, 1)
    """
    zone = _zone(tz)
    if not isinstance(ts, datetime):
        return ts
    if ts.utcoffset() is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(zone).date()


RELATIVE_PERIODS: tuple[str, ...] = (
    "this-month", "last-month", "this-quarter", "last-quarter", "this-year", "last-year")
"""The relative choices of a period picker (:meth:`Calendar.relative`)."""


@functools.lru_cache(maxsize=8192)
def _parsed(text: str, fiscal_year_start_month: int) -> Period:
    """:func:`parse_period`, remembered: pages read thousands of stored scores' labels, the
    same few dozen again and again (a period is never changed once made)."""
    return parse_period(text, fiscal_year_start_month=fiscal_year_start_month)


@dataclass(frozen=True)
class Calendar:
    """The organisation's calendar: its time zone and the month its fiscal year starts in.

    Every period it hands out is in local days; :meth:`utc_bounds` gives the instants to filter
    UTC timestamps with. Invalid settings raise :class:`ConfigError` at construction.

    >>> cal = Calendar(timezone="Asia/Shanghai", fiscal_year_start_month=4)
    >>> str(cal.period_of(datetime(2025, 3, 31, 16, 30), Grain.FISCAL_YEAR))
    'FY2026'
    """

    timezone: str = "UTC"
    fiscal_year_start_month: int = 1

    def __post_init__(self) -> None:
        _zone(self.timezone)
        try:
            _check_fiscal_month(self.fiscal_year_start_month)
        except PeriodError as err:
            raise ConfigError(err.message, message_zh=err.message_zh) from None

    @property
    def zone(self) -> ZoneInfo:
        """The time zone as a ZoneInfo (ZoneInfo caches instances, so this is cheap)."""
        return ZoneInfo(self.timezone)

    def local_date(self, ts: datetime | date) -> date:
        """The local day of an instant (naive = UTC); a date is returned as it is."""
        return local_date(ts, self.zone)

    def parse(self, text: str, today: date | None = None) -> Period:
        """:func:`parse_period` with this calendar's fiscal year; a relative word of
        :data:`RELATIVE_PERIODS` (``this-month``, ``last-quarter``, ...) names its period on
        local day ``today`` (default :meth:`today`), so that every command and call that takes
        a period takes those words too, and "this quarter" rolls over by itself.

        >>> str(Calendar().parse("Last-Quarter", today=date(2026, 12, 7)))
        '2026-Q3'
        """
        if isinstance(text, str) and text.strip().lower() in RELATIVE_PERIODS:
            return self.relative(text, self.today() if today is None else today)
        try:
            return _parsed(text, self.fiscal_year_start_month)
        except PeriodError as err:
            words = ", ".join(RELATIVE_PERIODS)
            raise PeriodError(f"{err.message}, or one of {words}",
                              message_zh=f"{err.message_zh}，或 {words}") from None

    def today(self) -> date:
        """Today's local date in this calendar's time zone (what relative words count from)."""
        return self.local_date(_utc_now())

    def period_of(self, ts: datetime | date, grain: Grain) -> Period:
        """The period of ``grain`` holding ``ts``; a datetime counts on its local date."""
        return period_of(self.local_date(ts), grain,
                         fiscal_year_start_month=self.fiscal_year_start_month)

    def periods_between(
        self, first: datetime | date, last: datetime | date, grain: Grain
    ) -> list[Period]:
        """:func:`periods_between` on local dates, with this calendar's fiscal year."""
        return periods_between(self.local_date(first), self.local_date(last), grain,
                               fiscal_year_start_month=self.fiscal_year_start_month)

    def split(self, period: Period, grain: Grain) -> list[Period]:
        """``period.split(grain)`` with this calendar's fiscal year for fiscal grains."""
        return period.split(grain, fiscal_year_start_month=self.fiscal_year_start_month)

    def relative(self, token: str, today: date) -> Period:
        """The period a picker's relative choice names on local day ``today``: ``this-month``,
        ``last-month``, ``this-quarter``, ``last-quarter``, ``this-year``, ``last-year``.
        Quarters and years are fiscal where the fiscal year does not start in January, so that
        "this quarter" rolls over by itself on the fiscal calendar. :class:`PeriodError` for any
        other token.

        >>> cal = Calendar(fiscal_year_start_month=4)
        >>> str(cal.relative("this-quarter", date(2026, 12, 4)))
        'FY2027-Q3'
        >>> str(Calendar().relative("last-month", date(2026, 1, 15)))
        '2025-12'
        """
        which, _, unit = token.strip().lower().partition("-")
        fiscal = self.fiscal_year_start_month != 1
        grains = {"month": Grain.MONTH,
                  "quarter": Grain.FISCAL_QUARTER if fiscal else Grain.QUARTER,
                  "year": Grain.FISCAL_YEAR if fiscal else Grain.YEAR}
        if which not in ("this", "last") or unit not in grains:
            raise _bad(token, f"choose one of {', '.join(RELATIVE_PERIODS)}",
                       f"请从 {', '.join(RELATIVE_PERIODS)} 中选择")
        period = period_of(today, grains[unit],
                           fiscal_year_start_month=self.fiscal_year_start_month)
        return period if which == "this" else period.previous()

    def utc_bounds(self, period: Period) -> tuple[datetime, datetime]:
        """Naive UTC instants ``[start, end)`` covering the local days of ``period``.

        ``start`` is the first instant of local ``period.start``, ``end`` the first instant of the
        day after ``period.end``, so the length follows daylight saving (a Berlin March is 743
        hours). Where a zone skips local midnight the day starts at the transition. Only where a
        zone turns the clock back across midnight (a handful of historical cases) does the repeated
        hour fall outside the bounds while :func:`local_date` gives the earlier day.
        """
        zone = self.zone
        return _utc_midnight(period.start, zone), _utc_midnight(_shift(period.end, 1), zone)


def _utc_now() -> datetime:
    """The clock, in one place (tests replace it to fix "today")."""
    return datetime.now(UTC)


def _utc_midnight(d: date, zone: ZoneInfo) -> datetime:
    # fold=0 on a skipped midnight takes the offset before the jump, i.e. the transition instant.
    local = datetime.combine(d, time(0), tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)

"""Local business days and UTC seconds: where the generator's events fall in time.

Every event is an ``int64`` count of UTC seconds since 1970-01-01 (the warehouse stores naive UTC).
Events that people schedule (deals created, calls, visits) fall on local business hours in the
organisation's time zone, so a Shanghai office works 09:00-18:00 Shanghai time, i.e. 01:00-10:00
UTC. Day ``0`` is the first local day of the window and day ``n_days`` the first day after it;
days before the window (an account book built over the previous years, deals already open when
the window starts) are negative, down to ``-PRE_DAYS``; days after it reach ``HORIZON_DAYS``
beyond (deals that close after the window).

>>> from datetime import date
>>> clock = Clock.build(date(2025, 1, 1), 31, "Asia/Shanghai")
>>> import numpy as np
>>> int(clock.at(np.array([0]), np.array([9 * 3600]))[0]) - clock.start_utc
32400
>>> clock.start_utc % 86400 // 3600  # local midnight is 16:00 UTC the day before
16
>>> int(clock.day_of(np.array([clock.start_utc - 1]))[0])
-1
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from salescore.demo.params import DAY_S, HOUR_S

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

PRE_DAYS = 6 * 366  # the account book reaches five years back, plus the warm-up
HORIZON_DAYS = 4_000  # deals may be scheduled to close up to ~11 years after the window
NEVER = np.iinfo(np.int64).max // 4  # "no such time" (a rep who never leaves)
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, eq=False)
class Clock:
    """The local days around the window and their UTC starts (arrays start at ``-PRE_DAYS``)."""

    start: date
    n_days: int
    timezone: str
    _day_start: I64  # UTC seconds of each local midnight
    _weekday: I64  # 0 = Monday
    _month: I64  # 1 .. 12
    _month_index: I64  # months since the window's first month (negative before)

    @classmethod
    def build(cls, start: date, n_days: int, timezone: str) -> Clock:
        """The clock of ``n_days`` local days from ``start`` in ``timezone``."""
        zone = zoneinfo.ZoneInfo(timezone)
        total = PRE_DAYS + n_days + HORIZON_DAYS + 1
        first = start - timedelta(days=PRE_DAYS)
        days = [first + timedelta(days=i) for i in range(total)]
        # the offset at local noon: a DST switch happens at night, never inside business hours
        offsets = np.array(
            [int(datetime(d.year, d.month, d.day, 12, tzinfo=zone).utcoffset()
                 .total_seconds())  # type: ignore[union-attr]
             for d in days], dtype=np.int64)
        epoch_days = np.arange(total, dtype=np.int64) + (first - _EPOCH).days
        month = np.array([d.month for d in days], dtype=np.int64)
        month_index = np.array([(d.year - start.year) * 12 + d.month - start.month for d in days],
                               dtype=np.int64)
        return cls(start, n_days, timezone, epoch_days * DAY_S - offsets, (epoch_days + 3) % 7,
                   month, month_index)

    @property
    def start_utc(self) -> int:
        return int(self._day_start[PRE_DAYS])

    @property
    def end_utc(self) -> int:
        """The first UTC second after the window (local midnight after its last day)."""
        return int(self._day_start[PRE_DAYS + self.n_days])

    @property
    def start_epoch_day(self) -> int:
        return (self.start - _EPOCH).days

    def at(self, day: I64, seconds: I64 | int) -> I64:
        """UTC seconds of local ``day`` at ``seconds`` after local midnight."""
        return self._day_start[day + PRE_DAYS] + seconds

    def day_of(self, t: I64) -> I64:
        """The local day of UTC seconds ``t`` (clipped to the clock's range)."""
        day = np.searchsorted(self._day_start, t, side="right") - 1
        return np.clip(day, 0, len(self._day_start) - 2).astype(np.int64) - PRE_DAYS

    def month(self, day: I64) -> I64:
        """Calendar month (1-12) of each day."""
        return self._month[day + PRE_DAYS]

    def month_index(self, day: I64) -> I64:
        """Months since the window's first month (0 = the first month) of each day."""
        return self._month_index[day + PRE_DAYS]

    def month_starts(self) -> I64:
        """The first day of every window month, then ``n_days``."""
        inside = self._month_index[PRE_DAYS: PRE_DAYS + self.n_days]
        months = int(inside[-1]) + 1
        return np.append(np.searchsorted(inside, np.arange(months)), self.n_days).astype(np.int64)

    def epoch_day(self, t: I64) -> I64:
        """The local calendar date of ``t`` as days since 1970-01-01 (Arrow's date32)."""
        return self.day_of(t) + self.start_epoch_day

    def business(self, t: I64, first_hour: int = 9, last_hour: int = 18) -> I64:
        """``t`` squeezed into the business hours of its local day.

        The whole local day maps linearly onto ``first_hour .. last_hour``, so the map is monotone
        (a stage history keeps its order) and spreads moments evenly instead of piling them up
        at opening or closing time.
        """
        day = self.day_of(t)
        start = self.at(day, 0)
        of_day = np.clip(t - start, 0, DAY_S - 1)
        span = (last_hour - first_hour) * HOUR_S
        return start + first_hour * HOUR_S + of_day * span // DAY_S

    def weights(self, by_month: tuple[float, ...], weekend: float) -> F64:
        """Cumulative day weights for :meth:`sample_days`, scaled so a year weighs about 365."""
        w = np.asarray(by_month, dtype=np.float64)[self._month - 1]
        w = np.where(self._weekday >= 5, w * weekend, w)
        w *= 365.0 / w[PRE_DAYS - 365: PRE_DAYS].sum()
        return np.concatenate([[0.0], np.cumsum(w)])

    def weight(self, cumulative: F64, lo: I64, hi: I64) -> F64:
        """Total weight of the days ``[lo, hi)`` (0 where ``hi <= lo``)."""
        return np.maximum(cumulative[hi + PRE_DAYS] - cumulative[np.minimum(lo, hi) + PRE_DAYS],
                          0.0)

    def sample_days(self, rng: np.random.Generator, cumulative: F64, lo: I64, hi: I64) -> I64:
        """One day per row in ``[lo, hi)`` drawn with the given day weights (needs hi > lo)."""
        a = cumulative[lo + PRE_DAYS]
        b = cumulative[hi + PRE_DAYS]
        u = a + rng.random(len(lo)) * (b - a)
        day = np.searchsorted(cumulative, u, side="right") - 1 - PRE_DAYS
        return np.clip(day, lo, hi - 1).astype(np.int64)

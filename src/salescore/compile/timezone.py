"""Local dates of UTC timestamps, portable to every backend.

The warehouse stores naive UTC; a row belongs to the period of its local date in the
organisation's time zone. Instead of a backend's own zone conversion (DuckDB needs ICU, Spark and
PostgreSQL spell it differently), the offsets of the zone over the days a query can touch are
worked out in Python and compiled into plain arithmetic: ``ts + offset`` for a fixed-offset zone
(UTC, Asia/Shanghai), or a ``CASE`` over the daylight-saving transitions in the range.

>>> from zoneinfo import ZoneInfo
>>> offsets(ZoneInfo("Asia/Shanghai"), date(2025, 1, 1), date(2025, 12, 31))
[(None, 28800)]
>>> [(str(t), o) for t, o in offsets(ZoneInfo("Europe/Berlin"), date(2025, 1, 1), date(2025, 6, 1))]
[('None', 3600), ('2025-03-30 01:00:00', 7200)]
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir


def _offset(zone: ZoneInfo, instant: datetime) -> int:
    off = instant.replace(tzinfo=UTC).astimezone(zone).utcoffset()
    assert off is not None
    return int(off.total_seconds())


def offsets(zone: ZoneInfo, first: date, last: date) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offsets (seconds) over ``first..last``: ``[(None, o0), (t1, o1), ...]``
    means offset ``o0`` before the naive-UTC instant ``t1``, ``o1`` from then on, and so on."""
    return list(_offsets(zone, first, last))


@lru_cache(maxsize=64)
def _offsets(zone: ZoneInfo, first: date, last: date) -> tuple[tuple[datetime | None, int], ...]:
    """:func:`offsets`, worked out once per zone and range (every source and input of a query
    asks for the same; a walk over the days of the data's range is not free)."""
    out: list[tuple[datetime | None, int]] = []
    day = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last, datetime.min.time()) + timedelta(days=1)
    current = _offset(zone, day)
    out.append((None, current))
    while day < end:
        nxt = day + timedelta(days=1)
        off = _offset(zone, nxt)
        if off != current:
            lo, hi = day, nxt  # the change happens in (lo, hi]
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    break
                if _offset(zone, mid) == current:
                    lo = mid
                else:
                    hi = mid
            out.append((hi, off))
            current = off
        day = nxt
    return tuple(out)


def _shift(ts: ir.TimestampValue, seconds: int) -> ir.DateValue:
    if seconds == 0:
        return ts.date()
    return (ts + ibis.interval(seconds=seconds)).date()


def local_day(ts: ir.TimestampValue, zone: ZoneInfo, first: date, last: date) -> ir.DateValue:
    """The local date of naive-UTC ``ts`` in ``zone``; exact for instants in ``first..last``
    (outside it the nearest edge's offset is used)."""
    segments = offsets(zone, first, last)
    if len(segments) == 1:
        return _shift(ts, segments[0][1])
    # Newest segment first: most rows a query reads are recent, and a CASE stops at the first
    # branch that holds (a NULL instant holds none and stays NULL).
    branches = []
    for since, off in reversed(segments[1:]):
        assert since is not None
        branches.append((ts >= ibis.literal(since, type="timestamp"), _shift(ts, off)))
    return ibis.cases(*branches, else_=_shift(ts, segments[0][1]))

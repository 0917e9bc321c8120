"""Whether a rule's condition holds for each subject: pure arithmetic on the values read.

>>> from datetime import date, datetime
>>> share = elapsed_share(date(2025, 3, 1), date(2025, 3, 31), datetime(2025, 3, 16, 12))
>>> round(share, 3)
0.5
>>> rule = Condition(kind="pace_below", value=0.7)
>>> [(r.subject, r.measure and round(r.measure, 2), r.holds) for r in
...  readings(rule, {"r1": 300.0, "r2": 900.0, "r3": 10.0}, targets={"r1": 1000.0,
...           "r2": 1000.0}, elapsed=share)]
[('r1', 0.6, True), ('r2', 1.8, False), ('r3', None, None)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import assert_never

from salescore.realtime.rules import Condition

__all__ = ["Reading", "elapsed_share", "readings"]


@dataclass(frozen=True, slots=True)
class Reading:
    """One subject's value, what the condition compares (the value, its share of target, its
    change, its pace), the threshold, and whether it holds (``None``: cannot tell, for want
    of a value, a target or a previous value; unknown is not a breach)."""

    subject: str
    value: float | None
    measure: float | None
    threshold: float
    holds: bool | None


def elapsed_share(start: date, end: date, now_local: datetime) -> float:
    """The share of the period from ``start`` to ``end`` (whole days) gone at ``now_local``
    (a naive local time), between 0 and 1."""
    begin = datetime.combine(start, datetime.min.time())
    finish = datetime.combine(end, datetime.min.time()) + timedelta(days=1)
    gone = (now_local.replace(tzinfo=None) - begin) / (finish - begin)
    return min(1.0, max(0.0, gone))


def readings(condition: Condition, values: Mapping[str, float | None], *,
             targets: Mapping[str, float | None] | None = None,
             previous: Mapping[str, float | None] | None = None,
             elapsed: float = 1.0) -> list[Reading]:
    """A reading per subject of ``values`` (in their order)."""
    out = []
    threshold = condition.value
    for subject, value in values.items():
        measure: float | None = None
        if value is not None:
            match condition.kind:
                case "below" | "above":
                    measure = value
                case "share_below":
                    target = (targets or {}).get(subject)
                    measure = value / target if target else None
                case "change_below" | "change_above":
                    before = (previous or {}).get(subject)
                    measure = (value - before) / abs(before) if before else None
                case "pace_below":
                    target = (targets or {}).get(subject)
                    needed = target * elapsed if target else None
                    measure = value / needed if needed else None
                case _:
                    assert_never(condition.kind)
        holds: bool | None = None
        if measure is not None:
            holds = measure > threshold if condition.kind in ("above", "change_above") \
                else measure < threshold
        out.append(Reading(subject, value, measure, threshold, holds))
    return out

"""Which version of a plan governs a period: the one in force on the period's first day.

A version adopted from a date governs every period that starts on or after that date, until a
later version takes over; a period that starts before the first version has no plan. So a past
period is always re-scored under the version that was in force then, whatever was adopted since.

>>> from datetime import date
>>> from salescore.core.periods import parse_period
>>> adopted = [(date(2025, 1, 1), "v1"), (date(2025, 4, 1), "v2")]
>>> [in_force(adopted, parse_period(p)) for p in ("2024-12", "2025-03", "2025-04", "2025-05")]
[None, 'v1', 'v2', 'v2']
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TypeVar

from salescore.core.periods import Period

__all__ = ["in_force"]

V = TypeVar("V")


def in_force(adopted: Iterable[tuple[date, V]], period: Period) -> V | None:
    """The version (from ``(effective_from, version)`` pairs) in force on ``period.start``.

    Raises ValueError if two versions take effect on the same day: which one holds is unclear.
    """
    best: tuple[date, V] | None = None
    clash = False
    for effective, version in adopted:
        if effective > period.start:
            continue
        if best is None or effective > best[0]:
            best, clash = (effective, version), False
        elif effective == best[0]:
            clash = True
    if clash and best is not None:
        raise ValueError(f"two plan versions take effect on {best[0].isoformat()}")
    return None if best is None else best[1]

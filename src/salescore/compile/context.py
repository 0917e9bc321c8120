"""What compiling needs to know besides the specs: buckets, time zone, teams, targets, rates.

Everything here is plain data gathered by the engine (or written by hand in a test); compiling
never connects. Small tables (the calendar, team membership, target periods, exchange rates) go
into the expression as named in-memory tables.

>>> from salescore.core.periods import Calendar, parse_period
>>> b = buckets_for(parse_period("2025-Q1"), Grain.MONTH, Calendar())
>>> [(x.index, x.label) for x in b.all]
[(-1, '2024-12'), (0, '2025-01'), (1, '2025-02'), (2, '2025-03')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from salescore.core.periods import Calendar, Grain, Period
from salescore.model.org import Pipeline

ALL = "all"


@dataclass(frozen=True, slots=True)
class Bucket:
    """One period a result has rows for; ``index`` counts from 0, the one before is -1."""

    index: int
    label: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class Buckets:
    """The periods of a result, in order and touching, and the one before the first.

    ``previous`` is what period-over-period KPIs compare the first bucket with; ``None`` for
    ``all`` history, which has nothing before it.
    """

    periods: tuple[Bucket, ...]
    previous: Bucket | None

    @property
    def all(self) -> tuple[Bucket, ...]:
        return ((self.previous,) if self.previous else ()) + self.periods

    @property
    def first_day(self) -> date:
        return self.all[0].start

    @property
    def last_day(self) -> date:
        return self.periods[-1].end


def buckets_for(period: Period, grain: Grain | None, calendar: Calendar, *,
                label: str | None = None) -> Buckets:
    """The buckets of ``period`` split by ``grain`` (whole periods of that grain, so the first and
    last may stick out of ``period``), or ``period`` itself as one bucket (labelled ``label``)."""
    pieces = calendar.split(period, grain) if grain is not None else [period]
    periods = tuple(Bucket(i, label if (label and grain is None) else str(p), p.start, p.end)
                    for i, p in enumerate(pieces))
    before = pieces[0].previous()
    return Buckets(periods, Bucket(-1, str(before), before.start, before.end))


def all_history(first: date, last: date, grain: Grain | None, calendar: Calendar) -> Buckets:
    """Buckets covering ``first..last``: one bucket labelled ``all``, or every ``grain`` period."""
    if grain is None:
        whole = Period(first, last, Grain.RANGE)
        return Buckets((Bucket(0, ALL, whole.start, whole.end),), None)
    pieces = calendar.periods_between(first, last, grain)
    periods = tuple(Bucket(i, str(p), p.start, p.end) for i, p in enumerate(pieces))
    before = pieces[0].previous()
    return Buckets(periods, Bucket(-1, str(before), before.start, before.end))


@dataclass(frozen=True, slots=True)
class FxRate:
    currency: str
    day: date
    rate: float


@dataclass(frozen=True, slots=True)
class RollupColumn:
    """A measure kept in roll-up ``table`` under ``column``; ``fingerprint`` says which
    measure (its whole definition, filters filled in), ``kind`` how it adds up (``count``,
    ``sum`` or ``avg``, kept as ``<column>__s`` and ``<column>__n``)."""

    fingerprint: str
    table: str
    column: str
    kind: str
    dimensions: tuple[str, ...]
    scoped: bool = False
    """Whether a scoped session may read it at grain rep or team, filtered by the reps in its
    reach: every row of a rep in reach is visible, and every reference the measure reads goes
    to rows visible with it (:func:`salescore.compile.rollups.scope_safe`)."""


@dataclass(frozen=True)
class CompileContext:
    """Everything besides the specs that a compiled KPI query depends on.

    ``membership`` pairs every rep with each team it counts for (its own and every ancestor).
    ``target_periods`` maps target period labels to their days. ``fx`` is ``None`` when every
    amount is in the reporting currency (no conversion is compiled); otherwise the known rates.
    ``zone_first``/``zone_last`` bound the days whose time zone offsets the query knows exactly.
    ``subjects`` keeps only those subject keys. ``stable_names`` names in-memory tables by their
    content (for SQL snapshots) instead of uniquely per compile. ``unconvertible``: the amounts
    (rows by currency, ``None`` for none) that no rate in ``fx`` converts, as the warehouse
    told.
    """

    calendar: Calendar
    buckets: Buckets
    pipeline: Pipeline = field(default_factory=Pipeline)
    currency: str = "CNY"
    membership: tuple[tuple[str, str], ...] = ()
    target_periods: tuple[tuple[str, date, date], ...] = ()
    fx: tuple[FxRate, ...] | None = None
    zone_first: date | None = None
    zone_last: date | None = None
    subjects: tuple[str, ...] | None = None
    stable_names: bool = False
    unconvertible: tuple[tuple[str | None, int], ...] = ()
    stored: frozenset[tuple[str, str]] = frozenset()
    """Computed columns (source, column) whose values are kept in the warehouse
    (:mod:`salescore.compile.derived`): read there instead of computed."""
    rollups: tuple[RollupColumn, ...] = ()
    """Measures kept in daily roll-ups (:mod:`salescore.compile.rollups`): answered from them
    where the grain allows it."""
    reach: tuple[str, ...] | None = None
    """The reps a scoped session reaches (``None``: every rep). Roll-up rows are kept per rep
    for the whole organisation: a scope reads only its reps' rows, and only the measures marked
    :attr:`RollupColumn.scoped`, at grain rep or team."""

    @property
    def zone_range(self) -> tuple[date, date]:
        first = min(self.zone_first or self.buckets.first_day, self.buckets.first_day)
        last = max(self.zone_last or self.buckets.last_day, self.buckets.last_day)
        return first - timedelta(days=2), last + timedelta(days=2)


def team_membership(teams: Sequence[tuple[str, str | None]],
                    reps: Sequence[tuple[str, str | None]]) -> tuple[tuple[str, str], ...]:
    """(rep_id, team_id) for each rep and every team it counts for: its own and all ancestors.

    ``teams`` are (team_id, parent_team_id); ``reps`` are (rep_id, team_id). A cycle in the team
    tree stops the walk instead of looping.

    >>> team_membership([("t1", "r"), ("t2", "r"), ("r", None)], [("a", "t1"), ("b", "t2")])
    (('a', 't1'), ('a', 'r'), ('b', 't2'), ('b', 'r'))
    """
    parent = dict(teams)
    out: list[tuple[str, str]] = []
    for rep_id, team_id in reps:
        seen: set[str] = set()
        current = team_id
        while current is not None and current not in seen:
            seen.add(current)
            out.append((rep_id, current))
            current = parent.get(current)
    return tuple(out)

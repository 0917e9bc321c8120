"""What scoring reads from the warehouse: who is scored, their KPI values, and the targets.

Fairness rules that live here, not in the arithmetic:

* **Who worked in a period.** A rep is scored for a period only if they were there: hired on or
  before its last day (or with no hire date), and still active, or, for a rep who has left, seen
  at work (an activity) on or after its first day. The reps table keeps no leaving date, so the
  last activity stands in for it: a leaver's activities pass to their successor from the day
  they leave.
* **No records is zero, not missing.** A count or a sum (an *additive* KPI) of a rep who worked in
  the period but has no records is 0. The KPI engine already returns such rows; the same rule is
  applied here to any member it did not return, so that a quiet rep can never escape a line by
  being absent from the result.
* **Not there is missing, not zero.** In the previous period (for ``team_median_previous`` and
  ``own_previous_plus`` targets) a rep who was not yet hired has no values at all, so that a new
  hire neither drags the team's median down nor gets a target of 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from salescore.compile.schema import unbound
from salescore.core.errors import PeriodError
from salescore.core.periods import Calendar, Grain, Period
from salescore.engine.kpis import KpiEngine, KpiRequest
from salescore.engine.runner import Runner
from salescore.scorecards.arithmetic import select_subjects
from salescore.semantic.catalog import Catalog
from salescore.semantic.plan import AppliesTo
from salescore.semantic.specs import SimpleKpi

__all__ = [
    "PeriodValues",
    "Roster",
    "WorkingPeriod",
    "additive_kpis",
    "complete_values",
    "kpi_values",
    "read_roster",
    "read_targets",
    "span_label",
]


def additive_kpis(catalog: Catalog, names: Iterable[str]) -> set[str]:
    """Those of ``names`` that are a count or a sum of records (0 for a subject with none).

    >>> from salescore.semantic.catalog import shipped_catalog
    >>> sorted(additive_kpis(shipped_catalog(), ["deals_won", "revenue_won", "win_rate"]))
    ['deals_won', 'revenue_won']
    """
    found: set[str] = set()
    for name in names:
        kpi = catalog.kpis.get(name)
        if isinstance(kpi, SimpleKpi) and kpi.per is None:
            measure = catalog.measures.get(kpi.measure)
            if measure is not None and measure.agg.is_additive:
                found.add(name)
    return found


@dataclass(frozen=True)
class WorkingPeriod:
    """When a rep may be scored: from ``hired`` (None: always) while ``active``, or, for a rep
    who left, up to ``last_seen`` (their last activity; None: never seen at work)."""

    hired: date | None
    active: bool
    last_seen: date | None

    def covers(self, period: Period) -> bool:
        """Whether the rep worked at some time in ``period``.

        >>> WorkingPeriod(date(2025, 3, 10), True, None).covers(Period(date(2025, 3, 1),
        ...     date(2025, 3, 31), "month"))
        True
        >>> WorkingPeriod(None, False, date(2025, 2, 27)).covers(Period(date(2025, 3, 1),
        ...     date(2025, 3, 31), "month"))
        False
        """
        if self.hired is not None and self.hired > period.end:
            return False
        if self.active:
            return True
        return self.last_seen is not None and self.last_seen >= period.start


@dataclass(frozen=True)
class Roster:
    """The reps (``rep_id, team_id, title, hire_date, active, last_seen``) and the team tree
    (``team_id, parent_team_id``), as read once for a scoring run."""

    reps: pd.DataFrame
    teams: pd.DataFrame

    @cached_property
    def _spans(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Ordinal days, so that every period's check is three vectorised comparisons.
        def days(column: str, missing: int) -> np.ndarray:
            values = pd.to_datetime(self.reps[column]).dt.date
            return np.array([missing if pd.isna(v) else v.toordinal() for v in values],
                            dtype=np.int64)

        active = self.reps["active"].fillna(False).astype(bool).to_numpy()
        return days("hire_date", date.min.toordinal()), days("last_seen", 0), active

    @cached_property
    def _index(self) -> dict[str, int]:
        return {rep: i for i, rep in reversed(list(enumerate(self.reps["rep_id"].astype(str))))}

    def working(self, period: Period) -> np.ndarray:
        """Per row of ``reps``: whether that rep worked in ``period``."""
        hired, seen, active = self._spans
        started = hired <= period.end.toordinal()
        stayed = seen >= period.start.toordinal()
        return np.asarray(started & (active | stayed), dtype=bool)

    @cached_property
    def _selected(self) -> dict[AppliesTo, tuple[pd.DataFrame, np.ndarray]]:
        return {}

    def members(self, applies_to: AppliesTo, period: Period) -> pd.DataFrame:
        """``rep_id, team_id`` of the reps ``applies_to`` selects among those who worked in
        ``period``, in the reps table's order."""
        if applies_to not in self._selected:
            chosen = select_subjects(applies_to, self.reps, self.teams)
            index = self._index
            rows = np.array([index[rep] for rep in chosen["rep_id"]], dtype=np.int64)
            self._selected[applies_to] = (chosen, rows)
        chosen, rows = self._selected[applies_to]
        keep = self.working(period)[rows]
        return chosen.loc[keep].reset_index(drop=True)

    def worked(self, rep_ids: Sequence[str], period: Period) -> list[str]:
        """Those of ``rep_ids`` who worked in ``period``, in the given order."""
        mask = self.working(period)
        index = self._index
        return [rep for rep in rep_ids if rep in index and bool(mask[index[rep]])]


def read_roster(runner: Runner, calendar: Calendar) -> Roster:
    """Read the reps, the team tree and, for reps who left, their last day seen at work (as far
    as ``runner``'s scope reaches)."""
    reps_table = unbound("reps")
    reps = runner.run(reps_table.select("rep_id", "team_id", "title", "hire_date",
                                        "active")).to_pandas()
    teams_table = unbound("teams")
    teams = runner.run(teams_table.select("team_id", "parent_team_id")).to_pandas()
    reps["rep_id"] = reps["rep_id"].astype(str)
    left = reps.loc[~reps["active"].fillna(False).astype(bool), "rep_id"].tolist()
    last_seen: dict[str, date] = {}
    if left:
        acts = unbound("activities")
        rows = runner.rows(acts.filter(acts.rep_id.isin(left)).group_by("rep_id")
                           .aggregate(last=acts.occurred_at.max()))
        for row in rows:
            when = row["last"]
            if isinstance(when, datetime):
                last_seen[str(row["rep_id"])] = calendar.local_date(
                    when.replace(tzinfo=None) if when.tzinfo is not None else when)
    reps["last_seen"] = reps["rep_id"].map(last_seen)
    return Roster(reps.reset_index(drop=True), teams)


def read_targets(runner: Runner, kpis: Iterable[str], calendar: Calendar
                 ) -> dict[str, pd.DataFrame]:
    """The targets table's rows (``scope, scope_id, period, kpi, value``) for ``kpis``, by
    canonical period label (``2025-q1`` is ``2025-Q1``); labels that are no period are left
    out."""
    table = unbound("targets")
    wanted = sorted(set(kpis))
    expr = table.filter(table.kpi.isin(wanted)).select("scope", "scope_id", "period", "kpi",
                                                       "value")
    frame = runner.run(expr).to_pandas()
    canonical: dict[str, str | None] = {}
    for label in frame["period"].astype(str).unique():
        try:
            canonical[label] = str(calendar.parse(label))
        except PeriodError:
            canonical[label] = None
    frame["period"] = frame["period"].astype(str).map(canonical)
    return {str(label): rows.reset_index(drop=True)
            for label, rows in frame.dropna(subset=["period"]).groupby("period", sort=False)}


def span_label(periods: Sequence[Period]) -> str:
    """The range of days from the first period's start to the last one's end.

    >>> from salescore.core.periods import parse_period
    >>> span_label([parse_period("2025-02"), parse_period("2025-05")])
    '2025-02-01..2025-05-31'
    """
    first = min(p.start for p in periods)
    last = max(p.end for p in periods)
    return f"{first.isoformat()}..{last.isoformat()}"


def kpi_values(engine: KpiEngine, kpis: Sequence[str], *, by: str, periods: Sequence[Period],
               grain: Grain, subjects: Sequence[str] | None = None) -> pa.Table:
    """One engine query: ``kpis`` per subject (``by``; only ``subjects`` when given) and period
    of ``grain``, over the days from the first of ``periods`` to the last."""
    request = KpiRequest.of(kpis, by=by, period=span_label(periods), grain=grain,
                            subjects=subjects)
    return engine.compute(request).table


class PeriodValues:
    """An engine result (``key``, ``period``, KPI columns) indexed once, to be cut into the rows
    of each period scored."""

    def __init__(self, values: pa.Table | pd.DataFrame, *, key: str, kpis: Sequence[str],
                 additive: set[str]) -> None:
        frame = values.to_pandas() if isinstance(values, pa.Table) else values.copy()
        self.key = key
        self.kpis = list(dict.fromkeys(kpis))
        self.additive = additive
        frame = frame.loc[:, [key, "period", *self.kpis]]
        frame[key] = frame[key].astype(str)
        frame["period"] = frame["period"].astype(str)
        for name in self.kpis:
            frame[name] = pd.to_numeric(frame[name], errors="raise").astype("float64")
        self._by_period = {
            str(label): rows.drop(columns="period").set_index(key)
            for label, rows in frame.groupby("period", sort=False)}
        self._by_period = {label: rows[~rows.index.duplicated()]
                           for label, rows in self._by_period.items()}
        self._empty = frame.iloc[:0].drop(columns="period").set_index(key)

    def rows(self, label: str, subjects: Sequence[str]) -> pd.DataFrame:
        """Exactly ``subjects``' rows of period ``label``: ``key``, ``period`` and the KPIs.

        A subject the engine returned no row for gets one; its additive KPIs are 0 (nothing
        happened), the others missing. A value the engine returned as unknown stays unknown
        (amounts that cannot be converted, or that are all unknown): never a silent 0.
        """
        frame = self._by_period.get(label, self._empty)
        out = frame.reindex(pd.Index(list(subjects), name=self.key, dtype=object))
        absent = ~out.index.isin(frame.index)
        for name in self.kpis:
            if name in self.additive:
                out.loc[absent, name] = 0.0
        out = out.reset_index()
        out.insert(1, "period", label)
        return out


def complete_values(values: pa.Table | pd.DataFrame, *, key: str, kpis: Sequence[str],
                    rows: Mapping[str, Sequence[str]], additive: set[str]) -> pd.DataFrame:
    """Exactly the rows ``{period label: subject ids}`` of ``values``: ``key``, ``period`` and
    the KPI columns as float64 (see :meth:`PeriodValues.rows`). Subjects not asked for are
    dropped.

    >>> values = pd.DataFrame({"rep_id": ["r1"], "period": ["2025-03"], "deals_won": [2],
    ...                        "win_rate": [0.5]})
    >>> complete_values(values, key="rep_id", kpis=["deals_won", "win_rate"],
    ...                 rows={"2025-03": ["r1", "r2"]}, additive={"deals_won"})
      rep_id   period  deals_won  win_rate
    0     r1  2025-03        2.0       0.5
    1     r2  2025-03        0.0       NaN
    """
    indexed = PeriodValues(values, key=key, kpis=kpis, additive=additive)
    parts = [indexed.rows(label, subjects) for label, subjects in rows.items()]
    return pd.concat(parts, ignore_index=True) if parts else indexed.rows("", [])

"""Scores on arrival (issue 14, part 2): the reps an accepted event touches are noted, and
:meth:`ScoresMixin.rescore_touched` scores again, for the open period of each adopted plan,
the plans that score them, keeping what changed as ``salescore score`` keeps it (the stored
rows, their versions, the records kept for explanations).

Events only note the reps (:meth:`ScoresMixin.touch`): re-scoring is coalesced, so that a
thousand events a second re-score a plan once every few seconds, not a thousand times. The
server runs :meth:`ScoresMixin.rescore_touched` every ``SALESCORE_RESCORE_SECONDS``
(:mod:`salescore.app.realtime_tasks`); ``salescore events send`` and a file import run it at
their end. It is the one place where stored scores change after events: what must follow a
change of the stored scores (a kept dashboard, a pushed page) hooks there.

The touched reps are held in memory, per open workspace: a server killed between an event
and the next re-scoring leaves those reps' stored scores as they were until their next event,
import or ``salescore score``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from salescore.model.tables import table

if TYPE_CHECKING:
    from salescore.workspace.session import Session, StoredScore
    from salescore.workspace.workspace import Workspace

__all__ = ["Rescored", "ScoresMixin", "Touched", "touched"]

EVERYONE_TABLES = frozenset({"teams", "fx_rates"})
"""Tables whose change may move any rep's score (the team tree, exchange rates)."""


class Touched:
    """The reps whose scores wait to be computed again (thread-safe: the event consumer and
    the requests add, the schedule takes), and whether an open period no one has scored yet
    is to be scored (events: yes; a file import keeps stored scores current, it does not
    start a period's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reps: set[str] = set()
        self._everyone = False
        self._new = False

    def add(self, reps: Iterable[str], *, new_periods: bool = True) -> None:
        given = set(reps)
        with self._lock:
            self._reps.update(given)
            self._new = self._new or (new_periods and bool(given))

    def add_everyone(self, *, new_periods: bool = True) -> None:
        with self._lock:
            self._everyone = True
            self._new = self._new or new_periods

    def pending(self) -> bool:
        return self._everyone or bool(self._reps)

    def take(self) -> tuple[bool, frozenset[str], bool]:
        """``(everyone, reps, new_periods)`` noted so far, and forget them."""
        with self._lock:
            out = self._everyone, frozenset(self._reps), self._new
            self._reps, self._everyone, self._new = set(), False, False
            return out

    def put_back(self, everyone: bool, reps: Iterable[str], new_periods: bool) -> None:
        """What :meth:`take` gave, when re-scoring failed: tried again next time."""
        with self._lock:
            self._reps.update(reps)
            self._everyone = self._everyone or everyone
            self._new = self._new or new_periods


_TOUCHED: weakref.WeakKeyDictionary[Workspace, Touched] = weakref.WeakKeyDictionary()
_TOUCHED_LOCK = threading.Lock()


def touched(workspace: Workspace) -> Touched:
    """The reps waiting to be re-scored in ``workspace`` (one set per open workspace, shared
    by all its sessions)."""
    with _TOUCHED_LOCK:
        found = _TOUCHED.get(workspace)
        if found is None:
            found = _TOUCHED[workspace] = Touched()
        return found


def _rep_columns(name: str) -> tuple[str, ...]:
    return tuple(c.name for c in table(name).columns
                 if c.references is not None and c.references.table == "reps")


@dataclass(frozen=True)
class Rescored:
    """What one re-scoring did: the reps asked for (``None``: everyone), and per plan and
    open period the stored rows inserted, updated and unchanged."""

    reps: frozenset[str] | None
    periods: tuple[tuple[str, str, int, int, int], ...] = ()  # plan, period, ins, upd, same

    @property
    def written(self) -> int:
        return sum(p[2] + p[3] for p in self.periods)


class ScoresMixin:
    """Scores on arrival (mixed into :class:`~salescore.workspace.realtime.Realtime`)."""

    session: Session

    def touch(self, rows_by_table: Mapping[str, list[Mapping[str, Any]]]) -> None:
        """Note the reps that the applied ``rows_by_table`` (canonical rows, by table) may
        move: each column referencing a rep; an opportunity's owner for the rows that hang on
        it (stage changes); a rep target's rep; everyone for a team's target and the tables of
        :data:`EVERYONE_TABLES`."""
        pending = touched(self.session.workspace)
        reps: set[str] = set()
        via: set[str] = set()
        for name, rows in rows_by_table.items():
            if not rows:
                continue
            owner = table(name).owner
            if name in EVERYONE_TABLES:
                pending.add_everyone()
                continue
            if name == "targets":
                for row in rows:
                    if row.get("scope") == "rep" and row.get("scope_id"):
                        reps.add(str(row["scope_id"]))
                    else:
                        pending.add_everyone()
                continue
            for column in _rep_columns(name):
                reps.update(str(row[column]) for row in rows if row.get(column))
            if owner is not None and owner.via == "opportunity_id":
                via.update(str(row["opportunity_id"]) for row in rows
                           if row.get("opportunity_id"))
        if via:
            from salescore.workspace.session import unbound

            expr = unbound("opportunities")
            expr = expr.filter(expr.opportunity_id.isin(sorted(via))).select("owner_rep_id")
            reps.update(str(r["owner_rep_id"]) for r in self.session.runner.rows(expr)
                        if r["owner_rep_id"])
        pending.add(reps)

    def rescore_touched(self, today: date | None = None) -> Rescored:
        """Score again the reps noted by :meth:`touch` since the last call, for the open
        period (the one holding ``today``, default the organisation's today) of each plan
        that scores them, and keep what changed
        (:meth:`~salescore.scorecards.Scorecards.rescore_open`). Nothing noted: nothing
        done. Needs the writable scope. The one place where events change stored scores."""
        self.session.scope.require_writes("storing scores", "保存评分")
        pending = touched(self.session.workspace)
        everyone, reps, new_periods = pending.take()
        if not everyone and not reps:
            return Rescored(frozenset())
        asked = None if everyone else reps
        day = today or self.session.workspace.settings.calendar.today()
        try:
            done = self.session.scorecards.rescore_open(asked, today=day,
                                                        new_periods=new_periods)
        except Exception:
            pending.put_back(everyone, reps, new_periods)
            raise
        return Rescored(asked, tuple(
            (r.plan, r.period, r.stored.inserted, r.stored.updated, r.stored.unchanged)
            for r in done if r.stored is not None))

    def live_scores(self, today: date | None = None) -> list[StoredScore]:
        """The stored scores of the open periods (those holding ``today``) that this session
        may see in full: a rep's own, a manager's subtree's reps and teams, everyone's for
        the everything scope; by plan, kind (teams first) and rank. What a page polls."""
        calendar = self.session.workspace.settings.calendar
        day = today or calendar.today()
        year = calendar.period_of(day, _year_grain(calendar))
        rows = [s for s in self.session.stored_scores(str(year)) if s.shown == "all"]
        reach = self.session.reach
        out = []
        for s in rows:
            period = calendar.parse(s.period)
            if not period.start <= day <= period.end:
                continue
            if s.subject_kind == "rep" and not reach.has_rep(s.subject_id):
                continue
            out.append(s)
        return sorted(out, key=lambda s: (s.plan, s.period, s.subject_kind != "team",
                                          s.rank_company is None, s.rank_company or 0,
                                          s.subject_id))


def _year_grain(calendar: Any) -> Any:
    from salescore.core.periods import Grain

    return Grain.FISCAL_YEAR if calendar.fiscal_year_start_month != 1 else Grain.YEAR

"""How each team uses the coaching loop in a period, against the period before.

Per team, counting its own members (the reps whose team it is now; a subteam is its own row)
and, for feedback given, the managers of that team:

* ``planned``: the 1:1s the cadences of its reps fall due in the period (a cadence every
  ``n`` days from ``starts_on`` is due on ``starts_on``, ``starts_on + n``, ...);
* ``held``: the check-ins with its reps held, by the day they were planned for;
* ``given`` / ``received``: feedback and praise (not private notes) written in the period, by
  its reps or managers / to its reps;
* ``actions_closed``: check-in action items of its reps marked done in the period.

Days are the organisation's local days. For the admin and the executive (the whole
organisation); the last row (``team_id`` ``None``) is every team together.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import TYPE_CHECKING

from salescore.appstore import coaching as store
from salescore.core.access import Principal
from salescore.core.periods import Period
from salescore.core.scope import AccessError

if TYPE_CHECKING:
    from salescore.workspace.coaching import Coaching

__all__ = ["Adoption", "AdoptionRow", "Figures", "planned_between"]


@dataclass(frozen=True, slots=True)
class Figures:
    planned: int = 0
    held: int = 0
    given: int = 0
    received: int = 0
    actions_closed: int = 0

    @property
    def held_rate(self) -> float | None:
        """Check-ins held per check-in planned (``None`` when none was planned)."""
        return self.held / self.planned if self.planned else None

    def minus(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True, slots=True)
class AdoptionRow:
    team_id: str | None
    name: str
    now: Figures
    before: Figures

    @property
    def change(self) -> Figures:
        return self.now.minus(self.before)


@dataclass(frozen=True, slots=True)
class Adoption:
    period: str
    previous: str
    rows: tuple[AdoptionRow, ...]


def planned_between(starts_on: date, every_days: int, first: date, last: date) -> int:
    """How many days ``starts_on + k × every_days`` (k ≥ 0) fall in ``[first, last]``.

    >>> planned_between(date(2025, 4, 7), 14, date(2025, 5, 1), date(2025, 5, 31))
    2
    >>> planned_between(date(2025, 6, 1), 7, date(2025, 5, 1), date(2025, 5, 31))
    0
    """
    if last < starts_on or last < first:
        return 0
    skip = max(0, -(-(first - starts_on).days // every_days))
    due = starts_on + timedelta(days=skip * every_days)
    return 0 if due > last else (last - due).days // every_days + 1


def adoption(c: Coaching, me: Principal, period: str) -> Adoption:
    """The adoption figures of every team in ``period`` and the period before (see the
    module's description). :class:`AccessError` for anyone but the admin and the
    executive."""
    c._who(me)
    if me.role not in ("admin", "executive") or not c.session.scope.is_everything:
        raise AccessError("adoption figures are the admin's and the executive's",
                          message_zh="采用情况仅供管理员与高管查看")
    calendar = c.session.workspace.settings.calendar
    now = calendar.parse(period)
    before = now.previous()
    teams = c.session.teams()
    team_of = {r["rep_id"]: r["team_id"] for r in c.session.reps()}
    with c.session.workspace._app.session() as db:
        manager_team = {name: team for name, _, role, _, team in store.people(db)
                        if role == "manager"}
        cadences = store.cadences_of(db)
        checkins = store.held_checkins(db)
        feedback = store.feedback_given(db)
        actions = store.closed_actions(db)

    def count(p: Period) -> dict[str | None, Figures]:
        out: dict[str | None, dict[str, int]] = {}

        def add(team: str | None, what: str, n: int = 1) -> None:
            if team is not None and n:
                out.setdefault(team, {})
                out[team][what] = out[team].get(what, 0) + n

        for cad in cadences:
            add(team_of.get(cad.rep_id), "planned",
                planned_between(cad.starts_on, cad.every_days, p.start, p.end))
        for ch in checkins:
            if p.contains(ch.scheduled_for):
                add(team_of.get(ch.rep_id), "held")
        for f in feedback:
            if p.contains(calendar.local_date(f.created_at)):
                author_team = team_of.get(f.author_rep_id) if f.author_rep_id else \
                    manager_team.get(f.author)
                add(author_team, "given")
                add(team_of.get(f.recipient_rep_id), "received")
        for a in actions:
            if a.done_at is not None and p.contains(calendar.local_date(a.done_at)):
                add(team_of.get(a.rep_id), "actions_closed")
        return {team: Figures(**kept) for team, kept in out.items()}

    figures_now, figures_before = count(now), count(before)
    rows = [AdoptionRow(t["team_id"], t["name"] or t["team_id"],
                        figures_now.get(t["team_id"], Figures()),
                        figures_before.get(t["team_id"], Figures())) for t in teams]
    ids = {t["team_id"] for t in teams}

    def total(by: dict[str | None, Figures]) -> Figures:
        kept = [f for team, f in by.items() if team in ids]
        return Figures(*(sum(getattr(f, x.name) for f in kept) for x in fields(Figures)))

    rows.append(AdoptionRow(None, "", total(figures_now), total(figures_before)))
    return Adoption(str(now), str(before), tuple(rows))

"""Kudos for assists, and the team wall of recent praise and assists.

A kudos thanks one rep (the helper) for helping another (the helped: the rep giving it, or a
rep a manager or an admin names) with a referral, a joint visit, shared knowledge or a
handover. It creates the ``assists`` row (``kudos-<random>``) that rewards the helper through
the plans' collaboration credits (``assist_points``, ``cross_team_assists``), through the
workspace's import as a file would (:meth:`Coaching._land`), with the points of
:data:`KUDOS_POINTS` on local noon of the day it names; or, given an ``assist_id`` already
in the warehouse (from the CRM), it confirms that row and adds nothing,
so that no assist is counted twice.

Who reads a kudos: its author; the reps of the helper's and of the helped rep's teams; and
everyone whose scope reaches either rep. The wall is those kudos and the praise public to the
team (``team``) the caller reads, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from salescore.appstore import coaching as store
from salescore.appstore.audit import record_audit
from salescore.core.access import Principal
from salescore.core.scope import AccessError

if TYPE_CHECKING:
    from salescore.workspace.coaching import Coaching, _Who

__all__ = ["KUDOS_POINTS", "KudosItem", "KudosWall", "WallItem"]

KUDOS_POINTS: dict[str, float] = {"referral": 3.0, "joint_visit": 2.0, "knowledge_share": 1.0,
                                  "handover": 1.0}
"""The collaboration points an assist made by a kudos carries, by kind."""
OLDEST_DAYS = 366


@dataclass(frozen=True, slots=True)
class KudosItem:
    id: int
    author: str
    helper_rep_id: str
    helped_rep_id: str
    kind: str
    opportunity_id: str | None
    body: str
    assist_id: str | None
    confirmed: bool
    points: float | None
    occurred_on: date
    created_at: Any


@dataclass(frozen=True, slots=True)
class WallItem:
    """One entry of the team wall: a ``kudos`` (helper, helped, assist kind and points) or
    team-wide ``praise`` (its recipient as ``rep_id``)."""

    kind: str
    id: int
    author: str
    rep_id: str
    body: str
    created_at: Any
    helped_rep_id: str | None = None
    assist_kind: str | None = None
    points: float | None = None
    assist_id: str | None = None


def _kudos(row: store.Kudos) -> KudosItem:
    return KudosItem(row.id, row.author, row.helper_rep_id, row.helped_rep_id, row.kind,
                     row.opportunity_id, row.body, row.assist_id, row.confirmed,
                     None if row.confirmed else KUDOS_POINTS[row.kind], row.occurred_on,
                     row.created_at)


class KudosWall:
    """The kudos part of ``session.coaching`` (see the module's description)."""

    def __init__(self, coaching: Coaching) -> None:
        self.c = coaching

    @property
    def _ws(self) -> Any:
        return self.c.session.workspace

    def give(self, me: Principal, helper_rep_id: str, kind: str, body: str, *,
             today: date, helped_rep_id: str | None = None,
             opportunity_id: str | None = None, assist_id: str | None = None,
             occurred_on: date | None = None) -> KudosItem:
        """Thank rep ``helper_rep_id`` for an assist of ``kind`` to ``helped_rep_id`` (a
        rep: themselves) on ``occurred_on`` (default ``today``, within the last year), on
        ``opportunity_id`` where given; create its ``assists`` row, or confirm
        ``assist_id``. Audited (``kudos.give``, without the text)."""
        from salescore.workspace.coaching import CoachingError, _not_found, _text

        who = self.c._who(me)
        if me.role == "rep":
            if helped_rep_id not in (None, me.rep_id):
                raise AccessError("a rep gives kudos for help they received",
                                  message_zh="销售只能为自己获得的协助致谢")
            helped = me.rep_id
        elif me.role in ("manager", "admin"):
            if not helped_rep_id:
                raise CoachingError("name the rep who was helped",
                                    message_zh="请填写被协助的销售")
            self.c.session.require_rep(helped_rep_id)
            helped = helped_rep_id
        else:
            raise AccessError("kudos are given by reps, managers and admins",
                              message_zh="致谢由销售、经理或管理员发出")
        assert helped is not None
        if kind not in store.ASSIST_KINDS:
            raise CoachingError(f"unknown assist kind {kind!r}; choose among "
                                f"{', '.join(store.ASSIST_KINDS)}",
                                message_zh=f"未知的协助类型 {kind!r}")
        if helper_rep_id == helped:
            raise CoachingError("kudos go to a colleague, not to oneself",
                                message_zh="致谢应给同事，而不是自己")
        whole = self._ws.owner()
        whole.require_rep(helper_rep_id)
        day = occurred_on or today
        if day > today or day < today - timedelta(days=OLDEST_DAYS):
            raise CoachingError("an assist is dated within the last year, not in the future",
                                message_zh="协助日期应在过去一年内，且不能晚于今天")
        text = _text(body, "the kudos", "致谢内容")
        if assist_id:
            found = self._assist(assist_id)
            if found is None or found["helper_rep_id"] != helper_rep_id or \
                    found["helped_rep_id"] != helped:
                raise _not_found("assist", "协助记录", assist_id)
            kind, opportunity_id = found["kind"], found["opportunity_id"]
            day = self._ws.settings.calendar.local_date(found["occurred_at"])
        elif opportunity_id:
            self.c._require_opportunity(who, helped, opportunity_id)
        if not assist_id:  # landed first: an assist refused leaves no kudos behind
            assist_id = f"kudos-{uuid4().hex[:16]}"
            self.c._land("assists", [{
                "assist_id": assist_id, "helper_rep_id": helper_rep_id,
                "helped_rep_id": helped, "opportunity_id": opportunity_id or None,
                "occurred_at": self.noon(day), "kind": kind,
                "points": KUDOS_POINTS[kind]}], actor=me.username)
            confirmed = False
        else:
            confirmed = True
        with self._ws._app.session() as db:
            row = store.Kudos(author=me.username, author_rep_id=me.rep_id,
                              helper_rep_id=helper_rep_id, helped_rep_id=helped,
                              helper_team_id=self.c._team_of(helper_rep_id),
                              helped_team_id=self.c._team_of(helped), kind=kind,
                              opportunity_id=opportunity_id or None, body=text,
                              assist_id=assist_id, confirmed=confirmed, occurred_on=day)
            db.add(row)
            db.flush()
            record_audit(db, actor=me.username, action="kudos.give", entity="kudos",
                         entity_id=row.id, after={
                             "helper_rep_id": helper_rep_id, "helped_rep_id": helped,
                             "kind": kind, "assist_id": row.assist_id,
                             "confirmed": row.confirmed})
            return _kudos(row)

    def noon(self, day: date) -> datetime:
        """Local noon of ``day`` as the naive UTC instant the warehouse keeps."""
        local = datetime.combine(day, time(12), tzinfo=self._ws.settings.calendar.zone)
        return local.astimezone(UTC).replace(tzinfo=None)

    def _assist(self, assist_id: str) -> dict[str, Any] | None:
        from salescore.workspace.session import unbound

        assists = unbound("assists")
        rows = self._ws.owner().runner.rows(assists.filter(assists.assist_id == assist_id))
        return rows[0] if rows else None

    def _sees(self, who: _Who, row: store.Kudos) -> bool:
        me = who.me
        if row.author == me.username:
            return True
        if me.role == "rep":
            return me.rep_id in (row.helper_rep_id, row.helped_rep_id) or bool(
                {row.helper_team_id, row.helped_team_id} & who.team_ids)
        reach = self.c.session.reach
        return reach.has_rep(row.helper_rep_id) or reach.has_rep(row.helped_rep_id)

    def recent(self, me: Principal, *, limit: int = 100) -> list[KudosItem]:
        """The kudos ``me`` reads, newest first."""
        who = self.c._who(me)
        with self._ws._app.session() as db:
            rows = store.recent_kudos(db, limit * 10)
            return [_kudos(r) for r in rows if self._sees(who, r)][:limit]

    def item(self, me: Principal, kudos_id: int) -> KudosItem:
        """One kudos, if ``me`` reads it; else :class:`OutOfScope`."""
        from salescore.workspace.coaching import _not_found

        who = self.c._who(me)
        with self._ws._app.session() as db:
            row = db.get(store.Kudos, kudos_id)
            if row is None or not self._sees(who, row):
                raise _not_found("kudos", "致谢", kudos_id)
            return _kudos(row)

    def wall(self, me: Principal, *, limit: int = 50) -> list[WallItem]:
        """The team wall ``me`` reads: kudos and team-wide praise, newest first."""
        out = [WallItem("kudos", k.id, k.author, k.helper_rep_id, k.body, k.created_at,
                        helped_rep_id=k.helped_rep_id, assist_kind=k.kind, points=k.points,
                        assist_id=k.assist_id) for k in self.recent(me, limit=limit)]
        out += [WallItem("praise", f.id, f.author, f.recipient_rep_id, f.body, f.created_at)
                for f in self.c.feedback(me, kinds=("praise",), limit=limit)
                if f.visibility == "team"]
        out.sort(key=lambda w: _aware(w.created_at), reverse=True)
        return out[:limit]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

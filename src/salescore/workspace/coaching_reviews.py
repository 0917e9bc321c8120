"""360 and peer review cycles: who reviews whom (self, peer, manager, upward) on collaboration
and communication, and where the answers go.

A cycle is about one period and one team's subtree (the whole organisation when none). Making
it lists the reviews to give: each rep with a user account reviews themselves (``self``) and
the other reps of their own team (``peer``); each manager whose team reaches a rep reviews them
(``manager``) and is reviewed by them (``upward``).

An answer (collaboration and communication, 1-5, and a comment) is kept in the app store and,
where both sides are reps of the warehouse and it is not a self review, lands as one
``peer_reviews`` row through the workspace's import (:meth:`Session.import_arrow`, the path a
file takes), so that ``peer_collaboration_score`` and every plan read it exactly as the same
row imported from a file. A self review stays out: a rep does not raise their own score. The
row is ``rc<cycle>-<answer>``, so answering again updates it. It is dated when it was given
when that falls in the cycle's period, else at noon (local) on the period's last day, so that a
review of last quarter given today counts in last quarter.

Who reads an answer: its reviewer (open or answered); once answered, the rep reviewed (an
upward review without the reviewer's name), the managers whose subtree holds that rep, and the
executive and the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from salescore.appstore import coaching as store
from salescore.appstore.audit import record_audit
from salescore.core.access import Principal
from salescore.core.scope import AccessError, Scope

if TYPE_CHECKING:
    from salescore.workspace.coaching import Coaching, _Who

__all__ = ["QUESTIONS", "CycleInfo", "ReviewItem", "ReviewSummary"]

QUESTIONS: dict[str, tuple[str, str]] = {
    "collaboration": (
        "Collaboration: how well do they work with colleagues (share, help, follow through)?",
        "协作：与同事合作得如何（分享、互助、说到做到）？"),
    "communication": (
        "Communication: how clear, timely and open is their communication?",
        "沟通：沟通是否清晰、及时、坦诚？"),
}
"""The questions of every cycle, answered 1 (poor) to 5 (excellent), in en and zh-CN."""


@dataclass(frozen=True, slots=True)
class CycleInfo:
    id: int
    name: str
    period: str
    team_id: str | None
    kinds: tuple[str, ...]
    status: str
    created_by: str
    created_at: Any
    reviews: int
    answered: int


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One review as the caller sees it; ``reviewer`` is ``None`` where it is not theirs to
    know (an upward review, read by the manager reviewed)."""

    id: int
    cycle_id: int
    period: str
    kind: str
    reviewer: str | None
    reviewee: str | None
    reviewee_rep_id: str | None
    collaboration: int | None
    communication: int | None
    comment: str | None
    answered_at: Any
    review_id: str | None
    mine: bool


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    """The answered reviews of one person in a cycle, by kind: how many, and the averages."""

    reviewee: str
    kind: str
    answered: int
    collaboration: float | None
    communication: float | None


def _cycle(row: store.ReviewCycle, total: int, answered: int) -> CycleInfo:
    return CycleInfo(row.id, row.name, row.period, row.team_id, tuple(row.kinds.split(",")),
                     row.status, row.created_by, row.created_at, total, answered)


class Reviews:
    """The review cycles part of ``session.coaching`` (see the module's description)."""

    def __init__(self, coaching: Coaching) -> None:
        self.c = coaching

    @property
    def _ws(self) -> Any:
        return self.c.session.workspace

    # -- cycles --------------------------------------------------------------------------
    def create_cycle(self, me: Principal, name: str, period: str, *,
                     team_id: str | None = None,
                     kinds: tuple[str, ...] = store.REVIEW_KINDS) -> CycleInfo:
        """Open a cycle about ``period`` over ``team_id``'s subtree (a manager: their own team
        by default; an admin: the whole organisation by default), listing the reviews of
        ``kinds`` to give. Audited (``review_cycle.create``)."""
        from salescore.workspace.coaching import CoachingError, _text

        self.c._who(me)
        if me.role == "manager":
            team_id = team_id or me.team_id
        elif me.role != "admin":
            raise AccessError("a review cycle is opened by a manager or an admin",
                              message_zh="评价周期由经理或管理员发起")
        if team_id is not None:
            self.c.session.require_team(team_id)
        bad = [k for k in kinds if k not in store.REVIEW_KINDS]
        if bad or not kinds:
            raise CoachingError(f"unknown review kinds {bad}; choose among "
                                f"{', '.join(store.REVIEW_KINDS)}",
                                message_zh=f"未知的评价类型 {bad}")
        title = _text(name, "the cycle's name", "周期名称")[:200]
        about = str(self._ws.settings.calendar.parse(period))
        pairs = self._pairs(team_id, kinds)
        with self._ws._app.session() as db:
            cycle = store.ReviewCycle(name=title, period=about, team_id=team_id,
                                      kinds=",".join(k for k in store.REVIEW_KINDS
                                                     if k in kinds),
                                      status="open", created_by=me.username)
            db.add(cycle)
            db.flush()
            for kind, reviewer, reviewer_rep, reviewee, reviewee_rep in pairs:
                db.add(store.ReviewAnswer(cycle_id=cycle.id, kind=kind, reviewer=reviewer,
                                          reviewer_rep_id=reviewer_rep, reviewee=reviewee,
                                          reviewee_rep_id=reviewee_rep))
            record_audit(db, actor=me.username, action="review_cycle.create",
                         entity="review_cycle", entity_id=cycle.id,
                         after={"period": about, "team_id": team_id, "kinds": cycle.kinds,
                                "reviews": len(pairs)})
            return _cycle(cycle, len(pairs), 0)

    def _pairs(self, team_id: str | None, kinds: tuple[str, ...]
               ) -> list[tuple[str, str, str | None, str | None, str | None]]:
        """(kind, reviewer, reviewer's rep id, reviewee, reviewee's rep id) of a new cycle."""
        scope = Scope.team(team_id) if team_id else Scope.everything()
        reps = self._ws.session(scope).reps(active=True)
        with self._ws._app.session() as db:
            people = store.people(db)
        user_of = {rep: name for name, _, role, rep, _ in people if role == "rep" and rep}
        managers = [(name, rep, team) for name, _, role, rep, team in people
                    if role == "manager" and team]
        reach = {team: self._ws.session(Scope.team(team)).reach for _, _, team in managers}
        out: list[tuple[str, str, str | None, str | None, str | None]] = []
        for r in reps:
            rep = r["rep_id"]
            mine = user_of.get(rep)
            if mine and "self" in kinds:
                out.append(("self", mine, rep, mine, rep))
            if mine and "peer" in kinds:
                out += [("peer", mine, rep, user_of.get(o["rep_id"]), o["rep_id"])
                        for o in reps if o["rep_id"] != rep and o["team_id"] == r["team_id"]
                        and r["team_id"] is not None]
            for m, m_rep, team in managers:
                if not reach[team].has_rep(rep) or m_rep == rep:
                    continue
                if "manager" in kinds:
                    out.append(("manager", m, m_rep, mine, rep))
                if mine and "upward" in kinds:
                    out.append(("upward", mine, rep, m, m_rep))
        return out

    def cycles(self, me: Principal) -> list[CycleInfo]:
        """The cycles ``me`` takes part in, opened, or whose team their scope reaches; newest
        first, with how many of their reviews are answered."""
        self.c._who(me)
        everything = self.c.session.scope.is_everything
        with self._ws._app.session() as db:
            rows = store.review_cycles(db)
            mine = store.cycles_reviewed_by(db, me.username)
            out = []
            for row in rows:
                if not (everything or row.id in mine or row.created_by == me.username or (
                        me.role == "manager" and row.team_id is not None and
                        self.c.session.reach.has_team(row.team_id))):
                    continue
                answers = store.answer_times(db, row.id)
                out.append(_cycle(row, len(answers), sum(a is not None for a in answers)))
            return out

    def close_cycle(self, me: Principal, cycle_id: int) -> CycleInfo:
        """Close cycle ``cycle_id`` (its opener, or an admin): no more answers. Audited."""
        from salescore.workspace.coaching import _not_found

        self.c._who(me)
        with self._ws._app.session() as db:
            row = db.get(store.ReviewCycle, cycle_id)
            if row is None or not (row.created_by == me.username or me.role == "admin"):
                raise _not_found("review cycle", "评价周期", cycle_id)
            row.status = "closed"
            record_audit(db, actor=me.username, action="review_cycle.close",
                         entity="review_cycle", entity_id=cycle_id, after={"status": "closed"})
        return next(c for c in self.cycles(me) if c.id == cycle_id)

    # -- answers -----------------------------------------------------------------------------
    def _sees(self, who: _Who, row: store.ReviewAnswer) -> bool:
        me = who.me
        if row.reviewer == me.username:
            return True
        if row.answered_at is None:
            return False
        if row.reviewee == me.username or (
                me.role == "rep" and row.reviewee_rep_id is not None and
                row.reviewee_rep_id == me.rep_id):
            return True
        if me.role == "rep":
            return False
        if self.c.session.scope.is_everything:
            return True
        return row.reviewee_rep_id is not None and self.c._manages(me, row.reviewee_rep_id)

    def _item(self, who: _Who, row: store.ReviewAnswer, period: str) -> ReviewItem:
        me = who.me
        hidden = row.kind == "upward" and row.reviewer != me.username and (
            row.reviewee == me.username)
        return ReviewItem(row.id, row.cycle_id, period, row.kind,
                          None if hidden else row.reviewer, row.reviewee, row.reviewee_rep_id,
                          row.collaboration, row.communication, row.comment, row.answered_at,
                          row.review_id, row.reviewer == me.username)

    def reviews(self, me: Principal, *, cycle_id: int | None = None,
                to_give: bool = False) -> list[ReviewItem]:
        """The reviews ``me`` may read (of ``cycle_id``; with ``to_give``, only theirs still
        to answer in open cycles), by cycle and id."""
        who = self.c._who(me)
        with self._ws._app.session() as db:
            about = None
            if not to_give and not self.c.session.scope.is_everything:
                about = (me.username, [me.rep_id] if me.role == "rep" and me.rep_id else
                         sorted(self.c.session.reach.reps or ()) if me.role == "manager"
                         else [])
            found = store.review_answers(db, cycle_id=cycle_id, about=about,
                                         to_give_by=me.username if to_give else None)
            return [self._item(who, a, c.period) for a, c in found
                    if self._sees(who, a)]

    def review(self, me: Principal, review: int) -> ReviewItem:
        """One review, if ``me`` may read it; else :class:`OutOfScope`."""
        from salescore.workspace.coaching import _not_found

        who = self.c._who(me)
        with self._ws._app.session() as db:
            row = db.get(store.ReviewAnswer, review)
            if row is None or not self._sees(who, row):
                raise _not_found("review", "评价", review)
            cycle = db.get(store.ReviewCycle, row.cycle_id)
            assert cycle is not None
            return self._item(who, row, cycle.period)

    def answer(self, me: Principal, review: int, collaboration: int, communication: int,
               comment: str = "", *, now: datetime | None = None) -> ReviewItem:
        """Answer review ``review`` (its reviewer, while its cycle is open): collaboration and
        communication 1-5 and a comment. Where it counts (see the module's description) it
        lands as a ``peer_reviews`` row through the import path. Audited, without the
        answer."""
        from salescore.workspace.coaching import MAX_TEXT, CoachingError, _not_found

        who = self.c._who(me)
        for value in (collaboration, communication):
            if not 1 <= value <= 5:
                raise CoachingError("an answer is 1 to 5", message_zh="评分为 1 至 5")
        text = comment.strip()[:MAX_TEXT] or None
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
        with self._ws._app.session() as db:
            row = db.get(store.ReviewAnswer, review)
            if row is None or row.reviewer != me.username:
                raise _not_found("review", "评价", review)
            cycle = db.get(store.ReviewCycle, row.cycle_id)
            assert cycle is not None
            if cycle.status != "open":
                raise CoachingError(f"the review cycle {cycle.name} is closed",
                                    message_zh=f"评价周期 {cycle.name} 已结束")
            lands = row.kind != "self" and bool(row.reviewer_rep_id and row.reviewee_rep_id)
            review_id = f"rc{cycle.id}-{row.id}" if lands else None
            landed = {"review_id": review_id, "reviewer_rep_id": row.reviewer_rep_id,
                      "reviewee_rep_id": row.reviewee_rep_id,
                      "reviewed_at": self._dated(cycle.period, moment),
                      "collaboration": collaboration, "communication": communication,
                      "comment": text}
        if lands:  # first, and outside the app store's transaction (SQLite has one writer)
            self.c._land("peer_reviews", [landed], actor=me.username)
        with self._ws._app.session() as db:
            row = db.get(store.ReviewAnswer, review)
            cycle = db.get(store.ReviewCycle, row.cycle_id) if row is not None else None
            assert row is not None and cycle is not None
            row.collaboration, row.communication, row.comment = collaboration, communication, \
                text
            row.answered_at = moment.replace(tzinfo=UTC)
            row.review_id = review_id
            record_audit(db, actor=me.username, action="review.answer", entity="review",
                         entity_id=row.id, after={"cycle_id": cycle.id, "kind": row.kind,
                                                  "review_id": review_id})
            return self._item(who, row, cycle.period)

    def _dated(self, period: str, moment: datetime) -> datetime:
        calendar = self._ws.settings.calendar
        start, end = calendar.utc_bounds(calendar.parse(period))
        return moment if start <= moment < end else end - timedelta(hours=12)

    def summary(self, me: Principal, cycle_id: int) -> list[ReviewSummary]:
        """The answered reviews of cycle ``cycle_id`` that ``me`` reads, per person reviewed
        and kind: how many and the average collaboration and communication."""
        groups: dict[tuple[str, str], list[ReviewItem]] = {}
        for item in self.reviews(me, cycle_id=cycle_id):
            if item.answered_at is not None:
                key = (item.reviewee_rep_id or item.reviewee or "?", item.kind)
                groups.setdefault(key, []).append(item)
        out = []
        for (who, kind), items in sorted(groups.items()):
            collab = [i.collaboration for i in items if i.collaboration is not None]
            comm = [i.communication for i in items if i.communication is not None]
            out.append(ReviewSummary(who, kind, len(items),
                                     sum(collab) / len(collab) if collab else None,
                                     sum(comm) / len(comm) if comm else None))
        return out

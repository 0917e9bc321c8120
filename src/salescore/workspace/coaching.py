"""The coaching loop as one person sees it: feedback and praise, requests for feedback, private
notes, and 1:1 check-ins with their talking points, pulse and action items.

``session.coaching`` is reached through a :class:`~salescore.workspace.Session`; every method
takes the person acting (``me``, a :class:`~salescore.core.access.Principal` whose scope is the
session's) because a coaching record's audience is people, not a scope:

* feedback and praise marked ``private``: its author, the rep it is for, and the managers whose
  team subtree holds that rep;
* ``team`` (public to the team): those too, the reps of the recipient's team, and everyone whose
  scope reaches the recipient (an executive, an admin);
* a ``note``: its author alone (nobody else, not even an admin);
* a request for feedback: the one who asked and the one asked;
* a check-in and its actions: its manager and its rep; each side's private note: that side.

A record outside the caller's audience is told as one that does not exist
(:class:`OutOfScope`, 404 in the app). Every write is audited without its text (the audit log
is an admin's to read, a note is not).

>>> import tempfile
>>> from salescore.core.access import Principal
>>> from salescore.core.scope import Scope
>>> from salescore.workspace import Workspace
>>> with tempfile.TemporaryDirectory() as d, Workspace.init(d) as ws:
...     admin = Principal(1, "ada", "Ada", "en", "admin")
...     ws.session(admin.scope()).coaching.feedback(admin)
[]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from salescore.appstore import coaching as store
from salescore.appstore.audit import record_audit
from salescore.appstore.timestamps import utcnow
from salescore.core.access import Principal
from salescore.core.errors import SalescoreError
from salescore.core.scope import AccessError, OutOfScope, Scope

if TYPE_CHECKING:
    from salescore.workspace.coaching_adoption import Adoption
    from salescore.workspace.coaching_kudos import KudosWall
    from salescore.workspace.coaching_reviews import Reviews
    from salescore.workspace.session import Session

__all__ = ["ActionItem", "CheckInInfo", "Coaching", "CoachingError", "FeedbackItem",
           "Flags", "RequestItem", "TalkingPoint"]

MAX_TEXT = 4000
WEAKEST_LINES = 3
AT_RISK_DEALS = 3


class CoachingError(SalescoreError):
    """A coaching write that cannot be made as asked (an empty text, a pulse out of 1-5)."""


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    id: int
    kind: str
    visibility: str
    author: str
    recipient_rep_id: str
    body: str
    kpi: str | None
    plan: str | None
    period: str | None
    opportunity_id: str | None
    created_at: Any
    request_id: int | None = None


@dataclass(frozen=True, slots=True)
class RequestItem:
    id: int
    requester: str
    rep_id: str
    asked: str
    question: str
    kpi: str | None
    status: str
    created_at: Any


@dataclass(frozen=True, slots=True)
class TalkingPoint:
    """One shared talking point: ``line`` (a weak score line: kpi, plan, period, attainment),
    ``deal`` (an at-risk deal: record, why, days) or ``topic`` (free text)."""

    kind: str
    text: str = ""
    kpi: str | None = None
    plan: str | None = None
    period: str | None = None
    attainment: float | None = None
    record_id: str | None = None
    why: str | None = None
    days: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}

    @classmethod
    def of(cls, raw: dict[str, Any]) -> TalkingPoint:
        return cls(**{k: raw[k] for k in cls.__slots__ if k in raw})

    @property
    def key(self) -> str:
        """What names the point in a form (stable while the point is the same)."""
        return f"{self.kind}:{self.kpi or self.record_id or self.text}"


@dataclass(frozen=True, slots=True)
class ActionItem:
    id: int
    checkin_id: int
    manager: str
    rep_id: str
    owner: str
    text: str
    due: date | None
    created_by: str
    done_at: Any
    done_by: str | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class CheckInInfo:
    """A check-in as one side sees it: the other side's private note is never in it."""

    id: int
    manager: str
    rep_id: str
    scheduled_for: date
    status: str
    held_at: Any
    points: tuple[TalkingPoint, ...]
    pulse: int | None
    pulse_comment: str | None
    my_note: str | None
    actions: tuple[ActionItem, ...] = ()
    overdue: bool = False
    side: str = "rep"


@dataclass(frozen=True, slots=True)
class Flags:
    """What is overdue for a person: check-ins past their day (or due by the cadence and not
    planned) and open actions past their due day."""

    checkins: tuple[tuple[str, str, date], ...] = ()  # manager, rep, since
    actions: tuple[ActionItem, ...] = ()
    open_requests: int = 0

    @property
    def any(self) -> bool:
        return bool(self.checkins or self.actions)


@dataclass
class _Who:
    me: Principal
    team_ids: frozenset[str] = field(default_factory=frozenset)


def _feedback(row: store.Feedback) -> FeedbackItem:
    return FeedbackItem(row.id, row.kind, row.visibility, row.author, row.recipient_rep_id,
                        row.body, row.kpi, row.plan, row.period, row.opportunity_id,
                        row.created_at, row.request_id)


def _request(row: store.FeedbackRequest) -> RequestItem:
    return RequestItem(row.id, row.requester, row.rep_id, row.asked, row.question, row.kpi,
                       row.status, row.created_at)


def _text(value: str, what: str, what_zh: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise CoachingError(f"{what} is empty", message_zh=f"{what_zh}不能为空")
    if len(cleaned) > MAX_TEXT:
        raise CoachingError(f"{what} is longer than {MAX_TEXT} characters",
                            message_zh=f"{what_zh}超过 {MAX_TEXT} 个字符")
    return cleaned


def _not_found(what: str, what_zh: str, ident: object) -> OutOfScope:
    return OutOfScope(f"there is no {what} {ident} for you",
                      message_zh=f"没有可供您查看的{what_zh} {ident}")


class Coaching:
    """The coaching loop within ``session``'s scope (see the module's description)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- who is asking --------------------------------------------------------------------
    def _who(self, me: Principal) -> _Who:
        if me.scope() != self.session.scope:
            raise AccessError(f"{me.username} acts outside their own session",
                              message_zh=f"{me.username} 不能在他人的会话中操作")
        teams = frozenset(self.session.reach.teams or ()) if me.role == "rep" else frozenset()
        return _Who(me, teams)

    def _team_of(self, rep_id: str) -> str | None:
        from salescore.workspace.session import unbound

        reps = unbound("reps")
        whole = self.session.workspace.session(Scope.everything())
        rows = whole.runner.rows(reps.filter(reps.rep_id == rep_id).select("team_id"))
        return rows[0]["team_id"] if rows else None

    def _teammates(self, who: _Who) -> list[str]:
        """The reps of a rep's own team (whose team-wide praise they read)."""
        out: list[str] = []
        for team in sorted(who.team_ids):
            out += [r["rep_id"] for r in self.session.workspace.session(
                Scope.team(team)).reps(team_id=team)]
        return out

    def _manages(self, me: Principal, rep_id: str) -> bool:
        return me.role == "manager" and self.session.reach.has_rep(rep_id)

    def _sees(self, who: _Who, row: store.Feedback) -> bool:
        me = who.me
        if row.author == me.username:
            return True
        if row.kind == "note":
            return False
        if me.role == "rep" and me.rep_id == row.recipient_rep_id:
            return True
        if self._manages(me, row.recipient_rep_id):
            return True
        if row.visibility != "team":
            return False
        if me.role == "rep":
            return row.recipient_team_id is not None and row.recipient_team_id in who.team_ids
        return self.session.reach.has_rep(row.recipient_rep_id)

    def _land(self, table: str, rows: list[dict[str, Any]], *, actor: str) -> None:
        """Write ``rows`` into canonical ``table`` through the workspace's import, as a file
        of them would be (the owner's session: recorded, audited as ``import.run``, checked,
        upserted by key, roll-ups kept); all or nothing. Times are naive UTC."""
        import pyarrow as pa

        from salescore.ingest import ImportOptions

        result = self.session.workspace.owner().import_arrow(
            table, pa.Table.from_pylist(rows), actor=actor, name=f"coaching:{table}",
            options=ImportOptions(strict=True, strict_refs=True, timezone="UTC"))
        if not result.loaded or result.rejected:
            why = "; ".join(f"{r['column']}: {r['reason']}" for r in result.reasons()) or \
                result.status
            why_zh = "；".join(f"{r['column']}：{r['reason_zh']}" for r in result.reasons()) \
                or result.status
            raise CoachingError(f"the {table} row was not accepted ({why})",
                                message_zh=f"{table} 记录未被接受（{why_zh}）")

    # -- review cycles, kudos and adoption (workspace/coaching_*.py) ------------------------
    @cached_property
    def reviews(self) -> Reviews:
        """360 and peer review cycles (:mod:`salescore.workspace.coaching_reviews`)."""
        from salescore.workspace.coaching_reviews import Reviews

        return Reviews(self)

    @cached_property
    def kudos(self) -> KudosWall:
        """Kudos for assists and the team wall (:mod:`salescore.workspace.coaching_kudos`)."""
        from salescore.workspace.coaching_kudos import KudosWall

        return KudosWall(self)

    def adoption(self, me: Principal, period: str) -> Adoption:
        """How each team uses the coaching loop in ``period`` against the one before (the
        admin's and the executive's; :mod:`salescore.workspace.coaching_adoption`)."""
        from salescore.workspace.coaching_adoption import adoption

        return adoption(self, me, period)

    def _may_address(self, who: _Who, rep_id: str) -> None:
        """Raise unless ``me`` may give feedback to ``rep_id``: a rep to the reps of their
        team, anyone else to the reps their scope reaches."""
        me = who.me
        if me.role == "rep":
            if rep_id == me.rep_id:
                raise CoachingError("feedback goes to a colleague, not to oneself",
                                    message_zh="反馈应给同事，而不是自己")
            if rep_id not in self._teammates(who):
                raise _not_found("colleague", "同事", rep_id)
        else:
            self.session.require_rep(rep_id)

    # -- feedback, praise and notes --------------------------------------------------------
    def give(self, me: Principal, rep_id: str, body: str, *, kind: str = "feedback",
             visibility: str = "private", kpi: str | None = None, plan: str | None = None,
             period: str | None = None, opportunity_id: str | None = None,
             request_id: int | None = None) -> FeedbackItem:
        """Give feedback or praise to rep ``rep_id`` (``private``: to them and their managers;
        ``team``: to their team), or write a private ``note`` on them (a manager's, read by
        its author alone); tied to a score line (``kpi``, ``plan``, ``period``), a KPI or an
        opportunity where given. Audited (``feedback.give``, without the text)."""
        who = self._who(me)
        if kind not in store.FEEDBACK_KINDS:
            raise CoachingError(f"unknown kind {kind!r}", message_zh=f"未知类型 {kind!r}")
        if kind == "note":
            if me.role == "rep":
                raise AccessError("private notes on a rep are a manager's",
                                  message_zh="对销售的私人笔记仅限经理")
            visibility = "author"
        elif visibility not in ("private", "team"):
            raise CoachingError(f"unknown audience {visibility!r}",
                                message_zh=f"未知可见范围 {visibility!r}")
        self._may_address(who, rep_id)
        if kpi is not None and kpi not in self.session.catalog.kpis:
            raise CoachingError(f"there is no KPI {kpi}", message_zh=f"没有指标 {kpi}")
        if opportunity_id:
            self._require_opportunity(who, rep_id, opportunity_id)
        text = _text(body, "the feedback", "反馈内容")
        request = None
        with self.session.workspace._app.session() as db:
            if request_id is not None:
                request = db.get(store.FeedbackRequest, request_id)
                if request is None or request.asked != me.username or \
                        request.rep_id != rep_id:
                    raise _not_found("request", "反馈请求", request_id)
                request.status = "answered"
            row = store.Feedback(kind=kind, visibility=visibility, author=me.username,
                                 author_rep_id=me.rep_id, recipient_rep_id=rep_id,
                                 recipient_team_id=self._team_of(rep_id), body=text,
                                 kpi=kpi or None, plan=plan or None, period=period or None,
                                 opportunity_id=opportunity_id or None, request_id=request_id)
            db.add(row)
            db.flush()
            record_audit(db, actor=me.username, action=f"{kind}.give", entity="feedback",
                         entity_id=row.id, after={
                             "kind": kind, "visibility": visibility, "rep_id": rep_id,
                             "kpi": kpi, "period": period, "opportunity_id": opportunity_id})
            return _feedback(row)

    def _require_opportunity(self, who: _Who, rep_id: str, opportunity_id: str) -> None:
        from salescore.workspace.session import unbound

        opps = unbound("opportunities")
        rep_session = self.session.workspace.session(Scope.rep(rep_id))
        found = rep_session.runner.rows(opps.filter(
            opps.opportunity_id == opportunity_id).select("opportunity_id"))
        if not found:
            raise _not_found("opportunity", "商机", opportunity_id)

    def feedback(self, me: Principal, *, rep_id: str | None = None, kpi: str | None = None,
                 period: str | None = None, kinds: tuple[str, ...] = store.FEEDBACK_KINDS,
                 limit: int = 200) -> list[FeedbackItem]:
        """The feedback, praise and notes ``me`` may read (about ``rep_id``, tied to ``kpi``
        in ``period``, where given), newest first."""
        who = self._who(me)
        if rep_id is not None and not (me.role == "rep" and rep_id in self._teammates(who)):
            self.session.require_rep(rep_id)
        with self.session.workspace._app.session() as db:
            if rep_id is not None:
                rows = store.feedback_about(db, rep_id, kpi=kpi, period=period)
                if me.role != "rep":  # a manager's own notes on the rep
                    rows += list(store.feedback_rows(db, rep_ids=[rep_id],
                                                            author=me.username,
                                                            kinds=("note",)))
            elif self.session.scope.is_everything:
                rows = store.feedback_rows(db, kinds=kinds, limit=limit * 4)
            else:
                reach = sorted(self.session.reach.reps or ())
                if me.role == "rep":
                    reach = sorted(set(reach) | set(self._teammates(who)))
                rows = store.feedback_rows(db, rep_ids=reach, kinds=kinds, limit=limit * 4)
                rows += store.feedback_rows(db, author=me.username, kinds=kinds, limit=limit)
            seen: dict[int, FeedbackItem] = {}
            for row in rows:
                if row.id not in seen and row.kind in kinds and self._sees(who, row):
                    seen[row.id] = _feedback(row)
        out = sorted(seen.values(), key=lambda f: f.id, reverse=True)
        return out[:limit]

    def feedback_item(self, me: Principal, feedback_id: int) -> FeedbackItem:
        """One feedback, praise or note, if ``me`` may read it; else :class:`OutOfScope`."""
        who = self._who(me)
        with self.session.workspace._app.session() as db:
            row = db.get(store.Feedback, feedback_id)
            if row is None or not self._sees(who, row):
                raise _not_found("feedback", "反馈", feedback_id)
            return _feedback(row)

    def ask(self, me: Principal, asked: str, question: str, *, kpi: str | None = None
            ) -> RequestItem:
        """Ask user ``asked`` for feedback on oneself (a rep's request). Audited."""
        self._who(me)
        if me.role != "rep" or me.rep_id is None:
            raise AccessError("feedback is asked for by a rep, about themselves",
                              message_zh="仅销售可为自己请求反馈")
        text = _text(question, "the question", "问题")
        with self.session.workspace._app.session() as db:
            if asked == me.username or asked not in {p[0] for p in store.people(db)}:
                raise _not_found("colleague", "同事", asked)
            row = store.FeedbackRequest(requester=me.username, rep_id=me.rep_id, asked=asked,
                                        question=text, kpi=kpi or None, status="open")
            db.add(row)
            db.flush()
            record_audit(db, actor=me.username, action="feedback_request.create",
                         entity="feedback_request", entity_id=row.id,
                         after={"asked": asked, "kpi": kpi})
            return _request(row)

    def requests(self, me: Principal) -> list[RequestItem]:
        """The requests for feedback ``me`` made or was asked."""
        self._who(me)
        with self.session.workspace._app.session() as db:
            return [_request(r) for r in store.requests_of(db, me.username)]

    def colleagues(self, me: Principal) -> list[tuple[str, str]]:
        """Whom ``me`` may ask for feedback: (username, name) of the other active users who
        manage them or are reps of their team."""
        who = self._who(me)
        if me.role != "rep":
            return []
        mates = set(self._teammates(who))
        team = next(iter(sorted(who.team_ids)), None)
        with self.session.workspace._app.session() as db:
            everyone = store.people(db)
        out = []
        for username, name, role, rep_id, team_id in everyone:
            if username == me.username:
                continue
            if (role == "rep" and rep_id in mates) or (
                    role == "manager" and team_id is not None and team is not None and
                    self.session.workspace.session(Scope.team(team_id)).reach.has_team(team)):
                out.append((username, name))
        return out

    # -- 1:1 check-ins ---------------------------------------------------------------------
    def _pair(self, me: Principal, rep_id: str) -> None:
        if me.role != "manager":
            raise AccessError("1:1 check-ins are planned by a manager",
                              message_zh="一对一面谈由经理安排")
        self.session.require_rep(rep_id)

    def set_cadence(self, me: Principal, rep_id: str, every_days: int, *,
                    starts_on: date) -> int:
        """Meet rep ``rep_id`` every ``every_days`` days from ``starts_on``; audited."""
        self._who(me)
        self._pair(me, rep_id)
        if not 1 <= every_days <= 365:
            raise CoachingError("a cadence is 1 to 365 days", message_zh="面谈周期为 1 至 365 天")
        with self.session.workspace._app.session() as db:
            row = store.cadence_for(db, me.username, rep_id)
            before = None if row is None else {"every_days": row.every_days,
                                               "starts_on": row.starts_on}
            if row is None:
                row = store.Cadence(manager=me.username, rep_id=rep_id)
                db.add(row)
            row.every_days, row.starts_on, row.active = every_days, starts_on, True
            db.flush()
            record_audit(db, actor=me.username, action="cadence.set", entity="checkin_cadence",
                         entity_id=row.id, before=before,
                         after={"rep_id": rep_id, "every_days": every_days,
                                "starts_on": starts_on})
            return row.id

    def suggested_points(self, rep_id: str, today: date) -> list[TalkingPoint]:
        """The talking points a 1:1 with ``rep_id`` starts from: their weakest score lines in
        their latest scored period, and their at-risk deals (stuck, or with no recent
        activity). (Open recommendations join them once the app keeps any.)"""
        points: list[TalkingPoint] = []
        history = [s for s in self.session.rep_score_history(rep_id) if s.status == "ok"]
        if history:
            calendar = self.session.workspace.settings.calendar
            latest = max(history, key=lambda s: (calendar.parse(s.period).start, s.plan))
            lines = [ln for ln in latest.lines() if ln.get("attainment") is not None]
            for line in sorted(lines, key=lambda ln: float(ln["attainment"]))[:WEAKEST_LINES]:
                points.append(TalkingPoint("line", kpi=line["kpi"], plan=latest.plan,
                                           period=latest.period,
                                           attainment=float(line["attainment"])))
        found = self.session.needs_action(today, rep_id=rep_id, limit=AT_RISK_DEALS)
        for item in (*found.stuck, *found.no_activity):
            if len([p for p in points if p.kind == "deal"]) >= AT_RISK_DEALS:
                break
            if any(p.record_id == item.record_id for p in points):
                continue
            points.append(TalkingPoint("deal", record_id=item.record_id, why=item.kind,
                                       days=item.days, text=item.customer_name or ""))
        return points

    def prepare(self, me: Principal, rep_id: str, scheduled_for: date, *, today: date
                ) -> CheckInInfo:
        """Plan a 1:1 with ``rep_id`` on ``scheduled_for``, its talking points pre-filled
        (:meth:`suggested_points`); audited (``checkin.create``)."""
        self._who(me)
        self._pair(me, rep_id)
        points = self.suggested_points(rep_id, today)
        with self.session.workspace._app.session() as db:
            row = store.CheckIn(manager=me.username, rep_id=rep_id, scheduled_for=scheduled_for,
                                status="planned",
                                talking_points={"points": [p.as_dict() for p in points]})
            db.add(row)
            db.flush()
            record_audit(db, actor=me.username, action="checkin.create", entity="checkin",
                         entity_id=row.id, after={"rep_id": rep_id,
                                                  "scheduled_for": scheduled_for,
                                                  "points": len(points)})
            ident = row.id
        return self.checkin(me, ident, today=today)

    def _own(self, me: Principal, row: store.CheckIn | None, ident: int) -> str:
        """The side ``me`` is on in check-in ``row`` (``manager`` or ``rep``); else not found."""
        if row is not None and row.manager == me.username and me.role == "manager":
            return "manager"
        if row is not None and me.role == "rep" and row.rep_id == me.rep_id:
            return "rep"
        raise _not_found("check-in", "一对一面谈", ident)

    def _action(self, row: store.CheckInAction, today: date) -> ActionItem:
        return ActionItem(row.id, row.checkin_id, row.manager, row.rep_id, row.owner, row.text,
                          row.due, row.created_by, row.done_at, row.done_by,
                          overdue=row.done_at is None and row.due is not None and row.due < today)

    def _info(self, db: Any, row: store.CheckIn, side: str, today: date) -> CheckInInfo:
        # Raised here, or carried over from an earlier one of the pair until done (and shown
        # once more as done in the first check-in after that).
        actions = [a for a in store.actions_of(db, manager=row.manager, rep_id=row.rep_id)
                   if a.checkin_id == row.id or (a.checkin_id < row.id and (
                       a.done_at is None or a.done_at >= row.created_at))]
        return CheckInInfo(
            id=row.id, manager=row.manager, rep_id=row.rep_id, scheduled_for=row.scheduled_for,
            status=row.status, held_at=row.held_at,
            points=tuple(TalkingPoint.of(p) for p in (row.talking_points or {}).get(
                "points", [])),
            pulse=row.pulse, pulse_comment=row.pulse_comment,
            my_note=row.manager_note if side == "manager" else row.rep_note,
            actions=tuple(self._action(a, today) for a in actions),
            overdue=row.status == "planned" and row.scheduled_for < today, side=side)

    def checkin(self, me: Principal, checkin_id: int, *, today: date) -> CheckInInfo:
        """Check-in ``checkin_id`` as ``me`` sees it (its manager or its rep alone), with the
        pair's actions raised in it or carried over (still open) from before."""
        self._who(me)
        with self.session.workspace._app.session() as db:
            row = db.get(store.CheckIn, checkin_id)
            side = self._own(me, row, checkin_id)
            assert row is not None
            return self._info(db, row, side, today)

    def checkins(self, me: Principal, *, today: date, limit: int = 100) -> list[CheckInInfo]:
        """``me``'s check-ins (a manager's with their reps, a rep's with their managers),
        latest first."""
        self._who(me)
        with self.session.workspace._app.session() as db:
            if me.role == "manager":
                rows = store.checkins_of(db, manager=me.username, limit=limit)
                side = "manager"
            elif me.role == "rep" and me.rep_id is not None:
                rows = store.checkins_of(db, rep_id=me.rep_id, limit=limit)
                side = "rep"
            else:
                return []
            return [self._info(db, r, side, today) for r in rows]

    def _update(self, me: Principal, checkin_id: int, action: str,
                change: Any, *, sides: tuple[str, ...] = ("manager", "rep")) -> None:
        self._who(me)
        with self.session.workspace._app.session() as db:
            row = db.get(store.CheckIn, checkin_id)
            side = self._own(me, row, checkin_id)
            assert row is not None
            if side not in sides:
                raise AccessError(f"the {side} of a check-in may not do this",
                                  message_zh="面谈的这一方不能执行此操作")
            after = change(row, side, db)
            record_audit(db, actor=me.username, action=f"checkin.{action}", entity="checkin",
                         entity_id=checkin_id, after=after)

    def set_points(self, me: Principal, checkin_id: int, keep: list[str],
                   add: str | None = None) -> None:
        """Keep the talking points named by ``keep`` (:attr:`TalkingPoint.key`) and add a
        topic ``add``; either side may. Audited."""
        def change(row: store.CheckIn, side: str, db: Any) -> dict[str, Any]:
            points = [TalkingPoint.of(p) for p in (row.talking_points or {}).get("points", [])]
            kept = [p for p in points if p.key in keep]
            if add and add.strip():
                kept.append(TalkingPoint("topic", text=_text(add, "the topic", "议题")))
            row.talking_points = {"points": [p.as_dict() for p in kept]}
            return {"points": len(kept)}

        self._update(me, checkin_id, "points", change)

    def pulse(self, me: Principal, checkin_id: int, pulse: int, comment: str = "") -> None:
        """The rep's pulse on the period (1-5) and a comment; the rep's alone. Audited."""
        if not 1 <= pulse <= 5:
            raise CoachingError("the pulse is 1 to 5", message_zh="状态评分为 1 至 5")

        def change(row: store.CheckIn, side: str, db: Any) -> dict[str, Any]:
            row.pulse, row.pulse_comment = pulse, comment.strip()[:MAX_TEXT] or None
            return {"pulse": pulse}

        self._update(me, checkin_id, "pulse", change, sides=("rep",))

    def note(self, me: Principal, checkin_id: int, text: str) -> None:
        """``me``'s private note on the check-in (read by that side alone). Audited, without
        the text."""
        def change(row: store.CheckIn, side: str, db: Any) -> dict[str, Any]:
            value = text.strip()[:MAX_TEXT] or None
            if side == "manager":
                row.manager_note = value
            else:
                row.rep_note = value
            return {"side": side}

        self._update(me, checkin_id, "note", change)

    def hold(self, me: Principal, checkin_id: int) -> None:
        """Mark the check-in held (its manager). Audited."""
        def change(row: store.CheckIn, side: str, db: Any) -> dict[str, Any]:
            row.status, row.held_at = "held", utcnow()
            return {"status": "held"}

        self._update(me, checkin_id, "hold", change, sides=("manager",))

    def add_action(self, me: Principal, checkin_id: int, text: str, *, owner: str = "rep",
                   due: date | None = None, today: date) -> ActionItem:
        """An action item raised in the check-in (either side), owned by ``rep`` or
        ``manager``. Audited."""
        if owner not in ("rep", "manager"):
            raise CoachingError(f"an action is the rep's or the manager's, not {owner!r}",
                                message_zh="行动项的负责人应为销售或经理")
        body = _text(text, "the action", "行动项")
        made: list[store.CheckInAction] = []

        def change(row: store.CheckIn, side: str, db: Any) -> dict[str, Any]:
            action = store.CheckInAction(checkin_id=row.id, manager=row.manager,
                                         rep_id=row.rep_id, owner=owner, text=body, due=due,
                                         created_by=me.username)
            db.add(action)
            db.flush()
            made.append(action)
            return {"action_id": action.id, "owner": owner, "due": due}

        self._update(me, checkin_id, "action", change)
        return self._action(made[0], today)

    def close_action(self, me: Principal, action_id: int, *, today: date) -> ActionItem:
        """Mark action ``action_id`` done (either side of its pair). Audited."""
        self._who(me)
        with self.session.workspace._app.session() as db:
            row = db.get(store.CheckInAction, action_id)
            mine = row is not None and (
                (me.role == "manager" and row.manager == me.username) or
                (me.role == "rep" and row.rep_id == me.rep_id))
            if not mine:
                raise _not_found("action", "行动项", action_id)
            assert row is not None
            if row.done_at is None:
                row.done_at, row.done_by = utcnow(), me.username
                record_audit(db, actor=me.username, action="checkin_action.close",
                             entity="checkin_action", entity_id=action_id,
                             after={"done_by": me.username})
            return self._action(row, today)

    def flags(self, me: Principal, today: date) -> Flags:
        """What is overdue for ``me`` (see :class:`Flags`)."""
        self._who(me)
        if me.role == "manager":
            pair: dict[str, Any] = {"manager": me.username}
        elif me.role == "rep" and me.rep_id is not None:
            pair = {"rep_id": me.rep_id}
        else:
            return Flags()
        late: list[tuple[str, str, date]] = []
        with self.session.workspace._app.session() as db:
            rows = store.checkins_of(db, **pair, limit=1000)
            for r in rows:
                if r.status == "planned" and r.scheduled_for < today:
                    late.append((r.manager, r.rep_id, r.scheduled_for))
            for cadence in store.cadences_of(db, **pair):
                mine = [r for r in rows if r.manager == cadence.manager and
                        r.rep_id == cadence.rep_id and r.status != "cancelled"]
                if any(r.status == "planned" for r in mine):
                    continue  # planned: flagged above once its day is past
                held = [r.scheduled_for for r in mine if r.status == "held"]
                due = max(held) + timedelta(days=cadence.every_days) if held \
                    else cadence.starts_on
                if due < today:
                    late.append((cadence.manager, cadence.rep_id, due))
            actions = [self._action(a, today) for a in store.actions_of(db, **pair,
                                                                          open_only=True)]
            asked = sum(1 for r in store.requests_of(db, me.username)
                        if r.asked == me.username and r.status == "open")
        return Flags(tuple(sorted(late)), tuple(a for a in actions if a.overdue), asked)

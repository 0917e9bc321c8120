"""The coaching loop: feedback, praise and private notes, requests for feedback, and 1:1
check-ins with their cadence, talking points, pulse, notes and action items.

Who reads what is the workspace's rule (:mod:`salescore.workspace.coaching`): a record outside
the caller's audience is 404, as one that does not exist. No answer here is kept in the app's
cache: unlike the other reads, what comes back depends on the person, not only on their scope.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from salescore.app.deps import PrincipalDep, SessionDep, StateDep
from salescore.app.pagination import CursorQuery, LimitQuery, paginate
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.schemas import Page
from salescore.workspace.coaching import (
    ActionItem,
    CheckInInfo,
    FeedbackItem,
    Flags,
    RequestItem,
)
from salescore.workspace.coaching_reviews import QUESTIONS, CycleInfo

router = APIRouter(tags=["coaching"], responses=PROBLEM_RESPONSES)

Text = Annotated[str, Field(min_length=1, max_length=4000)]
Id = Annotated[str, Field(min_length=1, max_length=64)]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeedbackOut(_Out):
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
    request_id: int | None
    created_at: datetime


class FeedbackIn(_In):
    rep_id: Id
    body: Text
    kind: Literal["feedback", "praise", "note"] = "feedback"
    visibility: Literal["private", "team"] = Field(
        "private", description="private: the rep and their managers; team: the rep's team. "
        "A note is its author's alone, whatever is given here")
    kpi: Id | None = None
    plan: Id | None = None
    period: Annotated[str, Field(max_length=40)] | None = None
    opportunity_id: Id | None = None
    request_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


class RequestOut(_Out):
    id: int
    requester: str
    rep_id: str
    asked: str
    question: str
    kpi: str | None
    status: str
    created_at: datetime


class RequestIn(_In):
    asked: Id = Field(description="The username of the one asked")
    question: Text
    kpi: Id | None = None


class PointOut(_Out):
    kind: str
    key: str
    text: str
    kpi: str | None
    plan: str | None
    period: str | None
    attainment: float | None
    record_id: str | None
    why: str | None
    days: int | None


class ActionOut(_Out):
    id: int
    checkin_id: int
    manager: str
    rep_id: str
    owner: str
    text: str
    due: date | None
    created_by: str
    done_at: datetime | None
    done_by: str | None
    overdue: bool


class CheckInOut(_Out):
    id: int
    manager: str
    rep_id: str
    scheduled_for: date
    status: str
    held_at: datetime | None
    points: list[PointOut]
    pulse: int | None
    pulse_comment: str | None
    my_note: str | None = Field(description="The caller's own private note (never the other "
                                "side's)")
    actions: list[ActionOut]
    overdue: bool
    side: str


class CheckInIn(_In):
    rep_id: Id
    scheduled_for: date


class CadenceIn(_In):
    rep_id: Id
    every_days: Annotated[int, Field(ge=1, le=365)]
    starts_on: date


class PointsIn(_In):
    keep: list[Annotated[str, Field(max_length=200)]] = Field(
        description="The keys of the points to keep")
    add: Annotated[str, Field(max_length=4000)] | None = None


class PulseIn(_In):
    pulse: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=4000)] = ""


class NoteIn(_In):
    text: Annotated[str, Field(max_length=4000)]


class ActionIn(_In):
    text: Text
    owner: Literal["rep", "manager"] = "rep"
    due: date | None = None


class FlagsOut(_Out):
    overdue_checkins: list[dict[str, str]]
    overdue_actions: list[ActionOut]
    open_requests: int


def _feedback(item: FeedbackItem) -> FeedbackOut:
    return FeedbackOut.model_validate(item)


def _checkin(info: CheckInInfo) -> CheckInOut:
    return CheckInOut(
        id=info.id, manager=info.manager, rep_id=info.rep_id,
        scheduled_for=info.scheduled_for, status=info.status, held_at=info.held_at,
        points=[PointOut(kind=p.kind, key=p.key, text=p.text, kpi=p.kpi, plan=p.plan,
                         period=p.period, attainment=p.attainment, record_id=p.record_id,
                         why=p.why, days=p.days) for p in info.points],
        pulse=info.pulse, pulse_comment=info.pulse_comment, my_note=info.my_note,
        actions=[_action(a) for a in info.actions], overdue=info.overdue, side=info.side)


def _action(item: ActionItem) -> ActionOut:
    return ActionOut.model_validate(item)


def _flags(flags: Flags) -> FlagsOut:
    return FlagsOut(
        overdue_checkins=[{"manager": m, "rep_id": r, "since": d.isoformat()}
                          for m, r, d in flags.checkins],
        overdue_actions=[_action(a) for a in flags.actions], open_requests=flags.open_requests)


# -- feedback ---------------------------------------------------------------------------------

@router.get("/feedback", response_model=Page[FeedbackOut], summary="Feedback the caller reads")
def list_feedback(session: SessionDep, me: PrincipalDep,
                  rep_id: Annotated[str | None, Query(max_length=64)] = None,
                  kpi: Annotated[str | None, Query(max_length=64)] = None,
                  period: Annotated[str | None, Query(max_length=40)] = None,
                  kind: Annotated[str | None, Query(pattern=r"^(feedback|praise|note)$")] = None,
                  limit: LimitQuery = 100, cursor: CursorQuery = None) -> Page[FeedbackOut]:
    kinds = (kind,) if kind else ("feedback", "praise", "note")
    rows = session.coaching.feedback(me, rep_id=rep_id, kpi=kpi, period=period, kinds=kinds,
                                     limit=1000)
    items, next_cursor = paginate(rows, limit=limit, cursor=cursor, list_name="feedback")
    return Page[FeedbackOut](items=[_feedback(f) for f in items], next_cursor=next_cursor)


@router.post("/feedback", response_model=FeedbackOut, status_code=201,
             summary="Give feedback or praise, or write a private note (audited)")
def give_feedback(session: SessionDep, me: PrincipalDep, body: FeedbackIn) -> FeedbackOut:
    return _feedback(session.coaching.give(
        me, body.rep_id, body.body, kind=body.kind, visibility=body.visibility, kpi=body.kpi,
        plan=body.plan, period=body.period, opportunity_id=body.opportunity_id,
        request_id=body.request_id))


@router.get("/feedback/{feedback_id}", response_model=FeedbackOut, summary="One feedback")
def one_feedback(session: SessionDep, me: PrincipalDep, feedback_id: RowId) -> FeedbackOut:
    return _feedback(session.coaching.feedback_item(me, feedback_id))


@router.get("/feedback-requests", response_model=list[RequestOut],
            summary="Requests for feedback the caller made or was asked")
def list_requests(session: SessionDep, me: PrincipalDep) -> list[RequestOut]:
    return [RequestOut.model_validate(r) for r in session.coaching.requests(me)]


@router.post("/feedback-requests", response_model=RequestOut, status_code=201,
             summary="Ask a colleague for feedback (audited)")
def ask_feedback(session: SessionDep, me: PrincipalDep, body: RequestIn) -> RequestOut:
    item: RequestItem = session.coaching.ask(me, body.asked, body.question, kpi=body.kpi)
    return RequestOut.model_validate(item)


# -- check-ins --------------------------------------------------------------------------------

@router.get("/checkins", response_model=list[CheckInOut], summary="The caller's 1:1 check-ins")
def list_checkins(session: SessionDep, me: PrincipalDep, state: StateDep) -> list[CheckInOut]:
    return [_checkin(c) for c in session.coaching.checkins(me, today=state.today())]


@router.post("/checkins", response_model=CheckInOut, status_code=201,
             summary="Prepare a 1:1 with a rep, its talking points pre-filled (audited)")
def prepare_checkin(session: SessionDep, me: PrincipalDep, state: StateDep, body: CheckInIn
                    ) -> CheckInOut:
    return _checkin(session.coaching.prepare(me, body.rep_id, body.scheduled_for,
                                             today=state.today()))


@router.put("/checkins/cadence", summary="Set how often a manager meets a rep (audited)")
def set_cadence(session: SessionDep, me: PrincipalDep, body: CadenceIn) -> dict[str, int]:
    return {"id": session.coaching.set_cadence(me, body.rep_id, body.every_days,
                                               starts_on=body.starts_on)}


@router.get("/checkins/flags", response_model=FlagsOut,
            summary="What is overdue for the caller")
def flags(session: SessionDep, me: PrincipalDep, state: StateDep) -> FlagsOut:
    return _flags(session.coaching.flags(me, state.today()))


@router.get("/checkins/{checkin_id}", response_model=CheckInOut, summary="One check-in")
def one_checkin(session: SessionDep, me: PrincipalDep, state: StateDep, checkin_id: RowId
                ) -> CheckInOut:
    return _checkin(session.coaching.checkin(me, checkin_id, today=state.today()))


@router.put("/checkins/{checkin_id}/points", response_model=CheckInOut,
            summary="Keep and add talking points (audited)")
def set_points(session: SessionDep, me: PrincipalDep, state: StateDep, checkin_id: RowId,
               body: PointsIn) -> CheckInOut:
    session.coaching.set_points(me, checkin_id, list(body.keep), body.add)
    return _checkin(session.coaching.checkin(me, checkin_id, today=state.today()))


@router.put("/checkins/{checkin_id}/pulse", response_model=CheckInOut,
            summary="The rep's pulse, 1-5, and comment (audited)")
def set_pulse(session: SessionDep, me: PrincipalDep, state: StateDep, checkin_id: RowId,
              body: PulseIn) -> CheckInOut:
    session.coaching.pulse(me, checkin_id, body.pulse, body.comment)
    return _checkin(session.coaching.checkin(me, checkin_id, today=state.today()))


@router.put("/checkins/{checkin_id}/note", response_model=CheckInOut,
            summary="The caller's private note on the check-in (audited without its text)")
def set_note(session: SessionDep, me: PrincipalDep, state: StateDep, checkin_id: RowId,
             body: NoteIn) -> CheckInOut:
    session.coaching.note(me, checkin_id, body.text)
    return _checkin(session.coaching.checkin(me, checkin_id, today=state.today()))


@router.post("/checkins/{checkin_id}/held", response_model=CheckInOut,
             summary="Mark the check-in held (its manager; audited)")
def hold(session: SessionDep, me: PrincipalDep, state: StateDep, checkin_id: RowId
         ) -> CheckInOut:
    session.coaching.hold(me, checkin_id)
    return _checkin(session.coaching.checkin(me, checkin_id, today=state.today()))


@router.post("/checkins/{checkin_id}/actions", response_model=ActionOut, status_code=201,
             summary="Add an action item (audited)")
def add_action(session: SessionDep, me: PrincipalDep, state: StateDep, checkin_id: RowId,
               body: ActionIn) -> ActionOut:
    return _action(session.coaching.add_action(me, checkin_id, body.text, owner=body.owner,
                                                due=body.due, today=state.today()))


@router.post("/checkin-actions/{action_id}/done", response_model=ActionOut,
             summary="Mark an action item done (audited)")
def close_action(session: SessionDep, me: PrincipalDep, state: StateDep, action_id: RowId
                 ) -> ActionOut:
    return _action(session.coaching.close_action(me, action_id, today=state.today()))


# -- 360 review cycles ------------------------------------------------------------------------

class CycleIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    period: Annotated[str, Field(min_length=1, max_length=40)]
    team_id: Id | None = Field(None, description="A manager's own team by default; an "
                               "admin's whole organisation")
    kinds: list[Literal["self", "peer", "manager", "upward"]] | None = Field(
        None, min_length=1, description="Default: all four")


class CycleOut(_Out):
    id: int
    name: str
    period: str
    team_id: str | None
    kinds: list[str]
    status: str
    created_by: str
    created_at: datetime
    reviews: int
    answered: int


class ReviewOut(_Out):
    id: int
    cycle_id: int
    period: str
    kind: str
    reviewer: str | None = Field(description="None where it is not the caller's to know (an "
                                 "upward review, read by the manager reviewed)")
    reviewee: str | None
    reviewee_rep_id: str | None
    collaboration: int | None
    communication: int | None
    comment: str | None
    answered_at: datetime | None
    review_id: str | None = Field(description="The peer_reviews row it landed as, if any")
    mine: bool


class AnswerIn(_In):
    collaboration: Annotated[int, Field(ge=1, le=5)]
    communication: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=4000)] = ""


class QuestionOut(_Out):
    key: str
    en: str
    zh: str


def _cycle_out(info: CycleInfo) -> CycleOut:
    return CycleOut(id=info.id, name=info.name, period=info.period, team_id=info.team_id,
                    kinds=list(info.kinds), status=info.status, created_by=info.created_by,
                    created_at=info.created_at, reviews=info.reviews, answered=info.answered)


@router.get("/review-cycles", response_model=list[CycleOut],
            summary="The review cycles the caller takes part in or oversees")
def list_cycles(session: SessionDep, me: PrincipalDep) -> list[CycleOut]:
    return [_cycle_out(c) for c in session.coaching.reviews.cycles(me)]


@router.post("/review-cycles", response_model=CycleOut, status_code=201,
             summary="Open a 360 review cycle (a manager or an admin; audited)")
def open_cycle(session: SessionDep, me: PrincipalDep, body: CycleIn) -> CycleOut:
    return _cycle_out(session.coaching.reviews.create_cycle(
        me, body.name, body.period, team_id=body.team_id,
        kinds=tuple(body.kinds or ("self", "peer", "manager", "upward"))))


@router.post("/review-cycles/{cycle_id}/close", response_model=CycleOut,
             summary="Close a review cycle (its opener or an admin; audited)")
def close_cycle(session: SessionDep, me: PrincipalDep, cycle_id: RowId) -> CycleOut:
    return _cycle_out(session.coaching.reviews.close_cycle(me, cycle_id))


@router.get("/review-questions", response_model=list[QuestionOut],
            summary="The questions every review answers, 1 to 5")
def review_questions(me: PrincipalDep) -> list[QuestionOut]:
    return [QuestionOut(key=k, en=en, zh=zh) for k, (en, zh) in QUESTIONS.items()]


@router.get("/reviews", response_model=list[ReviewOut],
            summary="The reviews the caller gives or may read")
def list_reviews(session: SessionDep, me: PrincipalDep,
                 cycle_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                 to_give: bool = False) -> list[ReviewOut]:
    return [ReviewOut.model_validate(r) for r in session.coaching.reviews.reviews(
        me, cycle_id=cycle_id, to_give=to_give)]


@router.get("/reviews/{review_id}", response_model=ReviewOut, summary="One review")
def one_review(session: SessionDep, me: PrincipalDep, review_id: RowId) -> ReviewOut:
    return ReviewOut.model_validate(session.coaching.reviews.review(me, review_id))


@router.put("/reviews/{review_id}", response_model=ReviewOut,
            summary="Answer a review (its reviewer; lands in peer_reviews where it counts)")
def answer_review(session: SessionDep, me: PrincipalDep, review_id: RowId, body: AnswerIn
                  ) -> ReviewOut:
    return ReviewOut.model_validate(session.coaching.reviews.answer(
        me, review_id, body.collaboration, body.communication, body.comment))


# -- kudos and the team wall ------------------------------------------------------------------

class KudosIn(_In):
    helper_rep_id: Id
    kind: Literal["referral", "joint_visit", "knowledge_share", "handover"]
    body: Text
    helped_rep_id: Id | None = Field(None, description="A manager's or an admin's: the rep "
                                     "who was helped (a rep gives kudos for their own)")
    opportunity_id: Id | None = None
    assist_id: Id | None = Field(None, description="An assists row to confirm instead of "
                                 "creating one")
    occurred_on: date | None = None


class KudosOut(_Out):
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
    created_at: datetime


class WallOut(_Out):
    kind: str
    id: int
    author: str
    rep_id: str
    body: str
    created_at: datetime
    helped_rep_id: str | None
    assist_kind: str | None
    points: float | None
    assist_id: str | None


@router.post("/kudos", response_model=KudosOut, status_code=201,
             summary="Thank a colleague for an assist; creates or confirms its assists row")
def give_kudos(session: SessionDep, me: PrincipalDep, state: StateDep, body: KudosIn
               ) -> KudosOut:
    return KudosOut.model_validate(session.coaching.kudos.give(
        me, body.helper_rep_id, body.kind, body.body, today=state.today(),
        helped_rep_id=body.helped_rep_id, opportunity_id=body.opportunity_id,
        assist_id=body.assist_id, occurred_on=body.occurred_on))


@router.get("/kudos", response_model=list[KudosOut], summary="The kudos the caller reads")
def list_kudos(session: SessionDep, me: PrincipalDep, limit: LimitQuery = 100
               ) -> list[KudosOut]:
    return [KudosOut.model_validate(k) for k in session.coaching.kudos.recent(me, limit=limit)]


@router.get("/kudos/{kudos_id}", response_model=KudosOut, summary="One kudos")
def one_kudos(session: SessionDep, me: PrincipalDep, kudos_id: RowId) -> KudosOut:
    return KudosOut.model_validate(session.coaching.kudos.item(me, kudos_id))


@router.get("/team-wall", response_model=list[WallOut],
            summary="Recent kudos and team-wide praise the caller reads")
def team_wall(session: SessionDep, me: PrincipalDep, limit: LimitQuery = 50) -> list[WallOut]:
    return [WallOut.model_validate(w) for w in session.coaching.kudos.wall(me, limit=limit)]


# -- adoption ---------------------------------------------------------------------------------

class FiguresOut(_Out):
    planned: int
    held: int
    held_rate: float | None
    given: int
    received: int
    actions_closed: int


class AdoptionRowOut(_Out):
    team_id: str | None = Field(description="None: every team together")
    name: str
    now: FiguresOut
    before: FiguresOut
    change: FiguresOut


class AdoptionOut(_Out):
    period: str
    previous: str
    rows: list[AdoptionRowOut]


@router.get("/coaching/adoption", response_model=AdoptionOut,
            summary="Coaching adoption per team against the previous period (admin, executive)")
def adoption(session: SessionDep, me: PrincipalDep,
             period: Annotated[str, Query(min_length=1, max_length=40)]) -> AdoptionOut:
    found = session.coaching.adoption(me, period)
    return AdoptionOut(period=found.period, previous=found.previous, rows=[
        AdoptionRowOut(team_id=r.team_id, name=r.name,
                       now=FiguresOut.model_validate(r.now),
                       before=FiguresOut.model_validate(r.before),
                       change=FiguresOut.model_validate(r.change)) for r in found.rows])

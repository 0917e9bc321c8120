"""The coaching loop's records: feedback and praise, requests for feedback, private notes,
1:1 check-ins with their cadence and action items.

People are named by username (who wrote, who manages) and reps by their warehouse ``rep_id``
(whom a record is about). Who may read a record is the workspace's rule
(:mod:`salescore.workspace.coaching`); this module stores and finds rows, nothing more.

>>> sorted(t for t in Base.metadata.tables if t.startswith(("coaching", "checkin")))[:3]
['checkin_actions', 'checkin_cadences', 'checkins']
>>> sorted(t for t in Base.metadata.tables if t.startswith("coaching"))
['coaching_feedback', 'coaching_kudos', 'coaching_requests']
>>> sorted(t for t in Base.metadata.tables if t.startswith("review"))
['review_answers', 'review_cycles']
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from salescore.appstore.models import NAME, Base, _one_of
from salescore.appstore.timestamps import utcnow

__all__ = [
    "ASSIST_KINDS",
    "FEEDBACK_KINDS",
    "REVIEW_KINDS",
    "VISIBILITIES",
    "CheckIn",
    "CheckInAction",
    "Cadence",
    "Feedback",
    "FeedbackKind",
    "FeedbackRequest",
    "Kudos",
    "ReviewAnswer",
    "ReviewCycle",
    "Visibility",
    "feedback_about",
    "feedback_rows",
]

FeedbackKind = Literal["feedback", "praise", "note"]
Visibility = Literal["private", "team", "author"]
CheckInStatus = Literal["planned", "held", "cancelled"]
RequestStatus = Literal["open", "answered", "declined"]
ReviewKind = Literal["self", "peer", "manager", "upward"]
CycleStatus = Literal["open", "closed"]
AssistKind = Literal["referral", "joint_visit", "knowledge_share", "handover"]

FEEDBACK_KINDS: tuple[FeedbackKind, ...] = get_args(FeedbackKind)
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
CHECKIN_STATUSES: tuple[CheckInStatus, ...] = get_args(CheckInStatus)
REQUEST_STATUSES: tuple[RequestStatus, ...] = get_args(RequestStatus)
REVIEW_KINDS: tuple[ReviewKind, ...] = get_args(ReviewKind)
CYCLE_STATUSES: tuple[CycleStatus, ...] = get_args(CycleStatus)
ASSIST_KINDS: tuple[AssistKind, ...] = get_args(AssistKind)


class Feedback(Base):
    """Feedback or praise to a rep, or a manager's private note on one (``note``, visibility
    ``author``: read by its author alone). Optionally tied to a score line (``kpi`` with the
    ``plan`` and ``period`` it was scored in), an opportunity or a KPI alone."""

    __tablename__ = "coaching_feedback"
    __table_args__ = (
        CheckConstraint(_one_of("kind", FEEDBACK_KINDS), name="kind"),
        CheckConstraint(_one_of("visibility", VISIBILITIES), name="visibility"),
        Index(None, "recipient_rep_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[FeedbackKind] = mapped_column(String(16))
    visibility: Mapped[Visibility] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(NAME), index=True)
    author_rep_id: Mapped[str | None] = mapped_column(String(NAME))
    recipient_rep_id: Mapped[str] = mapped_column(String(NAME))
    recipient_team_id: Mapped[str | None] = mapped_column(String(NAME))
    body: Mapped[str] = mapped_column(Text)
    kpi: Mapped[str | None] = mapped_column(String(NAME))
    plan: Mapped[str | None] = mapped_column(String(NAME))
    period: Mapped[str | None] = mapped_column(String(NAME))
    opportunity_id: Mapped[str | None] = mapped_column(String(NAME))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_requests.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackRequest(Base):
    """A request for feedback: ``requester`` asks ``asked`` (both usernames) about themselves
    (rep ``rep_id``), optionally on a KPI; read by the two of them alone."""

    __tablename__ = "coaching_requests"
    __table_args__ = (CheckConstraint(_one_of("status", REQUEST_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester: Mapped[str] = mapped_column(String(NAME), index=True)
    rep_id: Mapped[str] = mapped_column(String(NAME))
    asked: Mapped[str] = mapped_column(String(NAME), index=True)
    question: Mapped[str] = mapped_column(Text)
    kpi: Mapped[str | None] = mapped_column(String(NAME))
    status: Mapped[RequestStatus] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cadence(Base):
    """How often manager ``manager`` (a username) meets rep ``rep_id`` one to one."""

    __tablename__ = "checkin_cadences"
    __table_args__ = (UniqueConstraint("manager", "rep_id"),
                      CheckConstraint("every_days > 0", name="every_days"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manager: Mapped[str] = mapped_column(String(NAME))
    rep_id: Mapped[str] = mapped_column(String(NAME))
    every_days: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckIn(Base):
    """One 1:1 meeting of a manager and a rep: the shared talking points (pre-filled when it
    is prepared), the rep's pulse (1-5) and comment, and each side's private note."""

    __tablename__ = "checkins"
    __table_args__ = (
        CheckConstraint(_one_of("status", CHECKIN_STATUSES), name="status"),
        CheckConstraint("pulse IS NULL OR (pulse >= 1 AND pulse <= 5)", name="pulse"),
        Index(None, "manager", "rep_id", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manager: Mapped[str] = mapped_column(String(NAME))
    rep_id: Mapped[str] = mapped_column(String(NAME), index=True)
    scheduled_for: Mapped[date] = mapped_column(Date)
    status: Mapped[CheckInStatus] = mapped_column(String(16), default="planned")
    held_at: Mapped[datetime | None] = mapped_column()
    talking_points: Mapped[dict[str, Any]] = mapped_column()
    pulse: Mapped[int | None] = mapped_column(Integer)
    pulse_comment: Mapped[str | None] = mapped_column(Text)
    manager_note: Mapped[str | None] = mapped_column(Text)
    rep_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckInAction(Base):
    """An action item of a manager-rep pair, raised in check-in ``checkin_id``; carried over
    to each later check-in of the pair until it is done. ``owner`` is ``rep`` or
    ``manager``."""

    __tablename__ = "checkin_actions"
    __table_args__ = (CheckConstraint(_one_of("owner", ("rep", "manager")), name="owner"),
                      Index(None, "manager", "rep_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    manager: Mapped[str] = mapped_column(String(NAME))
    rep_id: Mapped[str] = mapped_column(String(NAME))
    owner: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()
    done_by: Mapped[str | None] = mapped_column(String(NAME))


class ReviewCycle(Base):
    """A 360 review cycle about ``period``: who reviews whom (self, peer, manager, upward) in
    team ``team_id``'s subtree (the whole organisation when ``None``), open until closed."""

    __tablename__ = "review_cycles"
    __table_args__ = (CheckConstraint(_one_of("status", CYCLE_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(NAME))
    team_id: Mapped[str | None] = mapped_column(String(NAME))
    kinds: Mapped[str] = mapped_column(String(NAME))  # comma-separated REVIEW_KINDS
    status: Mapped[CycleStatus] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewAnswer(Base):
    """One review to give in a cycle: ``reviewer`` (a username) on the rep ``reviewee_rep_id``
    (or, upward, on manager ``reviewee``), and once answered its collaboration and
    communication (1-5) and comment. ``review_id`` is the ``peer_reviews`` row the answer
    landed as in the warehouse (``None`` for a self review, or where a side is no rep)."""

    __tablename__ = "review_answers"
    __table_args__ = (
        CheckConstraint(_one_of("kind", REVIEW_KINDS), name="kind"),
        CheckConstraint("collaboration IS NULL OR (collaboration >= 1 AND collaboration <= 5)",
                        name="collaboration"),
        CheckConstraint("communication IS NULL OR (communication >= 1 AND communication <= 5)",
                        name="communication"),
        Index(None, "cycle_id"),
        Index(None, "reviewee_rep_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id", ondelete="CASCADE"))
    kind: Mapped[ReviewKind] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(NAME), index=True)
    reviewer_rep_id: Mapped[str | None] = mapped_column(String(NAME))
    reviewee: Mapped[str | None] = mapped_column(String(NAME))
    reviewee_rep_id: Mapped[str | None] = mapped_column(String(NAME))
    collaboration: Mapped[int | None] = mapped_column(Integer)
    communication: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column()
    review_id: Mapped[str | None] = mapped_column(String(NAME))


class Kudos(Base):
    """Recognition of an assist: ``author`` thanks rep ``helper_rep_id`` for helping rep
    ``helped_rep_id`` (a referral, a joint visit, shared knowledge, a handover). It created
    the ``assists`` row ``assist_id`` in the warehouse, or ``confirmed`` one already there."""

    __tablename__ = "coaching_kudos"
    __table_args__ = (CheckConstraint(_one_of("kind", ASSIST_KINDS), name="kind"),
                      Index(None, "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author: Mapped[str] = mapped_column(String(NAME), index=True)
    author_rep_id: Mapped[str | None] = mapped_column(String(NAME))
    helper_rep_id: Mapped[str] = mapped_column(String(NAME))
    helped_rep_id: Mapped[str] = mapped_column(String(NAME))
    helper_team_id: Mapped[str | None] = mapped_column(String(NAME))
    helped_team_id: Mapped[str | None] = mapped_column(String(NAME))
    kind: Mapped[AssistKind] = mapped_column(String(16))
    opportunity_id: Mapped[str | None] = mapped_column(String(NAME))
    body: Mapped[str] = mapped_column(Text)
    assist_id: Mapped[str | None] = mapped_column(String(NAME))
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    occurred_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def feedback_rows(session: Session, *, rep_ids: list[str] | None = None,
                  author: str | None = None, kinds: tuple[str, ...] = FEEDBACK_KINDS,
                  limit: int = 500) -> list[Feedback]:
    """Feedback rows about ``rep_ids`` (any, when ``None``) and/or by ``author``, of
    ``kinds``, newest first. The caller filters them by audience."""
    query = select(Feedback).where(Feedback.kind.in_(kinds)).order_by(
        Feedback.created_at.desc(), Feedback.id.desc()).limit(limit)
    if rep_ids is not None:
        query = query.where(Feedback.recipient_rep_id.in_(rep_ids))
    if author is not None:
        query = query.where(Feedback.author == author)
    return list(session.scalars(query))


def feedback_about(session: Session, rep_id: str, *, kpi: str | None = None,
                   period: str | None = None) -> list[Feedback]:
    """Feedback and praise about ``rep_id`` (tied to ``kpi`` in ``period`` where given),
    newest first; notes are not among them."""
    query = select(Feedback).where(Feedback.recipient_rep_id == rep_id,
                                   Feedback.kind != "note").order_by(Feedback.id.desc())
    if kpi is not None:
        query = query.where(Feedback.kpi == kpi)
    if period is not None:
        query = query.where(Feedback.period == period)
    return list(session.scalars(query))


def people(session: Session) -> list[tuple[str, str, str, str | None, str | None]]:
    """Every active user as (username, name, role, rep_id, team_id), by username: whom
    feedback may be asked of, and who manages whom."""
    from salescore.appstore.models import User

    rows = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [(u.username, u.name, u.role, u.rep_id, u.team_id) for u in rows]


def requests_of(session: Session, username: str) -> list[FeedbackRequest]:
    """The requests for feedback ``username`` made or was asked, newest first."""
    return list(session.scalars(select(FeedbackRequest).where(
        (FeedbackRequest.requester == username) | (FeedbackRequest.asked == username)
    ).order_by(FeedbackRequest.id.desc())))


def checkins_of(session: Session, *, manager: str | None = None, rep_id: str | None = None,
                limit: int = 200) -> list[CheckIn]:
    """The check-ins of ``manager`` and/or rep ``rep_id``, latest scheduled first."""
    query = select(CheckIn).order_by(CheckIn.scheduled_for.desc(), CheckIn.id.desc()
                                     ).limit(limit)
    if manager is not None:
        query = query.where(CheckIn.manager == manager)
    if rep_id is not None:
        query = query.where(CheckIn.rep_id == rep_id)
    return list(session.scalars(query))


def cadences_of(session: Session, *, manager: str | None = None, rep_id: str | None = None
                ) -> list[Cadence]:
    """The active cadences of ``manager`` and/or rep ``rep_id``."""
    query = select(Cadence).where(Cadence.active.is_(True)).order_by(Cadence.rep_id)
    if manager is not None:
        query = query.where(Cadence.manager == manager)
    if rep_id is not None:
        query = query.where(Cadence.rep_id == rep_id)
    return list(session.scalars(query))


def cadence_for(session: Session, manager: str, rep_id: str) -> Cadence | None:
    return session.scalar(select(Cadence).where(Cadence.manager == manager,
                                                Cadence.rep_id == rep_id))


def actions_of(session: Session, *, manager: str | None = None, rep_id: str | None = None,
               open_only: bool = False) -> list[CheckInAction]:
    """The action items of the pairs of ``manager`` and/or ``rep_id``, oldest first."""
    query = select(CheckInAction).order_by(CheckInAction.id)
    if manager is not None:
        query = query.where(CheckInAction.manager == manager)
    if rep_id is not None:
        query = query.where(CheckInAction.rep_id == rep_id)
    if open_only:
        query = query.where(CheckInAction.done_at.is_(None))
    return list(session.scalars(query))


def held_checkins(session: Session) -> list[CheckIn]:
    """Every check-in that was held."""
    return list(session.scalars(select(CheckIn).where(CheckIn.status == "held")))


def feedback_given(session: Session) -> list[Feedback]:
    """Every feedback and praise (private notes apart)."""
    return list(session.scalars(select(Feedback).where(
        Feedback.kind.in_(("feedback", "praise")))))


def closed_actions(session: Session) -> list[CheckInAction]:
    """Every action item marked done."""
    return list(session.scalars(select(CheckInAction).where(CheckInAction.done_at.is_not(None))))


def recent_kudos(session: Session, limit: int) -> list[Kudos]:
    """The ``limit`` newest kudos, newest first."""
    return list(session.scalars(select(Kudos).order_by(Kudos.id.desc()).limit(limit)))


def review_cycles(session: Session) -> list[ReviewCycle]:
    """Every review cycle, newest first."""
    return list(session.scalars(select(ReviewCycle).order_by(ReviewCycle.id.desc())))


def cycles_reviewed_by(session: Session, username: str) -> set[int]:
    """The cycles in which ``username`` has a review to give (answered or not)."""
    return set(session.scalars(select(ReviewAnswer.cycle_id).where(
        ReviewAnswer.reviewer == username)))


def answer_times(session: Session, cycle_id: int) -> list[datetime | None]:
    """When each review of cycle ``cycle_id`` was answered (``None``: not yet)."""
    return list(session.scalars(select(ReviewAnswer.answered_at).where(
        ReviewAnswer.cycle_id == cycle_id)))


def review_answers(session: Session, *, cycle_id: int | None = None,
                   to_give_by: str | None = None, about: tuple[str, list[str]] | None = None
                   ) -> list[tuple[ReviewAnswer, ReviewCycle]]:
    """Reviews with their cycle, by cycle (newest first) and id: of ``cycle_id``; with
    ``to_give_by``, only that person's still unanswered in open cycles; with ``about``
    (username, rep ids), only those given or received by the person or about those reps."""
    query = select(ReviewAnswer, ReviewCycle).join(
        ReviewCycle, ReviewCycle.id == ReviewAnswer.cycle_id
    ).order_by(ReviewAnswer.cycle_id.desc(), ReviewAnswer.id)
    if cycle_id is not None:
        query = query.where(ReviewAnswer.cycle_id == cycle_id)
    if to_give_by is not None:
        query = query.where(ReviewAnswer.reviewer == to_give_by,
                            ReviewAnswer.answered_at.is_(None), ReviewCycle.status == "open")
    elif about is not None:
        username, reps = about
        query = query.where(or_(ReviewAnswer.reviewer == username,
                                ReviewAnswer.reviewee == username,
                                ReviewAnswer.reviewee_rep_id.in_(reps)))
    return [(a, c) for a, c in session.execute(query).tuples()]

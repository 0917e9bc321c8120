"""Coaching pages beyond the 1:1: ``/coaching/reviews`` (the 360 reviews to give, the cycles,
the answers the caller reads; a manager or an admin opens a cycle), ``/coaching/wall`` (the
team wall of kudos and team-wide praise, and the form to thank a colleague for an assist) and
``/coaching/adoption`` (per team, for the admin and the executive).

Who reads and writes what is the workspace's rule (:mod:`salescore.workspace.coaching_reviews`,
:mod:`~salescore.workspace.coaching_kudos`, :mod:`~salescore.workspace.coaching_adoption`).
Nothing here is kept in the app's cache: what a page holds depends on the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from salescore.app.coaching_page import Words, _caller, _problem, _write
from salescore.app.deps import app_state
from salescore.app.pages import on_session, render
from salescore.core.access import Principal
from salescore.core.errors import SalescoreError
from salescore.workspace import Session
from salescore.workspace.coaching_adoption import Adoption
from salescore.workspace.coaching_kudos import WallItem
from salescore.workspace.coaching_reviews import QUESTIONS, CycleInfo, ReviewItem

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]
Field = Annotated[str, Form(max_length=4000)]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ASSIST_KINDS = ("referral", "joint_visit", "knowledge_share", "handover")


def kind_text(kind: str, words: Words) -> str:
    """A review's or an assist's kind in the caller's language."""
    return {"self": words("Self review"), "peer": words("Peer review"),
            "manager": words("Manager review"), "upward": words("Upward review"),
            "referral": words("Referral"), "joint_visit": words("Joint visit"),
            "knowledge_share": words("Shared knowledge"),
            "handover": words("Handover")}.get(kind, kind)


@dataclass(frozen=True)
class ReviewsView:
    role: str
    to_give: list[ReviewItem]
    read: list[ReviewItem]
    cycles: list[CycleInfo]
    questions: list[str]
    names: dict[str, str]
    teams: list[tuple[str, str]]
    kinds: dict[str, str]


def _names(session: Session) -> dict[str, str]:
    return {r["rep_id"]: r["name"] or r["rep_id"] for r in session.reps()}


@router.get("/coaching/reviews", response_class=HTMLResponse)
async def reviews_page(request: Request, error: str | None = None) -> Response:
    """The 360 reviews of the signed-in person."""
    caller = await _caller(request)
    if isinstance(caller, Response):
        return caller

    def read(session: Session, p: Principal, words: Words) -> ReviewsView:
        part = session.coaching.reviews
        zh = p.locale.startswith("zh")
        return ReviewsView(
            role=p.role, to_give=part.reviews(p, to_give=True),
            read=[r for r in part.reviews(p) if r.answered_at is not None],
            cycles=part.cycles(p), questions=[zh_en[1 if zh else 0]
                                              for zh_en in QUESTIONS.values()],
            names=_names(session),
            teams=[(t["team_id"], t["name"] or t["team_id"]) for t in session.teams()]
            if p.role in ("manager", "admin") else [],
            kinds={k: kind_text(k, words) for k in ("self", "peer", "manager", "upward")})

    try:
        view = await on_session(request, caller, read)
    except SalescoreError as exc:
        return _problem(request, caller, exc)
    return render(request, "coaching_reviews.html", caller.principal.locale, caller=caller,
                  view=view, error=error)


def _on_reviews(request: Request) -> Any:
    async def page(caller: Any, error: str) -> Response:
        return await reviews_page(request, error=error)
    return page


@router.post("/coaching/reviews/{review_id}", response_class=HTMLResponse)
async def answer(request: Request, review_id: RowId, collaboration: Short = "",
                 communication: Short = "", comment: Field = "", csrf_token: Short = ""
                 ) -> Response:
    def write(session: Session, p: Principal) -> Any:
        return session.coaching.reviews.answer(p, review_id, _score(collaboration),
                                               _score(communication), comment)
    return await _write(request, write, "/coaching/reviews", _on_reviews(request))


def _score(text: str) -> int:
    if not text.strip().isdigit():
        raise SalescoreError("choose a score from 1 to 5", message_zh="请选择 1 至 5 分")
    return int(text)


@router.post("/coaching/cycles", response_class=HTMLResponse)
async def open_cycle(request: Request, name: Short = "", period: Short = "",
                     team_id: Short = "", csrf_token: Short = "") -> Response:
    form = await request.form()
    kinds = tuple(str(k) for k in form.getlist("kinds")) or ("self", "peer", "manager",
                                                             "upward")
    return await _write(request, lambda s, p: s.coaching.reviews.create_cycle(
        p, name, period, team_id=team_id or None, kinds=kinds), "/coaching/reviews",
        _on_reviews(request))


@dataclass(frozen=True)
class WallView:
    role: str
    items: list[WallItem]
    names: dict[str, str]
    reps: list[tuple[str, str]]
    kinds: dict[str, str]
    today: str


@router.get("/coaching/wall", response_class=HTMLResponse)
async def wall_page(request: Request, error: str | None = None) -> Response:
    """The team wall: recent kudos for assists and team-wide praise."""
    caller = await _caller(request)
    if isinstance(caller, Response):
        return caller
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Words) -> WallView:
        names = _names(session)
        reps = sorted(names.items())
        if p.role == "rep":  # a helper of another team is typed in by id
            mates = session.coaching._teammates(session.coaching._who(p))
            reps = [(r, r.upper()) for r in mates if r != p.rep_id]
        return WallView(p.role, session.coaching.kudos.wall(p), names, reps,
                        {k: kind_text(k, words) for k in ASSIST_KINDS}, today.isoformat())

    try:
        view = await on_session(request, caller, read)
    except SalescoreError as exc:
        return _problem(request, caller, exc)
    return render(request, "coaching_wall.html", caller.principal.locale, caller=caller,
                  view=view, error=error)


def _on_wall(request: Request) -> Any:
    async def page(caller: Any, error: str) -> Response:
        return await wall_page(request, error=error)
    return page


@router.post("/coaching/kudos", response_class=HTMLResponse)
async def give_kudos(request: Request, helper_rep_id: Short = "", kind: Short = "",
                     body: Field = "", helped_rep_id: Short = "", opportunity_id: Short = "",
                     occurred_on: Short = "", csrf_token: Short = "") -> Response:
    today = app_state(request).today()

    def write(session: Session, p: Principal) -> Any:
        try:
            day = date.fromisoformat(occurred_on) if occurred_on else None
        except ValueError as exc:
            raise SalescoreError(f"{occurred_on} is not a day (YYYY-MM-DD)",
                                 message_zh=f"{occurred_on} 不是日期（YYYY-MM-DD）") from exc
        return session.coaching.kudos.give(
            p, helper_rep_id.strip(), kind, body, today=today,
            helped_rep_id=helped_rep_id or None, opportunity_id=opportunity_id or None,
            occurred_on=day)
    return await _write(request, write, "/coaching/wall", _on_wall(request))


@router.get("/coaching/adoption", response_class=HTMLResponse)
async def adoption_page(request: Request, period: str = "last-month") -> Response:
    """Coaching adoption per team (the admin's and the executive's)."""
    caller = await _caller(request)
    if isinstance(caller, Response):
        return caller

    def read(session: Session, p: Principal, words: Words) -> Adoption:
        return session.coaching.adoption(p, period[:40])

    try:
        found = await on_session(request, caller, read)
    except SalescoreError as exc:
        return _problem(request, caller, exc)
    return render(request, "coaching_adoption.html", caller.principal.locale, caller=caller,
                  found=found, period=period[:40])

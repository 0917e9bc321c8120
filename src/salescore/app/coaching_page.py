"""Coaching pages: ``/coaching`` (feedback given and received, requests, a manager's notes,
the 1:1 check-ins and what is overdue) and ``/coaching/checkins/{id}`` (one 1:1: talking
points, the rep's pulse, private notes, action items).

Who reads and writes what is the workspace's rule (:mod:`salescore.workspace.coaching`); the
pages show the forms the caller's role has and let the workspace refuse the rest. Nothing here
is kept in the app's cache: what a page holds depends on the person, not only on their scope.
Every form posts the session's CSRF token and answers with a redirect back (or the page with
the error, 422).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salescore.app.deps import Caller, app_state, require_csrf
from salescore.app.formatting import moment, percent
from salescore.app.pages import on_session, render, signed_in, to_login
from salescore.app.problems import CsrfFailed, status_of
from salescore.core.access import Principal
from salescore.core.errors import SalescoreError
from salescore.workspace import Session
from salescore.workspace.coaching import CheckInInfo, FeedbackItem, Flags, TalkingPoint

__all__ = ["FeedbackNote", "feedback_notes", "point_text", "router"]

router = APIRouter(include_in_schema=False)
Words = Callable[..., str]
Field = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=64)]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@dataclass(frozen=True)
class FeedbackNote:
    """One feedback, praise or note as a page shows it."""

    id: int
    kind: str
    kind_text: str
    audience: str
    author: str
    rep: str
    body: str
    about: str
    when: str


def _kind_text(kind: str, words: Words) -> str:
    return {"feedback": words("Feedback"), "praise": words("Praise"),
            "note": words("Private note")}.get(kind, kind)


def _audience(item: FeedbackItem, words: Words) -> str:
    return {"private": words("Private: the rep and their managers"),
            "team": words("Public to the team"),
            "author": words("Only you")}.get(item.visibility, item.visibility)


def feedback_notes(session: Session, items: list[FeedbackItem], locale: str, words: Words,
                   names: dict[str, str] | None = None) -> list[FeedbackNote]:
    """``items`` as the pages show them (the KPI's name in ``locale``)."""
    kpis = session.catalog.kpis
    out = []
    for f in items:
        about = []
        if f.kpi:
            spec = kpis.get(f.kpi)
            about.append(spec.label.get(locale) if spec is not None else f.kpi)
        if f.period:
            about.append(f.period)
        if f.opportunity_id:
            about.append(words("deal %(id)s", id=f.opportunity_id))
        out.append(FeedbackNote(
            f.id, f.kind, _kind_text(f.kind, words), _audience(f, words), f.author,
            (names or {}).get(f.recipient_rep_id, f.recipient_rep_id), f.body,
            " · ".join(about), moment(f.created_at, session, locale)))
    return out


def point_text(session: Session, point: TalkingPoint, locale: str, words: Words) -> str:
    """What a talking point says, in ``locale``."""
    match point.kind:
        case "line":
            spec = session.catalog.kpis.get(point.kpi or "")
            label = spec.label.get(locale) if spec is not None else (point.kpi or "")
            return words("Weak line: %(kpi)s at %(attainment)s of target in %(period)s",
                         kpi=label, attainment=percent(point.attainment, locale),
                         period=point.period or "")
        case "deal":
            why = words("stuck in its stage") if point.why == "stuck" else \
                words("no recent activity")
            return words("At-risk deal %(deal)s %(customer)s: %(why)s, %(days)s days",
                         deal=point.record_id or "", customer=point.text, why=why,
                         days=point.days or 0)
        case _:
            return point.text


@dataclass(frozen=True)
class CheckInRow:
    info: CheckInInfo
    other: str
    points: list[tuple[str, str]]  # key, text
    open_actions: int


@dataclass(frozen=True)
class CoachingView:
    role: str
    flags: Flags
    feedback: list[FeedbackNote]
    notes: list[FeedbackNote]
    requests: list[Any]
    checkins: list[CheckInRow]
    reps: list[tuple[str, str]]  # whom the caller may address
    colleagues: list[tuple[str, str]]  # whom a rep may ask
    kpis: list[tuple[str, str]]
    periods: list[str]
    names: dict[str, str]
    today: str


def _names(session: Session) -> dict[str, str]:
    return {r["rep_id"]: r["name"] or r["rep_id"] for r in session.reps()}


def coaching_view(session: Session, me: Principal, words: Words, today: date) -> CoachingView:
    coaching = session.coaching
    locale = me.locale
    names = _names(session)
    if me.role == "rep" and me.rep_id is not None:
        mates = coaching._teammates(coaching._who(me))
        reps = [(r, r.upper() if r not in names else names[r]) for r in mates if r != me.rep_id]
    else:
        reps = sorted(names.items())
    items = coaching.feedback(me, limit=100)
    checkins = coaching.checkins(me, today=today, limit=30)
    lines: dict[str, str] = {}
    periods: list[str] = []
    for plan in session.plans():
        if plan.status == "adopted":
            for kpi in session.plan_version(plan.plan, plan.version).lines:
                spec = session.catalog.kpis.get(kpi.kpi)
                lines[kpi.kpi] = spec.label.get(locale) if spec is not None else kpi.kpi
    subject = me.rep_id or (reps[0][0] if reps else None)
    if subject is not None:
        try:
            periods = list(dict.fromkeys(s.period for s in reversed(
                session.rep_score_history(subject))))
        except SalescoreError:
            periods = []
    rows = [CheckInRow(c, names.get(c.rep_id, c.rep_id) if c.side == "manager" else c.manager,
                       [(p.key, point_text(session, p, locale, words)) for p in c.points],
                       sum(1 for a in c.actions if a.done_at is None)) for c in checkins]
    return CoachingView(
        role=me.role, flags=coaching.flags(me, today),
        feedback=feedback_notes(session, [f for f in items if f.kind != "note"], locale, words,
                                names),
        notes=feedback_notes(session, [f for f in items if f.kind == "note"], locale, words,
                             names),
        requests=coaching.requests(me), checkins=rows, reps=reps,
        colleagues=coaching.colleagues(me), kpis=sorted(lines.items(), key=lambda kv: kv[1]),
        periods=periods, names=names, today=today.isoformat())


async def _caller(request: Request) -> Caller | Response:
    caller = await signed_in(request)
    return caller if caller is not None else to_login(request)


def _problem(request: Request, caller: Caller, exc: SalescoreError) -> Response:
    p = caller.principal
    return render(request, "not_found.html", p.locale, status=status_of(exc), caller=caller,
                  message=exc.localized(p.locale))


@router.get("/coaching", response_class=HTMLResponse)
async def coaching_page(request: Request, rep: str | None = None, request_id: int | None = None,
                        error: str | None = None) -> Response:
    """The coaching hub of the signed-in person."""
    caller = await _caller(request)
    if isinstance(caller, Response):
        return caller
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Words) -> CoachingView:
        return coaching_view(session, p, words, today)

    try:
        view = await on_session(request, caller, read)
    except SalescoreError as exc:
        return _problem(request, caller, exc)
    return render(request, "coaching.html", caller.principal.locale, caller=caller, view=view,
                  answer_rep=rep or "", answer_request=request_id, error=error)


async def _write(request: Request, write: Callable[[Session, Principal], Any], back: str,
                 page: Callable[[Caller, str], Any]) -> Response:
    """Run ``write`` on the caller's session (the form's CSRF token checked), then back to
    ``back``; on a refusal the page ``page`` with the error (its status)."""
    caller = await signed_in(request)
    if caller is None or caller.web is None:
        return to_login(request)
    try:
        await require_csrf(request, caller.web)
    except CsrfFailed as exc:
        return render(request, "not_found.html", caller.principal.locale, status=403,
                      caller=caller, message=exc.text.get(caller.principal.locale))
    try:
        await on_session(request, caller, lambda s, p, w: write(s, p))
    except SalescoreError as exc:
        answer: Response = await page(caller, exc.localized(caller.principal.locale))
        answer.status_code = status_of(exc)
        return answer
    finally:
        app_state(request).cache.clear()
    return RedirectResponse(back, status_code=303)


def _hub(request: Request) -> Callable[[Caller, str], Any]:
    async def page(caller: Caller, error: str) -> Response:
        return await coaching_page(request, error=error)
    return page


@router.post("/coaching/feedback", response_class=HTMLResponse)
async def give(request: Request, rep_id: Short = "", body: Field = "",
               kind: Short = "feedback", visibility: Short = "private", kpi: Short = "",
               period: Short = "", request_id: Short = "", back: Annotated[
                   str, Form(max_length=300)] = "/coaching",
               csrf_token: Short = "") -> Response:
    def write(session: Session, p: Principal) -> Any:
        plan = None
        if kpi and period:
            plan = next((s.plan for s in session.rep_score_history(rep_id)
                         if s.period == period), None) if p.role != "rep" else None
        return session.coaching.give(p, rep_id, body, kind=kind, visibility=visibility,
                                     kpi=kpi or None, period=period or None, plan=plan,
                                     request_id=int(request_id) if request_id else None)
    target = back if back.startswith("/") and not back.startswith("//") else "/coaching"
    return await _write(request, write, target, _hub(request))


@router.post("/coaching/requests", response_class=HTMLResponse)
async def ask(request: Request, asked: Short = "", question: Field = "", csrf_token: Short = ""
              ) -> Response:
    return await _write(request, lambda s, p: s.coaching.ask(p, asked, question),
                        "/coaching", _hub(request))


@router.post("/coaching/checkins", response_class=HTMLResponse)
async def prepare(request: Request, rep_id: Short = "", scheduled_for: Short = "",
                  every_days: Short = "", csrf_token: Short = "") -> Response:
    """Prepare a 1:1 (its points pre-filled) and go to it; with ``every_days``, set the pair's
    cadence too."""
    today = app_state(request).today()
    made: list[int] = []

    def write(session: Session, p: Principal) -> None:
        try:
            day = date.fromisoformat(scheduled_for) if scheduled_for else today
        except ValueError as exc:
            raise SalescoreError(f"{scheduled_for} is not a day (YYYY-MM-DD)",
                                 message_zh=f"{scheduled_for} 不是日期（YYYY-MM-DD）") from exc
        if every_days.strip():
            session.coaching.set_cadence(p, rep_id, int(every_days), starts_on=day)
        made.append(session.coaching.prepare(p, rep_id, day, today=today).id)

    answer = await _write(request, write, "/coaching", _hub(request))
    if made and answer.status_code == 303:
        return RedirectResponse(f"/coaching/checkins/{made[0]}", status_code=303)
    return answer


@dataclass(frozen=True)
class CheckInView:
    info: CheckInInfo
    rep_name: str
    points: list[tuple[str, str]]
    actions: list[Any]
    feedback: list[FeedbackNote]


@router.get("/coaching/checkins/{checkin_id}", response_class=HTMLResponse)
async def checkin_page(request: Request, checkin_id: RowId, error: str | None = None
                       ) -> Response:
    caller = await _caller(request)
    if isinstance(caller, Response):
        return caller
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Words) -> CheckInView:
        info = session.coaching.checkin(p, checkin_id, today=today)
        names = _names(session)
        return CheckInView(
            info, names.get(info.rep_id, info.rep_id),
            [(pt.key, point_text(session, pt, p.locale, words)) for pt in info.points],
            [(a, moment(a.done_at, session, p.locale) if a.done_at else "") for a in info.actions],
            [])

    try:
        view = await on_session(request, caller, read)
    except SalescoreError as exc:
        return _problem(request, caller, exc)
    return render(request, "checkin.html", caller.principal.locale, caller=caller, view=view,
                  error=error, status=422 if error else 200,
                  tomorrow=(today + timedelta(days=7)).isoformat())


def _on_checkin(request: Request, checkin_id: RowId) -> Callable[[Caller, str], Any]:
    async def page(caller: Caller, error: str) -> Response:
        return await checkin_page(request, checkin_id, error=error)
    return page


@router.post("/coaching/checkins/{checkin_id}/points", response_class=HTMLResponse)
async def points(request: Request, checkin_id: RowId, add: Field = "", csrf_token: Short = ""
                 ) -> Response:
    form = await request.form()
    keep = [str(v) for v in form.getlist("keep")]
    return await _write(request, lambda s, p: s.coaching.set_points(p, checkin_id, keep, add),
                        f"/coaching/checkins/{checkin_id}", _on_checkin(request, checkin_id))


@router.post("/coaching/checkins/{checkin_id}/pulse", response_class=HTMLResponse)
async def pulse(request: Request, checkin_id: RowId, pulse: Short = "", comment: Field = "",
                csrf_token: Short = "") -> Response:
    def write(session: Session, p: Principal) -> None:
        try:
            value = int(pulse)
        except ValueError:
            value = 0
        session.coaching.pulse(p, checkin_id, value, comment)
    return await _write(request, write, f"/coaching/checkins/{checkin_id}",
                        _on_checkin(request, checkin_id))


@router.post("/coaching/checkins/{checkin_id}/note", response_class=HTMLResponse)
async def note(request: Request, checkin_id: RowId, text: Field = "", csrf_token: Short = ""
               ) -> Response:
    return await _write(request, lambda s, p: s.coaching.note(p, checkin_id, text),
                        f"/coaching/checkins/{checkin_id}", _on_checkin(request, checkin_id))


@router.post("/coaching/checkins/{checkin_id}/held", response_class=HTMLResponse)
async def held(request: Request, checkin_id: RowId, csrf_token: Short = "") -> Response:
    return await _write(request, lambda s, p: s.coaching.hold(p, checkin_id),
                        f"/coaching/checkins/{checkin_id}", _on_checkin(request, checkin_id))


@router.post("/coaching/checkins/{checkin_id}/actions", response_class=HTMLResponse)
async def add_action(request: Request, checkin_id: RowId, text: Field = "", owner: Short = "rep",
                     due: Short = "", csrf_token: Short = "") -> Response:
    today = app_state(request).today()

    def write(session: Session, p: Principal) -> None:
        try:
            day = date.fromisoformat(due) if due else None
        except ValueError as exc:
            raise SalescoreError(f"{due} is not a day (YYYY-MM-DD)",
                                 message_zh=f"{due} 不是日期（YYYY-MM-DD）") from exc
        session.coaching.add_action(p, checkin_id, text, owner=owner, due=day, today=today)
    return await _write(request, write, f"/coaching/checkins/{checkin_id}",
                        _on_checkin(request, checkin_id))


@router.post("/coaching/actions/{action_id}/done", response_class=HTMLResponse)
async def action_done(request: Request, action_id: RowId, checkin_id: Short = "",
                      csrf_token: Short = "") -> Response:
    today = app_state(request).today()
    back = f"/coaching/checkins/{int(checkin_id)}" if checkin_id.isdigit() else "/coaching"
    return await _write(request,
                        lambda s, p: s.coaching.close_action(p, action_id, today=today),
                        back, _hub(request))


@router.get("/coaching/flags", response_class=HTMLResponse)
async def flags_fragment(request: Request) -> Response:
    """What is overdue for the signed-in person: the panel the home pages load."""
    caller = await signed_in(request)
    if caller is None:
        return HTMLResponse("")
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Words) -> tuple[Flags, dict[str, str]]:
        return session.coaching.flags(p, today), _names(session)

    try:
        found, names = await on_session(request, caller, read)
    except SalescoreError:
        return HTMLResponse("")
    return render(request, "_coaching_flags.html", caller.principal.locale, caller=caller,
                  flags=found, names=names)

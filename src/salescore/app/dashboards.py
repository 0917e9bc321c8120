"""The dashboard pages beyond a rep's home: Team, a rep's scorecard as their manager sees it,
Company, and the preferences every page offers (theme and language).

Each page reads through the signed-in user's session, so its scope decides what appears: a
team or a rep out of reach is 404, as in the API. Filters live in the URL and return on the
next visit (:mod:`salescore.app.filters`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from salescore.app.company_page import company_view
from salescore.app.deps import Caller, app_state, require_csrf
from salescore.app.filters import THEME_COOKIE, keep, recall
from salescore.app.formatting import as_of_text
from salescore.app.my_scorecard import my_scorecard
from salescore.app.needs_action_view import ActionsView, read_actions
from salescore.app.pages import on_session, render, safe_next, signed_in, to_login, translator
from salescore.app.problems import CsrfFailed
from salescore.app.team_page import team_view
from salescore.core.access import Principal
from salescore.core.scope import AccessError, OutOfScope
from salescore.workspace import Session

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Param = Annotated[str | None, Query(max_length=80)]
TEAM_KEYS = ("team", "plan", "period")
COMPANY_KEYS = ("by", "team", "period")
MANAGING = ("manager", "executive", "admin")
DISTRIBUTIONS = {"score": "score", "rating": "rating"}
"""The views of the Team page's distribution panel (``?show=``), by score band or rating."""
T = TypeVar("T")


def not_found_page(request: Request, caller: Caller, message: str) -> Response:
    return render(request, "not_found.html", caller.principal.locale, status=404,
                  caller=caller, message=message)


def forbidden_page(request: Request, caller: Caller) -> Response:
    words = translator(caller.principal.locale)
    return not_found_page(request, caller, words("This page is not part of what your role sees."))


Read = Callable[[Session, Principal, Callable[..., str]], T]


async def _read(request: Request, caller: Caller, read: Read[T]) -> T | Response:
    """``read(session, principal, words)`` on the caller's session (:func:`on_session`, its
    view kept); the not-found page when their account reaches nothing or ``read`` asks for
    something out of their reach."""
    p = caller.principal
    try:
        p.scope()
    except AccessError as exc:
        return not_found_page(request, caller, exc.localized(p.locale))
    try:
        return await on_session(request, caller, read, keep=True)
    except OutOfScope as exc:
        return not_found_page(request, caller, exc.localized(p.locale))


async def _dashboard(request: Request, page: str, keys: tuple[str, ...],
                     read: Read[tuple[Any, ...]]) -> Response:
    """A managing role's page ``page`` (template ``<page>.html``): back to its last filters
    when none are asked, else the view ``read`` gives (with a ``period``, or ``None``) and
    "data as of", the filters asked kept for the next visit."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    if caller.principal.role not in MANAGING:
        return forbidden_page(request, caller)
    back = recall(request, page, keys)
    if back is not None:
        return back
    found = await _read(request, caller, read)
    if isinstance(found, Response):
        return found
    view, as_of, *more = found  # more: the page's further sections, by name
    response = render(request, f"{page}.html", caller.principal.locale, caller=caller,
                      view=view, as_of=as_of, shown_period=view.period if view else None,
                      **(more[0] if more else {}))
    keep(request, response, page, keys)
    return response


@router.get("/team", response_class=HTMLResponse)
async def team_page(request: Request, team: Param = None, plan: Param = None,
                    period: Param = None, show: Param = None) -> Response:
    """The team page for a manager (their team and the teams under it), an executive or an
    admin (any team)."""
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[Any, str | None, dict[str, Any]]:
        view = team_view(session, p.locale, words, today, own_team=p.team_id, team=team,
                         plan=plan, period=period)
        actions = read_actions(session, today, p.locale, words,
                               period=view.period if view else None,
                               team_id=view.team_id if view else team)
        return view, as_of_text(session, p.locale), {
            "actions": actions, "show": DISTRIBUTIONS.get(show or "", "score")}

    return await _dashboard(request, "team", TEAM_KEYS, read)


@router.get("/team/distribution", response_class=HTMLResponse)
async def team_distribution(request: Request, team: Param = None, plan: Param = None,
                            period: Param = None, show: Param = None) -> Response:
    """The Team page's distribution panel alone (``show``: by score band or by rating), which
    the page swaps in with htmx; the same panel the page itself renders."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    if caller.principal.role not in MANAGING:
        return forbidden_page(request, caller)
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]) -> Any:
        return team_view(session, p.locale, words, today, own_team=p.team_id, team=team,
                         plan=plan, period=period)

    view = await _read(request, caller, read)
    if isinstance(view, Response):
        return view
    if view is None:
        return not_found_page(request, caller, translator(caller.principal.locale)(
            "No team score yet: this page fills once a period in which a plan scores this "
            "team has been scored."))
    return render(request, "_team_distribution.html", caller.principal.locale, caller=caller,
                  view=view, show=DISTRIBUTIONS.get(show or "", "score"))


@router.get("/company", response_class=HTMLResponse)
async def company_page(request: Request, by: Param = None, team: Param = None,
                       period: Param = None) -> Response:
    """The company page for an executive or an admin (everything) or a manager (their part
    of the company)."""
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[Any, str | None]:
        view = company_view(session, p.locale, words, today, by=by, team=team, period=period)
        return view, as_of_text(session, p.locale)

    return await _dashboard(request, "company", COMPANY_KEYS, read)


@router.get("/reps/{rep_id}", response_class=HTMLResponse)
async def rep_page(request: Request, rep_id: str, period: Param = None) -> Response:
    """A rep's scorecard as their manager (or an executive or admin) sees it; a rep is sent
    to their own home, whichever rep the URL names."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    if caller.principal.role not in MANAGING:
        return RedirectResponse("/", status_code=303)

    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[Any, str, str | None, ActionsView]:
        card = my_scorecard(session, rep_id, p.locale, period, me=p)
        name = next((r["name"] for r in session.reps() if r["rep_id"] == rep_id), rep_id)
        actions = read_actions(session, today, p.locale, words,
                               period=card.period if card else None, rep_id=rep_id)
        return card, name or rep_id, as_of_text(session, p.locale), actions

    found = await _read(request, caller, read)
    if isinstance(found, Response):
        return found
    card, name, as_of, actions = found
    return render(request, "my_scorecard.html", caller.principal.locale, caller=caller,
                  card=card, rep_name=name, rep_id=rep_id, as_of=as_of,
                  shown_period=card.period if card else None, actions=actions)


@router.post("/preferences")
async def preferences(request: Request,
                      csrf_token: Annotated[str, Form(max_length=200)] = "",
                      theme: Annotated[str | None, Form(max_length=10)] = None,
                      lang: Annotated[str | None, Form(max_length=10)] = None,
                      next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """Set the theme (a cookie) and the signed-in user's language (their account)."""
    caller = await signed_in(request)
    if caller is None or caller.web is None:
        return to_login(request)
    try:
        await require_csrf(request, caller.web)
    except CsrfFailed:
        return RedirectResponse(safe_next(next), status_code=303)
    response = RedirectResponse(safe_next(next), status_code=303)
    if theme in ("light", "dark", "system"):
        if theme == "system":
            response.delete_cookie(THEME_COOKIE, path="/")
        else:
            response.set_cookie(THEME_COOKIE, theme, max_age=365 * 86400, samesite="lax",
                                path="/", secure=request.url.scheme == "https")
    if lang in ("en", "zh_CN") and lang != caller.principal.locale:
        state = app_state(request)
        principal = caller.principal
        await run_in_threadpool(state.accounts.set_own_locale, principal, lang)
        state.cache.clear()
    return response

"""The dashboard pages beyond a rep's home: Team, a rep's scorecard as their manager sees it,
Company, and the preferences every page offers (theme and language).

Each page reads through the signed-in user's session, so its scope decides what appears: a
team or a rep out of reach is 404, as in the API. Filters live in the URL and return on the
next visit (:mod:`salescore.app.filters`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from salescore.app.company_page import company_view
from salescore.app.deps import Caller, app_state, require_csrf
from salescore.app.filters import THEME_COOKIE, keep, recall
from salescore.app.formatting import as_of_text
from salescore.app.my_scorecard import my_scorecard
from salescore.app.pages import render, safe_next, signed_in, to_login, translator
from salescore.app.problems import CsrfFailed
from salescore.app.team_page import team_view
from salescore.core.scope import AccessError, OutOfScope

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Param = Annotated[str | None, Query(max_length=80)]
TEAM_KEYS = ("team", "plan", "period")
COMPANY_KEYS = ("by", "team", "period")
MANAGING = ("manager", "executive", "admin")


def _not_found(request: Request, caller: Caller, message: str) -> Response:
    return render(request, "not_found.html", caller.principal.locale, status=404,
                  caller=caller, message=message)


def _forbidden_page(request: Request, caller: Caller) -> Response:
    words = translator(caller.principal.locale)
    return _not_found(request, caller, words("This page is not part of what your role sees."))


@router.get("/team", response_class=HTMLResponse)
async def team_page(request: Request, team: Param = None, plan: Param = None,
                    period: Param = None) -> Response:
    """The team page for a manager (their team and the teams under it), an executive or an
    admin (any team)."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    p = caller.principal
    if p.role not in MANAGING:
        return _forbidden_page(request, caller)
    back = recall(request, "team", TEAM_KEYS)
    if back is not None:
        return back
    state = app_state(request)
    words = translator(p.locale)
    try:
        scope = p.scope()
    except AccessError as exc:
        return _not_found(request, caller, exc.localized(p.locale))

    def build() -> tuple[Any, str | None]:
        session = state.workspace.session(scope)
        view = team_view(session, p.locale, words, state.today(), own_team=p.team_id,
                         team=team, plan=plan, period=period)
        return view, as_of_text(session, p.locale)

    try:
        async with state.lock:
            view, as_of = await run_in_threadpool(build)
    except OutOfScope as exc:
        return _not_found(request, caller, exc.localized(p.locale))
    response = render(request, "team.html", p.locale, caller=caller, view=view,
                      as_of=as_of, shown_period=view.period if view else None)
    keep(request, response, "team", TEAM_KEYS)
    return response


@router.get("/company", response_class=HTMLResponse)
async def company_page(request: Request, by: Param = None, team: Param = None,
                       period: Param = None) -> Response:
    """The company page for an executive or an admin (everything) or a manager (their part
    of the company)."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    p = caller.principal
    if p.role not in MANAGING:
        return _forbidden_page(request, caller)
    back = recall(request, "company", COMPANY_KEYS)
    if back is not None:
        return back
    state = app_state(request)
    words = translator(p.locale)
    try:
        scope = p.scope()
    except AccessError as exc:
        return _not_found(request, caller, exc.localized(p.locale))

    def build() -> tuple[Any, str | None]:
        session = state.workspace.session(scope)
        view = company_view(session, p.locale, words, state.today(), by=by, team=team,
                            period=period)
        return view, as_of_text(session, p.locale)

    try:
        async with state.lock:
            view, as_of = await run_in_threadpool(build)
    except OutOfScope as exc:
        return _not_found(request, caller, exc.localized(p.locale))
    response = render(request, "company.html", p.locale, caller=caller, view=view,
                      as_of=as_of, shown_period=view.period)
    keep(request, response, "company", COMPANY_KEYS)
    return response


@router.get("/reps/{rep_id}", response_class=HTMLResponse)
async def rep_page(request: Request, rep_id: str, period: Param = None) -> Response:
    """A rep's scorecard as their manager (or an executive or admin) sees it; a rep is sent
    to their own home, whichever rep the URL names."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    p = caller.principal
    if p.role not in MANAGING:
        return RedirectResponse("/", status_code=303)
    state = app_state(request)
    try:
        scope = p.scope()
    except AccessError as exc:
        return _not_found(request, caller, exc.localized(p.locale))

    def build() -> tuple[Any, str, str | None]:
        session = state.workspace.session(scope)
        card = my_scorecard(session, rep_id, p.locale, period)
        name = next((r["name"] for r in session.reps() if r["rep_id"] == rep_id), rep_id)
        return card, name or rep_id, as_of_text(session, p.locale)

    try:
        async with state.lock:
            card, name, as_of = await run_in_threadpool(build)
    except OutOfScope as exc:
        return _not_found(request, caller, exc.localized(p.locale))
    return render(request, "my_scorecard.html", p.locale, caller=caller, card=card,
                  rep_name=name, rep_id=rep_id, as_of=as_of,
                  shown_period=card.period if card else None)


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

"""The pages a person signs in with: log-in, log-out, password change, and the start page
(a rep's own scorecard).

The log-in form carries a CSRF token of its own before any session exists (a random value in
a short-lived cookie and the same value in the form: a page on another site can set neither),
so that no one can sign a browser in as someone else. Every other form posts the session's
CSRF token. Pages speak the user's language, else the one asked for (``?lang=``), else the
browser's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from importlib.resources import files
from typing import Annotated, Any, TypeVar, cast
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from salescore.app.deps import (
    SESSION_COOKIE,
    AppState,
    Caller,
    app_state,
    authenticate,
    require_csrf,
)
from salescore.app.filters import THEMES, keep, recall, theme_of
from salescore.app.formatting import as_of_text
from salescore.app.i18n import catalogue, negotiate, resolve_locale
from salescore.app.my_scorecard import Scorecard, my_scorecard
from salescore.app.needs_action_view import ActionsView, read_actions
from salescore.app.problems import CsrfFailed, status_of
from salescore.core.access import Principal
from salescore.core.errors import SalescoreError
from salescore.core.scope import AccessError
from salescore.core.text import Text
from salescore.workspace import Session, data_stamp
from salescore.workspace.accounts import LoginFailed, LoginThrottled, UserError, WebLogin
from salescore.workspace.page_views import parallel_reads, reading

__all__ = ["LOGIN_CSRF_COOKIE", "render", "router", "safe_next", "signed_in", "templates",
           "to_login",
           "translator"]

LOGIN_CSRF_COOKIE = "salescore_login_csrf"

templates = Jinja2Templates(directory=str(files("salescore.app").joinpath("templates")))
# The shipped templates do not change under a running server: no file check per render.
templates.env.auto_reload = False
router = APIRouter(include_in_schema=False)

_FORM_EXPIRED = Text("This form has expired; please try again.", "表单已过期，请重试。")


def _locale(request: Request, caller: Caller | None, asked: str | None = None) -> str:
    if caller is not None:
        return caller.principal.locale
    chosen = resolve_locale(asked) or negotiate(request.headers.get("accept-language"))
    return chosen or app_state(request).workspace.locale


def translator(locale: str) -> Callable[..., str]:
    words = catalogue(locale)

    def translate(message: str, **values: Any) -> str:
        text = words.gettext(message)
        return text % values if values else text

    return translate


def render(request: Request, name: str, locale: str, *, status: int = 200,
           caller: Caller | None = None, **context: Any) -> HTMLResponse:
    """Template ``name`` in ``locale``."""
    request.state.locale = locale
    context.update(_=translator(locale), locale=locale, theme=theme_of(request),
                   themes=THEMES, here=request.url.path + (
                       f"?{request.url.query}" if request.url.query else ""),
                   html_lang="zh-CN" if locale == "zh_CN" else "en",
                   user=caller.principal if caller else None,
                   csrf_token=context.get("csrf_token") or (
                       caller.web.csrf_token if caller and caller.web else ""))
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Language"] = context["html_lang"]
    return response


def _secure(request: Request) -> bool:
    return app_state(request).settings.secure_cookies or request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, web: WebLogin) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, for the whole site."""
    response.set_cookie(SESSION_COOKIE, web.session_id, httponly=True, samesite="lax",
                        secure=_secure(request), path="/")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or a URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or \
            "\\" in target or any(ch in target for ch in "\r\n"):
        return "/"
    return target


def to_login(request: Request) -> RedirectResponse:
    """To the log-in page, and back to this page with its filters once signed in."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _login_page(request: Request, state: AppState, locale: str, *, status: int = 200,
                error: str | None = None, login: str = "", next_path: str = "/") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", locale, status=status, error=error, login=login,
                      next=safe_next(next_path), csrf_token=token)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=_secure(request), path="/login", max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/", lang: str | None = None) -> Response:
    return _login_page(request, app_state(request), _locale(request, None, lang),
                       next_path=next)


@router.post("/login", response_class=HTMLResponse)
async def log_in(request: Request,
                 login: Annotated[str, Form(max_length=320)],
                 password: Annotated[str, Form(max_length=1024)],
                 csrf_token: Annotated[str, Form(max_length=200)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "/",
                 lang: Annotated[str | None, Form(max_length=20)] = None) -> Response:
    state = app_state(request)
    locale = _locale(request, None, lang)
    words = translator(locale)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), csrf_token.encode()):
        return _login_page(request, state, locale, status=403, login=login, next_path=next,
                           error=_FORM_EXPIRED.get(locale))
    address = request.client.host if request.client else ""
    try:
        web = await run_in_threadpool(
            lambda: state.accounts.log_in(
                login, password, address=address,
                user_agent=request.headers.get("user-agent", "")[:300],
                replacing=request.cookies.get(SESSION_COOKIE)))
    except LoginThrottled as exc:
        response = _login_page(request, state, locale, status=429, login=login,
                               next_path=next, error=words(
                                   "Too many failed attempts; try again in %(seconds)s "
                                   "seconds.", seconds=exc.retry_after))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except LoginFailed:
        return _login_page(request, state, locale, status=401, login=login, next_path=next,
                           error=words("Wrong username or password."))
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, web)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def log_out(request: Request) -> Response:
    caller = await authenticate(request)
    response = RedirectResponse("/login", status_code=303)
    if caller is None or caller.web is None:
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    await require_csrf(request, caller.web)
    state = app_state(request)
    await run_in_threadpool(state.accounts.log_out, caller.web.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def signed_in(request: Request) -> Caller | None:
    caller = await authenticate(request)
    return caller if caller is not None and caller.web is not None else None


Words = Callable[..., str]
T = TypeVar("T")


async def on_session(request: Request, caller: Caller,
                     read: Callable[[Session, Principal, Words], T], *, keep: bool = False
                     ) -> T:
    """``read(session, principal, words)`` on the caller's session, in their language.

    Without ``keep``, one request at a time (the workspace's lock, as ``deps.session`` takes
    it). With ``keep`` (a page's view that depends only on the caller's scope, language, today,
    the path, the query and the data), what ``read`` returns is kept in the app's cache like an
    API answer (:mod:`salescore.app.cache`) under the data stamp
    (:func:`salescore.workspace.data_stamp`): the next visit with the same question is given it
    without the workspace, until the data changes, anything changes through this server or the
    cache's time runs out. Those asking for a view being worked out wait for that one
    computation; different views are worked out side by side, each on its own cursor (DuckDB;
    on PostgreSQL under the lock). :class:`AccessError` when the caller's account reaches
    nothing."""
    state = app_state(request)
    p = caller.principal
    scope = p.scope()
    words = translator(p.locale)

    def work() -> T:
        return read(state.workspace.session(scope), p, words)

    def reading_work() -> T:
        with reading(state.workspace):
            return work()

    if not keep:
        async with state.lock:
            return await run_in_threadpool(work)
    # Keyed by the data stamp too: a view worked out before the data changed is never given.
    key: Hashable = ("page", scope, p.locale, state.today(), request.url.path,
                     tuple(sorted(request.query_params.multi_items())),
                     data_stamp(state.workspace))
    kept = state.cache.get(key)
    if kept is not None:
        return cast(T, kept)
    # One computation per view: those asking for the same view wait for it (not for the
    # workspace), and are given what it gave.
    flight = state.flights.setdefault(key, anyio.Lock())
    async with flight:
        kept = state.cache.get(key)
        if kept is not None:
            return cast(T, kept)
        try:
            if parallel_reads(state.workspace):
                # Beside the other views being worked out, on this thread's own cursor: a
                # view that costs little is not queued behind one that costs more. A few at
                # once (two per core), so that the event loop (kept views, static files) is
                # not starved of the interpreter by a crowd of worker threads.
                value = await anyio.to_thread.run_sync(reading_work, limiter=state.readers)
            else:
                async with state.lock:
                    value = await run_in_threadpool(work)
            state.cache.put(key, value)
        finally:
            state.flights.pop(key, None)
    return value


async def read_or_not_found(request: Request, caller: Caller,
                            read: Callable[[Session, Principal, Words], T]) -> T | Response:
    """:func:`on_session` with the view kept; the not-found page (with the status the error
    calls for: 404 out of reach, 422 a period that is none, …) when ``read`` fails."""
    p = caller.principal
    try:
        return await on_session(request, caller, read, keep=True)
    except SalescoreError as exc:
        return render(request, "not_found.html", p.locale, status=status_of(exc), caller=caller,
                      message=exc.localized(p.locale))


async def filtered_page(request: Request, page: str, keys: tuple[str, ...],
                        read: Callable[[Session, Principal, Words], tuple[Any, str | None]],
                        **extra: Any) -> Response:
    """A page every signed-in role opens, with filters ``keys`` in its URL: back to the last
    ones when none are asked (:func:`salescore.app.filters.recall`), else the view and "data
    as of" that ``read`` gives (:func:`read_or_not_found`) rendered with ``<page>.html`` and
    ``extra``, and the filters asked kept for the next visit."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    back = recall(request, page, keys)
    if back is not None:
        return back
    found = await read_or_not_found(request, caller, read)
    if isinstance(found, Response):
        return found
    view, as_of = found
    response = render(request, f"{page}.html", caller.principal.locale, caller=caller,
                      view=view, as_of=as_of,
                      shown_period=getattr(view, "period", None) if view else None, **extra)
    keep(request, response, page, keys)
    return response


@router.get("/account/password", response_class=HTMLResponse)
async def password_page(request: Request) -> Response:
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    return render(request, "password.html", caller.principal.locale, caller=caller)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request,
                          current: Annotated[str, Form(max_length=1024)] = "",
                          new: Annotated[str, Form(max_length=1024)] = "",
                          confirm: Annotated[str, Form(max_length=1024)] = "") -> Response:
    caller = await signed_in(request)
    if caller is None or caller.web is None:
        return to_login(request)
    try:
        await require_csrf(request, caller.web)
    except CsrfFailed as exc:
        return render(request, "password.html", caller.principal.locale, status=403,
                      caller=caller, error=exc.text.get(caller.principal.locale))
    locale = caller.principal.locale
    words = translator(locale)
    if not current or new != confirm:
        return render(request, "password.html", locale, status=422, caller=caller,
                      error=words("The two new passwords differ.") if current else
                      words("The current password is wrong."))
    state = app_state(request)
    web = caller.web
    try:
        rotated = await run_in_threadpool(
            lambda: state.accounts.change_password(
                caller.principal, current, new, session_id=web.session_id,
                address=request.client.host if request.client else ""))
    except LoginThrottled as exc:
        response = render(request, "password.html", locale, status=429, caller=caller,
                          error=words("Too many failed attempts; try again in %(seconds)s "
                                      "seconds.", seconds=exc.retry_after))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except LoginFailed:
        return render(request, "password.html", locale, status=403, caller=caller,
                      error=words("The current password is wrong."))
    except UserError as exc:
        return render(request, "password.html", locale, status=422, caller=caller,
                      error=exc.localized(locale))
    if rotated is None:
        gone = to_login(request)
        gone.delete_cookie(SESSION_COOKIE, path="/")
        return gone
    fresh = Caller(rotated.principal, "cookie", rotated)
    done = render(request, "password.html", locale, caller=fresh, done=True)
    set_session_cookie(request, done, rotated)
    return done


PeriodParam = Annotated[str | None, Query(max_length=40)]


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, period: PeriodParam = None) -> Response:
    """A rep's own scorecard (:mod:`salescore.app.my_scorecard`); for the other roles, who
    they are and what they see, until their dashboards exist. A rep sees only themselves: the
    rep shown is the signed-in one, never one named in the URL."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    p = caller.principal
    try:
        scope = p.scope()
        described = scope.describe(p.locale)
    except AccessError as exc:  # a user linked to nothing still gets the page, told why
        return render(request, "home.html", p.locale, caller=caller, role=p.role,
                      scope=exc.localized(p.locale))
    if p.role in ("manager", "executive"):
        return RedirectResponse("/team" if p.role == "manager" else "/company",
                                status_code=303)
    if p.role != "rep" or p.rep_id is None:
        return render(request, "home.html", p.locale, caller=caller, role=p.role,
                      scope=described)
    state = app_state(request)
    rep_id = p.rep_id

    today = state.today()

    def read(session: Session, p: Principal, words: Words
             ) -> tuple[Scorecard | None, str | None, ActionsView]:
        card = my_scorecard(session, rep_id, p.locale, period, me=p)
        actions = read_actions(session, today, p.locale, words,
                               period=card.period if card else None, rep_id=rep_id)
        return card, as_of_text(session, p.locale), actions

    card, as_of, actions = await on_session(request, caller, read, keep=True)
    return render(request, "my_scorecard.html", p.locale, caller=caller, card=card,
                  as_of=as_of, shown_period=card.period if card else None, actions=actions)


@router.get("/api/v1/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> Response:
    """Swagger UI, served from this server (the page loads nothing from elsewhere)."""
    caller = await authenticate(request)
    return templates.TemplateResponse(request, "docs.html", {
        "openapi_url": "/api/v1/openapi.json",
        "csrf_token": caller.web.csrf_token if caller and caller.web else ""})

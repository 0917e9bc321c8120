"""Who is asking, and the workspace session they get: the dependencies every route declares.

A request is authenticated by an API token (``Authorization: Bearer <secret>``: scripts) or by
the browser's session cookie (``salescore_session``). A state-changing request (anything but
GET, HEAD and OPTIONS) that rests on the cookie must carry that session's CSRF token, in the
``X-CSRF-Token`` header or the ``csrf_token`` form field, or it is refused (403); a token
request needs none, since a browser never adds the header by itself.

The routes never look at a role: they ask for a :data:`SessionDep`, the workspace as the
caller's scope (:meth:`salescore.core.access.Principal.scope`) sees it, and the session refuses
what that scope does not reach. One request at a time uses the workspace (a DuckDB connection
is not to be shared between threads); waiting for it takes no worker thread.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import anyio
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from salescore.app.problems import CsrfFailed, NotAuthenticated, request_locale
from salescore.app.settings import AppSettings
from salescore.core.access import Principal
from salescore.core.text import Text
from salescore.workspace import Session, Workspace
from salescore.workspace.accounts import Accounts, WebLogin

if TYPE_CHECKING:
    from salescore.app.cache import ResponseCache

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "AppState",
    "Caller",
    "CallerDep",
    "LocaleDep",
    "PrincipalDep",
    "SessionDep",
    "StateDep",
    "app_state",
    "authenticate",
]

SESSION_COOKIE = "salescore_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class AppState:
    """What the app holds for its whole life: the workspace (opened once), its settings,
    the lock that lets one request at a time use the workspace, and the kept answers."""

    workspace: Workspace
    settings: AppSettings
    lock: anyio.Lock
    cache: ResponseCache
    flights: dict[Hashable, anyio.Lock] = field(default_factory=dict)
    """The kept views being worked out, each with the lock its askers wait on."""
    readers: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(2 * (os.cpu_count() or 2)))
    """How many views may be worked out at once (two per core: one waits on the warehouse
    while the other runs Python)."""

    @property
    def accounts(self) -> Accounts:
        return self.workspace.accounts

    def today(self) -> date:
        """Today in the organisation's time zone (or the day the settings fix)."""
        return self.settings.today or self.workspace.settings.calendar.local_date(
            datetime.now(UTC))

    @property
    def uploads(self) -> Path:
        """``<home>/uploads``: outside every folder the server serves."""
        return self.workspace.locations.home / "uploads"


def app_state(request: Request) -> AppState:
    state = request.app.state.salescore
    assert isinstance(state, AppState)
    return state


async def _state(request: Request) -> AppState:
    # Dependencies are async where they wait on nothing: a sync one takes a worker thread.
    return app_state(request)


StateDep = Annotated[AppState, Depends(_state)]


@dataclass(frozen=True, slots=True)
class Caller:
    """Whom a request acts for, and how it proved it: an API token, or a browser session
    (``web``: the session, with its CSRF token)."""

    principal: Principal
    via: Literal["token", "cookie"]
    web: WebLogin | None = None


_NOT_SIGNED_IN = Text("Sign in first, or send an API token (Authorization: Bearer ...).",
                      "请先登录，或携带 API 令牌（Authorization: Bearer ...）。")
_BAD_TOKEN = Text("The API token is unknown, revoked or expired.",
                  "API 令牌无效、已吊销或已过期。")
_BAD_SCHEME = Text("The Authorization header takes a bearer token: Authorization: Bearer <token>.",
                   "Authorization 头应为 Bearer 令牌：Authorization: Bearer <令牌>。")
_NO_CSRF = Text("This change needs the session's CSRF token (the X-CSRF-Token header or the "
                "csrf_token form field); reload the page and try again.",
                "此操作需要会话的 CSRF 令牌（X-CSRF-Token 请求头或 csrf_token 表单字段）；"
                "请刷新页面后重试。")


async def authenticate(request: Request) -> Caller | None:
    """The caller of ``request``, or ``None`` when it carries no valid credential (a bad token
    or Authorization header is :class:`NotAuthenticated` at once: a script should hear why).
    Sets ``request.state.locale`` to the caller's language."""
    state = app_state(request)
    header = request.headers.get("authorization")
    caller: Caller | None = None
    if header is not None:
        scheme, _, secret = header.strip().partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise NotAuthenticated(_BAD_SCHEME, headers={"WWW-Authenticate": "Bearer"})
        principal = state.accounts.remembered_token(secret) or await run_in_threadpool(
            state.accounts.principal_for_token, secret)
        if principal is None:
            raise NotAuthenticated(_BAD_TOKEN, headers={
                "WWW-Authenticate": 'Bearer error="invalid_token"'})
        caller = Caller(principal, "token")
    else:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            idle = state.settings.idle_minutes
            web = state.accounts.remembered_web_session(session_id, idle_minutes=idle) \
                or await run_in_threadpool(
                    lambda: state.accounts.web_session(session_id, idle_minutes=idle))
            if web is not None:
                caller = Caller(web.principal, "cookie", web)
    if caller is not None:
        request.state.locale = caller.principal.locale
        request.state.user = caller.principal.username
    return caller


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a request carries: its header, else its form field."""
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def require_csrf(request: Request, web: WebLogin) -> None:
    """Refuse (403) a request without ``web``'s CSRF token."""
    if not web.csrf_matches(await submitted_csrf(request)):
        raise CsrfFailed(_NO_CSRF)


async def caller(request: Request) -> Caller:
    """The authenticated caller (401 without one); a state-changing request on the session
    cookie must carry its CSRF token (403)."""
    found = await authenticate(request)
    if found is None:
        raise NotAuthenticated(_NOT_SIGNED_IN, headers={"WWW-Authenticate": "Bearer"})
    if found.web is not None and request.method not in SAFE_METHODS:
        await require_csrf(request, found.web)
    return found


CallerDep = Annotated[Caller, Depends(caller)]


async def principal(found: CallerDep) -> Principal:
    return found.principal


PrincipalDep = Annotated[Principal, Depends(principal)]


async def locale(request: Request, found: CallerDep) -> str:
    """The caller's language (``en`` or ``zh_CN``)."""
    return request_locale(request)


LocaleDep = Annotated[str, Depends(locale)]


async def session(found: CallerDep, request: Request) -> AsyncIterator[Session]:
    """The workspace as the caller's scope sees it, held by this request alone until the
    response is made. A state-changing request drops every kept answer when it is done, before
    the next request may use the workspace (:mod:`salescore.app.cache`)."""
    state = app_state(request)
    scope = found.principal.scope()
    async with state.lock:
        try:
            yield state.workspace.session(scope)
        finally:
            if request.method not in SAFE_METHODS:
                state.cache.clear()


SessionDep = Annotated[Session, Depends(session)]

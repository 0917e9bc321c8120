"""Answers kept for a while: what a read route answered, per scope, language and query.

Dashboards ask the same questions again and again (a team's KPIs, the leaderboard, one rep's
scorecard), and every answer depends only on the caller's scope, their language and the
request's path and query, never on who else they are. So a read route marked :func:`cached`
keeps its JSON answer under that key, and gives it again to any caller with the same scope.

An answer is dropped when anything changes through this server (every state-changing request
that uses the workspace clears them all, when it is done and before the next request may use
the workspace), when the data stamp moves on (it is part of every key:
:func:`salescore.workspace.data_stamp`, which an import, scoring or an accepted event moves,
whichever process made it) and after ``cache_seconds`` in any case.

>>> cache = ResponseCache(seconds=60, entries=2)
>>> cache.put(("k",), b"{}")
>>> cache.get(("k",))
b'{}'
>>> cache.clear(); cache.get(("k",)) is None
True
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from salescore.app.deps import Caller, CallerDep, app_state
from salescore.core.lru import Lru
from salescore.core.scope import Scope
from salescore.workspace import data_stamp

__all__ = ["ResponseCache", "cached"]

_REQUEST = "_cached_request"
_CALLER = "_cached_caller"


class ResponseCache:
    """At most ``entries`` answers (an API route's JSON, a page's view), each for at most
    ``seconds`` (0: nothing is kept). What is kept is shared between requests: never changed
    once put."""

    def __init__(self, *, seconds: float, entries: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.entries = entries
        self._clock = clock
        self._kept: Lru[Hashable, tuple[float, Any]] = Lru(max(1, entries))
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        found = self._kept.get(key)
        if found is None or self._clock() >= found[0]:
            self._kept.pop(key)
            self.misses += 1
            return None
        self.hits += 1
        return found[1]

    def put(self, key: Hashable, body: Any) -> None:
        if self.seconds <= 0 or self.entries <= 0:
            return
        self._kept.put(key, (self._clock() + self.seconds, body))

    def clear(self) -> None:
        self._kept.clear()


def _key(request: Request, scope: Scope) -> Hashable:
    locale = getattr(request.state, "locale", "")
    return (scope.kind, scope.subject, scope.read_only, locale, request.url.path,
            tuple(sorted(request.query_params.multi_items())),
            data_stamp(app_state(request).workspace))


def cached(endpoint: Callable[..., BaseModel]) -> Callable[..., Awaitable[Response]]:
    """Keep the JSON answers of the read route ``endpoint`` (which takes the caller's
    ``session`` and returns a Pydantic model) in the app's :class:`ResponseCache`.

    A kept answer is given without the workspace: no session is opened and the lock that lets
    one request at a time use the workspace is not waited for, so that many callers reading
    what is kept are not queued behind one that computes. Only an answer not kept takes the
    lock (as the ``session`` dependency does) and a worker thread for ``endpoint``."""
    # Evaluated here, in the endpoint's module: FastAPI reads the wrapper's signature.
    signature = inspect.signature(endpoint, eval_str=True)
    assert "session" in signature.parameters, f"{endpoint.__name__} takes no session"

    @functools.wraps(endpoint)
    async def wrapper(*args: Any, **kwargs: Any) -> Response:
        request: Request = kwargs.pop(_REQUEST)
        found: Caller = kwargs.pop(_CALLER)
        state = app_state(request)
        scope = found.principal.scope()
        key = _key(request, scope)
        body = state.cache.get(key)
        if body is None:
            async with state.lock:
                # Asked again once the lock is ours: when a kept answer lapses under load,
                # the requests queued behind the first are given what it computed.
                body = state.cache.get(key)
                if body is None:
                    session = state.workspace.session(scope)
                    answer = await run_in_threadpool(
                        functools.partial(endpoint, *args, session=session, **kwargs))
                    body = answer.model_dump_json().encode()
                    state.cache.put(key, body)
        return Response(body, media_type="application/json")

    params = [p for name, p in signature.parameters.items() if name != "session"]
    params.insert(0, inspect.Parameter(_CALLER, inspect.Parameter.KEYWORD_ONLY,
                                       annotation=CallerDep))
    params.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY,
                                    annotation=Request))
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=sorted(params, key=lambda p: p.kind))
    return wrapper

"""Errors as RFC 9457 problem details (``application/problem+json``), in the caller's language.

Every error a request can meet becomes one JSON object: ``type`` (a URI naming the kind),
``title`` (the kind, in words), ``status``, ``detail`` (this occurrence: salescore's own message,
in English or Chinese), ``instance`` (the request's path), ``code`` (the error's name, the same
one its Python class has: ``access_error``, ``out_of_scope``, ``period_error``, …) and
``request_id``; a validation problem adds ``errors``, one per field.

Which status an error gets is decided here alone (:data:`STATUSES`): a denied action is 403, a
record outside the caller's scope (or one that does not exist) 404, a bad input 422.

>>> from salescore.core.scope import AccessError, OutOfScope
>>> status_of(OutOfScope("no rep r9")), status_of(AccessError("read only"))
(404, 403)
>>> code_of(OutOfScope("x"))
'out_of_scope'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from salescore.app.i18n import gettext, negotiate
from salescore.core.errors import (
    ConfigError,
    PeriodError,
    SalescoreError,
    StoreError,
    StoreLockedError,
)
from salescore.core.scope import AccessError, OutOfScope
from salescore.core.text import Text
from salescore.workspace import IngestError, PlanValidationError
from salescore.workspace.accounts import (
    AccountNotFound,
    LoginFailed,
    LoginThrottled,
    UserError,
)
from salescore.workspace.coaching import CoachingError

__all__ = [
    "PROBLEM_JSON",
    "STATUSES",
    "AppProblem",
    "FieldError",
    "NotAuthenticated",
    "NotFound",
    "Problem",
    "TooLarge",
    "code_of",
    "install_problem_handlers",
    "problem_response",
    "status_of",
]

log = logging.getLogger("salescore.app")

PROBLEM_JSON = "application/problem+json"

STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (OutOfScope, 404),
    (AccountNotFound, 404),
    (AccessError, 403),
    (LoginThrottled, 429),
    (LoginFailed, 401),
    (StoreLockedError, 503),
    (StoreError, 503),
    (PeriodError, 422),
    (PlanValidationError, 422),
    (IngestError, 422),
    (UserError, 422),
    (CoachingError, 422),
    (ConfigError, 422),
    (SalescoreError, 400),
)
"""Each of salescore's error classes and its HTTP status; the first that matches wins."""


class FieldError(BaseModel):
    """One field a request got wrong: where (``query.limit``, ``body.value``) and why."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details object, with salescore's ``code`` and the request id."""

    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(description="The error's name: the same as its class in salescore")
    request_id: str | None = None
    errors: list[FieldError] | None = None


class AppProblem(Exception):
    """A problem the web app itself finds (not signed in, a bad CSRF token, a body too large,
    no such record): its status, code, words in both languages, and any headers."""

    status = 400
    code = "bad_request"

    def __init__(self, text: Text, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(text.en)
        self.text = text
        self.headers = dict(headers or {})


class NotAuthenticated(AppProblem):
    status = 401
    code = "not_authenticated"


class CsrfFailed(AppProblem):
    status = 403
    code = "csrf_failed"


class NotFound(AppProblem):
    status = 404
    code = "not_found"


class TooLarge(StarletteHTTPException):
    """A request body past the upload limit. An HTTP exception, not an :class:`AppProblem`:
    it is raised while the body streams, and FastAPI passes those on as they are."""

    code = "too_large"

    def __init__(self, text: Text) -> None:
        super().__init__(413, detail=text.en)
        self.text = text


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def status_of(exc: Exception) -> int:
    """The HTTP status of one of salescore's errors (500 for anything else)."""
    if isinstance(exc, AppProblem):
        return exc.status
    for kind, status in STATUSES:
        if isinstance(exc, kind):
            return status
    return 500


def code_of(exc: Exception) -> str:
    """The problem's ``code``: the error class's name in snake case (``PeriodError`` →
    ``period_error``), or the app's own code."""
    if isinstance(exc, AppProblem):
        return exc.code
    return _snake(type(exc).__name__)


def request_locale(request: Request) -> str:
    """The caller's language: the signed-in user's, else the browser's, else the
    organisation's."""
    chosen = getattr(request.state, "locale", None)
    if chosen:
        return str(chosen)
    found = negotiate(request.headers.get("accept-language"))
    if found:
        return found
    workspace = getattr(request.app.state, "workspace", None)
    return workspace.locale if workspace is not None else "en"


def _title(status: int, locale: str) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return gettext(locale, phrase)


def problem_response(request: Request, status: int, code: str, detail: str, *,
                     errors: list[FieldError] | None = None,
                     headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The problem details response for one error."""
    locale = request_locale(request)
    problem = Problem(type=f"/api/v1/problems/{code}", title=_title(status, locale),
                      status=status, detail=detail, instance=request.url.path, code=code,
                      request_id=getattr(request.state, "request_id", None), errors=errors)
    out = dict(headers or {})
    out["Content-Language"] = "zh-CN" if locale == "zh_CN" else "en"
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=status,
                        headers=out, media_type=PROBLEM_JSON)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [FieldError(field=_field(e.get("loc", ())), message=str(e.get("msg", "")))
              for e in exc.errors()]
    names = ", ".join(e.field for e in errors)
    detail = Text(f"invalid input: {names}" + "".join(f"; {e.field}: {e.message}"
                                                      for e in errors),
                  f"输入无效：{names}" + "".join(f"；{e.field}：{e.message}" for e in errors))
    return problem_response(request, 422, "validation_error",
                            detail.get(request_locale(request)), errors=errors)


async def _on_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TooLarge)
    return problem_response(request, 413, TooLarge.code, exc.text.get(request_locale(request)),
                            headers={"Connection": "close"})


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    try:
        code = _snake(HTTPStatus(status).name.title().replace("_", ""))
    except ValueError:
        code = "http_error"
    locale = request_locale(request)
    detail = exc.detail if isinstance(exc.detail, str) else _title(status, locale)
    if status == 404 and detail == "Not Found":
        detail = gettext(locale, "There is nothing at this address.")
    elif status == 405:
        detail = gettext(locale, "This address does not take that method.")
    return problem_response(request, status, code, detail, headers=exc.headers)


async def _on_app_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppProblem)
    return problem_response(request, exc.status, exc.code,
                            exc.text.get(request_locale(request)), headers=exc.headers)


async def _on_salescore(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SalescoreError)
    headers: dict[str, str] = {}
    errors = None
    if isinstance(exc, LoginThrottled):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, PlanValidationError):
        locale = request_locale(request)
        errors = [FieldError(field=str(issue.location or issue.rule),
                             message=issue.localized(locale)) for issue in exc.issues]
    return problem_response(request, status_of(exc), code_of(exc),
                            exc.localized(request_locale(request)), errors=errors,
                            headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    locale = request_locale(request)
    return problem_response(request, 500, "internal_error", gettext(
        locale, "Something went wrong on the server; the request id is in the server's log."))


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem details."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(TooLarge, _on_too_large)
    app.add_exception_handler(AppProblem, _on_app_problem)
    app.add_exception_handler(SalescoreError, _on_salescore)
    app.add_exception_handler(Exception, _on_unexpected)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}},
             "description": HTTPStatus(status).phrase}
    for status in (401, 403, 404, 422)
}
"""The problem responses every API route may give, for the OpenAPI document."""

"""What every response and request goes through: security headers, a request id, the upload
size limit, and a log line that never holds a secret.

* Headers: a Content-Security-Policy that lets a page load scripts, styles, images and fonts
  from this server alone and run no inline script, framed by no one (``frame-ancestors 'none'``
  and ``X-Frame-Options: DENY``), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  same-origin``; API answers are not cached (``Cache-Control: no-store``).
* ``X-Request-ID``: the caller's when it is a short token, else a new one; it is on the
  response, in the problem details and in every log line of the request.
* The body limit: a ``Content-Length`` above the limit is refused at once, and a body that
  streams past it is cut off there (413), never read whole first.
* Logs: one line per request (method, path, status, time, request id). Query strings, headers
  and bodies are not logged; :class:`Redactor` blanks anything that looks like a bearer token,
  an API token secret, a session cookie or a password field in any salescore log record.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from salescore.app.i18n import gettext, negotiate
from salescore.app.problems import PROBLEM_JSON, Problem, TooLarge
from salescore.core.text import Text

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "SECURITY_HEADERS",
    "Hardening",
    "Redactor",
    "current_request_id",
    "too_large_text",
]

log = logging.getLogger("salescore.app.access")

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A random prefix per process and a counter: unique ids without asking the kernel for
# randomness on every request (which is slow on some virtual machines).
_ID_PREFIX = secrets.token_hex(4)
_ids = itertools.count(1)
_request_id: ContextVar[str | None] = ContextVar("salescore_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled (``None`` outside one)."""
    return _request_id.get()


def too_large_text(limit: int) -> Text:
    megabytes = limit / (1 << 20)
    size = f"{megabytes:.0f} MB" if megabytes >= 1 else f"{limit} bytes"
    size_zh = f"{megabytes:.0f} MB" if megabytes >= 1 else f"{limit} 字节"
    return Text(f"The upload is larger than this server accepts ({size} at most); split the "
                "file or ask an admin to raise SALESCORE_MAX_UPLOAD_MB.",
                f"上传内容超过服务器允许的大小（最多 {size_zh}）；请拆分文件，"
                "或请管理员调高 SALESCORE_MAX_UPLOAD_MB。")


class Hardening:
    """The ASGI middleware of this module (see its description); ``max_body`` in bytes."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else f"{_ID_PREFIX}{next(_ids):08x}"
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = {"code": 0}
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                raw = list(message.get("headers", []))
                names = {k.lower() for k, _ in raw}
                raw.extend(h for h in SECURITY_HEADERS if h[0] not in names)
                raw.append((b"x-request-id", request_id.encode()))
                if b"cache-control" not in names and not path.startswith("/static/"):
                    raw.append((b"cache-control", b"no-store"))
                message["headers"] = raw
            await send(message)

        try:
            length = headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body:
                await self._refuse(scope, send_with_headers, headers)
                return
            await self.app(scope, self._limited(receive), send_with_headers)
        finally:
            log.info("%s %s %s %.1fms rid=%s", scope.get("method"), path, status["code"],
                     (time.perf_counter() - started) * 1000, request_id)
            _request_id.reset(token)

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(too_large_text(limit))
            return message

        return counted

    async def _refuse(self, scope: Scope, send: Send, headers: dict[str, str]) -> None:
        locale = negotiate(headers.get("accept-language")) or "en"
        body = Problem(type="/api/v1/problems/too_large", title=gettext(
            locale, "Content Too Large"), status=413,
            detail=too_large_text(self.max_body).get(locale), instance=scope.get("path", ""),
            code="too_large", request_id=scope["state"]["request_id"]
        ).model_dump_json(exclude_none=True).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})


_SECRETS = (
    (re.compile(r"(?i)(bearer\s+)[^\s'\",;]+"), r"\1[redacted]"),
    (re.compile(r"sc_[A-Za-z0-9_\-]{8,}"), "sc_[redacted]"),
    (re.compile(r"(?i)(salescore_session=)[^\s;'\"]+"), r"\1[redacted]"),
    (re.compile(r"(?i)((?:password|csrf_token|secret)[\"']?\s*[=:]\s*[\"']?)[^\s&'\",;]+"),
     r"\1[redacted]"),
)


class Redactor(logging.Filter):
    """Blanks secrets in a log record's message (its arguments merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format is not ours to fix here
            return True
        cleaned = message
        for pattern, replacement in _SECRETS:
            cleaned = pattern.sub(replacement, cleaned)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        rid = current_request_id()
        if rid and not hasattr(record, "request_id"):
            record.request_id = rid
        return True

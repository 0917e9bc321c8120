"""Sending one message: the group robots of WeCom, DingTalk and Feishu (each platform's own
message format and signing), and e-mail over SMTP.

What each platform documents, and what is sent:

* WeCom (企业微信) group robot: ``POST <webhook>?key=...`` with
  ``{"msgtype": "markdown", "markdown": {"content": "..."}}``; success is ``errcode`` 0.
* DingTalk (钉钉) custom robot with 加签: the URL gets ``&timestamp=<ms>&sign=<s>`` where
  ``s = urlencode(base64(HMAC-SHA256(key=secret, msg="<ms>\\n<secret>")))``; the body is
  ``{"msgtype": "markdown", "markdown": {"title": "...", "text": "..."}}``; success is
  ``errcode`` 0.
* Feishu (飞书) custom bot with 签名校验: the body carries ``timestamp`` (seconds, a string)
  and ``sign = base64(HMAC-SHA256(key="<s>\\n<secret>", msg=""))``, with
  ``{"msg_type": "text", "content": {"text": "..."}}``; success is ``code`` 0.

A failure is a :class:`DeliveryFailed` whose message never holds the URL (its key is a
credential) nor the secret.

>>> url, body = robot_request("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t",
...                           "SEC1", Message("Behind pace", "r1 is at 60 %", "http://x/r1"),
...                           now=1700000000.0)
>>> url.split("&")[1:]
['timestamp=1700000000000', 'sign=ukR4%2BWoOOBTGaOauYqugxVrMSFyr92q4hPxJxuOkiio%3D']
>>> body["msgtype"], body["markdown"]["title"]
('markdown', 'Behind pace')
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal, assert_never

__all__ = ["DeliveryFailed", "Message", "RobotKind", "SmtpSettings", "dingtalk_sign",
           "feishu_sign", "post_robot", "robot_request", "send_email"]

RobotKind = Literal["wecom", "dingtalk", "feishu"]


class DeliveryFailed(Exception):
    """A message was not delivered; the text says why without the URL or the secret."""


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str
    link: str

    def markdown(self) -> str:
        return f"**{self.title}**\n\n{self.body}\n\n[{self.link}]({self.link})"

    def plain(self) -> str:
        return f"{self.title}\n{self.body}\n{self.link}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature of ``timestamp_ms``, URL-encoded."""
    text = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), text, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature of ``timestamp_s``: the key is ``"<timestamp>\\n<secret>"``, the
    message empty."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def robot_request(kind: RobotKind, url: str, secret: str | None, message: Message, *,
                  now: float | None = None) -> tuple[str, dict[str, Any]]:
    """The URL to post to and the JSON body, for ``kind``'s group robot."""
    now = time.time() if now is None else now
    match kind:
        case "wecom":
            return url, {"msgtype": "markdown", "markdown": {"content": message.markdown()}}
        case "dingtalk":
            if secret:
                ms = int(round(now * 1000))
                glue = "&" if "?" in url else "?"
                url = f"{url}{glue}timestamp={ms}&sign={dingtalk_sign(secret, ms)}"
            return url, {"msgtype": "markdown",
                         "markdown": {"title": message.title, "text": message.markdown()}}
        case "feishu":
            body: dict[str, Any] = {"msg_type": "text", "content": {"text": message.plain()}}
            if secret:
                seconds = int(now)
                body = {"timestamp": str(seconds), "sign": feishu_sign(secret, seconds), **body}
            return url, body
        case _:
            assert_never(kind)


def post_robot(kind: RobotKind, url: str, secret: str | None, message: Message, *,
               timeout: float = 10.0) -> None:
    """Post ``message`` to the robot; :class:`DeliveryFailed` unless the platform says it
    took it (HTTP 2xx and its own success code)."""
    target, body = robot_request(kind, url, secret, message)
    request = urllib.request.Request(target, data=json.dumps(body, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json; charset=utf-8"},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            text = answer.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"the {kind} robot answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailed(f"the {kind} robot could not be reached "
                             f"({type(reason).__name__})") from None
    try:
        said = json.loads(text)
    except ValueError:
        raise DeliveryFailed(f"the {kind} robot answered something not JSON") from None
    code = said.get("code", said.get("StatusCode")) if kind == "feishu" else said.get("errcode")
    if code not in (0, None) or (kind != "feishu" and code is None):
        message_said = str(said.get("msg") or said.get("errmsg") or "")[:200]
        raise DeliveryFailed(f"the {kind} robot refused the message: {code} {message_said}")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where to send e-mail from (``SALESCORE_SMTP_HOST``, ``_PORT``, ``_FROM``, ``_USER``,
    ``_PASSWORD``, ``_STARTTLS``)."""

    host: str
    port: int = 25
    sender: str = "salescore@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False

    @classmethod
    def from_env(cls, env: Any) -> SmtpSettings | None:
        host = env.get("SALESCORE_SMTP_HOST")
        if not host:
            return None
        return cls(host=host, port=int(env.get("SALESCORE_SMTP_PORT") or 25),
                   sender=env.get("SALESCORE_SMTP_FROM") or "salescore@localhost",
                   user=env.get("SALESCORE_SMTP_USER") or None,
                   password=env.get("SALESCORE_SMTP_PASSWORD") or None,
                   starttls=(env.get("SALESCORE_SMTP_STARTTLS") or "").lower() in ("1", "true"))

    def __repr__(self) -> str:
        return f"SmtpSettings(host={self.host!r}, port={self.port}, sender={self.sender!r})"


def send_email(smtp: SmtpSettings, to: str, message: Message, *,
               attachments: tuple[tuple[str, bytes, str], ...] = (),
               timeout: float = 10.0) -> None:
    """Send ``message`` to ``to`` (UTF-8, plain text), with ``attachments`` (name, bytes,
    MIME type); :class:`DeliveryFailed` when the server does not take it."""
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = smtp.sender
    mail["To"] = to
    mail.set_content(f"{message.body}\n\n{message.link}\n")
    for name, data, mime in attachments:
        main, _, sub = mime.partition("/")
        mail.add_attachment(data, maintype=main, subtype=sub, filename=name)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"the mail server did not take the message "
                             f"({type(exc).__name__})") from None

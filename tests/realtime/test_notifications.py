"""Notifications against local stand-ins at the boundary: an HTTP server that records what the
three group robots receive (checked against each platform's documented format and signature)
and an SMTP server (aiosmtpd). A failing webhook ends in the dead-letter list; resent, it goes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from salescore.workspace import Workspace


class Robots:
    """Records every POST (path, query, JSON body); ``/broken`` answers 500 until fixed."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, list[str]], dict[str, Any]]] = []
        self.broken = True
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                robots.calls.append((url.path, urllib.parse.parse_qs(url.query), body))
                if url.path == "/broken" and robots.broken:
                    self.send_response(500)
                    self.end_headers()
                    return
                answer = {"code": 0, "msg": "success"} if url.path.startswith("/feishu") \
                    else {"errcode": 0, "errmsg": "ok"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of(self, path: str) -> list[tuple[dict[str, list[str]], dict[str, Any]]]:
        return [(q, b) for p, q, b in self.calls if p == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def robots() -> Iterator[Robots]:
    server = Robots()
    yield server
    server.close()


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SALESCORE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SALESCORE_SMTP_PORT", str(port))
    monkeypatch.setenv("SALESCORE_SMTP_FROM", "alerts@salescore.test")
    yield box
    controller.stop()


RULES = """\
rules:
  - name: behind_pace
    title: {en: Behind pace, zh: 进度落后}
    kpi: revenue_won
    condition: {kind: pace_below, value: 0.7}
    audience: [rep, manager]
    channels: [inapp, email, "wecom:ops", "dingtalk:ding", "feishu:fei", "wecom:broken"]
"""
NOON = datetime(2025, 3, 16, 4, tzinfo=UTC)  # 12:00 in Asia/Shanghai


def test_each_channel_in_its_format_and_a_dead_letter(
        workspace: Workspace, robots: Robots, mailbox: Mailbox,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cli = workspace.accounts.owner()
    workspace.accounts.add_user(cli, username="rita", password=None, role="rep", rep_id="r1",
                                locale="en", email="rita@example.com")
    workspace.accounts.add_user(cli, username="sam", password=None, role="manager",
                                team_id="T1", locale="zh_CN", email="sam@example.com")
    rt = workspace.owner().realtime
    rt.add_channel("ops", "wecom", f"{robots.url}/wecom?key=WECOMKEY1", locale="zh_CN")
    rt.add_channel("ding", "dingtalk", f"{robots.url}/dingtalk?access_token=DINGTOKEN1",
                   secret="SECdingtalk1", locale="zh_CN")
    rt.add_channel("fei", "feishu", f"{robots.url}/feishu/hook/FEISHUHOOK1",
                   secret="SECfeishu1", locale="en")
    rt.add_channel("broken", "wecom", f"{robots.url}/broken?key=BROKENKEY1")
    assert ("ding", "dingtalk", "zh_CN", True) in rt.channels()
    rt.set_rules(RULES, actor="test")
    target = {"table": "targets", "row": {"scope": "rep", "scope_id": "r1", "period": "2025-03",
                                          "kpi": "revenue_won", "value": "1000"}}
    assert rt.accept_events([target], now=NOON).alerts == 1

    first = rt.dispatch(NOON)
    assert (first.sent, first.retrying, first.dead) == (7, 1, 0)  # 2 in-app, 2 mails, 3 robots

    # WeCom: markdown, the key in the URL, the message in the channel's language (zh_CN).
    [(query, body)] = robots.of("/wecom")
    assert query == {"key": ["WECOMKEY1"]}
    assert body["msgtype"] == "markdown" and set(body) == {"msgtype", "markdown"}
    assert body["markdown"]["content"].startswith("**进度落后：R1**")
    assert "/api/v1/kpis/revenue_won/explain?subject=r1&period=2025-03" in \
        body["markdown"]["content"]
    # DingTalk: timestamp (ms) and sign = base64(HMAC-SHA256(secret, "ts\nsecret")) in the URL.
    [(query, body)] = robots.of("/dingtalk")
    stamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SECdingtalk1", f"{stamp}\nSECdingtalk1".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["DINGTOKEN1"]
    assert abs(int(stamp) / 1000 - datetime.now(UTC).timestamp()) < 60
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "进度落后：R1"
    # Feishu: timestamp (s) and sign = base64(HMAC-SHA256(key "ts\nsecret", "")) in the body.
    [(query, body)] = robots.of("/feishu/hook/FEISHUHOOK1")
    expected = base64.b64encode(hmac.new(f"{body['timestamp']}\nSECfeishu1".encode(), b"",
                                         hashlib.sha256).digest()).decode()
    assert body["sign"] == expected and body["msg_type"] == "text"
    assert body["content"]["text"].startswith("Behind pace: R1")  # the channel speaks English
    # E-mail in each recipient's language.
    subjects = {m["To"]: str(make_header(decode_header(m["Subject"])))
                for m in mailbox.messages}
    assert subjects == {"rita@example.com": "Behind pace: R1", "sam@example.com": "进度落后：R1"}

    # The broken robot: tried again after 30, 60 and 120 s, then dead; resent once fixed.
    for seconds in (30, 90, 210):
        rt.dispatch(NOON + timedelta(seconds=seconds))
    [dead] = rt.deliveries(status="dead")
    assert (dead.channel, dead.target, dead.attempts) == ("wecom", "broken", 4)
    assert dead.last_error == "the wecom robot answered HTTP 500"
    assert len(robots.of("/broken")) == 4
    robots.broken = False
    rt.resend(dead.id, actor="test")
    assert rt.dispatch().sent == 1 and rt.deliveries(status="dead") == []

    # Encrypted at rest and never logged: no URL key nor secret in the store or the log.
    with workspace._app.engine.connect() as connection:
        from sqlalchemy import text

        stored = b"".join(row[0] + (row[1] or b"") for row in connection.execute(
            text("SELECT url_encrypted, secret_encrypted FROM notification_channels")))
        audit = str(list(connection.execute(text("SELECT * FROM audit_log"))))
    for secret in ("WECOMKEY1", "DINGTOKEN1", "SECdingtalk1", "SECfeishu1", "FEISHUHOOK1"):
        assert secret.encode() not in stored and secret not in audit
        assert secret not in caplog.text

"""Faults on the way in (issue 14, "Performance and faults"): ``salescore serve`` consuming a
private NATS JetStream server is killed (SIGKILL) mid-stream and started again, and the broker is
stopped and started again on the same port and store mid-stream, while events keep being
published; in the end the API's count and sum of the deals won equal what was sent: no event
lost, none counted twice.

Everything runs on loopback: a nats-server of the test's own (never the shared one on 4222) and
the server as a subprocess on a fresh tiny organisation. The publisher resends any message whose
acknowledgement it did not get, so the stream may hold a message twice: the server must still
count it once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.app.conftest import build_home
from tests.backends import APP_STORES, fresh_app_schema_url

NATS_SERVER = Path("/usr/sbin/nats-server")
SRC = Path(__file__).resolve().parents[2] / "src"
STREAM, SUBJECT = "FAULTS", "salescore.faults"
MESSAGES, PER_MESSAGE = 200, 10  # 2,000 won deals, one to ten yuan each
PACE = 0.04  # seconds between two messages: about 8 s of publishing

pytestmark = pytest.mark.skipif(
    not NATS_SERVER.exists(), reason=f"{NATS_SERVER} is missing (Debian: apt install nats-server)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def event(n: int) -> dict[str, Any]:
    """Deal ``n`` won by r1 in May 2025 for ``n % 10 + 1`` yuan."""
    at = f"2025-05-{n % 28 + 1:02d}T10:00:00+08:00"
    return {"table": "opportunities", "at": at,
            "row": {"opportunity_id": f"F{n:05d}", "customer_id": "c1", "owner_rep_id": "r1",
                    "created_at": "2025-05-01T09:00:00+08:00", "stage": "won",
                    "closed_at": at, "amount": str(n % 10 + 1), "currency": "CNY"}}


class Publisher(threading.Thread):
    """Publishes the messages at ``PACE``, each until JetStream acknowledges it (through the
    broker's restart), counting what it sent and how many it had to send again."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.sent = 0
        self.resent = 0
        self.error: BaseException | None = None
        self.halt = threading.Event()
        self.gate = threading.Event()  # the last quarter waits until the broker is stopped

    def run(self) -> None:
        try:
            asyncio.run(self._publish())
        except BaseException as exc:  # handed to the test
            self.error = exc

    async def _publish(self) -> None:
        import nats

        nc = await nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2,
                                allow_reconnect=True)
        js = nc.jetstream()
        try:
            for m in range(MESSAGES):
                if m == MESSAGES * 3 // 4:
                    while not (self.gate.is_set() or self.halt.is_set()):
                        await asyncio.sleep(0.05)
                body = json.dumps({"events": [event(m * PER_MESSAGE + i)
                                              for i in range(PER_MESSAGE)]}).encode()
                while not self.halt.is_set():
                    try:
                        await js.publish(SUBJECT, body, timeout=1.0)
                        break
                    except Exception:  # the broker is away: send it again
                        self.resent += 1
                        await asyncio.sleep(0.1)
                self.sent += 1
                await asyncio.sleep(PACE)
        finally:
            await nc.close()


class Faults:
    """The private broker and the server, each started and stopped at will."""

    def __init__(self, folder: Path, app_db_url: str | None = None) -> None:
        self.folder = folder
        self.nats_port, self.http_port = free_port(), free_port()
        self.nats_url = f"nats://127.0.0.1:{self.nats_port}"
        self.broker: subprocess.Popen[bytes] | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ,
                    "PYTHONPATH": os.pathsep.join([str(SRC), str(SRC.parent)]),
                    "SALESCORE_WAREHOUSE_URL": f"duckdb:///{folder}/warehouse.duckdb",
                    "SALESCORE_NATS_URL": self.nats_url, "SALESCORE_NATS_STREAM": STREAM,
                    "SALESCORE_NATS_SUBJECT": SUBJECT, "SALESCORE_NATS_ACK_WAIT": "3",
                    "SALESCORE_CACHE_SECONDS": "0",
                    # Counting is what is checked here; re-scoring (tests/realtime/test_scores
                    # and the events bench) would only slow the server down on a loaded machine.
                    "SALESCORE_RESCORE_SECONDS": "0"}
        self.env.pop("SALESCORE_APP_DB_URL", None)
        if app_db_url is not None:
            self.env["SALESCORE_APP_DB_URL"] = app_db_url

    def start_broker(self) -> None:
        log = (self.folder / "nats.log").open("ab")
        self.broker = subprocess.Popen(
            [str(NATS_SERVER), "-a", "127.0.0.1", "-p", str(self.nats_port), "-js",
             "-sd", str(self.folder / "jetstream")], stdout=log, stderr=log)
        wait_port(self.nats_port, 10)

    def start_server(self) -> None:
        log = (self.folder / "server.log").open("ab")
        self.server = subprocess.Popen(
            [sys.executable, "-c", "from salescore.cli.main import app; app()", "serve",
             "--port", str(self.http_port), "--home", str(self.folder / "home")],
            env=self.env, stdout=log, stderr=log)

    def close(self) -> None:
        stop(self.server, signal.SIGKILL)
        stop(self.broker)


@pytest.fixture(params=APP_STORES)
def faults(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[Faults, str]]:
    """The broker and the server on a fresh tiny organisation, on each app store (the event
    versions that keep an event from counting twice live there)."""
    monkeypatch.setenv("SALESCORE_WAREHOUSE_URL", f"duckdb:///{tmp_path}/warehouse.duckdb")
    app_db = None if request.param == "sqlite" else fresh_app_schema_url(
        request.getfixturevalue("postgres_database"))
    if app_db is None:
        monkeypatch.delenv("SALESCORE_APP_DB_URL", raising=False)
    else:
        monkeypatch.setenv("SALESCORE_APP_DB_URL", app_db)
    token = build_home(tmp_path / "home")["admin"]
    setup = Faults(tmp_path, app_db)
    try:
        yield setup, token
    finally:
        setup.close()


def won(client: httpx.Client, token: str) -> tuple[int, Decimal] | None:
    """r1's deals won and revenue won in May 2025 through the API; None while it is down."""
    try:
        answer = client.get("/api/v1/kpis/values", params={
            "kpis": "deals_won,revenue_won", "by": "rep", "period": "2025-05"},
            headers={"Authorization": f"Bearer {token}"}, timeout=5)
    except httpx.HTTPError:
        return None
    if answer.status_code != 200:
        return None
    values = next(r["values"] for r in answer.json()["items"] if r["subject"] == "r1")
    return int(values["deals_won"] or 0), Decimal(str(values["revenue_won"] or 0))


async def broker_figures(url: str) -> tuple[int, int]:
    """The messages in the stream (a message resent by the publisher counts twice) and those
    the broker delivered to the server again (unacknowledged when it was killed): deliveries
    less the stream's last sequence."""
    import nats

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        stream = await js.stream_info(STREAM)
        consumer = await js.consumer_info(STREAM, "salescore")
        delivered = consumer.delivered
        assert delivered is not None
        return (int(stream.state.messages),
                int(delivered.consumer_seq or 0) - int(delivered.stream_seq or 0))
    finally:
        await nc.close()


def until(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def test_server_killed_and_broker_restarted_mid_stream(
        faults: tuple[Faults, str]) -> None:
    setup, token = faults
    total = MESSAGES * PER_MESSAGE
    expected_sum = sum(Decimal(n % 10 + 1) for n in range(total))
    setup.start_broker()
    setup.start_server()
    client = httpx.Client(base_url=f"http://127.0.0.1:{setup.http_port}")
    publisher = Publisher(setup.nats_url)
    try:
        assert until(lambda: won(client, token), 30, "the server answers") == (0, Decimal(0))
        publisher.start()

        # The server killed while it consumes: some events counted, more on their way.
        seen = until(lambda: (w := won(client, token)) and w[0] >= 300 and w, 20,
                     "300 events counted")
        stop(setup.server, signal.SIGKILL)
        at_kill = publisher.sent * PER_MESSAGE
        assert seen[0] < total and publisher.sent < MESSAGES
        setup.start_server()
        after = until(lambda: (w := won(client, token)) and w[0] > seen[0] and w, 30,
                      "the server back and consuming")

        # The broker stopped and started on the same port and store while events flow.
        stop(setup.broker)
        publisher.gate.set()
        at_broker = publisher.sent * PER_MESSAGE
        assert at_broker < total
        time.sleep(2.0)  # publishing goes on meanwhile, unacknowledged: sent again
        setup.start_broker()

        publisher.join(30)
        assert publisher.error is None and not publisher.is_alive()
        assert publisher.sent == MESSAGES
        deadline, last = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            last = won(client, token) or last
            if last is not None and last[0] >= total:
                break
            time.sleep(0.1)
        assert last is not None and last[0] >= total, f"{total} sent, {last} counted"
        time.sleep(1.0)  # anything redelivered late must not change the figures
        final = won(client, token)
        stream, redelivered = asyncio.run(broker_figures(setup.nats_url))
        print(f"\nserver killed at {seen[0]} counted / {at_kill} sent, back at {after[0]}; "
              f"broker stopped at {at_broker} sent; {publisher.resent} publishes sent again; "
              f"{stream} messages in the stream for {MESSAGES} distinct; {redelivered} "
              f"redelivered to the server; final {final}")
        assert final == (total, expected_sum)
    finally:
        publisher.halt.set()
        client.close()

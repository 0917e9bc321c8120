"""Events over the real NATS JetStream server (127.0.0.1:4222; ``.ci/run`` starts it): the
consumer acknowledges only after the batch is committed, and a failed batch is delivered
again, applied once."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from starlette.concurrency import run_in_threadpool

from salescore.workspace import EventConsumer, Workspace

NATS_URL = "nats://127.0.0.1:4222"


def _nats_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _nats_up(), reason="no NATS server on 127.0.0.1:4222 "
                                "(.ci/run starts one: nats-server -js)")


def event(opp: str, day: int) -> dict[str, Any]:
    at = f"2025-03-{day:02d}T10:00:00+08:00"
    return {"table": "opportunities", "at": at,
            "row": {"opportunity_id": opp, "customer_id": "c1", "owner_rep_id": "r1",
                    "created_at": "2025-03-01T10:00:00+08:00", "stage": "won",
                    "closed_at": at, "amount": "10", "currency": "CNY"}}


async def _run(ws: Workspace, messages: list[bytes], *, fail_first: bool,
               after_commit: bool = False) -> EventConsumer:
    import nats

    tag = uuid.uuid4().hex[:8]
    subject, stream = f"salescore.test.{tag}", f"TEST_{tag}"
    calls = {"n": 0}

    async def apply(events: list[Any]) -> Any:
        calls["n"] += 1
        if fail_first and calls["n"] == 1 and not after_commit:
            raise RuntimeError("the warehouse went away")
        done = await run_in_threadpool(ws.owner().realtime.accept_events, events,
                                       actor="nats")
        if fail_first and calls["n"] == 1:  # committed, then the process "dies" before acking
            raise RuntimeError("killed after the commit")
        return done

    consumer = EventConsumer(apply, url=NATS_URL, stream=stream, subject=subject,
                             durable=f"d{tag}", batch=50, fetch_wait=0.2)
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    from salescore.realtime.consumer import ensure_stream  # noqa: PLC0415

    await ensure_stream(js, stream, subject)
    for body in messages:
        await js.publish(subject, body)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        for _ in range(300):  # up to 30 s on a busy machine
            await asyncio.sleep(0.1)
            if consumer.stats.terminated + consumer.stats.messages >= len(messages):
                break
        for _ in range(100):  # the acknowledgements are on their way
            info = await js.consumer_info(stream, f"d{tag}")
            if info.num_ack_pending == 0 and info.num_pending == 0:
                break
            await asyncio.sleep(0.1)
        assert info.num_ack_pending == 0 and info.num_pending == 0
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await js.delete_stream(stream)
        await nc.close()
    return consumer


def _r1_march(ws: Workspace) -> int:
    return int(ws.owner().kpis(["deals_won"], by="rep", period="2025-03",
                               subjects=["r1"]).to_pylist()[0]["deals_won"])


def test_consumed_once_each_even_when_published_twice(workspace: Workspace) -> None:
    bodies = [json.dumps(event(f"n{i}", 10 + i)).encode() for i in range(5)]
    bodies += [json.dumps({"events": [event("n0", 10), event("n1", 11)]}).encode(), b"not json"]
    consumer = asyncio.run(_run(workspace, bodies, fail_first=False))
    assert consumer.stats.terminated == 1
    assert _r1_march(workspace) == 1 + 5  # o2 and the five, n0 and n1 not twice


def test_a_failed_batch_is_delivered_again_and_applied_once(workspace: Workspace) -> None:
    bodies = [json.dumps(event(f"f{i}", 10 + i)).encode() for i in range(3)]
    consumer = asyncio.run(_run(workspace, bodies, fail_first=True))
    assert consumer.stats.failures == 1
    assert _r1_march(workspace) == 1 + 3


def test_killed_after_the_commit_before_the_ack_counts_once(workspace: Workspace) -> None:
    bodies = [json.dumps(event(f"k{i}", 10 + i)).encode() for i in range(4)]
    consumer = asyncio.run(_run(workspace, bodies, fail_first=True, after_commit=True))
    assert consumer.stats.failures == 1  # the batch came again, found applied: duplicates
    assert _r1_march(workspace) == 1 + 4


def test_the_server_consumes_the_stream(tmp_path: Path) -> None:
    """``SALESCORE_NATS_URL`` set: the server's own consumer applies what is published, and
    the KPI read through the API includes it a moment later."""
    import time

    import nats
    from tests.app.conftest import served

    from salescore.app import AppSettings
    from salescore.realtime.consumer import ensure_stream

    tag = uuid.uuid4().hex[:8]
    subject, stream = f"salescore.test.{tag}", f"TEST_{tag}"
    settings = AppSettings(nats_url=NATS_URL, nats_subject=subject, nats_stream=stream)

    async def publish(bodies: list[bytes]) -> None:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        await ensure_stream(js, stream, subject)
        for body in bodies:
            await js.publish(subject, body)
        await nc.close()

    async def drop() -> None:
        nc = await nats.connect(NATS_URL)
        await nc.jetstream().delete_stream(stream)
        await nc.close()

    try:
        with served("duckdb", tmp_path, settings) as server:
            asyncio.run(publish([json.dumps(event(f"s{i}", 10 + i)).encode()
                                 for i in range(3)]))
            deadline = time.monotonic() + 20
            won = 0
            while time.monotonic() < deadline:
                answer = server.client.get("/api/v1/kpis/values", params={
                    "kpis": "deals_won", "by": "rep", "period": "2025-03"},
                    headers=server.headers("admin"))
                won = next(int(r["values"]["deals_won"]) for r in answer.json()["items"]
                           if r["subject"] == "r1")
                if won == 1 + 3:
                    break
                time.sleep(0.2)
            assert won == 1 + 3
    finally:
        asyncio.run(drop())


def test_clients_creating_the_same_stream_at_once_all_succeed() -> None:
    """The server's consumer and a publisher starting together both create the stream: the
    second creation is refused by NATS, and must use the stream the first one made."""
    import nats
    from nats.js.errors import BadRequestError

    from salescore.realtime.consumer import ensure_stream

    async def race(clients: int) -> list[str]:
        tag = uuid.uuid4().hex[:8]
        subject, stream = f"salescore.test.{tag}", f"TEST_{tag}"
        connections = [await nats.connect(NATS_URL) for _ in range(clients)]
        try:
            await asyncio.gather(*(ensure_stream(nc.jetstream(), stream, subject)
                                   for nc in connections))
            info = await connections[0].jetstream().stream_info(stream)
            await connections[0].jetstream().delete_stream(stream)
            return list(info.config.subjects or [])
        finally:
            for nc in connections:
                await nc.close()

    for _ in range(10):
        subjects = asyncio.run(race(6))
        assert len(subjects) == 1 and subjects[0].startswith("salescore.test.")

    async def refused() -> None:  # a subject another stream already takes is still refused
        tag = uuid.uuid4().hex[:8]
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        try:
            await ensure_stream(js, f"TEST_{tag}", f"salescore.test.{tag}")
            with pytest.raises(BadRequestError):
                await ensure_stream(js, f"TEST_{tag}_B", f"salescore.test.{tag}")
        finally:
            await js.delete_stream(f"TEST_{tag}")
            await nc.close()

    asyncio.run(refused())

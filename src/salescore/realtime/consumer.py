"""Events in over NATS JetStream: a durable pull consumer that hands each fetched batch to the
workspace and acknowledges its messages only once the batch is committed.

A message holds one event, a list of events, or ``{"events": [...]}`` (JSON, UTF-8), as
``POST /api/v1/events`` takes them. If applying a batch fails (the warehouse is down, the
process is stopped mid-batch) nothing is acknowledged: JetStream delivers the messages again
after ``ack_wait`` (or at once after a ``nak``), and since an event applied twice changes
nothing (:mod:`salescore.realtime.events`), none is lost and none counted twice. A message
that is not JSON is terminated (it would never apply), and logged with its sequence number only.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_STREAM", "DEFAULT_SUBJECT", "ConsumerStats", "EventConsumer",
           "ensure_stream", "messages_events"]

DEFAULT_STREAM = "SALESCORE_EVENTS"
DEFAULT_SUBJECT = "salescore.events"
log = logging.getLogger("salescore.realtime")

Apply = Callable[[list[Any]], Awaitable[Any]]


def messages_events(data: bytes) -> list[Any]:
    """The events of one message's body; ``ValueError`` when it is not JSON of events.

    >>> messages_events(b'{"events": [{"table": "teams"}]}')
    [{'table': 'teams'}]
    >>> messages_events(b'{"table": "teams", "row": {}}')
    [{'table': 'teams', 'row': {}}]
    """
    payload = json.loads(data.decode("utf-8"))
    if isinstance(payload, dict) and "events" in payload:
        payload = payload["events"]
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list):
        return payload
    raise ValueError("a message holds an event, a list of events or {\"events\": [...]}")


async def ensure_stream(js: Any, stream: str = DEFAULT_STREAM,
                        subject: str = DEFAULT_SUBJECT) -> None:
    """Create the stream of ``subject`` (file storage) unless it exists; add ``subject`` to
    an existing stream that does not yet take it. Safe when another client (the server's
    consumer and a publisher starting together) creates the same stream at the same moment:
    the server then refuses the second creation, and the stream it made is used."""
    from nats.js.api import StorageType, StreamConfig
    from nats.js.errors import BadRequestError, NotFoundError

    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        try:
            await js.add_stream(StreamConfig(name=stream, subjects=[subject],
                                             storage=StorageType.FILE))
            return
        except BadRequestError as refused:  # created meanwhile by another client?
            try:
                info = await js.stream_info(stream)
            except NotFoundError:
                raise refused from None  # no: a real refusal (subjects of another stream)
    subjects = list(info.config.subjects or [])
    if subject not in subjects:
        info.config.subjects = [*subjects, subject]
        await js.update_stream(info.config)


@dataclass
class ConsumerStats:
    batches: int = 0
    messages: int = 0
    events: int = 0
    failures: int = 0
    terminated: int = 0


class EventConsumer:
    """Fetch up to ``batch`` messages at a time from the durable consumer ``durable`` of
    ``subject`` and ``await apply(events)`` for each fetch; acknowledge after it returns."""

    def __init__(self, apply: Apply, *, url: str = "nats://127.0.0.1:4222",
                 stream: str = DEFAULT_STREAM, subject: str = DEFAULT_SUBJECT,
                 durable: str = "salescore", batch: int = 1000, fetch_wait: float = 0.2,
                 ack_wait: float = 30.0) -> None:
        self.apply = apply
        self.url = url
        self.stream = stream
        self.subject = subject
        self.durable = durable
        self.batch = batch
        self.fetch_wait = fetch_wait
        self.ack_wait = ack_wait
        self.stats = ConsumerStats()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; reconnects as the client does when the server
        restarts."""
        import nats
        from nats.errors import TimeoutError as NatsTimeout
        from nats.js.api import AckPolicy, ConsumerConfig

        nc = await nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.5)
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.stream, self.subject)
            sub = await js.pull_subscribe(
                self.subject, durable=self.durable, stream=self.stream,
                config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=self.ack_wait,
                                      max_ack_pending=max(10_000, self.batch * 4)))
            while not stop.is_set():
                try:
                    msgs = await sub.fetch(self.batch, timeout=self.fetch_wait)
                except (TimeoutError, NatsTimeout):
                    continue
                except Exception as exc:  # the server restarting: wait and fetch again
                    log.warning("fetching events failed: %s", type(exc).__name__)
                    await asyncio.sleep(0.5)
                    continue
                await self._handle(msgs)
        finally:
            await nc.close()

    async def _handle(self, msgs: list[Any]) -> None:
        events: list[Any] = []
        good: list[Any] = []
        for msg in msgs:
            try:
                events.extend(messages_events(msg.data))
                good.append(msg)
            except (ValueError, UnicodeDecodeError):
                log.warning("event message %s is not JSON of events: terminated",
                            getattr(msg.metadata.sequence, "stream", "?"))
                self.stats.terminated += 1
                await msg.term()
        if not good:
            return
        try:
            await self.apply(events)
        except Exception as exc:
            self.stats.failures += 1
            log.warning("applying %d events failed (%s): redelivered", len(events),
                        type(exc).__name__)
            for msg in good:
                await msg.nak(delay=1.0)
            return
        for msg in good:
            await msg.ack()
        self.stats.batches += 1
        self.stats.messages += len(good)
        self.stats.events += len(events)

"""What the server runs beside its requests for real-time feedback (issue 14): the NATS
JetStream consumer of events (``SALESCORE_NATS_URL``), the re-scoring of the reps that events
touched (every ``SALESCORE_RESCORE_SECONDS``, default 2; 0 turns it off) and the schedule of
alert checks, deliveries and reports (``SALESCORE_SCHEDULER``). Each takes the workspace lock
that the requests take, so that one thing at a time uses the workspace."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from starlette.concurrency import run_in_threadpool

from salescore.app.deps import AppState
from salescore.workspace import EventConsumer

log = logging.getLogger("salescore.app")


async def _locked(state: AppState, work: Callable[[], Any]) -> Any:
    async with state.lock:
        try:
            return await run_in_threadpool(work)
        finally:
            state.cache.clear()


async def start_realtime(state: AppState, stack: AsyncExitStack) -> None:
    """Start what the settings ask for; ``stack`` stops it when the server stops."""
    settings = state.settings
    if settings.rescore_seconds > 0:  # first in, so last out: after the consumer has stopped
        stack.push_async_callback(_every(settings.rescore_seconds, lambda: rescore(state)))
    if settings.nats_url:
        async def apply(events: list[Any]) -> Any:
            return await _locked(state, lambda: state.workspace.owner().realtime.accept_events(
                events, actor="nats"))

        consumer = EventConsumer(apply, url=settings.nats_url, subject=settings.nats_subject,
                                 stream=settings.nats_stream,
                                 ack_wait=settings.nats_ack_wait)
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))

        async def halt() -> None:
            stop.set()
            try:
                await asyncio.wait_for(task, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
            except Exception as exc:  # already logged by the consumer's own end
                log.warning("the event consumer stopped: %s", type(exc).__name__)

        stack.push_async_callback(halt)
    if settings.scheduler:
        scheduler = _scheduler(state)
        scheduler.start()
        stack.callback(scheduler.shutdown, wait=False)


async def rescore(state: AppState) -> Any:
    """Re-score the reps touched since the last time (nothing touched: the lock is not even
    taken). The page cache is cleared after, so that the pages' next poll reads the scores."""
    from salescore.workspace.realtime_scores import touched

    if not touched(state.workspace).pending():
        return None
    return await _locked(state, lambda: state.workspace.owner().realtime.rescore_touched(
        state.today()))


DUTY = 4
"""A round of re-scoring that took t seconds is followed by at least ``DUTY`` × t: it holds
the workspace lock, so on a busy machine it may take at most about 1 / (1 + ``DUTY``) of the
server's time from the events and the requests (the scores then lag more, the KPIs do not)."""


def _every(seconds: float, work: Callable[[], Any]) -> Callable[[], Any]:
    """Run ``work`` (a coroutine function) every ``seconds`` (or, after a long round, ``DUTY``
    times its length) until the returned coroutine function is awaited, and once more then (a
    server stopped in between loses nothing noted); a failure is logged and the next round
    tried."""
    async def loop() -> None:
        wait = seconds
        while True:
            await asyncio.sleep(wait)
            started = time.monotonic()
            try:
                await work()
            except Exception:  # logged, tried again: a bad round must not stop the loop
                log.exception("re-scoring after events failed")
            wait = max(seconds, DUTY * (time.monotonic() - started))

    task = asyncio.create_task(loop())

    async def halt() -> None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        try:
            await work()
        except Exception:  # stopping: logged, not raised
            log.exception("re-scoring after events failed")

    return halt


def _scheduler(state: AppState) -> Any:
    """Every minute: the alert rules checked and the due deliveries sent, and the report
    schedules that are due run (each schedule's cron is read in the organisation's zone:
    :meth:`~salescore.workspace.realtime_schedules.SchedulesMixin.run_due_schedules`)."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone=state.workspace.settings.calendar.zone)

    async def tick() -> None:
        await _locked(state, lambda: state.workspace.owner().realtime.tick())

    async def reports() -> None:
        await _locked(state, lambda: state.workspace.owner().realtime.run_due_schedules())

    scheduler.add_job(tick, "interval", minutes=1, id="alerts", max_instances=1,
                      coalesce=True)
    scheduler.add_job(reports, "cron", minute="*", second=5, id="reports", max_instances=1,
                      coalesce=True)
    return scheduler

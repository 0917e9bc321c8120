"""What the server runs beside its requests for real-time feedback (issue 14): the NATS
JetStream consumer of events (``SALESCORE_NATS_URL``) and the schedule of alert checks,
deliveries and reports (``SALESCORE_SCHEDULER``). Each takes the workspace lock that the
requests take, so that one thing at a time uses the workspace."""

from __future__ import annotations

import asyncio
import logging
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


def _scheduler(state: AppState) -> Any:
    """Every minute: the alert rules checked and the due deliveries sent; each day at 07:00
    (the organisation's zone): the scheduled reports."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone=state.workspace.settings.calendar.zone)

    async def tick() -> None:
        await _locked(state, lambda: state.workspace.owner().realtime.tick())

    async def reports() -> None:
        await _locked(state, lambda: state.workspace.owner().realtime.send_scheduled_reports())

    scheduler.add_job(tick, "interval", minutes=1, id="alerts", max_instances=1,
                      coalesce=True)
    scheduler.add_job(reports, "cron", hour=7, minute=0, id="reports", max_instances=1,
                      coalesce=True)
    return scheduler

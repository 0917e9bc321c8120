"""The models' training after an import, in the server's background (issue 12): an upload
answers as soon as its rows are loaded, and the training (``ml.train_after_import``, bounded by
``ml.train_budget_seconds``) runs afterwards as its own task, under the workspace lock that
requests take, so that one thing at a time uses the workspace."""

from __future__ import annotations

import asyncio
import logging

from anyio import from_thread

from salescore.app.deps import AppState
from salescore.app.realtime_tasks import _locked
from salescore.workspace import train_after_import

__all__ = ["train_later"]

log = logging.getLogger("salescore.app")
_RUNNING: set[asyncio.Task[None]] = set()  # kept, so that a running task is not collected


def train_later(state: AppState, actor: str) -> None:
    """Start the training after an import as a task of the server's loop; called from the
    loop (an async route) or from a worker thread (a plain route)."""

    async def run() -> None:
        await _locked(state, lambda: train_after_import(state.workspace.owner(), actor=actor))

    def start() -> None:
        task = asyncio.get_running_loop().create_task(run())
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread: hand it to the loop
        from_thread.run_sync(start)
    else:
        start()

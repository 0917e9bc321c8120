"""The web application: :func:`create_app` builds it around one open workspace.

The workspace is opened once per process, writable (while it runs, the server is the one
writer of a DuckDB warehouse), when the app starts, and closed when it stops. The REST API is
under ``/api/v1`` (OpenAPI document ``/api/v1/openapi.json``, Swagger UI ``/api/v1/docs``
served from this server); the sign-in pages are at the root; ``/static`` holds the pages'
stylesheet and the vendored Swagger UI.

>>> import tempfile
>>> from fastapi.testclient import TestClient
>>> from salescore.workspace import Workspace
>>> with tempfile.TemporaryDirectory() as d:
...     Workspace.init(d).close()
...     with TestClient(create_app(d)) as client:
...         answer = client.get("/api/v1/me")
...     answer.status_code, answer.json()["code"], answer.headers["x-frame-options"]
(401, 'not_authenticated', 'DENY')
"""

from __future__ import annotations

import atexit
import gc
import logging
import logging.handlers
import os
import queue
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from importlib.resources import files
from pathlib import Path

import anyio
from fastapi import FastAPI

from salescore.app.alerts_page import router as alerts_page_router
from salescore.app.cache import ResponseCache
from salescore.app.coaching_page import router as coaching_router
from salescore.app.coaching_team_page import router as coaching_team_router
from salescore.app.customers_page import router as customers_router
from salescore.app.dashboards import router as dashboards_router
from salescore.app.data_page import router as data_router
from salescore.app.deps import AppState
from salescore.app.explore_pages import router as explore_router
from salescore.app.forecast_page import router as forecast_router
from salescore.app.funnel_page import router as funnel_router
from salescore.app.live_scores import router as live_scores_router
from salescore.app.pages import router as pages_router
from salescore.app.pipeline_page import router as pipeline_page_router
from salescore.app.plans_page import router as plans_router
from salescore.app.problems import install_problem_handlers
from salescore.app.realtime_tasks import start_realtime
from salescore.app.rep_pages import router as rep_pages_router
from salescore.app.routes import API_ROUTERS
from salescore.app.security import Hardening, Redactor
from salescore.app.settings import AppSettings
from salescore.app.static_files import KeptStaticFiles
from salescore.app.trends_page import router as trends_router
from salescore.workspace import HOME_ENV, Workspace, prepare_page_views
from salescore.workspace.server import remove_server_record

__all__ = ["API_PREFIX", "create_app", "create_app_from_env"]

API_PREFIX = "/api/v1"

_DESCRIPTION = """\
The salescore REST API. Every read is scoped to the caller: a rep sees their own records and
scores, a manager their team's subtree, an executive everything (read only), an admin
everything. A record outside the caller's scope is 404; an action their role may not take, 403.

Authenticate with an API token (`Authorization: Bearer <token>`, issued with
`salescore user token` or `POST /api/v1/users/{username}/tokens`) or, from a browser, by
signing in at `/login`; a state-changing request on the session cookie must send the session's
CSRF token in `X-CSRF-Token`. Lists take `limit` (≤ 500) and `cursor`, and answer
`{items, next_cursor}`. Errors are RFC 9457 problem details (`application/problem+json`) in
the caller's language.
"""


LOGGERS = ("salescore", "salescore.app", "salescore.app.access", "uvicorn", "uvicorn.error",
           "uvicorn.access")


def _install_logging() -> None:
    """Every record of the app's and uvicorn's loggers goes through :class:`Redactor`; where
    nothing else has set logging up (as under ``salescore serve``), the app's records go to
    standard error with their request id."""
    redactor = Redactor()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, Redactor) for f in logger.filters):
            logger.addFilter(redactor)
    app_logger = logging.getLogger("salescore.app")
    if not app_logger.handlers and not logging.getLogger().handlers:
        # Written by a thread of its own: a request does not wait for standard error.
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        handler = logging.handlers.QueueHandler(records)
        handler.addFilter(redactor)
        app_logger.addHandler(handler)
        app_logger.setLevel(logging.INFO)
        listener = logging.handlers.QueueListener(records, stream)
        listener.start()
        atexit.register(listener.stop)


SERVER_GC_THRESHOLDS = (10_000, 20, 20)
"""The collector's thresholds in a server (Python's default: 700, 10, 10): a young pass per
10,000 new container objects (a few ms; 50,000 took 20-45 ms), a full pass after 400 of them
rather than every few seconds under load."""


def create_app(home: Path | str | None = None, *, settings: AppSettings | None = None
               ) -> FastAPI:
    """The salescore web app for the data folder ``home`` (default: ``$SALESCORE_HOME``, else
    ``./salescore-data``); ``settings`` default to :meth:`AppSettings.from_env`."""
    chosen = settings if settings is not None else AppSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workspace = Workspace.open(home)
        app.state.salescore = AppState(workspace, chosen, anyio.Lock(),
                                       ResponseCache(seconds=chosen.cache_seconds))
        try:  # the first visitors then find the pages' views ready (read from kept files)
            await anyio.to_thread.run_sync(prepare_page_views, workspace)
        except Exception:  # noqa: BLE001 - a server that cannot prepare still serves
            logging.getLogger("salescore.app").exception("preparing the page views failed")
        # What was built at start (the libraries, the catalogue) lives as long as the server:
        # kept out of the collector's full passes, which would otherwise walk it again and
        # again under load and stall every request meanwhile. What the first visits keep
        # (page views, compiled queries) outlives the freeze: full passes over it are made
        # rare too (each stalled every request 30-50 ms, every 2-3 s, under the page load on
        # the medium demo), while the young objects a request leaves are still collected.
        gc.freeze()
        gc.set_threshold(*SERVER_GC_THRESHOLDS)
        try:
            async with AsyncExitStack() as tasks:
                await start_realtime(app.state.salescore, tasks)
                yield
        finally:
            # Here as well as in ``salescore serve``: uvicorn ends a process stopped by SIGTERM
            # by that signal, once the app has shut down, so nothing after it would run.
            remove_server_record(workspace.locations.home)
            workspace.close()

    app = FastAPI(
        title="salescore", version="1", description=_DESCRIPTION, lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    install_problem_handlers(app)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(pages_router)
    app.include_router(dashboards_router)
    app.include_router(explore_router)
    app.include_router(data_router)
    app.include_router(funnel_router)
    app.include_router(customers_router)
    app.include_router(trends_router)
    app.include_router(rep_pages_router)
    app.include_router(pipeline_page_router)
    app.include_router(forecast_router)
    app.include_router(plans_router)
    app.include_router(coaching_router)
    app.include_router(coaching_team_router)
    app.include_router(alerts_page_router)
    app.include_router(live_scores_router)
    app.mount("/static",
              KeptStaticFiles(directory=str(files("salescore.app").joinpath("static"))),
              name="static")
    app.add_middleware(Hardening, max_body=chosen.max_upload_bytes)
    _install_logging()
    return app


def create_app_from_env() -> FastAPI:
    """The app for ``$SALESCORE_HOME``: what ``salescore serve`` hands each uvicorn worker."""
    return create_app(os.environ.get(HOME_ENV))

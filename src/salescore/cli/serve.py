"""``salescore serve``: the web server and REST API, with uvicorn.

Registered in :mod:`salescore.cli.main` with ``app.command("serve")(serve)``. The app is handed
to uvicorn by name (``salescore.app:create_app_from_env``, the data folder in
``$SALESCORE_HOME``), so that each worker process builds its own and the CLI never imports the
web app. While it serves a DuckDB warehouse, the server is that file's one writer: it records
its address in ``<home>/server.json`` (removed when it stops), and a command that then finds the
warehouse locked is told to use the API instead. Several workers need a PostgreSQL warehouse.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from salescore.cli.common import HomeOption, console, fail, open_workspace
from salescore.core.errors import ConfigError

APP_FACTORY = "salescore.app:create_app_from_env"


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on / 监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port / 端口")] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Worker processes (more than one needs PostgreSQL) / 工作进程数")]
    = 1,
    home: HomeOption = None,
) -> None:
    """Serve the web app and REST API (/api/v1, docs at /api/v1/docs).
    启动网页与 REST API 服务。"""
    import uvicorn

    from salescore.workspace import HOME_ENV, Locations
    from salescore.workspace.server import remove_server_record, write_server_record

    locations = Locations.resolve(home)
    on_duckdb = not locations.warehouse_url.startswith(("postgres://", "postgresql"))
    if workers > 1 and on_duckdb:
        fail(ConfigError(
            f"--workers {workers}: a DuckDB warehouse has one writing process, so it is served "
            "by one worker; move the warehouse to PostgreSQL (SALESCORE_WAREHOUSE_URL) for "
            "several",
            message_zh=f"--workers {workers}：DuckDB 数据仓库只允许一个写入进程，只能由一个工作进程"
            "提供服务；如需多个进程，请将数据仓库迁至 PostgreSQL（SALESCORE_WAREHOUSE_URL）"))
    # Opened once here so that bad settings or a held warehouse are told plainly, then closed:
    # the server opens its own.
    with open_workspace(home) as ws:
        folder: Path = ws.locations.home
    os.environ[HOME_ENV] = str(folder)
    url = _url(host, port)
    if on_duckdb:
        write_server_record(folder, url)
    console.print(f"salescore serves {folder} at / 服务地址 {url} (API docs / 接口文档: "
                  f"{url}/api/v1/docs)", highlight=False)
    try:
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                    access_log=False, server_header=False, proxy_headers=True,
                    log_level="info")
    finally:
        if on_duckdb:
            remove_server_record(folder)

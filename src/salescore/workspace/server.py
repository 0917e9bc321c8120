"""The running server of a data folder: ``<home>/server.json`` while ``salescore serve`` holds
a DuckDB warehouse, and what a command that finds the warehouse locked is told instead.

A DuckDB file has one writing process. While the server runs it is that process, so a CLI command
that opens the warehouse fails; :func:`server_lock_error` turns that failure into one that names
the server's address and the API call to use instead.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     record = write_server_record(Path(d), "http://127.0.0.1:8000")
...     running_server(Path(d)) == record
True
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from salescore.core.errors import StoreLockedError

__all__ = [
    "API_INSTEAD",
    "SERVER_FILE",
    "ServerRecord",
    "remove_server_record",
    "running_server",
    "server_lock_error",
    "write_server_record",
]

SERVER_FILE = "server.json"

API_INSTEAD: tuple[tuple[str, str, str], ...] = (
    ("salescore import", "POST /api/v1/imports", "导入"),
    ("salescore score", "POST /api/v1/scores", "评分"),
    ("salescore plan adopt", "POST /api/v1/plans", "采用方案"),
    ("salescore plan whatif", "POST /api/v1/plans/{name}/whatif", "方案模拟"),
    ("salescore kpi compute", "GET /api/v1/kpis/values", "计算指标"),
    ("salescore quality", "GET /api/v1/quality", "数据质量"),
)
"""Each CLI command that needs the warehouse, and the API call that does the same."""


@dataclass(frozen=True, slots=True)
class ServerRecord:
    """Where the server of a data folder listens, and its process id."""

    url: str
    pid: int


def _path(home: Path) -> Path:
    return Path(home) / SERVER_FILE


def write_server_record(home: Path, url: str, pid: int | None = None) -> ServerRecord:
    """Write ``<home>/server.json`` for the server at ``url`` (default pid: this process)."""
    record = ServerRecord(url, os.getpid() if pid is None else pid)
    path = _path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(record)), encoding="utf-8")
    tmp.replace(path)
    return record


def remove_server_record(home: Path, pid: int | None = None) -> None:
    """Remove ``<home>/server.json`` if it is this process's (or ``pid``'s)."""
    record = running_server(home, check_alive=False)
    if record is not None and record.pid == (os.getpid() if pid is None else pid):
        _path(home).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def running_server(home: Path, *, check_alive: bool = True) -> ServerRecord | None:
    """The server recorded in ``<home>/server.json``; ``None`` when there is none, the file is
    unreadable, or (``check_alive``) its process has gone (a server that was killed)."""
    try:
        data = json.loads(_path(home).read_text(encoding="utf-8"))
        record = ServerRecord(str(data["url"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if check_alive and not _alive(record.pid):
        return None
    return record


def server_lock_error(home: Path, error: StoreLockedError) -> StoreLockedError:
    """``error`` (the warehouse is locked) told as the server holding it, with the API calls
    to use instead, when ``<home>/server.json`` names a running server; else ``error``."""
    record = running_server(home)
    if record is None:
        return error
    api = record.url.rstrip("/")
    calls_en = "; ".join(f"{command} → {call}" for command, call, _ in API_INSTEAD)
    calls_zh = "；".join(f"{what}：{call}" for _, call, what in API_INSTEAD)
    return StoreLockedError(
        f"The salescore server at {api} (PID {record.pid}) holds the warehouse: while it runs, "
        f"send the change through its API instead ({calls_en}; every call is listed at "
        f"{api}/api/v1/docs), or stop the server and try again.",
        message_zh=f"位于 {api} 的 salescore 服务（PID {record.pid}）正占用数据仓库：服务运行期间，"
        f"请改用其 API（{calls_zh}；全部接口见 {api}/api/v1/docs），或先停止服务再重试。")

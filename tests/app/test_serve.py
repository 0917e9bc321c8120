"""``salescore serve`` as a user runs it: a real uvicorn process on a loopback port, its
``server.json``, and what a CLI command that needs the warehouse is told meanwhile."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.backends import fresh_warehouse_url
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.core.errors import StoreLockedError
from salescore.workspace import Workspace
from salescore.workspace.server import (
    remove_server_record,
    running_server,
    server_lock_error,
    write_server_record,
)

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("SALESCORE_APP_DB_URL", raising=False)
    folder = tmp_path / "home"
    Workspace.init(folder).close()
    return folder


def test_several_workers_need_postgresql(home: Path) -> None:
    result = runner.invoke(app, ["serve", "--home", str(home), "--workers", "2"])
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output and "--workers 2" in result.output
    assert not (home / "server.json").exists()


def test_the_server_record(tmp_path: Path) -> None:
    assert running_server(tmp_path) is None
    write_server_record(tmp_path, "http://127.0.0.1:9", pid=2**22 + 12345)  # no such process
    assert running_server(tmp_path) is None
    assert running_server(tmp_path, check_alive=False) is not None
    record = write_server_record(tmp_path, "http://127.0.0.1:9")
    assert running_server(tmp_path) == record
    locked = StoreLockedError("in use by PID 1")
    told = server_lock_error(tmp_path, locked)
    assert "http://127.0.0.1:9" in told.message and "POST /api/v1/imports" in told.message
    assert "POST /api/v1/imports" in told.message_zh
    remove_server_record(tmp_path, pid=record.pid + 1)  # not that process's: kept
    assert running_server(tmp_path) == record
    remove_server_record(tmp_path)
    assert running_server(tmp_path) is None
    assert server_lock_error(tmp_path, locked) is locked


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serving_holds_the_warehouse_and_the_cli_names_the_api(home: Path, stop: int) -> None:
    port = _free_port()
    env = {**os.environ, "SALESCORE_HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "salescore.cli.main", "serve", "--home", str(home),
         "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None, "the server did not start"
        assert answer.status_code == 401
        assert answer.headers["x-frame-options"] == "DENY" and "server" not in answer.headers
        record = json.loads((home / "server.json").read_text(encoding="utf-8"))
        assert record == {"url": f"http://127.0.0.1:{port}", "pid": server.pid}

        teams = home / "teams.csv"
        teams.write_text("team_id,name\nT1,One\n", encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "salescore.cli.main", "import", "teams", str(teams),
             "--home", str(home)], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        said = " ".join(result.stderr.split())
        assert f"http://127.0.0.1:{port}" in said and "POST /api/v1/imports" in said
        assert "/api/v1/docs" in said
    finally:
        server.send_signal(stop)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
    assert not (home / "server.json").exists()


@pytest.mark.postgres
def test_several_workers_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    with fresh_warehouse_url("postgres", tmp_path) as url:
        env = {**os.environ, "SALESCORE_WAREHOUSE_URL": url}
        env.pop("SALESCORE_APP_DB_URL", None)
        home = tmp_path / "home"
        subprocess.run([sys.executable, "-m", "salescore.cli.main", "init", "--home",
                        str(home)], env=env, check=True, capture_output=True, timeout=60)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "salescore.cli.main", "serve", "--home", str(home),
             "--port", str(port), "--workers", "2"], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            answers = []
            while time.monotonic() < deadline and len(answers) < 20:
                try:
                    answers.append(httpx.get(f"http://127.0.0.1:{port}/api/v1/me",
                                             timeout=5).status_code)
                except httpx.TransportError:
                    time.sleep(0.3)
            assert answers == [401] * 20
            assert not (home / "server.json").exists()  # the CLI may share PostgreSQL
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)

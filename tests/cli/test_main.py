"""The foundation's commands, run as a user runs them (in a subprocess where locks matter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.model.tables import TABLES

runner = CliRunner()


def test_init_writes_settings_and_both_stores(tmp_path: Path) -> None:
    home = tmp_path / "data"
    result = runner.invoke(app, ["init", "--home", str(home), "--timezone", "Asia/Shanghai",
                                 "--fiscal-start", "4", "--locale", "zh_CN",
                                 "--name", "华东销售部"])
    assert result.exit_code == 0, result.output
    settings = yaml.safe_load((home / "salescore.yaml").read_text(encoding="utf-8"))
    assert settings["organisation"] == {
        "name": "华东销售部", "timezone": "Asia/Shanghai", "fiscal_year_start_month": 4,
        "currency": "CNY", "locale": "zh_CN",
    }
    assert (home / "warehouse.duckdb").exists() and (home / "app.sqlite").exists()


def test_init_rejects_a_bad_time_zone(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--home", str(tmp_path), "--timezone", "Asia/Shangai"])
    assert result.exit_code == 2
    assert "Asia/Shangai" in result.output


def test_info_lists_every_table(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "--home", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["info", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for declared in TABLES:
        assert declared.name in result.output


def test_a_broken_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "--home", str(tmp_path)]).exit_code == 0
    (tmp_path / "salescore.yaml").write_text("organisation:\n  curency: EUR\n", encoding="utf-8")
    result = runner.invoke(app, ["info", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "organisation.curency" in result.output


@pytest.mark.slow
def test_demo_then_info_counts_every_table(tmp_path: Path) -> None:
    """What `make demo` does: every table but fx_rates has rows."""
    env = {**os.environ, "SALESCORE_HOME": str(tmp_path)}
    env.pop("SALESCORE_WAREHOUSE_URL", None)
    env.pop("SALESCORE_APP_DB_URL", None)
    cli = [sys.executable, "-m", "salescore.cli.main"]
    demo = subprocess.run([*cli, "demo", "--scale", "small", "--seed", "3",
                           "--end", "2026-10-31", "--logins-later"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert "Log-ins" not in demo.stdout  # made and shown once, at the end (no stale passwords)
    # Not a terminal: no progress bar, on either stream.
    assert "组织架构" not in demo.stderr + demo.stdout and "━" not in demo.stderr
    info = subprocess.run([*cli, "info"], env={**env, "COLUMNS": "200"}, capture_output=True,
                          text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    rows = {}
    for line in info.stdout.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│") if c.strip()]
        if cells and cells[0] in {t.name for t in TABLES}:
            rows[cells[0]] = int(cells[1].replace(",", ""))
    assert set(rows) == {t.name for t in TABLES}
    assert all(count > 0 for name, count in rows.items() if name != "fx_rates"), rows
    logins = subprocess.run([*cli, "demo", "--logins"], env={**env, "COLUMNS": "200"},
                            capture_output=True, text=True, timeout=120)
    assert logins.returncode == 0, logins.stderr
    shown = [line.split("│")[1].strip() for line in logins.stdout.splitlines()
             if line.startswith("│")]
    assert shown == ["admin", "executive", "manager", "rep"]


def test_a_second_writer_gets_a_plain_message(tmp_path: Path) -> None:
    from salescore.workspace import Workspace

    env = {**os.environ, "SALESCORE_HOME": str(tmp_path)}
    with Workspace.init(tmp_path):
        done = subprocess.run([sys.executable, "-m", "salescore.cli.main", "init"], env=env,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "one writing process" in done.stderr


def test_a_warehouse_file_cut_in_half_is_said_to_be_damaged_by_every_command(
        tmp_path: Path) -> None:
    import pyarrow as pa

    from salescore.workspace import Workspace

    home = tmp_path / "data"
    with Workspace.init(home) as ws:
        # Enough rows for the file to hold blocks past its header.
        ws.owner().import_arrow("teams", pa.table({
            "team_id": [f"T{i:06d}" for i in range(200_000)],
            "name": [f"Team {i} of the organisation" for i in range(200_000)]}))
    file = home / "warehouse.duckdb"
    whole = file.stat().st_size
    assert whole > 1_000_000
    os.truncate(file, whole // 2)
    for command in (["info"], ["score", "--period", "2026-10"], ["quality"],
                    ["kpi", "compute", "win_rate", "--period", "2026-Q3"],
                    ["export", "teams", str(tmp_path / "t.csv")]):
        result = runner.invoke(app, [*command, "--home", str(home)])
        assert result.exit_code == 2, (command, result.output)
        text = " ".join(result.output.split())
        assert f"The warehouse file {file} is damaged" in text, (command, text)
        assert f"数据仓库文件 {file} 已损坏" in text
        assert f"{whole // 2:,} bytes of the {whole:,}" in text
        assert "Traceback" not in result.output


def test_demo_shows_its_progress_on_standard_error_in_a_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    import salescore.cli.main as main

    screen = io.StringIO()
    monkeypatch.setattr(main, "err_console", Console(file=screen, force_terminal=True,
                                                     width=100))
    monkeypatch.setattr(main, "is_interactive", lambda: True)
    result = runner.invoke(app, ["demo", "--home", str(tmp_path / "demo"), "--end", "2026-10-31"],
                           env={"SALESCORE_WAREHOUSE_URL": None, "SALESCORE_APP_DB_URL": None})
    assert result.exit_code == 0, result.output
    shown = screen.getvalue()
    # From the start (before the organisation is built) to the log-ins, then cleared.
    for step in ("organisation / 组织架构", "deals and activities / 商机与活动",
                 "web log-ins / 网页登录账号"):
        assert step in shown, shown[-500:]
    assert "组织架构" not in result.output  # standard output holds only the results
    assert "Log-ins for the web app" in result.output

"""``salescore events send``, ``salescore alerts set`` / ``check`` and ``salescore schedules
set`` / ``list`` / ``run``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace


def test_events_and_alert_rules_from_the_command_line(workspace: Workspace,
                                                      tmp_path: Path) -> None:
    home = str(workspace.locations.home)
    workspace.close()
    runner = CliRunner()
    events = tmp_path / "events.json"
    events.write_text(json.dumps({"events": [
        {"table": "teams", "row": {"team_id": "T9", "name": "新团队"}},
        {"table": "reps", "row": {"rep_id": "r9"}}]}), encoding="utf-8")
    result = runner.invoke(app, ["events", "send", str(events), "--home", home])
    assert result.exit_code == 0, result.output
    assert "received=2 accepted=1 inserted=1" in result.output.replace("\n", " ")
    rules = tmp_path / "alerts.yaml"
    rules.write_text("rules:\n  - name: Bad Name\n    kpi: revenue_won\n"
                     "    condition: {kind: below, value: 1}\n", encoding="utf-8")
    result = runner.invoke(app, ["alerts", "set", str(rules), "--home", home])
    assert result.exit_code == 1
    assert f"{rules}:2" in result.output
    rules.write_text("rules:\n  - name: low\n    kpi: revenue_won\n    subject: company\n"
                     "    condition: {kind: below, value: 1}\n", encoding="utf-8")
    assert runner.invoke(app, ["alerts", "set", str(rules), "--home", home]).exit_code == 0
    result = runner.invoke(app, ["alerts", "check", "--home", home])
    assert result.exit_code == 0 and "raised=1" in result.output, result.output


def test_report_schedules_from_the_command_line(workspace: Workspace, tmp_path: Path) -> None:
    home = str(workspace.locations.home)
    workspace.close()
    runner = CliRunner()
    schedules = tmp_path / "schedules.yaml"
    schedules.write_text("schedules:\n  - name: exec\n    report: executive\n"
                         "    cron: '0 8 1 13 *'\n", encoding="utf-8")
    result = runner.invoke(app, ["schedules", "set", str(schedules), "--home", home])
    assert result.exit_code == 1 and f"{schedules}:4" in result.output, result.output
    schedules.write_text(schedules.read_text(encoding="utf-8").replace("13", "1"),
                         encoding="utf-8")
    result = runner.invoke(app, ["schedules", "set", str(schedules), "--home", home])
    assert result.exit_code == 0 and "added=['exec']" in result.output, result.output
    listed = runner.invoke(app, ["schedules", "list", "--home", home])
    assert "exec" in listed.output and "0 8 1 1 *" in listed.output, listed.output
    result = runner.invoke(app, ["schedules", "run", "--home", home])
    assert result.exit_code == 0 and "ran=0" in result.output, result.output  # next January

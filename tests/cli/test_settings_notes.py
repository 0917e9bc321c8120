"""What a command says about the settings file when it opens the workspace: an old spelling is
told once on stderr, at file:line, in the organisation's language; an invalid file is an error
naming file:line and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    assert runner.invoke(app, ["init", "--home", str(folder)]).exit_code == 0
    return folder


def _old_spelling(home: Path, locale: str = "en") -> Path:
    path = home / "salescore.yaml"
    path.write_text(
        f"organisation:\n  locale: {locale}\n"
        "pipeline:\n"
        "  stages:\n"
        "    - name: lead\n"
        "      label_en: Lead\n"
        "      label_zh: 线索\n"
        "    - {name: won, status: won, label: {en: Won, zh: 赢单}}\n"
        "    - {name: lost, status: lost, label_en: Lost, label_zh: 输单}\n",
        encoding="utf-8")
    return path


def test_init_writes_no_old_spelling(home: Path) -> None:
    text = (home / "salescore.yaml").read_text(encoding="utf-8")
    assert "label_en" not in text and "label:" in text
    shown = runner.invoke(app, ["info", "--home", str(home)])
    assert shown.exit_code == 0 and "warning" not in shown.stderr, shown.output


def test_an_old_spelling_is_told_once_at_file_and_line(home: Path) -> None:
    path = _old_spelling(home)
    with Workspace.open(home) as ws:
        assert [(n.rule, n.location.line if n.location else None) for n in ws.notes] == [
            ("deprecated-spelling", 6), ("deprecated-spelling", 9)]
        assert [s.localized("en") for s in ws.settings.pipeline.stages] == \
            ["Lead", "Won", "Lost"]
    shown = runner.invoke(app, ["info", "--home", str(home)])
    assert shown.exit_code == 0, shown.output
    warnings = [line for line in shown.stderr.splitlines() if line.startswith("warning")]
    assert warnings == [
        f"warning / 警告: {path}:6: pipeline.stages[0].label_en: an old spelling, still read: "
        "write label: {en: ..., zh: ...} instead of label_en and label_zh "
        "[deprecated-spelling]",
        f"warning / 警告: {path}:9: pipeline.stages[2].label_en: an old spelling, still read: "
        "write label: {en: ..., zh: ...} instead of label_en and label_zh "
        "[deprecated-spelling]"]
    assert "warning" not in shown.stdout


def test_the_warning_is_in_the_organisations_language(home: Path) -> None:
    path = _old_spelling(home, locale="zh_CN")
    shown = runner.invoke(app, ["info", "--home", str(home)])
    assert shown.exit_code == 0, shown.output
    assert (f"warning / 警告: {path}:6: pipeline.stages[0].label_en：旧写法，仍可读取：请将 "
            "label_en 和 label_zh 改写为 label: {en: ..., zh: ...} [deprecated-spelling]"
            ) in shown.stderr


def test_saving_the_settings_writes_the_one_spelling(home: Path) -> None:
    _old_spelling(home)
    with Workspace.open(home) as ws:
        ws.save_settings(ws.settings)
        assert ws.notes == ()
    text = (home / "salescore.yaml").read_text(encoding="utf-8")
    assert "label_en" not in text
    with Workspace.open(home) as ws:
        assert ws.notes == ()
        assert ws.settings.pipeline.stages[0].localized("zh_CN") == "线索"


def test_an_invalid_settings_file_is_an_error_at_file_and_line(home: Path) -> None:
    path = home / "salescore.yaml"
    path.write_text("organisation:\n  name: Acme\n  timezon: UTC\n", encoding="utf-8")
    shown = runner.invoke(app, ["info", "--home", str(home)])
    assert shown.exit_code == 2
    assert "error / 错误: invalid settings:" in shown.stderr
    assert f"{path}:3: organisation.timezon: unknown key (a typo?) [schema]" in shown.stderr
    assert f"{path}:3: organisation.timezon：不认识的键（拼写错误？） [schema]" in shown.stderr

"""The README's own-data commands, run as written against the sample files it names."""

from __future__ import annotations

import csv
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def readme_block(heading: str) -> list[list[str]]:
    """The ``$S`` commands of the first bash block under ``heading`` in README.md, as
    arguments, with ``$D`` and the like expanded as the block sets them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading):]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None
    names: dict[str, str] = {}
    commands = []
    for line in block.group(1).splitlines():
        line = line.split(" # ")[0].strip()
        if m := re.fullmatch(r"(\w+)=(\S+)", line):
            names[m[1]] = m[2]
        elif line.startswith("$S "):
            for name, value in names.items():
                line = line.replace(f"${name}/", f"{value}/")
            commands.append(shlex.split(line)[1:])
    return commands


def test_the_own_data_commands_run_on_the_shipped_sample_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SALESCORE_HOME", "SALESCORE_WAREHOUSE_URL", "SALESCORE_APP_DB_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    commands = readme_block("## Your own data")
    assert [c[0] for c in commands] == ["init", "import", "import", "import", "import", "info"]
    for command in commands:
        result = runner.invoke(app, command)
        assert result.exit_code == 0, (command, result.output)
    with Workspace.open(tmp_path / "acme", read_only=True) as ws:
        assert ws.settings.organisation.timezone == "Asia/Shanghai"
        counts = {t.name: t.rows for t in ws.owner().table_info()}
    assert (counts["teams"], counts["reps"], counts["customers"], counts["opportunities"]) == \
        (3, 4, 3, 4)
    # The one opportunity whose amount says 约5万 is in the rejects file, ready to correct.
    with (tmp_path / "rejects.csv").open(encoding="utf-8-sig", newline="") as f:
        [rejected] = list(csv.DictReader(f))
    assert (rejected["_row"], rejected["商机编号"], rejected["商机金额"]) == \
        ("6", "SJ-005", "约5万")
    rejected["商机金额"] = "50000"
    with (tmp_path / "fixed.csv").open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rejected))
        out.writeheader()
        out.writerow(rejected)
    again = runner.invoke(app, ["import", "opportunities", "fixed.csv", "--home", "./acme",
                                "--preset", "jiandaoyun-opportunities"])
    assert again.exit_code == 0, again.output
    with Workspace.open(tmp_path / "acme", read_only=True) as ws:
        assert {t.name: t.rows for t in ws.owner().table_info()}["opportunities"] == 5

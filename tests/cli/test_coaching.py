"""``salescore coaching``: adoption, review cycles and the team wall, as tables, CSV and JSON,
on the data of ``tests/workspace/test_coaching_adoption.py`` (whose figures are worked out
there by hand)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.workspace.test_coaching_adoption import SAM, build
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("coaching-cli")
    build(folder)
    with Workspace.open(folder) as ws:
        ws.session(SAM.scope()).coaching.reviews.create_cycle(SAM, "Q2 360", "2025-Q2",
                                                              kinds=("peer",))
    return folder


def _run(home: Path, *args: str) -> str:
    result = runner.invoke(app, ["coaching", *args, "--home", str(home)])
    assert result.exit_code == 0, result.output
    return result.output


def test_adoption_as_json_and_csv(home: Path) -> None:
    rows = json.loads(_run(home, "adoption", "--period", "2025-05", "--format", "json"))
    t1 = next(r for r in rows if r["team_id"] == "T1")
    assert (t1["planned_now"], t1["held_now"], t1["held_change"], t1["given_now"],
            t1["actions_closed_before"]) == (3, 2, 1, 2, 1)
    assert rows[-1]["team_id"] == "(all)" and rows[-1]["planned_now"] == 9
    text = _run(home, "adoption", "--period", "2025-05", "--format", "csv")
    assert text.splitlines()[0].startswith("team_id,name,planned_now,planned_before")
    assert "T2X" in _run(home, "adoption", "--period", "2025-05")


def test_review_cycles(home: Path) -> None:
    cycles = json.loads(_run(home, "reviews", "--format", "json"))
    # T1's reps with an account: rita (r1) alone, who reviews r2 and r3.
    assert [(c["name"], c["reviews"], c["answered"]) for c in cycles] == [("Q2 360", 2, 0)]
    assert json.loads(_run(home, "reviews", "--cycle", str(cycles[0]["id"]),
                           "--format", "json")) == []


def test_wall_and_a_bad_format(home: Path) -> None:
    rows = json.loads(_run(home, "wall", "--format", "json"))
    assert [(r["kind"], r["rep_id"]) for r in rows] == [("praise", "r2")]
    result = runner.invoke(app, ["coaching", "wall", "--format", "xml", "--home", str(home)])
    assert result.exit_code == 2

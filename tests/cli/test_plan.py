"""``salescore plan``: validate, adopt, list, and what-if on the small demo, run in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salescore.cli.common import console, err_console
from salescore.cli.main import app
from salescore.semantic.plan_loader import SHIPPED_PLANS_DIR
from salescore.workspace import Workspace

runner = CliRunner()
# Where the workspace's stores are is the --home folder's business, not the caller's env.
ENV = {"SALESCORE_WAREHOUSE_URL": None, "SALESCORE_APP_DB_URL": None, "SALESCORE_HOME": None}
FIELD = SHIPPED_PLANS_DIR / "field-sales.yaml"
INSIDE = SHIPPED_PLANS_DIR / "inside-sales.yaml"


@pytest.fixture(scope="module", autouse=True)
def wide_console() -> Iterator[None]:
    """Lines as wide as they need: a narrow terminal would wrap the text the tests read."""
    before = console.width, err_console.width
    console.width = err_console.width = 250
    yield
    console.width, err_console.width = before


def test_validate_a_shipped_plan(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "validate", str(FIELD), "--home", str(tmp_path)],
                           env=ENV)
    assert result.exit_code == 0, result.output
    assert "field-sales" in result.stdout and "valid / 有效" in result.stdout


def test_validate_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = FIELD.read_text(encoding="utf-8")
    bad.write_text(text.replace("weight: 0.35", "weight: 0.25"), encoding="utf-8")
    result = runner.invoke(app, ["plan", "validate", str(bad), "--home", str(tmp_path)],
                           env=ENV)
    assert result.exit_code == 1
    lines = text.splitlines()
    weights_line = next(i for i, line in enumerate(lines, 1) if line.startswith("lines:"))
    assert f"bad.yaml:{weights_line}: lines: the weights must sum to 1; they sum to 0.9" \
        in result.stderr
    assert "1 problem(s), not valid / 1 个问题，无效" in result.stderr

    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("kpi: visits", "kpi: vists"), encoding="utf-8")
    result = runner.invoke(app, ["plan", "validate", str(typo), "--home", str(tmp_path)],
                           env=ENV)
    assert result.exit_code == 1
    visits_line = next(i for i, line in enumerate(lines, 1) if "kpi: visits" in line)
    assert f"typo.yaml:{visits_line}: lines[4].kpi: unknown KPI 'vists' (did you mean visits" \
        in result.stderr


def test_adopt_list_and_replace(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    assert runner.invoke(app, ["init", "--home", home], env=ENV).exit_code == 0
    adopt = ["plan", "adopt", str(FIELD), "--home", home, "--actor", "ann"]
    first = runner.invoke(app, [*adopt, "--effective", "2025-01-01", "--reason", "FY25"],
                          env=ENV)
    assert first.exit_code == 0, first.output
    assert "Adopted / 已采用 field-sales v1" in first.stdout and "2025-01-01" in first.stdout
    again = runner.invoke(app, [*adopt, "--effective", "2025-01-01"], env=ENV)
    assert again.exit_code == 0 and "Unchanged / 未更改" in again.stdout

    edited = tmp_path / "field-sales.yaml"
    edited.write_text(FIELD.read_text(encoding="utf-8").replace("cap: 5", "cap: 4"),
                      encoding="utf-8")
    edit = ["plan", "adopt", str(edited), "--home", home, "--actor", "bob"]
    clash = runner.invoke(app, [*edit, "--effective", "2025-01-01"], env=ENV)
    assert clash.exit_code == 2
    assert "already adopted from 2025-01-01" in clash.stderr and "--replace" in clash.stderr
    replaced = runner.invoke(app, [*edit, "--effective", "2025-01-01", "--replace"], env=ENV)
    assert replaced.exit_code == 0, replaced.output
    assert "field-sales v2" in replaced.stdout and "retired / 已停用 v1" in replaced.stdout
    later = runner.invoke(app, [*edit, "--effective", "2099-01-01"], env=ENV)
    assert later.exit_code == 0 and "v3" in later.stdout

    listed = runner.invoke(app, ["plan", "list", "--home", home], env=ENV)
    assert listed.exit_code == 0, listed.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]]
            for line in listed.stdout.splitlines() if line.startswith("│ field-sales")]
    # plan, title, version, status, effective from, in force, adopted by, checksum
    assert [row[2:7] for row in rows] == [
        ["1", "retired / 已停用", "2025-01-01", "", "ann"],
        ["2", "adopted / 已采用", "2025-01-01", "✓", "bob"],
        ["3", "adopted / 已采用", "2099-01-01", "", "bob"],
    ]
    with Workspace.open(home) as ws:
        assert [(v.version, v.status) for v in ws.owner().plans()] == [
            (1, "retired"), (2, "adopted"), (3, "adopted")]


def test_adopt_refuses_a_bad_date_or_an_invalid_plan(tmp_path: Path) -> None:
    home = str(tmp_path)
    assert runner.invoke(app, ["init", "--home", home], env=ENV).exit_code == 0
    bad_date = runner.invoke(app, ["plan", "adopt", str(FIELD), "--home", home,
                                   "--effective", "01/04/2025"], env=ENV)
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: Broken Plan\n", encoding="utf-8")
    invalid = runner.invoke(app, ["plan", "adopt", str(broken), "--home", home], env=ENV)
    assert invalid.exit_code == 1
    assert "broken.yaml:1" in invalid.stderr
    with Workspace.open(home) as ws:
        assert ws.owner().plans() == []


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``salescore demo`` (small): the data, and the shipped plans adopted from its first day."""
    home = tmp_path_factory.mktemp("plan-demo")
    result = runner.invoke(app, ["demo", "--home", str(home), "--end", "2026-10-31"], env=ENV)
    assert result.exit_code == 0, result.output
    assert "field-sales, inside-sales, key-account-management" in result.stdout
    return home


def test_the_demo_adopts_the_shipped_plans_from_its_first_day(demo_home: Path) -> None:
    with Workspace.open(demo_home) as ws:
        assert [(v.plan, v.version, v.status, str(v.effective_from), v.adopted_by)
                for v in ws.owner().plans()] == [
            ("field-sales", 1, "adopted", "2024-11-01", "demo"),
            ("inside-sales", 1, "adopted", "2024-11-01", "demo"),
            ("key-account-management", 1, "adopted", "2024-11-01", "demo"),
        ]


def _matrix(text: str) -> dict[tuple[str, str], int]:
    """The rating-transition table of ``plan whatif``'s output: (before, after) → reps."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "before \\ after" in line)
    columns = [cell.strip() for cell in lines[start].split("┃")[2:-1]]
    found: dict[tuple[str, str], int] = {}
    for line in lines[start + 2:]:
        if not line.startswith("│"):
            break
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        for column, count in zip(columns, cells[1:], strict=True):
            found[(cells[0], column)] = int(count)
    return found


def test_whatif_prints_the_rating_changes_between_two_shipped_plans(demo_home: Path) -> None:
    result = runner.invoke(app, ["plan", "whatif", str(INSIDE), "--against", "field-sales",
                                 "--period", "2025-03", "--home", str(demo_home)], env=ENV)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "inside-sales (draft / 草稿) vs field-sales v1" in out
    assert "Rating transitions / 评级变化" in out
    printed = _matrix(out)
    # The same numbers as the API gives: field-sales's reps, scored by both plans.
    with Workspace.open(demo_home) as ws:
        expected = ws.owner().whatif(INSIDE, period="2025-03", against="field-sales")
    matrix = expected.transitions
    assert printed == {(str(b), str(a)): int(matrix.loc[b, a])
                       for b in matrix.index for a in matrix.columns}
    assert sum(printed.values()) == expected.reps > 0
    # Real reps were scored on both sides, and the plans do not rate them all alike.
    both = expected.comparison.dropna(subset=["score_before", "score_after"])
    assert len(both) >= 3
    assert expected.changed_ratings >= 1
    summary = re.search(r"(\d+) reps / 名销售 · (\d+) rating changes", out)
    assert summary is not None
    assert (int(summary[1]), int(summary[2])) == (expected.reps, expected.changed_ratings)
    for rep in both["rep_id"]:
        assert rep in out


def test_whatif_of_a_period_of_another_grain_is_a_clear_error(demo_home: Path) -> None:
    result = runner.invoke(app, ["plan", "whatif", str(INSIDE), "--period", "2025-Q1",
                                 "--home", str(demo_home)], env=ENV)
    assert result.exit_code == 2
    assert "inside-sales scores months; 2025-Q1 is a quarter" in result.stderr


def test_validate_warns_of_an_old_spelling_and_keeps_the_plan_valid(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    text = FIELD.read_text(encoding="utf-8")
    old.write_text(text.replace("title: {en: Field sales, zh: 外勤销售}",
                                "title_en: Field sales\ntitle_zh: 外勤销售"), encoding="utf-8")
    result = runner.invoke(app, ["plan", "validate", str(old), "--home", str(tmp_path)],
                           env=ENV)
    assert result.exit_code == 0, result.output
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("title:"))
    assert (f"warning / 警告: {old}:{line}: title_en: an old spelling, still read: write "
            "title: {en: ..., zh: ...} instead of title_en and title_zh [deprecated-spelling]"
            ) in result.stderr
    assert "field-sales · Field sales / 外勤销售" in result.stdout

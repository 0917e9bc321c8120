"""``salescore score``: score and store, show the explanation tree, export; on the small demo."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salescore.cli.common import console, err_console
from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()
ENV = {"SALESCORE_WAREHOUSE_URL": None, "SALESCORE_APP_DB_URL": None, "SALESCORE_HOME": None}


@pytest.fixture(scope="module", autouse=True)
def wide_console() -> Iterator[None]:
    before = console.width, err_console.width
    console.width = err_console.width = 250
    yield
    console.width, err_console.width = before


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("score-demo")
    result = runner.invoke(app, ["demo", "--home", str(home), "--end", "2026-10-31"], env=ENV)
    assert result.exit_code == 0, result.output
    return home


@pytest.fixture(scope="module")
def scored(demo_home: Path) -> str:
    """The output of the first ``salescore score --period 2025-03``."""
    result = runner.invoke(app, ["score", "--period", "2025-03", "--home", str(demo_home)],
                           env=ENV)
    assert result.exit_code == 0, result.output
    return str(result.output)


def _summary(out: str) -> dict[str, list[str]]:
    # Columns are set apart by two spaces or more (one inside a cell).
    return {cells[0]: cells for line in out.splitlines()
            for cells in [re.split(r"\s{2,}", line.strip())]
            if cells and cells[0] in ("field-sales", "inside-sales")}


def test_score_stores_every_monthly_plan_and_skips_the_quarterly_one(
    demo_home: Path, scored: str,
) -> None:
    assert "skipped / 跳过: key-account-management scores whole periods of quarter" in scored
    with Workspace.open(demo_home) as ws:
        rows = ws.owner().scorecards.stored("2025-03")
    stored: dict[str, list[object]] = {}
    for row in rows:
        stored.setdefault(row.plan_version.plan.name, []).append(row)
    assert set(stored) == {"field-sales", "inside-sales"}
    summary = _summary(scored)
    for plan, plan_rows in stored.items():
        reps = [r for r in plan_rows if r.subject_kind == "rep"]  # type: ignore[attr-defined]
        ok = [r for r in reps if r.status == "ok"]  # type: ignore[attr-defined]
        cells = summary[plan]
        # plan, version, period, reps, scored, ratings, stored
        assert cells[1:5] == ["v1", "2025-03", str(len(reps)), str(len(ok))]
        assert cells[6] == f"{len(plan_rows)} new/新增"
        assert len(ok) >= 3


def test_scoring_again_changes_nothing(demo_home: Path, scored: str) -> None:
    with Workspace.open(demo_home) as ws:
        before = [(r.id, r.score, r.computed_at) for r in ws.owner().scorecards.stored("2025-03")]
    again = runner.invoke(app, ["score", "--period", "2025-03", "--plan", "field-sales",
                                "--home", str(demo_home)], env=ENV)
    assert again.exit_code == 0, again.output
    cells = _summary(again.output)["field-sales"]
    assert re.fullmatch(r"\d+ same/未变", cells[6])
    assert "inside-sales" not in _summary(again.output)
    with Workspace.open(demo_home) as ws:
        assert [(r.id, r.score, r.computed_at)
                for r in ws.owner().scorecards.stored("2025-03")] == before


def test_show_draws_score_lines_and_records(demo_home: Path, scored: str) -> None:
    with Workspace.open(demo_home) as ws:
        row = next(r for r in ws.owner().scorecards.stored("2025-03", "field-sales")
                   if r.subject_kind == "rep" and r.status == "ok")
        lines = [line["kpi"] for line in row.breakdown["lines"]]
    result = runner.invoke(app, ["score", "show", "--rep", row.subject_id, "--period",
                                 "2025-03", "--home", str(demo_home)], env=ENV)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{row.subject_id} · field-sales v1 (Field sales) · 2025-03 · stored / 已保存" in out
    assert f"score / 得分 {row.score:.1f} · rating / 评级 {row.rating}" in out
    assert f"{row.rank_company} in company / 全公司" in out
    for kpi in lines:
        assert f"├── {kpi} (" in out or f"└── {kpi} (" in out
    assert out.count("records / 记录:") == len(lines) + 2  # the lines, and the credit's two KPIs
    assert "collaboration credit / 协作加分" in out


def test_show_for_a_rep_no_plan_scores_is_a_clear_error(demo_home: Path, scored: str) -> None:
    with Workspace.open(demo_home) as ws:
        manager = ws._warehouse.execute_sql(
            "SELECT rep_id FROM reps WHERE title = 'Sales Manager' ORDER BY rep_id LIMIT 1")[0][0]
    result = runner.invoke(app, ["score", "show", "--rep", manager, "--period", "2025-03",
                                 "--home", str(demo_home)], env=ENV)
    assert result.exit_code == 2
    assert f"no adopted plan scores {manager} in 2025-03" in result.stderr


def test_export_csv_and_xlsx(demo_home: Path, scored: str, tmp_path: Path) -> None:
    with Workspace.open(demo_home) as ws:
        count = len(ws.owner().scorecards.stored("2025-03"))
    result = runner.invoke(app, ["score", "export", "--period", "2025-03", "--format", "csv",
                                 "--home", str(demo_home)], env=ENV)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == count
    assert {r["plan"] for r in rows} == {"field-sales", "inside-sales"}
    assert {"revenue_won.value", "revenue_won.points", "calls.contribution"} <= set(rows[0])

    out = tmp_path / "march.xlsx"
    result = runner.invoke(app, ["score", "export", "--period", "2025-03", "--format", "xlsx",
                                 "--out", str(out), "--plan", "inside-sales", "--home",
                                 str(demo_home)], env=ENV)
    assert result.exit_code == 0, result.output
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("scores").to_python()
    assert len(sheet) - 1 == sum(1 for r in rows if r["plan"] == "inside-sales")
    assert f"{len(sheet) - 1} rows written to / 行已写入 {out}" in result.stdout


def test_score_needs_a_period_and_export_a_known_format(demo_home: Path) -> None:
    missing = runner.invoke(app, ["score", "--home", str(demo_home)], env=ENV)
    assert missing.exit_code == 2 and "--period" in missing.stderr
    bad = runner.invoke(app, ["score", "export", "--period", "2025-03", "--format", "pdf",
                              "--home", str(demo_home)], env=ENV)
    assert bad.exit_code == 2 and "csv" in bad.stderr
    unscored = runner.invoke(app, ["score", "export", "--period", "2024-12", "--home",
                                   str(demo_home)], env=ENV)
    assert unscored.exit_code == 2
    assert "salescore score --period 2024-12" in unscored.stderr


def test_the_readmes_first_session_runs_on_the_demo_that_make_demo_builds(
        demo_home: Path) -> None:
    from tests.test_readme import ROOT, readme_block

    from salescore.core.periods import RELATIVE_PERIODS

    commands = readme_block("## A first session")
    assert len(commands) >= 7
    # The walk-through builds the demo as this module's fixture does: data up to 2026-10-31,
    # so that the periods it names hold what it says on any day.
    assert commands[0] == ["demo", "--end", "2026-10-31"]
    periods = {c[c.index("--period") + 1] for c in commands if "--period" in c}
    assert periods == {"2026", "2026-Q3", "2026-10", "last-quarter"}
    # `make demo` builds the data up to yesterday: its demo target names only relative periods
    demo_target = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ndemo:")[1]
    demo_target = demo_target.split("\n\n")[0]
    assert "--end" not in demo_target
    assert set(re.findall(r"--period (\S+)", demo_target)) == {
        "last-quarter", "last-year", "this-year", "this-month"} <= set(RELATIVE_PERIODS)
    for command in commands[1:]:
        result = runner.invoke(app, [*command, "--home", str(demo_home)], env=ENV)
        assert result.exit_code == 0, (command, result.output)
    with Workspace.open(demo_home, read_only=True) as ws:
        session = ws.owner()
        [activities] = [t for t in session.table_info() if t.name == "activities"]
        assert activities.last is not None
        # 2026-10 is the last month of the data
        assert ws.calendar.local_date(activities.last).isoformat() == "2026-10-31"
        # R00008 is a field rep, scored monthly
        [score] = [s for s in session.stored_scores("2026-10", subject_kind="rep")
                   if s.subject_id == "R00008"]
        assert (score.plan, score.period) == ("field-sales", "2026-10")


def test_the_score_summary_fits_an_80_column_terminal(demo_home: Path) -> None:
    from rich.cells import cell_len

    wide = console.width
    console.width = 80
    try:
        result = runner.invoke(app, ["score", "--period", "2025-Q1", "--home", str(demo_home)],
                               env=ENV)
    finally:
        console.width = wide
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    start = next(i for i, line in enumerate(lines) if "Scores / 评分 · 2025-Q1" in line)
    rule = next(i for i in range(start, len(lines)) if "────" in lines[i])
    # Below the header's rule, one line per plan and period (seven: no ranking follows):
    # field-sales and inside-sales by month (3 each), key-account-management by quarter.
    rows = [line for line in lines[rule + 1:] if line.strip()]
    assert len(rows) == 7, "\n".join(lines[start:])
    assert [r.split()[0] for r in rows] == ["field-sales"] * 3 + ["inside-sales"] * 3 + \
        ["key-account-management"]

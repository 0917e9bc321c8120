"""Relative period words (``this-month``, ``last-quarter``, ...) wherever the CLI takes a
``--period``, counted from today in the organisation's time zone (here: a fixed today)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.tiny_org import KPIS, TINY_PLAN
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.core import periods
from salescore.workspace import Workspace

runner = CliRunner()
ENV = {"SALESCORE_WAREHOUSE_URL": None, "SALESCORE_APP_DB_URL": None, "SALESCORE_HOME": None}
# 20:00 UTC on 31 March 2025 is 04:00 on 1 April in Shanghai, the tiny organisation's zone:
# there last quarter is 2025-Q1 (in UTC it would still be 2024-Q4).
NOW = datetime(2025, 3, 31, 20, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(periods, "_utc_now", lambda: NOW)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("relative")
    with Workspace.init(home, KPIS.settings, overwrite=True) as ws:
        KPIS.load(ws._warehouse)
    plan = home / "tiny.yaml"
    plan.write_text(TINY_PLAN, encoding="utf-8")
    adopted = runner.invoke(app, ["plan", "adopt", str(plan), "--effective", "2025-01-01",
                                  "--home", str(home)], env=ENV)
    assert adopted.exit_code == 0, adopted.output
    yield home


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), env=ENV, terminal_width=200)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_kpi_compute_takes_a_relative_period_in_the_organisations_time_zone(home: Path) -> None:
    out = run("kpi", "compute", "deals_won,win_rate", "--by", "company", "--period",
              "last-quarter", "--format", "json", "--home", str(home))
    assert json.loads(out) == [{"period": "2025-Q1", "deals_won": 5, "win_rate": 5 / 7}]
    # this quarter has begun in Shanghai: 2025-Q2, nothing won in it yet
    out = run("kpi", "compute", "deals_won", "--by", "company", "--period", "This-Quarter",
              "--format", "json", "--home", str(home))
    assert [r["period"] for r in json.loads(out)] == ["2025-Q2"]


def test_kpi_explain_takes_a_relative_period(home: Path) -> None:
    out = run("kpi", "explain", "win_rate", "--rep", "r1", "--period", "last-quarter",
              "--home", str(home))
    assert "2025-Q1" in out and "deals_won / deals_closed = 2 / 3 = 0.666667" in out


def test_score_show_and_export_take_relative_periods(home: Path, tmp_path: Path) -> None:
    out = run("score", "--period", "last-quarter", "--home", str(home))
    assert "2025-Q1" in out
    with Workspace.open(home, read_only=True) as ws:
        assert {s.period for s in ws.owner().stored_scores("2025-Q1")} == {"2025-Q1"}
    shown = run("score", "show", "--rep", "r1", "--period", "last-quarter", "--home", str(home))
    assert "2025-Q1" in shown
    target = tmp_path / "scores.csv"
    run("score", "export", "--period", "last-quarter", "--format", "csv", "--out", str(target),
        "--home", str(home))
    assert "2025-Q1" in target.read_text(encoding="utf-8")


def test_an_unknown_word_names_the_relative_words_in_both_languages(home: Path) -> None:
    result = runner.invoke(app, ["kpi", "compute", "deals_won", "--period", "next-month",
                                 "--home", str(home)], env=ENV, terminal_width=400)
    assert result.exit_code == 2
    for text in ("cannot read period 'next-month'", "无法识别期间", "this-month, last-month, "
                 "this-quarter, last-quarter, this-year, last-year"):
        assert text in result.output


def test_a_period_in_progress_is_scored_and_one_not_begun_is_not(home: Path) -> None:
    """On 1 April 2025 (Shanghai) scoring 2025 scores Q1 and Q2, which began today, and says
    that Q3 and Q4 have not begun; nothing is stored for them."""
    result = runner.invoke(app, ["score", "--period", "this-year", "--home", str(home)],
                           env=ENV, terminal_width=200)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # as one line, however the console wrapped it
    assert "tiny: 2025-Q3 … 2025-Q4 (2) has not begun (today is 2025-04-01); nothing to score " \
        "yet" in said
    with Workspace.open(home, read_only=True) as ws:
        stored = {s.period for s in ws.owner().stored_scores("2025")}
    assert stored == {"2025-Q1", "2025-Q2"}
    ahead = runner.invoke(app, ["score", "--period", "2025-Q3", "--home", str(home)], env=ENV,
                          terminal_width=200)
    assert ahead.exit_code == 1
    assert "tiny: 2025-Q3 has not begun (today is 2025-04-01)" in " ".join(ahead.output.split())
    with Workspace.open(home, read_only=True) as ws:  # the note in Chinese too
        run = ws.owner().score("2025-Q3", store=False)
    assert not run.results
    assert [n.text.zh for n in run.skipped] == [
        "tiny：2025-Q3 尚未开始（今天是 2025-04-01），暂无可评分"]

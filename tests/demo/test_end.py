"""The demo's end: yesterday in the organisation's time zone by default, ``--end DATE`` for the
same rows on any day; a last month in progress with its open deals and its targets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.core.errors import ConfigError
from salescore.demo import DemoConfig, DemoData, collect
from salescore.demo import config as demo_config
from salescore.demo.config import parse_end, yesterday

runner = CliRunner()
# 20:00 UTC on 6 December 2026: 21:00 on the 6th in Berlin (the en organisation), 04:00 on
# the 7th in Shanghai (the zh_CN one)
NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
_BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def in_progress() -> DemoData:
    """Data up to Sunday 6 December 2026: December is six days old, 2026-Q4 two months."""
    return collect(DemoConfig(scale="small", seed=42, locale="en", end=date(2026, 12, 6)))


def test_the_default_end_is_yesterday_in_the_organisations_time_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_config, "_utc_now", lambda: NOW)
    assert DemoConfig(locale="en").end == date(2026, 12, 5)
    assert DemoConfig(locale="zh_CN").end == date(2026, 12, 6)
    assert yesterday("UTC", datetime(2027, 1, 1, 0, 30, tzinfo=UTC)) == date(2026, 12, 31)
    # once made, a config holds its end: the same config gives the same rows on any day
    config = DemoConfig(locale="en")
    monkeypatch.setattr(demo_config, "_utc_now", lambda: datetime(2027, 3, 1, tzinfo=UTC))
    assert config.end == date(2026, 12, 5)
    assert DemoConfig(locale="en").end == date(2027, 2, 28)


def test_the_window_starts_on_the_first_of_a_month() -> None:
    fixed = DemoConfig(end=date(2026, 10, 31))
    assert (fixed.start, fixed.days, fixed.today, fixed.volume) == \
        (date(2024, 11, 1), 730, date(2026, 11, 1), 1.0)
    partial = DemoConfig(end=date(2026, 12, 6))
    # 23 whole months from January 2025 and six days of December 2026, out of 730 days
    assert (partial.start, partial.days, partial.today) == \
        (date(2025, 1, 1), 705, date(2026, 12, 7))
    assert partial.volume == pytest.approx(705 / 730)


@pytest.mark.parametrize("text", ["2026-12-06", " 2026-12-06"])
def test_parse_end_reads_an_iso_date(text: str) -> None:
    assert parse_end(text) == date(2026, 12, 6)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "06/12/2026", ""])
def test_parse_end_refuses_anything_else_in_both_languages(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_end(text)
    assert f"the demo's end {text!r} is not a date: write it as YYYY-MM-DD" in caught.value.message
    assert "不是日期：请写成 YYYY-MM-DD" in caught.value.message_zh


def test_an_end_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match="from 2000-01-31 to 2099-12-31, not 1999-12-31"):
        DemoConfig(end=date(1999, 12, 31))


@pytest.mark.parametrize("args", [["--end", "2026-02-30"], ["--end", "tomorrow"]])
def test_the_cli_refuses_a_bad_end_before_building_anything(args: list[str], tmp_path: Path
                                                           ) -> None:
    home = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--home", str(home), *args], terminal_width=300)
    assert result.exit_code == 2
    assert "is not a date: write it as YYYY-MM-DD" in result.output
    assert "不是日期" in result.output
    assert not home.exists()


def test_the_cli_refuses_end_with_logins(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--logins", "--end", "2026-10-31", "--home",
                                 str(tmp_path)], terminal_width=300)
    assert result.exit_code == 2
    assert "--end is for building a demo" in result.output


def _local_days(data: DemoData, table: str, column: str) -> list[date]:
    local = pc.assume_timezone(data[table].column(column), "UTC")
    return [t.astimezone(_BERLIN).date() for t in local.to_pylist() if t is not None]


def test_nothing_happens_after_the_end(in_progress: DemoData) -> None:
    for table, column in [("activities", "occurred_at"), ("opportunities", "created_at"),
                          ("opportunities", "closed_at"), ("orders", "ordered_at"),
                          ("surveys", "answered_at"), ("stage_changes", "entered_at")]:
        days = _local_days(in_progress, table, column)
        assert max(days) == date(2026, 12, 6) or table in ("surveys", "opportunities"), table
        assert max(days) <= date(2026, 12, 6), table
    assert min(_local_days(in_progress, "activities", "occurred_at")) == date(2025, 1, 1)


def test_the_month_in_progress_has_its_days_of_data_and_open_deals(in_progress: DemoData
                                                                   ) -> None:
    created = _local_days(in_progress, "opportunities", "created_at")
    november = sum(1 for d in created if (d.year, d.month) == (2026, 11))
    december = sum(1 for d in created if (d.year, d.month) == (2026, 12))
    # six days of thirty-one at the same daily rate as November's thirty days
    assert 0.1 < december / november < 0.35
    opps = in_progress["opportunities"]
    status = opps.column("status").to_pylist()
    closed = opps.column("closed_at").to_pylist()
    assert all((s == "open") == (c is None) for s, c in zip(status, closed, strict=True))
    still_open = status.count("open")
    # deals keep running past the end: about a tenth are open (E9)
    assert 0.05 < still_open / len(status) < 0.2
    assert sum(1 for d, s in zip(created, status, strict=True)
               if (d.year, d.month) == (2026, 12) and s == "open") >= december * 0.9


def test_the_month_and_quarter_in_progress_have_whole_targets(in_progress: DemoData) -> None:
    rows = in_progress["targets"].to_pylist()

    def total(scope: str, kpi: str, period: str) -> float:
        return sum(r["value"] for r in rows
                   if (r["scope"], r["kpi"], r["period"]) == (scope, kpi, period))

    periods = {r["period"] for r in rows}
    assert {"2026-11", "2026-12", "2026-Q4"} <= periods and "2027-01" not in periods
    assert "2024-12" not in periods and "2025-01" in periods and "2025-Q1" in periods
    # a plan sets the whole month: December's targets are not cut to the six days of data
    assert 0.8 < total("rep", "revenue_won", "2026-12") / total("rep", "revenue_won",
                                                                "2026-11") < 1.25
    # the quarter's team target is the sum of its reps' three monthly targets
    months = sum(total("rep", "revenue_won", m) for m in ("2026-10", "2026-11", "2026-12"))
    root = next(r["value"] for r in rows if (r["scope"], r["scope_id"], r["period"]) ==
                ("team", "T0001", "2026-Q4"))
    assert abs(root - months) <= 100


def test_the_day_after_the_data_plans_a_new_month_and_quarter() -> None:
    """Data up to 31 December: the demo's today is 1 January, whose month and quarter have
    targets but no data yet."""
    data = collect(DemoConfig(scale="small", seed=42, end=date(2026, 12, 31), months=6))
    periods = {r["period"] for r in data["targets"].to_pylist()}
    assert {"2027-01", "2027-Q1", "2026-12", "2026-Q4"} <= periods
    assert "2027-02" not in periods and "2026-06" not in periods  # July is the first month

"""``salescore kpi``: every shipped KPI at every grain on the small demo; formats; show; explain;
check. Run in-process with Typer's runner against a real DuckDB workspace."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.tiny_org import KPIS
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.demo import DemoConfig, demo_settings, generate
from salescore.semantic.catalog import shipped_catalog
from salescore.workspace import Workspace

runner = CliRunner()
GRAINS = ["rep", "team", "company", *shipped_catalog().dimensions()]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("kpi-demo")
    config = DemoConfig(scale="small", seed=42, end=date(2026, 10, 31))
    with Workspace.init(home, demo_settings(config), overwrite=True) as ws:
        with ws._warehouse.transaction():
            for name, chunk in generate(config):
                ws._warehouse.append(name, chunk)
    yield home


@pytest.fixture(scope="module")
def tiny_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("kpi-tiny")
    with Workspace.init(home, KPIS.settings, overwrite=True) as ws:
        KPIS.load(ws._warehouse)
    yield home


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), terminal_width=400)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("grain", GRAINS)
def test_every_shipped_kpi_at_every_grain_on_the_small_demo(demo_home: Path, grain: str) -> None:
    out = invoke("kpi", "compute", "all", "--by", grain, "--period", "2025-Q3", "--format",
                 "csv", "--home", str(demo_home))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows, out[:500]
    header = list(rows[0])
    key = {"rep": ["rep_id"], "team": ["team_id"], "company": []}.get(grain, [grain])
    assert header[:len(key) + 1] == [*key, "period"]
    assert "win_rate" in header and "stage_conversion[lead]" in header
    assert {r["period"] for r in rows} == {"2025-Q3"}


def test_csv_ratios_are_fractions_and_months_split(demo_home: Path) -> None:
    out = invoke("kpi", "compute", "win_rate,deals_won", "--by", "rep", "--period", "2025-Q1",
                 "--grain", "month", "--format", "csv", "--home", str(demo_home))
    rows = list(csv.DictReader(io.StringIO(out)))
    with Workspace.open(demo_home, read_only=True) as ws:
        reps = ws._warehouse.execute_sql("SELECT count(*) FROM reps")[0][0]
    assert len(rows) == reps * 3
    assert {r["period"] for r in rows} == {"2025-01", "2025-02", "2025-03"}
    rates = [float(r["win_rate"]) for r in rows if r["win_rate"]]
    assert rates and all(0.0 <= x <= 1.0 for x in rates)


def test_csv_values_on_the_tiny_org(tiny_home: Path) -> None:
    out = invoke("kpi", "compute", "win_rate,revenue_won", "--by", "team", "--period",
                 "2025-Q1", "--format", "csv", "--home", str(tiny_home))
    rows = {r["team_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert float(rows["T1"]["win_rate"]) == pytest.approx(3 / 5)
    assert float(rows["REG"]["revenue_won"]) == pytest.approx(8050)


def test_json_and_parquet(tiny_home: Path, tmp_path: Path) -> None:
    out = invoke("kpi", "compute", "deals_won,win_rate", "--by", "company", "--period",
                 "2025-Q1", "--format", "json", "--home", str(tiny_home))
    assert json.loads(out) == [{"period": "2025-Q1", "deals_won": 5, "win_rate": 5 / 7}]
    target = tmp_path / "k.parquet"
    invoke("kpi", "compute", "deals_won", "--by", "rep", "--period", "all", "--format",
           "parquet", "--out", str(target), "--home", str(tiny_home))
    table = pq.read_table(target)
    assert table.column_names == ["rep_id", "period", "deals_won"]
    assert sum(table.column("deals_won").to_pylist()) == 7


def test_show_prints_both_languages_and_sql_per_dialect(tiny_home: Path) -> None:
    for dialect, marker in [("duckdb", "GROUP BY"), ("postgres", "GROUP BY"),
                            ("pyspark", "GROUP BY"), ("trino", "GROUP BY")]:
        out = invoke("kpi", "show", "win_rate", "--dialect", dialect, "--home", str(tiny_home))
        assert "Win rate / 赢单率" in out and "赢单数 /（赢单数 + 输单数）" in out
        assert marker in out and "deals_won = count(*) of opportunities" in out


def test_list_has_every_kpi(tiny_home: Path) -> None:
    result = runner.invoke(app, ["kpi", "list", "--home", str(tiny_home)],
                           terminal_width=300)
    assert result.exit_code == 0
    for name in ("revenue_won", "stage_conversion", "team_revenue_share", "nps"):
        assert name in result.stdout


def test_explain_lists_the_records_and_the_sum(tiny_home: Path) -> None:
    result = runner.invoke(app, ["kpi", "explain", "win_rate", "--rep", "r1", "--period",
                                 "2025-Q1", "--home", str(tiny_home)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "deals_won / deals_closed = 2 / 3 = 0.666667" in result.stdout
    for opp in ("o1", "o2", "o3"):
        assert opp in result.stdout
    assert "o5" not in result.stdout  # closed on 2025-04-01 local time


def test_explain_api_matches_compute(tiny_home: Path) -> None:
    with Workspace.open(tiny_home) as ws:
        e = ws.owner().explain("revenue_won", subject="T1", by="team", period="2025-Q1")
        table = ws.owner().kpis(["revenue_won"], by="team", period="2025-Q1", subjects=["T1"])
    assert e.value == table.column("revenue_won")[0].as_py() == 7400
    (part,) = e.parts
    assert sorted(part.rows.column("opportunity_id")) == ["o1", "o2", "o6"]
    assert sum(part.rows.column("value")) == pytest.approx(7400)


def test_workspace_kpis_returns_a_dataframe(tiny_home: Path) -> None:
    with Workspace.open(tiny_home) as ws:
        df = ws.owner().kpis(["nps"], by="rep", period="2025-Q1", as_pandas=True)
    assert df.set_index("rep_id").loc["r1", "nps"] == pytest.approx(25.0)


def test_check_reports_file_and_line(tmp_path: Path, tiny_home: Path) -> None:
    bad = tmp_path / "mine"
    bad.mkdir()
    (bad / "k.yaml").write_text("kpis:\n  - name: x\n    type: simple\n    measure: nope\n"
                                "    direction: higher\n    unit: count\n"
                                "    label: {en: X, zh: X}\n"
                                "    description: {en: Number of x., zh: 数量。}\n",
                                encoding="utf-8")
    result = runner.invoke(app, ["kpi", "check", "--catalog", str(bad), "--home",
                                 str(tiny_home)])
    assert result.exit_code == 1
    assert f"{bad / 'k.yaml'}:4: kpi 'x': unknown measure 'nope'" in result.output


def test_unknown_kpi_is_a_clean_error(tiny_home: Path) -> None:
    result = runner.invoke(app, ["kpi", "compute", "win_rat", "--home", str(tiny_home)])
    assert result.exit_code == 2
    assert "unknown KPI 'win_rat'; did you mean win_rate" in result.output


def test_csv_text_a_spreadsheet_would_run_gets_a_quote(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, KPIS.settings, overwrite=True) as ws:
        KPIS.load(ws._warehouse)
        ws._warehouse.execute_sql(
            "UPDATE opportunities SET product = '=HYPERLINK(\"http://x\",\"y\")'")
    out = invoke("kpi", "compute", "opportunities_created", "--by", "product", "--period",
                 "2025-Q1", "--format", "csv", "--home", str(home))
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["product"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert float(row["opportunities_created"]) > 0  # numbers stay numbers


def test_show_plan_names_the_kept_item_tables_after_a_rebuild(tmp_path: Path) -> None:
    home = tmp_path / "kept"
    with Workspace.init(home, KPIS.settings, overwrite=True) as ws:
        KPIS.load(ws._warehouse)
    def plan(name: str, *more: str) -> str:
        out = invoke("kpi", "show", name, "--plan", "--no-sql", *more, "--home", str(home))
        return " ".join(out.split())  # as wrapped at the console's width

    before = plan("customers_touched")
    assert "m__customers_touched: raw rows / 原始记录" in before
    rebuilt = invoke("kpi", "rebuild-rollups", "--home", str(home))
    # 5 windows kept; 11 roll-ups and 3 item tables
    assert "5 derived facts / 派生事实, 14 roll-ups / 汇总表" in rebuilt
    for name, line in [("customers_touched", "m__customers_touched"),
                       ("stage_conversion", "c__stage_conversion__s1__num"),
                       ("churned_customers", "p__buying_customers__prev")]:
        out = plan(name)
        assert f"{line}: kept items per rep and month / 按销售和月份保存的去重明细" in out, out
    by_region = plan("customers_touched", "--by", "region")
    assert "m__customers_touched: raw rows / 原始记录" in by_region

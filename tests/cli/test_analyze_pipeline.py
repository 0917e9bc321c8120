"""``salescore analyze pipeline`` on the organisation of ``tests/analytics/pipeline_org.py``
(figures worked out in ``tests/analytics/test_pipeline_changes.py``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.analytics.pipeline_org import PIPELINE_ORG
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()
DATES = ("--from", "2025-02-01", "--to", "2025-02-28")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        folder = tmp_path_factory.mktemp("analyze-pipeline")
        with Workspace.init(folder, PIPELINE_ORG.settings, overwrite=True) as ws:
            PIPELINE_ORG.load(ws._warehouse)
        yield folder


def invoke(home: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["analyze", "pipeline", *args, "--home", str(home)],
                           terminal_width=200)
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def test_table_in_both_languages(home: Path) -> None:
    out = invoke(home, *DATES)
    assert "Pipeline changes 2025-02-01 to 2025-02-28, closing in 2025-Q1 (CNY)" in out
    total = next(line for line in out.splitlines() if "Total" in line)
    cells = [c.strip() for c in total.split("│")[2:-1]]
    assert cells == ["1,680", "150", "500", "750", "20", "400", "280", "600", "1,780"]
    zh = invoke(home, *DATES, "--lang", "zh_CN")
    assert "管道变化" in zh and "推迟移出" in zh and "期初 + 新增" in zh


def test_csv_and_json(home: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(invoke(home, *DATES, "--format", "csv"))))
    total = rows[0]
    assert total["section"] == "total"
    assert [float(total[k]) for k in ("start", "new", "pulled_in", "up", "down", "pushed",
                                      "won", "lost", "end")] == [
        1680, 150, 500, 750, 20, 400, 280, 600, 1780]
    assert [(r["section"], r["id"]) for r in rows[1:]] == [
        ("team", "CO"), ("team", "TA"), ("team", "TB"), ("rep", "ra1"), ("rep", "ra2"),
        ("rep", "rb1")]
    data = json.loads(invoke(home, *DATES, "--team", "TA", "--format", "json"))
    assert data["close_period"] == "2025-Q1" and data["total"]["end"] == 1080
    assert [r["id"] for r in data["reps"]] == ["ra1", "ra2"]


def test_bad_dates(home: Path) -> None:
    out = invoke(home, "--from", "2025-02-30", "--to", "2025-03-01", code=2)
    assert "YYYY-MM-DD" in out

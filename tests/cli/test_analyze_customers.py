"""``salescore analyze retention|rfm`` on the organisation of
``tests/analytics/customers_org.py`` (figures worked out in ``tests/analytics/test_customers.py``):
the table, CSV and JSON say the same numbers; unobserved stays empty; bad input is a clean
error."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.analytics.customers_org import CUSTOMERS_ORG
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("analyze-customers")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder, CUSTOMERS_ORG.settings, overwrite=True) as ws:
            CUSTOMERS_ORG.load(ws._warehouse)
        yield folder


def invoke(home: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["analyze", *args, "--home", str(home)], terminal_width=200)
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def test_retention_csv_and_json(home: Path) -> None:
    out = invoke(home, "retention", "--period", "2025", "--grain", "quarter", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["cohort"], r["customers"], r["offset_1"], r["offset_3"]) for r in rows] == [
        ("2025-Q1", "3", str(1 / 3), str(1 / 3)), ("2025-Q2", "1", "0.0", ""),
        ("2025-Q4", "1", "", "")]
    data = json.loads(invoke(home, "retention", "--period", "2025", "--grain", "quarter",
                             "--rep", "ra1", "--format", "json"))
    assert [c["shares"] for c in data["cohorts"]] == [[1.0, 0.5, 1.0, 0.5]]
    assert (data["repeat_rate"], data["churn_rate"]) == (1.0, 0.0)


def test_retention_table_in_both_languages(home: Path) -> None:
    out = invoke(home, "retention", "--period", "2025", "--grain", "quarter")
    assert "Retention of the company, 2025 (5 new customers)" in out
    assert "33.3%" in out and "66.7%" in out
    assert "Repeat-purchase rate 60.0%; churn rate (no purchase in the last 180 days) 25.0%" \
        in out
    zh = invoke(home, "retention", "--period", "2025", "--grain", "quarter", "--lang", "zh_CN")
    assert "客户留存：公司，2025（5 位新客户）" in zh and "复购率 60.0%" in zh


def test_rfm(home: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(invoke(home, "rfm", "--period", "2025",
                                                  "--format", "csv"))))
    assert {r["customer_id"]: r["segment"] for r in rows} == {
        "c1": "loyal", "c2": "at_risk", "c3": "hibernating", "c4": "hibernating",
        "c5": "champions", "c6": "new"}
    data = json.loads(invoke(home, "rfm", "--period", "2025", "--format", "json"))
    assert data["median_gap_days"] == 95.5
    assert data["pairs"][0]["a"] == "A" and data["pairs"][0]["lift"] == pytest.approx(10 / 9)
    table = invoke(home, "rfm", "--period", "2025", "--lang", "zh_CN")
    assert "冠军客户" in table and "沉睡客户" in table and "1.11" in table
    assert "购买间隔中位数 95.5 天（6 个间隔）" in table


def test_bad_input(home: Path) -> None:
    out = invoke(home, "retention", "--period", "2025", "--grain", "week", code=2)
    assert "month or quarter" in out
    assert "--format is one of" in invoke(home, "rfm", "--period", "2025", "--format", "xml",
                                          code=2)


def test_a_wide_retention_table_is_cut_by_whole_columns_never_by_letters(home: Path) -> None:
    """Twelve months after the first purchase do not fit a terminal: the table shows the
    first periods whole (no cell cut to "…") and says where the rest are."""
    from salescore.cli.common import console

    out = invoke(home, "retention", "--period", "2025", "--grain", "month")
    fits = max(1, min(12, (console.width - 42) // 9))
    assert "…" not in out
    heads = next(line for line in out.splitlines() if "Cohort" in line)
    assert [h for h in heads.replace("┃", "│").split("│") if h.strip().startswith("+")] \
        and f"+{fits - 1}" in heads and f"+{fits}" not in heads.split(f"+{fits - 1}")[1]
    if fits < 12:
        assert f"The first {fits} of 12 periods" in out

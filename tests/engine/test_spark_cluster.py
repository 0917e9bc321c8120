"""The warehouse on a Spark standalone cluster: the tiny organisation imported with
``salescore import`` into a Parquet lake (``SALESCORE_WAREHOUSE_URL=spark://…?lake=…``), then
the whole catalogue, the scorecards and the analyses computed on the cluster and compared with
the same organisation imported the same way into DuckDB, and with numbers worked out by hand.

The cluster (a master and two one-core workers on 127.0.0.1) is the session fixture
``spark_cluster``; its daemons are stopped at the end even when a test fails.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.spark_cluster import StandaloneCluster
from tests.tiny_org import KPIS, TINY_PLAN
from typer.testing import CliRunner

from salescore.cli.main import app
from salescore.engine.spark import SparkWarehouse
from salescore.model.org import write_settings
from salescore.model.tables import TABLES
from salescore.workspace import Workspace
from salescore.workspace.workspace import WAREHOUSE_ENV

pytestmark = [pytest.mark.spark, pytest.mark.cluster]

EXECUTOR_CONF = ("conf.spark.executor.memory=512m&conf.spark.executor.cores=1"
                 "&conf.spark.cores.max=2&conf.spark.sql.shuffle.partitions=2"
                 # A few rows through one very wide plan: generating and compiling Java for
                 # each stage costs more than it saves (the catalogue takes half the time).
                 "&conf.spark.sql.codegen.wholeStage=false")
RESULTS = ("revenue_won", "deals_won", "deals_lost", "win_rate", "avg_deal_size",
           "pipeline_created", "open_pipeline", "activities", "csat_avg", "order_revenue")
"""The KPIs computed by team and for the company: the rollup of each measure kind (sums, counts,
ratios, averages, a snapshot) over the team subtree and the whole company; the whole catalogue
is compared by rep (each grain's catalogue costs minutes of Spark planning on two cores)."""


@dataclasses.dataclass(frozen=True)
class Org:
    home: Path
    env: dict[str, str | None]

    def workspace(self) -> Workspace:
        """The workspace open with this organisation's warehouse URL (the environment is
        restored once it is open: the warehouse is opened with it)."""
        saved = os.environ.pop(WAREHOUSE_ENV, None)
        try:
            if self.env[WAREHOUSE_ENV]:
                os.environ[WAREHOUSE_ENV] = str(self.env[WAREHOUSE_ENV])
            return Workspace.open(self.home)
        finally:
            os.environ.pop(WAREHOUSE_ENV, None)
            if saved is not None:
                os.environ[WAREHOUSE_ENV] = saved


def _import_all(home: Path, files: Path, env: dict[str, str | None]) -> list[dict[str, Any]]:
    """``salescore import TABLE FILE`` for every canonical table, as a user runs it."""
    runner = CliRunner()
    done = []
    for declared in TABLES:
        path = files / f"{declared.name}.parquet"
        result = runner.invoke(app, ["import", declared.name, str(path), "--timezone", "UTC",
                                     "--format", "json", "--home", str(home)], env=env)
        assert result.exit_code == 0, result.output
        done.append(json.loads(result.stdout))
    return done


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny organisation as one Parquet file per table (naive times are UTC)."""
    folder = tmp_path_factory.mktemp("tiny-files")
    for name, data in KPIS.arrow_tables().items():
        pq.write_table(data, folder / f"{name}.parquet")
    return folder


def _org(folder: Path, files: Path, env: dict[str, str | None]) -> Org:
    home = folder / "home"
    init = CliRunner().invoke(app, ["init", "--home", str(home)], env=env)
    assert init.exit_code == 0, init.output
    write_settings(home, KPIS.settings)  # the organisation's time zone, currency, pipeline
    imported = _import_all(home, files, env)
    assert [r["inserted"] for r in imported] == [
        len(KPIS.rows.get(t.name, [])) for t in TABLES]
    assert all(r["rejected"] == 0 for r in imported)
    org = Org(home, env)
    with org.workspace() as ws:
        ws.owner().adopt_plan(text=TINY_PLAN, effective_from=date(2024, 1, 1))
        ws.owner().adopt_shipped_plans(date(2024, 1, 1))
    return org


@pytest.fixture(scope="module")
def on_spark(spark_cluster: StandaloneCluster, files: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    folder = tmp_path_factory.mktemp("spark-org")
    url = f"{spark_cluster.url}?lake={folder / 'lake'}&{EXECUTOR_CONF}"
    yield _org(folder, files, {WAREHOUSE_ENV: url})


@pytest.fixture(scope="module")
def on_duckdb(files: Path, tmp_path_factory: pytest.TempPathFactory) -> Org:
    return _org(tmp_path_factory.mktemp("duckdb-org"), files, {WAREHOUSE_ENV: None})


def _plain(value: Any) -> Any:
    """``value`` with dataclasses, Arrow tables and numbers made comparable (floats to 9
    significant digits)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pa.Table):
        return _plain(value.to_pylist())
    if isinstance(value, pd.DataFrame):
        return _plain(value.to_dict("records"))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.9g}")
    return value


def _rows(table: pa.Table, key: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in key): _plain(r) for r in table.to_pylist()}


def test_runs_on_the_cluster(on_spark: Org, spark_cluster: StandaloneCluster) -> None:
    with on_spark.workspace() as ws:
        wh = ws._warehouse
        assert isinstance(wh, SparkWarehouse)
        context = wh.backend._session.sparkContext
        assert context.master == spark_cluster.url
        # Two executors (one per worker) beside the driver.
        assert context._jsc.sc().getExecutorMemoryStatus().size() == 3
        assert sorted(p.name for p in wh.lake.root.iterdir() if not p.name.startswith("_")) == \
            sorted(t.name for t in TABLES)


@pytest.mark.parametrize("by", ["rep", "team", "company"])
def test_whole_catalogue_equals_duckdb(on_spark: Org, on_duckdb: Org, by: str) -> None:
    with on_spark.workspace() as spark, on_duckdb.workspace() as duck:
        names = list(duck.owner().catalog.kpis) if by == "rep" else list(RESULTS)
        want = duck.owner().kpi_result(names, by=by, period="2025-Q1", grain="month")
        got = spark.owner().kpi_result(names, by=by, period="2025-Q1", grain="month")
    key = (want.subject, "period") if want.subject else ("period",)
    assert got.table.num_rows == want.table.num_rows > 0
    assert _rows(got.table, key) == _rows(want.table, key)
    if by == "rep":  # and the golden values, by hand (tests/engine/test_kpi_golden.py)
        quarter = _rows(spark_q1(on_spark), ("rep_id",))
        assert quarter[("r1",)]["revenue_won"] == 400
        assert quarter[("r1",)]["win_rate"] == float(f"{2 / 3:.9g}")
        assert quarter[("r2",)]["revenue_won"] == 7000
        assert quarter[("r4",)]["pipeline_created"] is None  # the EUR deal has no rate


def spark_q1(org: Org) -> pa.Table:
    with org.workspace() as ws:
        return ws.owner().kpis(["revenue_won", "win_rate", "pipeline_created"], by="rep",
                               period="2025-Q1")


def test_scorecards_equal_duckdb(on_spark: Org, on_duckdb: Org) -> None:
    cards = {}
    for org in (on_spark, on_duckdb):
        with org.workspace() as ws:
            run = ws.owner().score("2025-Q1", store=False)
            cards[org.home] = _plain([(r.plan, r.period, r.card) for r in run.results])
    got, want = cards[on_spark.home], cards[on_duckdb.home]
    assert len(want) >= 2 and got == want
    tiny = next(card for plan, _, card in got if plan == "tiny")
    assert "r1" in repr(tiny)  # the tiny plan scored r1 (and the others)


def test_analyses_equal_duckdb(on_spark: Org, on_duckdb: Org) -> None:
    reports = {}
    for org in (on_spark, on_duckdb):
        with org.workspace() as ws:
            session = ws.owner()
            reports[org.home] = _plain({
                "funnel": session.funnel(period="2025-Q1"),
                "cycle": session.cycle(period="2025-Q1"),
                "retention": session.retention(period="2025"),
            })
    assert reports[on_spark.home] == reports[on_duckdb.home]


def _lake_files(org: Org) -> dict[str, int]:
    with org.workspace() as ws:
        wh = ws._warehouse
        assert isinstance(wh, SparkWarehouse)
        root = wh.lake.root
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*.parquet")}


def test_an_import_appends_files_and_a_failed_one_changes_nothing(
        on_spark: Org, tmp_path: Path) -> None:
    before = _lake_files(on_spark)
    rows = [{"activity_id": "n1", "rep_id": "r1", "kind": "call", "direction": "outbound",
             "occurred_at": "2025-03-05 10:00:00"},
            {"activity_id": "n2", "rep_id": "r1", "kind": "call", "direction": "sideways",
             "occurred_at": "2025-03-06 10:00:00"}]
    bad = tmp_path / "activities.csv"
    bad.write_text("activity_id,rep_id,kind,direction,occurred_at\n" + "".join(
        f"{r['activity_id']},{r['rep_id']},{r['kind']},{r['direction']},{r['occurred_at']}\n"
        for r in rows))
    runner = CliRunner()
    strict = runner.invoke(app, ["import", "activities", str(bad), "--strict", "--format",
                                 "json", "--home", str(on_spark.home)], env=on_spark.env)
    assert json.loads(strict.stdout)["inserted"] == 0
    assert _lake_files(on_spark) == before
    # A writer that dies between its files and the commit point leaves the lake as it was.
    with on_spark.workspace() as ws:
        wh = ws._warehouse
        assert isinstance(wh, SparkWarehouse)
        with pytest.raises(RuntimeError), wh.transaction():
            wh.execute_sql("DELETE FROM activities")
            raise RuntimeError("killed")
        assert _lake_files(on_spark) == before
        rows = {t.name: t.rows for t in wh.table_info()}
        assert rows["activities"] == len(KPIS.rows["activities"])
    def calls() -> int:
        with on_spark.workspace() as ws:
            found = ws.owner().kpis(["calls"], by="rep", period="2025-Q1", subjects=["r1"])
        return int(found.column("calls")[0].as_py())

    before_calls = calls()
    good = tmp_path / "one.csv"
    good.write_text("activity_id,rep_id,kind,direction,occurred_at\n"
                    "n1,r1,call,outbound,2025-03-05 10:00:00\n")
    ok = runner.invoke(app, ["import", "activities", str(good), "--format", "json", "--home",
                             str(on_spark.home)], env=on_spark.env)
    assert json.loads(ok.stdout)["inserted"] == 1
    after = _lake_files(on_spark)
    added = set(after) - set(before)
    assert len(added) == 1 and next(iter(added)).startswith("activities/part-")
    assert {k: after[k] for k in before} == before  # appended: no file rewritten
    assert calls() == before_calls + 1  # Spark reads the new file
    with on_spark.workspace() as ws:
        wh = ws._warehouse
        assert isinstance(wh, SparkWarehouse)
        wh.execute_sql("DELETE FROM activities WHERE activity_id = 'n1'")  # as it was

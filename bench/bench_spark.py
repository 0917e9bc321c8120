"""The warehouse on a Spark standalone cluster beside DuckDB: the whole catalogue for every rep
and month of the demo.

    .venv/bin/python bench/bench_spark.py --scale small --repeat 3
    .venv/bin/python bench/bench_spark.py --scale medium --repeat 1

Writes the demo as Parquet (``salescore.demo.write_parquet``, when the folder is missing), loads
it into a DuckDB file and, through salescore's own write path (one transaction publishing one
Parquet file per table), into a lake; starts a Spark standalone cluster on 127.0.0.1 (a master
and two one-core workers, from pyspark's ``sbin/spark-daemon.sh``: ``tests/spark_cluster.py``);
then times the engine on each (compile + query, the first run apart as cold), checks that the
two agree on every rep, month and output, and stops the cluster. Results are appended to
``bench/results/spark.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "spark.md"


def config_of(scale: str) -> Any:
    from salescore.demo import DemoConfig

    return DemoConfig(scale=scale, end=date(2026, 10, 31))  # type: ignore[arg-type]


def prepare(scale: str, data: Path) -> None:
    from salescore.demo import write_parquet

    if not (data / "activities").exists():
        started = time.perf_counter()
        write_parquet(config_of(scale), data)
        print(f"wrote {data} in {time.perf_counter() - started:.0f} s", flush=True)


def load_duckdb(data: Path, db: Path) -> None:
    from salescore.engine.warehouse import Warehouse
    from salescore.model.tables import TABLES

    if db.exists():
        return
    with Warehouse.open(str(db)) as wh:
        wh.create_tables()
        for declared in TABLES:
            files = str(data / declared.name / "*.parquet")
            wh.execute_sql(f"INSERT INTO {declared.name} BY NAME "
                           f"SELECT * FROM read_parquet('{files}')")


def load_lake(wh: Any, data: Path) -> float:
    """The demo into the lake through the Spark warehouse's own write path; seconds."""
    from salescore.model.tables import TABLES

    started = time.perf_counter()
    wh.create_tables()
    with wh.transaction():
        for declared in TABLES:
            files = str(data / declared.name / "*.parquet")
            wh.execute_sql(f"INSERT INTO {declared.name} BY NAME "
                           f"SELECT * FROM read_parquet('{files}')")
    return time.perf_counter() - started


def time_catalogue(backend: Any, scale: str, repeat: int) -> dict[str, Any]:
    """Cold run, then ``repeat`` warm runs of the whole catalogue, every rep and month."""
    from salescore.core.periods import Grain
    from salescore.demo import demo_settings
    from salescore.engine.kpis import KpiEngine, KpiRequest
    from salescore.semantic.catalog import shipped_catalog

    cfg = config_of(scale)
    period = f"{cfg.start.isoformat()}..{cfg.end.isoformat()}"
    runs, compiles, table = [], [], None
    for _ in range(repeat + 1):
        engine = KpiEngine(backend, demo_settings(cfg))
        request = KpiRequest(tuple(shipped_catalog().kpis), by="rep", period=period,
                             grain=Grain.MONTH)
        started = time.perf_counter()
        compiled, _ = engine.compile(request)
        compiles.append(time.perf_counter() - started)
        table = backend.to_pyarrow(compiled.expr)
        runs.append(time.perf_counter() - started)
    assert table is not None
    return {"cold": runs[0], "warm": statistics.median(runs[1:]) if repeat else runs[0],
            "compile": statistics.median(compiles), "rows": table.num_rows,
            "outputs": table.num_columns - 2, "table": table}


def largest_difference(a: Any, b: Any) -> float:
    """The largest relative difference between two results (same rows, same columns)."""
    key = ["rep_id", "period"]
    left = a.to_pandas().sort_values(key).reset_index(drop=True)
    right = b.to_pandas().sort_values(key).reset_index(drop=True)
    assert list(left[key].itertuples(index=False)) == list(right[key].itertuples(index=False))
    worst = 0.0
    for column in left.columns:
        if column in key:
            continue
        x, y = left[column].astype(float), right[column].astype(float)
        if not ((x.isna() == y.isna()).all()):
            raise AssertionError(f"{column}: unknown in one result and not the other")
        both = x.notna()
        scale = y[both].abs().clip(lower=1e-12)
        diff = ((x[both] - y[both]).abs() / scale).max() if both.any() else 0.0
        worst = max(worst, float(diff))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small", choices=["small", "medium"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--note", default="", help="what else ran on the machine")
    args = parser.parse_args()
    data = args.data or ROOT / "bench" / "data" / args.scale
    prepare(args.scale, data)

    import duckdb
    import ibis
    from tests.spark_cluster import StandaloneCluster

    from salescore.engine.spark import SparkWarehouse, stop_sessions

    work = Path(tempfile.mkdtemp(prefix="salescore-bench-spark-"))
    db = work / "warehouse.duckdb"
    load_duckdb(data, db)
    duck = time_catalogue(ibis.duckdb.from_connection(duckdb.connect(str(db), read_only=True)),
                          args.scale, args.repeat)
    print(f"duckdb: cold {duck['cold']:.2f} s, warm {duck['warm']:.2f} s", flush=True)

    cluster = StandaloneCluster(work / "cluster", worker_memory="2g")
    try:
        started = time.perf_counter()
        cluster.start()
        cluster_s = time.perf_counter() - started
        url = (f"{cluster.url}?lake={work / 'lake'}&conf.spark.executor.memory=1500m"
               "&conf.spark.executor.cores=1&conf.spark.cores.max=2"
               "&conf.spark.driver.memory=2g&conf.spark.sql.shuffle.partitions=4")
        started = time.perf_counter()
        wh = SparkWarehouse.connect(url)
        session_s = time.perf_counter() - started
        load_s = load_lake(wh, data)
        print(f"cluster {cluster_s:.1f} s, session {session_s:.1f} s, lake load {load_s:.1f} s",
              flush=True)
        spark = time_catalogue(wh.backend, args.scale, args.repeat)
        print(f"spark: cold {spark['cold']:.2f} s, warm {spark['warm']:.2f} s", flush=True)
        wh.close()
    finally:
        stop_sessions()
        cluster.stop()
    worst = largest_difference(spark["table"], duck["table"])
    record(args, duck, spark, worst, cluster_s, session_s, load_s, db)


def record(args: argparse.Namespace, duck: dict[str, Any], spark: dict[str, Any], worst: float,
           cluster_s: float, session_s: float, load_s: float, db: Path) -> None:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                  for t in ("opportunities", "activities", "orders", "reps")}
    load = os.getloadavg()
    ratio = spark["warm"] / duck["warm"]
    section = f"""
## {args.scale} — {date.today().isoformat()} (median of {args.repeat} warm runs after a cold one)

Command: `.venv/bin/python bench/bench_spark.py --scale {args.scale} --repeat {args.repeat}`
Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},
load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min).
{args.note}
Data: {counts['opportunities']:,} opportunities, {counts['activities']:,} activities,
{counts['orders']:,} orders, {counts['reps']:,} reps; the whole shipped catalogue
({duck['outputs']} outputs) for every rep and month ({duck['rows']:,} rows).
Spark: standalone master and two workers of one core on 127.0.0.1 (cluster start
{cluster_s:.1f} s, session {session_s:.1f} s, the demo published into the lake {load_s:.1f} s).

| warehouse | cold (s) | warm (s) | × DuckDB warm | compile (s) |
|---|---:|---:|---:|---:|
| DuckDB file | {duck['cold']:.2f} | {duck['warm']:.2f} | 1.00 | {duck['compile']:.2f} |
| Spark cluster, Parquet lake | {spark['cold']:.2f} | {spark['warm']:.2f} | {ratio:.1f} \
| {spark['compile']:.2f} |

Spark and DuckDB agree on every rep, month and output: largest relative difference {worst:.1e}.
"""
    header = "# The warehouse on Spark beside DuckDB\n\nRecorded by `bench/bench_spark.py`; " \
             "newest first.\n"
    old = RESULTS.read_text().split("\n", 3)[3] if RESULTS.exists() else ""
    RESULTS.write_text(header + section + old)
    print(section)


if __name__ == "__main__":
    main()

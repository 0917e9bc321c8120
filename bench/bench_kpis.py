"""KPI engine benchmark: the catalogue for every rep and month against hand-written DuckDB SQL.

    .venv/bin/python bench/bench_kpis.py --scale medium            # quick (a minute or two)
    .venv/bin/python bench/bench_kpis.py --scale large --spark     # the issue's target size

Reads the demo organisation as Parquet (written with ``salescore.demo.write_parquet`` when the
folder is missing), loads it once into a DuckDB file, then runs each method in its own process so
that its peak memory (max RSS) is its own:

- ``floor``: a bare scan of every column the KPIs read (min of each), the least any engine pays;
- ``sql``: hand-written DuckDB SQL for twenty-odd core KPIs (one grouped query per table, ICU
  time zone conversion, FILTER aggregates), the baseline;
- ``engine``: salescore's engine for the same KPIs (compile + context queries + run);
- ``engine_all``: salescore's engine for the whole shipped catalogue;
- ``pandas`` / ``polars``: vectorised implementations of the same core KPIs;
- ``spark`` (``--spark``): the engine on PySpark in local mode, same core KPIs.

The results (and a check that the engine and the SQL agree) go to ``bench/results/kpis.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CORE = [
    "revenue_won", "deals_won", "deals_lost", "win_rate", "avg_deal_size", "pipeline_created",
    "opportunities_created", "lead_to_win_rate", "avg_sales_cycle_days",
    "median_sales_cycle_days", "activities", "calls", "emails", "meetings", "visits", "demos",
    "social_touches", "call_minutes", "customers_touched", "csat_avg", "csat_top2box", "nps",
    "survey_count", "order_revenue",
]
COLUMNS = {
    "opportunities": ["owner_rep_id", "status", "amount", "currency", "created_at", "closed_at"],
    "activities": ["rep_id", "kind", "direction", "customer_id", "occurred_at", "duration_s"],
    "surveys": ["rep_id", "csat", "nps", "answered_at"],
    "orders": ["rep_id", "amount", "currency", "ordered_at"],
}
TABLES = ["teams", "reps", "customers", "opportunities", "stage_changes", "activities", "orders",
          "surveys", "peer_reviews", "assists", "trainings", "targets", "fx_rates"]


def config_of(scale: str) -> Any:
    from salescore.demo import DemoConfig

    return DemoConfig(scale=scale)  # type: ignore[arg-type]


def zone(scale: str) -> str:
    from salescore.demo import demo_settings

    return str(demo_settings(config_of(scale)).organisation.timezone)


def window(scale: str) -> tuple[date, date, str]:
    cfg = config_of(scale)
    return cfg.start, cfg.end, f"{cfg.start.isoformat()}..{cfg.end.isoformat()}"


def prepare(scale: str, data: Path, db: Path) -> None:
    from salescore.demo import write_parquet
    from salescore.engine.warehouse import Warehouse

    if not (data / "activities").exists():
        started = time.perf_counter()
        write_parquet(config_of(scale), data)
        print(f"wrote {data} in {time.perf_counter() - started:.0f} s", flush=True)
    if db.exists():
        return
    started = time.perf_counter()
    with Warehouse.open(str(db)) as wh:
        wh.create_tables()
        for name in TABLES:
            files = str(data / name / "*.parquet")
            wh.execute_sql(f"INSERT INTO {name} BY NAME SELECT * FROM read_parquet('{files}')")
    print(f"loaded {db} in {time.perf_counter() - started:.0f} s", flush=True)


# -- the methods ----------------------------------------------------------------------------------
def _duckdb(db: Path) -> Any:
    """A read-only connection with the benchmark's memory limit (spilling to disk beyond it)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    limit = os.environ.get("SALESCORE_BENCH_MEMORY_LIMIT")
    if limit:
        con.execute(f"SET memory_limit = '{limit}'")
        con.execute("SET preserve_insertion_order = false")
    return con


def run_floor(db: Path, scale: str) -> dict[str, Any]:
    con = _duckdb(db)
    started = time.perf_counter()
    for table, cols in COLUMNS.items():
        con.execute(f"SELECT {', '.join(f'min({c})' for c in cols)} FROM {table}").fetchall()
    return {"seconds": time.perf_counter() - started}


def hand_sql(scale: str, *, utc: bool = False) -> str:
    """The baseline; ``utc`` buckets by UTC month instead (wrong near month ends in any other
    zone, but shows what the time zone conversion costs hand-written SQL)."""
    first, last, _ = window(scale)
    tz = zone(scale)
    lo, hi = first.isoformat(), last.isoformat()

    def month(col: str) -> str:
        if utc:
            return f"date_trunc('month', {col})::DATE"
        return f"date_trunc('month', timezone('{tz}', {col}::TIMESTAMPTZ))::DATE"

    return f"""
SET TimeZone = 'UTC';
WITH months AS (
  SELECT range::DATE AS m FROM range(DATE '{lo}', DATE '{hi}' + 1, INTERVAL 1 MONTH)),
opp AS (
  SELECT owner_rep_id AS rep, status, amount::DOUBLE AS amount,
         epoch(closed_at) - epoch(created_at) AS cycle_s,
         {month('created_at')} AS cm, {month('closed_at')} AS xm
  FROM opportunities),
closed AS (
  SELECT rep, xm AS m,
    sum(amount) FILTER (status = 'won') AS revenue_won,
    count(*) FILTER (status = 'won') AS deals_won,
    count(*) FILTER (status = 'lost') AS deals_lost,
    avg(cycle_s) FILTER (status = 'won') / 86400 AS avg_cycle,
    median(cycle_s) FILTER (status = 'won') / 86400 AS median_cycle
  FROM opp WHERE xm BETWEEN DATE '{lo}' AND DATE '{hi}' GROUP BY ALL),
created AS (
  SELECT rep, cm AS m, sum(amount) AS pipeline_created, count(*) AS opportunities_created,
    count(*) FILTER (status = 'won') AS won_created
  FROM opp WHERE cm BETWEEN DATE '{lo}' AND DATE '{hi}' GROUP BY ALL),
act AS (
  SELECT rep_id AS rep, {month('occurred_at')} AS m, count(*) AS activities,
    count(*) FILTER (kind = 'call') AS calls, count(*) FILTER (kind = 'email') AS emails,
    count(*) FILTER (kind = 'meeting') AS meetings, count(*) FILTER (kind = 'visit') AS visits,
    count(*) FILTER (kind = 'demo') AS demos, count(*) FILTER (kind = 'social') AS social,
    sum(duration_s) FILTER (kind = 'call') / 60.0 AS call_minutes,
    count(DISTINCT customer_id) FILTER (direction = 'outbound') AS customers_touched
  FROM activities GROUP BY ALL),
srv AS (
  SELECT rep_id AS rep, {month('answered_at')} AS m, avg(csat) AS csat_avg,
    count(*) FILTER (csat >= 4) AS top2, count(csat) AS csat_n,
    count(*) FILTER (nps >= 9) AS promoters, count(*) FILTER (nps <= 6) AS detractors,
    count(nps) AS nps_n, count(*) AS survey_count
  FROM surveys GROUP BY ALL),
ord AS (
  SELECT rep_id AS rep, {month('ordered_at')} AS m, sum(amount::DOUBLE) AS order_revenue
  FROM orders GROUP BY ALL)
SELECT r.rep_id, strftime(months.m, '%Y-%m') AS period,
  coalesce(revenue_won, 0) AS revenue_won, coalesce(deals_won, 0) AS deals_won,
  coalesce(deals_lost, 0) AS deals_lost,
  deals_won / nullif(coalesce(deals_won, 0) + coalesce(deals_lost, 0), 0) AS win_rate,
  revenue_won / nullif(deals_won, 0) AS avg_deal_size,
  coalesce(pipeline_created, 0) AS pipeline_created,
  coalesce(opportunities_created, 0) AS opportunities_created,
  coalesce(won_created, 0) / nullif(opportunities_created, 0) AS lead_to_win_rate,
  avg_cycle AS avg_sales_cycle_days, median_cycle AS median_sales_cycle_days,
  coalesce(activities, 0) AS activities, coalesce(calls, 0) AS calls,
  coalesce(emails, 0) AS emails, coalesce(meetings, 0) AS meetings,
  coalesce(visits, 0) AS visits, coalesce(demos, 0) AS demos,
  coalesce(social, 0) AS social_touches, coalesce(call_minutes, 0) AS call_minutes,
  coalesce(customers_touched, 0) AS customers_touched, csat_avg,
  top2 / nullif(csat_n, 0) AS csat_top2box,
  100.0 * (promoters - detractors) / nullif(nps_n, 0) AS nps,
  coalesce(survey_count, 0) AS survey_count, coalesce(order_revenue, 0) AS order_revenue
FROM (SELECT rep_id, rep_id AS rep FROM reps) r CROSS JOIN months
LEFT JOIN closed USING (rep, m) LEFT JOIN created USING (rep, m) LEFT JOIN act USING (rep, m)
LEFT JOIN srv USING (rep, m) LEFT JOIN ord USING (rep, m)
ORDER BY 1, 2
"""


def run_sql_utc(db: Path, scale: str) -> dict[str, Any]:
    return run_sql(db, scale, utc=True)


def run_sql(db: Path, scale: str, utc: bool = False) -> dict[str, Any]:
    con = _duckdb(db)
    sql = hand_sql(scale, utc=utc)
    started = time.perf_counter()
    for statement in [s for s in sql.split(";") if s.strip()][:-1]:
        con.execute(statement)
    table = con.execute(sql.split(";")[-1]).to_arrow_table()
    seconds = time.perf_counter() - started
    if not utc:
        table.to_pandas().to_parquet(db.with_suffix(".sql.parquet"))
    return {"seconds": seconds, "rows": table.num_rows}


def _engine(backend: Any, scale: str, kpis: list[str]) -> dict[str, Any]:
    from salescore.core.periods import Grain
    from salescore.demo import demo_settings
    from salescore.engine.kpis import KpiEngine, KpiRequest

    _, _, period = window(scale)
    engine = KpiEngine(backend, demo_settings(config_of(scale)))
    request = KpiRequest(tuple(kpis), by="rep", period=period, grain=Grain.MONTH)
    started = time.perf_counter()
    compiled, _ = engine.compile(request)
    compile_s = time.perf_counter() - started
    query_started = time.perf_counter()
    table = backend.to_pyarrow(compiled.expr)
    query_s = time.perf_counter() - query_started
    total = time.perf_counter() - started
    return {"seconds": total, "compile_seconds": compile_s, "query_seconds": query_s,
            "rows": table.num_rows, "queries": engine._queries + 1, "passes": compiled.passes,
            "table": table}


def run_engine(db: Path, scale: str, kpis: list[str] | None = None) -> dict[str, Any]:
    import ibis

    backend = ibis.duckdb.from_connection(_duckdb(db))
    out = _engine(backend, scale, kpis or CORE)
    table = out.pop("table")
    if kpis is None:
        table.to_pandas().to_parquet(db.with_suffix(".engine.parquet"))
    return out


def run_engine_all(db: Path, scale: str) -> dict[str, Any]:
    from salescore.semantic.catalog import shipped_catalog

    return run_engine(db, scale, list(shipped_catalog().kpis))


def _local_month(series: Any, tz: str) -> Any:
    return series.dt.tz_localize("UTC").dt.tz_convert(tz).dt.strftime("%Y-%m")


def run_pandas(db: Path, scale: str, data: Path) -> dict[str, Any]:
    import pandas as pd

    tz = zone(scale)
    first, last, _ = window(scale)
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m")
    started = time.perf_counter()
    opp = pd.read_parquet(data / "opportunities", columns=COLUMNS["opportunities"])
    opp["amount"] = opp["amount"].astype("float64")
    opp["cycle"] = (opp["closed_at"] - opp["created_at"]).dt.total_seconds() / 86400
    opp["xm"] = _local_month(opp["closed_at"], tz)
    opp["cm"] = _local_month(opp["created_at"], tz)
    won = opp["status"] == "won"
    opp["won_amount"] = opp["amount"].where(won)
    opp["won"] = won.astype("int64")
    opp["lost"] = (opp["status"] == "lost").astype("int64")
    opp["won_cycle"] = opp["cycle"].where(won)
    closed = opp.dropna(subset=["xm"]).groupby(["owner_rep_id", "xm"]).agg(
        revenue_won=("won_amount", "sum"), deals_won=("won", "sum"), deals_lost=("lost", "sum"),
        avg_sales_cycle_days=("won_cycle", "mean"), median_sales_cycle_days=("won_cycle",
                                                                             "median"))
    created = opp.groupby(["owner_rep_id", "cm"]).agg(
        pipeline_created=("amount", "sum"), opportunities_created=("amount", "size"),
        won_created=("won", "sum"))
    act = pd.read_parquet(data / "activities", columns=COLUMNS["activities"])
    act["m"] = _local_month(act["occurred_at"], tz)
    for kind, name in [("call", "calls"), ("email", "emails"), ("meeting", "meetings"),
                       ("visit", "visits"), ("demo", "demos"), ("social", "social_touches")]:
        act[name] = (act["kind"] == kind).astype("int64")
    act["call_s"] = act["duration_s"].where(act["kind"] == "call")
    act["out_customer"] = act["customer_id"].where(act["direction"] == "outbound")
    acts = act.groupby(["rep_id", "m"]).agg(
        activities=("kind", "size"), calls=("calls", "sum"), emails=("emails", "sum"),
        meetings=("meetings", "sum"), visits=("visits", "sum"), demos=("demos", "sum"),
        social_touches=("social_touches", "sum"), call_s=("call_s", "sum"),
        customers_touched=("out_customer", "nunique"))
    srv = pd.read_parquet(data / "surveys", columns=COLUMNS["surveys"])
    srv["m"] = _local_month(srv["answered_at"], tz)
    srv["top2"] = (srv["csat"] >= 4).astype("int64")
    srv["prom"] = (srv["nps"] >= 9).astype("int64")
    srv["det"] = (srv["nps"] <= 6).astype("int64")
    srvs = srv.groupby(["rep_id", "m"]).agg(
        csat_avg=("csat", "mean"), top2=("top2", "sum"), csat_n=("csat", "count"),
        prom=("prom", "sum"), det=("det", "sum"), nps_n=("nps", "count"),
        survey_count=("csat", "size"))
    orders = pd.read_parquet(data / "orders", columns=COLUMNS["orders"])
    orders["m"] = _local_month(orders["ordered_at"], tz)
    orders["amount"] = orders["amount"].astype("float64")
    ords = orders.groupby(["rep_id", "m"]).agg(order_revenue=("amount", "sum"))
    reps = pd.read_parquet(data / "reps", columns=["rep_id"])["rep_id"]
    grid = pd.MultiIndex.from_product([reps, months], names=["rep", "m"])
    out = pd.DataFrame(index=grid)
    for part in (closed, created, acts, srvs, ords):
        part.index.names = ["rep", "m"]
        out = out.join(part)
    out["win_rate"] = out["deals_won"] / (out["deals_won"].fillna(0) +
                                          out["deals_lost"].fillna(0)).replace(0, float("nan"))
    out["avg_deal_size"] = out["revenue_won"] / out["deals_won"].replace(0, float("nan"))
    out["lead_to_win_rate"] = out["won_created"] / out["opportunities_created"]
    out["call_minutes"] = out["call_s"].fillna(0) / 60
    out["csat_top2box"] = out["top2"] / out["csat_n"].replace(0, float("nan"))
    out["nps"] = 100 * (out["prom"] - out["det"]) / out["nps_n"].replace(0, float("nan"))
    out = out.reset_index()
    return {"seconds": time.perf_counter() - started, "rows": len(out)}


def run_polars(db: Path, scale: str, data: Path) -> dict[str, Any]:
    import polars as pl

    tz = zone(scale)
    first, last, _ = window(scale)
    started = time.perf_counter()

    def month(col: str) -> pl.Expr:
        return (pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(tz)
                .dt.strftime("%Y-%m"))

    def scan(table: str) -> pl.LazyFrame:
        return pl.scan_parquet(str(data / table / "*.parquet")).select(COLUMNS[table])

    opp = scan("opportunities").with_columns(
        pl.col("amount").cast(pl.Float64),
        ((pl.col("closed_at") - pl.col("created_at")).dt.total_seconds() / 86400).alias("cyc"),
        month("closed_at").alias("xm"), month("created_at").alias("cm"))
    won = pl.col("status") == "won"
    closed = opp.filter(pl.col("xm").is_not_null()).group_by(["owner_rep_id", "xm"]).agg(
        pl.col("amount").filter(won).sum().alias("revenue_won"),
        won.sum().alias("deals_won"), (pl.col("status") == "lost").sum().alias("deals_lost"),
        pl.col("cyc").filter(won).mean().alias("avg_sales_cycle_days"),
        pl.col("cyc").filter(won).median().alias("median_sales_cycle_days"),
    ).rename({"owner_rep_id": "rep", "xm": "m"})
    created = opp.group_by(["owner_rep_id", "cm"]).agg(
        pl.col("amount").sum().alias("pipeline_created"), pl.len().alias("opportunities_created"),
        won.sum().alias("won_created")).rename({"owner_rep_id": "rep", "cm": "m"})
    kind = pl.col("kind")
    acts = scan("activities").with_columns(month("occurred_at").alias("m")).group_by(
        ["rep_id", "m"]).agg(
        pl.len().alias("activities"), (kind == "call").sum().alias("calls"),
        (kind == "email").sum().alias("emails"), (kind == "meeting").sum().alias("meetings"),
        (kind == "visit").sum().alias("visits"), (kind == "demo").sum().alias("demos"),
        (kind == "social").sum().alias("social_touches"),
        (pl.col("duration_s").filter(kind == "call").sum() / 60).alias("call_minutes"),
        pl.col("customer_id").filter(pl.col("direction") == "outbound").drop_nulls().n_unique()
        .alias("customers_touched")).rename({"rep_id": "rep"})
    srvs = scan("surveys").with_columns(month("answered_at").alias("m")).group_by(
        ["rep_id", "m"]).agg(
        pl.col("csat").mean().alias("csat_avg"),
        ((pl.col("csat") >= 4).sum() / pl.col("csat").count()).alias("csat_top2box"),
        (100 * ((pl.col("nps") >= 9).sum() - (pl.col("nps") <= 6).sum())
         / pl.col("nps").count()).alias("nps"),
        pl.len().alias("survey_count")).rename({"rep_id": "rep"})
    ords = scan("orders").with_columns(month("ordered_at").alias("m")).group_by(
        ["rep_id", "m"]).agg(pl.col("amount").cast(pl.Float64).sum().alias("order_revenue")
                             ).rename({"rep_id": "rep"})
    months = pl.date_range(first, last, "1mo", eager=True).dt.strftime("%Y-%m")
    grid = pl.scan_parquet(str(data / "reps" / "*.parquet")).select(
        pl.col("rep_id").alias("rep")).join(pl.LazyFrame({"m": months}), how="cross")
    out = grid
    for part in (closed, created, acts, srvs, ords):
        out = out.join(part, on=["rep", "m"], how="left")
    out = out.with_columns(
        (pl.col("deals_won") / (pl.col("deals_won").fill_null(0) +
                                pl.col("deals_lost").fill_null(0))).alias("win_rate"),
        (pl.col("revenue_won") / pl.col("deals_won")).alias("avg_deal_size"),
        (pl.col("won_created") / pl.col("opportunities_created")).alias("lead_to_win_rate"),
    ).collect()
    return {"seconds": time.perf_counter() - started, "rows": out.height}


def run_spark(db: Path, scale: str, data: Path) -> dict[str, Any]:
    import ibis
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    session = (SparkSession.builder.master(f"local[{os.cpu_count()}]").appName("bench")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "6g")
               .config("spark.sql.shuffle.partitions", str(4 * (os.cpu_count() or 2)))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    for name in TABLES:
        session.read.parquet(str(data / name)).createOrReplaceTempView(name)
    backend = ibis.pyspark.connect(session)
    session_s = time.perf_counter() - started
    out = _engine(backend, scale, CORE)
    out.pop("table")
    out["session_seconds"] = session_s
    return out


METHODS = {"floor": run_floor, "sql": run_sql, "sql_utc": run_sql_utc, "engine": run_engine,
           "engine_all": run_engine_all, "pandas": run_pandas, "polars": run_polars,
           "spark": run_spark}


def _peak_rss_gib() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec from the forked parent, which would charge the loader's memory to every method."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def one(method: str, db: Path, scale: str, data: Path) -> None:
    fn = METHODS[method]
    result = fn(db, scale, data) if method in ("pandas", "polars", "spark") else fn(db, scale)
    result["max_rss_gib"] = _peak_rss_gib()
    print("RESULT " + json.dumps(result))


def child(method: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", method, "--scale", args.scale, "--data",
           str(args.data), "--db", str(args.db)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{method} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def agreement(db: Path) -> tuple[int, float]:
    import numpy as np
    import pandas as pd

    a = pd.read_parquet(db.with_suffix(".engine.parquet")).set_index(["rep_id", "period"])
    b = pd.read_parquet(db.with_suffix(".sql.parquet")).set_index(["rep_id", "period"])
    b = b.loc[a.index]
    worst = 0.0
    for col in CORE:
        x, y = a[col].astype("float64").to_numpy(), b[col].astype("float64").to_numpy()
        both = ~(np.isnan(x) & np.isnan(y))
        if (np.isnan(x) != np.isnan(y)).any():
            return len(a), float("inf")
        diff = np.abs(x[both] - y[both]) / np.maximum(1.0, np.abs(y[both]))
        worst = max(worst, float(np.nanmax(diff)) if diff.size else 0.0)
    return len(a), worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--spark", action="store_true", help="also time PySpark local mode")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (best counts)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "kpis.md")
    parser.add_argument("--memory-limit", default="4GB",
                        help="DuckDB memory_limit for every DuckDB method ('' for the default)")
    parser.add_argument("--only", help="comma-separated methods to run")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data = args.data or Path(f"/tmp/salescore-bench/{args.scale}")
    args.db = args.db or Path(f"/tmp/salescore-bench/{args.scale}.duckdb")
    if args.one:
        one(args.one, args.db, args.scale, args.data)
        return
    args.db.parent.mkdir(parents=True, exist_ok=True)
    prepare(args.scale, args.data, args.db)
    os.environ["SALESCORE_BENCH_MEMORY_LIMIT"] = args.memory_limit
    methods = ["floor", "sql", "sql_utc", "engine", "engine_all", "pandas", "polars"]
    if args.spark:
        methods.append("spark")
    if args.only:
        methods = ["sql", "engine", *[m for m in args.only.split(",") if m not in
                                      ("sql", "engine")]]
    results: dict[str, dict[str, Any]] = {}
    for method in methods:
        runs = [child(method, args) for _ in range(1 if method == "spark" else args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        best["max_rss_gib"] = max(r["max_rss_gib"] for r in runs)
        results[method] = best
        print(f"{method:>10}: {best['seconds']:.2f} s, peak {best['max_rss_gib']:.2f} GiB",
              flush=True)
    rows, worst = agreement(args.db)
    write_report(args, results, rows, worst)


def write_report(args: argparse.Namespace, results: dict[str, dict[str, Any]], rows: int,
                 worst: float) -> None:
    import duckdb

    con = duckdb.connect(str(args.db), read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
              for t in ("opportunities", "activities", "surveys", "orders", "reps")}
    base = results["sql"]["seconds"]
    lines = [
        f"## {args.scale} — {date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"DuckDB memory_limit {args.memory_limit or 'default'}, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}.",
        f"Data: {counts['opportunities']:,} opportunities, {counts['activities']:,} activities, "
        f"{counts['surveys']:,} surveys, {counts['orders']:,} orders, {counts['reps']:,} reps; "
        f"every rep × every month of the 24-month window ({rows:,} rows), {zone(args.scale)}.",
        "",
        "| method | seconds | × hand SQL | peak RSS (GiB) | notes |",
        "|---|---:|---:|---:|---|",
    ]
    notes = {
        "floor": "bare scan (min of each column read)",
        "sql": f"hand-written DuckDB SQL, {len(CORE)} KPIs, ICU time zone (the baseline)",
        "sql_utc": "the same SQL bucketing by UTC month: no time zone cost (and wrong at "
                   "month ends)",
        "engine": f"salescore, same {len(CORE)} KPIs",
        "engine_all": "salescore, the whole shipped catalogue",
        "pandas": f"vectorised pandas, same {len(CORE)} KPIs",
        "polars": f"Polars lazy, same {len(CORE)} KPIs",
        "spark": f"salescore on PySpark local[{os.cpu_count()}], same KPIs",
    }
    for method, r in results.items():
        extra = notes[method]
        if "query_seconds" in r:
            extra += (f"; compile {r['compile_seconds']:.2f} s + query {r['query_seconds']:.2f} s"
                      f"; {r['queries']} queries ({r['passes']} grouped passes)")
        if "session_seconds" in r:
            extra += f"; Spark start and view set-up {r['session_seconds']:.1f} s not included"
        lines.append(f"| {method} | {r['seconds']:.2f} | {r['seconds'] / base:.2f} | "
                     f"{r['max_rss_gib']:.2f} | {extra} |")
    lines += ["", f"Engine and hand SQL agree on all {len(CORE)} KPIs for every rep and month: "
              f"largest relative difference {worst:.1e}.", ""]
    text = "\n".join(lines) + "\n"
    previous = args.out.read_text(encoding="utf-8") if args.out.exists() else \
        "# KPI engine benchmark\n\nRecorded by `bench/bench_kpis.py`; newest first.\n\n"
    head, _, rest = previous.partition("\n## ")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(head.rstrip() + "\n\n" + text + ("\n## " + rest if rest else ""),
                        encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

"""Benchmark ingest: a 1 M-row opportunities CSV through ``salescore import``, against a
row-by-row pandas + Pydantic baseline.

    PYTHONPATH=src .venv/bin/python bench/bench_ingest.py
    PYTHONPATH=src .venv/bin/python bench/bench_ingest.py --rows 200000 --baseline-rows 20000

The CSV is generated first (deterministic, seed 42; not part of any timing): realistic mixed
forms, as exports are (90 % ISO timestamps and 10 % ``2025/3/1 9:05``; 80 % plain amounts and
20 % ``¥12,345.50``; status given on half the rows, derived from the stage on the rest).
Then, each in a child process of its own so that its peak resident memory (``ru_maxrss``) is its
own:

1. salescore: ``import_file`` into a fresh DuckDB warehouse (read, map, clean, validate, upsert
   in one transaction) — timed, peak memory;
2. salescore again on the same file: the idempotent path (every row compared, none written);
3. the baseline: ``pandas.read_csv`` with every column as text, one Pydantic model validated per
   row (the same cleaning rules for these forms: two timestamp forms, money with ``¥`` and
   thousands separators, status from stage, closed_at not before created_at), then one bulk
   upsert of the validated rows into DuckDB. It runs on ``--baseline-rows`` rows (default 100 000)
   and its per-row time is scaled to the full file for the ratio.

Budget (from the issue): 1 M rows in ≤ 30 s and ≤ 2 GiB peak. The results replace
``bench/results/ingest.md``, with the machine and the date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "ingest.md"
BUDGET_S = 30.0
BUDGET_MIB = 2048.0
STAGES = [("lead", "open"), ("qualified", "open"), ("discovery", "open"), ("proposal", "open"),
          ("negotiation", "open"), ("won", "won"), ("lost", "lost")]
PRODUCTS = ["标准版", "专业版", "企业版", "Add-on", "Services"]
CHANNELS = ["web", "referral", "social", "partner", "event", ""]
REASONS = ["价格", "功能不满足", "选择了竞品", "预算取消"]


def generate(path: Path, rows: int, seed: int = 42) -> None:
    """Write the benchmark CSV: ``rows`` opportunities, deterministic for ``seed``."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("opportunity_id,customer_id,owner_rep_id,product,channel,created_at,stage,"
                  "status,amount,currency,expected_close_date,closed_at,lost_reason\n")
        for i in range(rows):
            created = start + timedelta(seconds=rng.randrange(0, 500 * 86400))
            stage, status = STAGES[rng.randrange(len(STAGES))]
            if rng.random() < 0.9:
                created_text = created.strftime("%Y-%m-%d %H:%M:%S")
            else:
                created_text = f"{created.year}/{created.month}/{created.day} " \
                               f"{created.hour}:{created.minute:02d}"
                created = created.replace(second=0)
            cents = rng.randrange(100_00, 5_000_000_00)
            amount = f"{cents // 100}.{cents % 100:02d}"
            if rng.random() < 0.2:
                amount = f"¥{cents // 100:,}.{cents % 100:02d}"
            closed = ""
            expected = ""
            if status == "open":
                expected = (created + timedelta(days=rng.randrange(10, 120))).strftime("%Y-%m-%d")
            else:
                closed = (created + timedelta(hours=rng.randrange(1, 2000))).strftime(
                    "%Y-%m-%d %H:%M:%S")
            out.write(",".join([
                f"O{i:08d}", f"C{rng.randrange(50_000):06d}", f"R{rng.randrange(300):04d}",
                PRODUCTS[rng.randrange(len(PRODUCTS))], CHANNELS[rng.randrange(len(CHANNELS))],
                created_text, stage, status if rng.random() < 0.5 else "", f'"{amount}"', "CNY",
                expected, closed, REASONS[rng.randrange(len(REASONS))] if status == "lost" else "",
            ]) + "\n")


def _peak_mib() -> float:
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def child_salescore(csv_path: Path, warehouse: Path, repeat: bool) -> None:
    """Import (and with ``repeat`` import again) in this process; print one JSON line each."""
    from salescore.engine.warehouse import Warehouse
    from salescore.ingest import import_file
    from salescore.model.org import OrgSettings

    with Warehouse.open(f"duckdb:///{warehouse}") as wh:
        wh.create_tables()
        for attempt in range(2 if repeat else 1):
            steps: dict[str, float] = {}
            started = time.perf_counter()

            def progress(step: str, done: int, total: int, steps: dict[str, float] = steps,
                         started: float = started) -> None:
                steps[step] = round(time.perf_counter() - started, 2)

            result = import_file(wh, OrgSettings(), "opportunities", csv_path, progress=progress)
            seconds = time.perf_counter() - started
            print(json.dumps({"attempt": attempt, "seconds": seconds, "peak_mib": _peak_mib(),
                              "read": result.read_rows, "inserted": result.inserted,
                              "updated": result.updated, "unchanged": result.unchanged,
                              "rejected": result.rejected, "steps": steps}), flush=True)


def child_baseline(csv_path: Path, warehouse: Path, rows: int) -> None:
    """The row-by-row baseline on the first ``rows`` rows; one JSON line."""
    import re
    from decimal import Decimal

    import duckdb
    import pandas as pd
    from pydantic import BaseModel, field_validator, model_validator

    statuses = dict(STAGES)

    def moment(value: str | None) -> datetime | None:
        if not value:
            return None
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d"):
            try:
                return datetime.strptime(value, fmt)
            except ValueError:
                pass
        raise ValueError(f"not a timestamp: {value!r}")

    class Opportunity(BaseModel):
        opportunity_id: str
        customer_id: str
        owner_rep_id: str
        product: str | None
        channel: str | None
        created_at: datetime
        stage: str
        status: str | None
        amount: Decimal
        currency: str
        expected_close_date: datetime | None
        closed_at: datetime | None
        lost_reason: str | None

        @field_validator("created_at", "closed_at", "expected_close_date", mode="before")
        @classmethod
        def _moment(cls, value: str | None) -> datetime | None:
            return moment(value)

        @field_validator("amount", mode="before")
        @classmethod
        def _money(cls, value: str) -> Decimal:
            text = re.sub(r"[¥,\s]", "", value)
            if not re.fullmatch(r"-?\d+(\.\d{1,2})?", text):
                raise ValueError(f"not an amount: {value!r}")
            return Decimal(text).quantize(Decimal("0.01"))

        @field_validator("product", "channel", "status", "lost_reason", mode="before")
        @classmethod
        def _blank(cls, value: str | None) -> str | None:
            return value.strip() or None if value is not None else None

        @model_validator(mode="after")
        def _rules(self) -> Opportunity:
            expected = statuses.get(self.stage)
            if expected is None:
                raise ValueError(f"unknown stage {self.stage}")
            if self.status is None:
                self.status = expected
            elif self.status != expected:
                raise ValueError("status contradicts stage")
            if self.closed_at is not None and self.closed_at < self.created_at:
                raise ValueError("closed before created")
            return self

    started = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, nrows=rows)
    good, bad = [], 0
    for record in frame.itertuples(index=False):
        try:
            good.append(Opportunity.model_validate(record._asdict()).model_dump())
        except ValueError:
            bad += 1
    validated = time.perf_counter()
    clean = pd.DataFrame(good)
    clean["expected_close_date"] = pd.to_datetime(clean["expected_close_date"]).dt.date
    con = duckdb.connect(str(warehouse))
    from salescore.engine.ddl import create_table_sql
    from salescore.model.tables import table

    con.execute(create_table_sql(table("opportunities")))
    con.register("clean", clean)
    con.execute("INSERT INTO opportunities SELECT * FROM clean ON CONFLICT DO NOTHING")
    con.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "validate_seconds": validated - started,
                      "rejected": bad, "peak_mib": _peak_mib()}), flush=True)


def _run(args: list[str]) -> list[dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                          text=True, env=env)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb
    import pyarrow

    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, Linux {platform.release()}, "
            f"Python {platform.python_version()}, pyarrow {pyarrow.__version__}, "
            f"duckdb {duckdb.__version__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--child", choices=["salescore", "baseline"])
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--no-write", action="store_true", help="print, do not write results")
    args = parser.parse_args()
    if args.child == "salescore":
        child_salescore(args.csv, args.warehouse, repeat=True)
        return
    if args.child == "baseline":
        child_baseline(args.csv, args.warehouse, args.baseline_rows)
        return

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "opportunities.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows)
        print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        first, again = _run(["--child", "salescore", "--csv", str(csv_path),
                             "--warehouse", str(folder / "a.duckdb")])
        print("salescore:", json.dumps(first), "\nagain:", json.dumps(again), flush=True)
        base_rows = min(args.baseline_rows, args.rows)
        (baseline,) = _run(["--child", "baseline", "--csv", str(csv_path), "--baseline-rows",
                            str(base_rows), "--warehouse", str(folder / "b.duckdb")])
        print("baseline:", json.dumps(baseline), flush=True)
        size_mib = csv_path.stat().st_size / 2**20

    per_row = float(baseline["seconds"]) / base_rows  # type: ignore[arg-type]
    baseline_full = per_row * args.rows
    ratio = baseline_full / float(first["seconds"])  # type: ignore[arg-type]
    ok = float(first["seconds"]) <= BUDGET_S and float(first["peak_mib"]) <= BUDGET_MIB  # type: ignore[arg-type]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    steps = ", ".join(f"{k} {v} s" for k, v in first["steps"].items())  # type: ignore[union-attr]
    text = f"""# Ingest benchmark / 导入基准

`bench/bench_ingest.py` imports a generated opportunities CSV into a fresh DuckDB warehouse with
`salescore.ingest.import_file` (read, map, clean, validate, upsert in one transaction), imports it
again (the idempotent path), and runs a row-by-row pandas + Pydantic baseline, each in a child
process of its own (peak resident memory `ru_maxrss`). Budget: 1 M rows in ≤ 30 s, ≤ 2 GiB.
`bench/bench_ingest.py` 将生成的商机 CSV 导入全新的 DuckDB 数据仓库，再导入一次（幂等路径），
并与逐行 pandas + Pydantic 基线对比；每项在独立子进程中运行并记录峰值内存。预算：100 万行 ≤ 30 秒、≤ 2 GiB。

Re-run / 重新运行: `PYTHONPATH=src .venv/bin/python bench/bench_ingest.py`

- Date / 日期: {when}
- Machine / 机器: {_machine()}; load average at start / 开始时负载 {load} (shared machine: other
  work running at the same time makes the times vary / 共享机器，其他任务会影响耗时)
- File / 文件: {args.rows:,} rows, {size_mib:.0f} MiB, 13 columns; 10 % of timestamps as
  `2025/3/1 9:05`, 20 % of amounts as `¥12,345.50`, status missing on half the rows

| run / 运行 | rows / 行数 | seconds / 秒 | peak / 峰值内存 | result / 结果 |
|---|---:|---:|---:|---|
| salescore import (new warehouse) | {first['read']:,} | {first['seconds']:.1f} | {first['peak_mib']:.0f} MiB | inserted {first['inserted']:,}, rejected {first['rejected']:,} |
| salescore import again (same file) | {again['read']:,} | {again['seconds']:.1f} | {again['peak_mib']:.0f} MiB (process peak, both imports) | unchanged {again['unchanged']:,}, updated {again['updated']:,} |
| baseline: pandas + Pydantic row by row | {base_rows:,} | {baseline['seconds']:.1f} | {baseline['peak_mib']:.0f} MiB | rejected {baseline['rejected']:,} (validation alone {baseline['validate_seconds']:.1f} s) |
| baseline scaled to {args.rows:,} rows | {args.rows:,} | {baseline_full:.0f} | | per row {per_row * 1e6:.0f} µs |

- Ratio / 倍数: salescore is **{ratio:.0f}×** faster than the row-by-row baseline (scaled).
- Budget / 预算: {"met / 达标" if ok else "NOT met / 未达标"} ({first['seconds']:.1f} s ≤ {BUDGET_S:.0f} s, {first['peak_mib']:.0f} MiB ≤ {BUDGET_MIB:.0f} MiB).
- Steps of the first import (seconds since start, each step's start) / 各步骤开始时刻: {steps}.
"""  # noqa: E501
    if args.no_write:
        print(text)
    else:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")
        print(f"written {RESULTS}")


if __name__ == "__main__":
    main()

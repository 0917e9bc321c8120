"""Benchmark scoring: every rep, 24 months, one plan, against computing the plan's KPIs alone.

    PYTHONPATH=src .venv/bin/python bench/bench_scoring.py                    # medium demo
    PYTHONPATH=src .venv/bin/python bench/bench_scoring.py --scale small
    salescore demo --scale large --out bench/data/large                       # once, ~70 s
    PYTHONPATH=src .venv/bin/python bench/bench_scoring.py --scale large --parquet bench/data/large
    ... --home DIR        # keep the loaded workspace in DIR; a later run with it skips loading

The demo organisation is generated into a temporary workspace (DuckDB warehouse, SQLite app
store), or loaded from a Parquet copy written by ``salescore demo --out``; the shipped plans are
adopted from the first day of the demo window. Then, ``--repeat`` times each (the median is
recorded, after one warm-up run):

* **KPIs alone**: the one engine query scoring makes, the plan's KPIs per rep and month over the
  24 months (and the month before, when a target needs last period's values);
* **KPIs + scoring**: :meth:`Scorecards.compute`, which reads the reps, the team tree and the
  targets, runs that query and scores each of the 24 months (nothing stored);
* **KPIs + scoring + store**: :meth:`Scorecards.score` over the window, which also writes the
  scores to the app store (after the first run every row is unchanged, so this measures the
  comparison; the first run, which inserts every row, is reported apart).

The budget (issue 5): KPIs + scoring under 2× KPIs alone. The results replace that scale's
section of ``bench/results/scoring.md``, with the machine and the date.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchlib import machine, update_section

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "scoring.md"
BUDGET = 2.0
HEADER = """# Scoring benchmark / 评分基准

`bench/bench_scoring.py` scores every rep of a demo organisation for 24 months under one shipped
plan and compares it with computing that plan's KPIs alone (the same engine query). Budget
(issue 5), for the large demo: KPIs + scoring under 2× the KPIs alone. Medians of several runs
after a warm-up. Scoring costs a roughly fixed 20–40 ms per period (pandas work in
`salescore.scorecards.arithmetic`) plus a little per rep, so the ratio is highest where the KPI
query is
cheapest: on the small demo the 24 periods outweigh a 0.3 s query.
`bench/bench_scoring.py` 在演示组织上按一个内置方案为所有销售计算 24 个月的评分，
并与单独计算该方案指标（同一个引擎查询）比较。
预算（large 规模）：指标 + 评分的耗时不超过单独计算指标的 2 倍。取预热后多次运行的中位数。
评分每个周期约有 20–40 毫秒的固定开销，因此指标查询越快，比值越高：
small 规模下 24 个周期的开销超过了 0.3 秒的查询本身。

Re-run / 重新运行: `PYTHONPATH=src .venv/bin/python bench/bench_scoring.py [--scale small|medium]`;
large: `salescore demo --scale large --out DIR`, then `... --scale large --parquet DIR`
(`--home KEEP` keeps the loaded workspace; a later run with it skips loading).
"""


def _machine() -> dict[str, str]:
    import duckdb
    import pandas
    import pyarrow

    return machine({"duckdb / pyarrow / pandas": f"{duckdb.__version__} / {pyarrow.__version__} / "
                                                 f"{pandas.__version__}"})


def _load(ws: Any, config: Any, parquet: Path | None) -> dict[str, int]:
    from salescore.demo import generate
    from salescore.model.tables import TABLES

    owner = ws.owner()
    owner.clear_warehouse()
    if parquet is None:
        with ws._warehouse.transaction():
            for name, chunk in generate(config):
                ws._warehouse.append(name, chunk)
    else:
        for declared in TABLES:
            files = sorted((parquet / declared.name).glob("*.parquet"))
            if not files:
                continue
            columns = ", ".join(declared.column_names)
            pattern = str(parquet / declared.name / "*.parquet").replace("'", "''")
            ws._warehouse.execute_sql(f"INSERT INTO {declared.name} ({columns}) SELECT "
                                      f"{columns} FROM read_parquet('{pattern}')")
    return {t.name: t.rows for t in owner.table_info()}


def _timed(runs: int, work: Callable[[], object]) -> list[float]:
    work()  # warm-up: DuckDB's caches, Python's imports
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


def run(scale: str, parquet: Path | None, plan_name: str, repeat: int, seed: int,
        keep: Path | None = None) -> dict[str, Any]:
    from salescore.core.periods import Grain
    from salescore.demo import DemoConfig, demo_settings
    from salescore.scorecards.inputs import kpi_values
    from salescore.semantic.plan_loader import load_shipped_plans
    from salescore.workspace import Workspace

    config = DemoConfig(scale=scale, seed=seed, end=date(2026, 10, 31))  # type: ignore[arg-type]
    home = keep or Path(tempfile.mkdtemp(prefix="salescore-bench-scoring-"))
    reuse = keep is not None and (keep / "warehouse.duckdb").exists()
    os.environ.pop("SALESCORE_WAREHOUSE_URL", None)
    os.environ.pop("SALESCORE_APP_DB_URL", None)
    try:
        with Workspace.init(home, demo_settings(config), overwrite=True) as ws:
            started = time.perf_counter()
            counts = ({t.name: t.rows for t in ws.owner().table_info()} if reuse
                      else _load(ws, config, parquet))
            load_seconds = time.perf_counter() - started
            ws.owner().adopt_shipped_plans(config.start)
            cards = ws.owner().scorecards
            plan = load_shipped_plans()[plan_name]
            assert plan.grain is Grain.MONTH, "the benchmark scores a monthly plan"
            window = ws.calendar.parse(f"{config.start.isoformat()}..{config.end.isoformat()}")
            months = ws.calendar.split(window, Grain.MONTH)
            asked = months + ([months[0].previous()] if plan.needs_previous() else [])

            def kpis_alone() -> object:
                return kpi_values(cards.engine, list(plan.kpis()), by="rep", periods=asked,
                                  grain=plan.grain)

            def kpis_and_scoring() -> object:
                return cards.compute(plan, months)

            first_store = time.perf_counter()
            first = cards.score(str(window), plan_name)
            first_store = time.perf_counter() - first_store

            def kpis_scoring_store() -> object:
                return cards.score(str(window), plan_name)

            kpi_runs = _timed(repeat, kpis_alone)
            score_runs = _timed(repeat, kpis_and_scoring)
            store_runs = _timed(repeat, kpis_scoring_store)
            scored = sum(int((r.card.subjects["status"] == "ok").sum()) for r in first.results)
            subjects = sum(len(r.card.subjects) for r in first.results)
            rows_stored = sum(r.stored.inserted for r in first.results if r.stored)
            rows = kpis_alone().num_rows  # type: ignore[attr-defined]
    finally:
        if keep is None:
            shutil.rmtree(home, ignore_errors=True)
    source = "kept workspace" if reuse else ("Parquet copy" if parquet else "generated")
    return {
        "scale": scale, "seed": seed, "plan": plan_name, "source": source, "counts": counts,
        "load_seconds": load_seconds,
        "months": len(months), "kpis": len(plan.kpis()), "kpi_rows": rows,
        "rep_months": subjects, "scored": scored, "rows_stored": rows_stored,
        "kpi": kpi_runs, "score": score_runs, "store": store_runs,
        "first_store": first_store, "repeat": repeat,
    }


def _section(result: dict[str, Any], machine: dict[str, str]) -> str:
    scale = result["scale"]
    kpi = statistics.median(result["kpi"])
    score = statistics.median(result["score"])
    store = statistics.median(result["store"])
    ratio = score / kpi
    counts = result["counts"]

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    lines = [
        f"<!-- scale:{scale} -->",
        f"## {scale}",
        "",
        f"- date / 日期: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- data / 数据: demo `{scale}`, seed {result['seed']} ({result['source']}); "
        f"{counts.get('reps', 0):,} reps, {counts.get('opportunities', 0):,} opportunities, "
        f"{counts.get('activities', 0):,} activities"
        + ("" if result["source"] == "kept workspace"
           else f"; loaded in {result['load_seconds']:.1f} s"),
        f"- plan / 方案: `{result['plan']}` ({result['kpis']} KPIs), {result['months']} months; "
        f"{result['rep_months']:,} rep-months scored, {result['scored']:,} with a score; "
        f"{result['kpi_rows']:,} KPI rows",
        *(f"- {k}: {v}" for k, v in machine.items()),
        "",
        "| run / 运行 | median / 中位数 | runs (s) / 各次 |",
        "|---|---:|---|",
        f"| KPIs alone / 仅指标 | **{kpi:.2f} s** | {runs(result['kpi'])} |",
        f"| KPIs + scoring / 指标 + 评分 | **{score:.2f} s** | {runs(result['score'])} |",
        f"| KPIs + scoring + store (unchanged rows) / 指标 + 评分 + 保存（无变化） | "
        f"{store:.2f} s | {runs(result['store'])} |",
        f"| first store, {result['rows_stored']:,} rows inserted / 首次保存 | "
        f"{result['first_store']:.2f} s | 1 run |",
        "",
        f"- ratio / 比值 (KPIs + scoring) / KPIs alone: **{ratio:.2f}×** — "
        f"{'within' if ratio < BUDGET else 'OVER'} the budget of {BUDGET:.0f}× / "
        f"{'满足' if ratio < BUDGET else '超出'} {BUDGET:.0f} 倍预算",
        f"- with storing / 含保存: {store / kpi:.2f}×",
        f"<!-- /scale:{scale} -->",
        "",
    ]
    return "\n".join(lines)


def _update(scale: str, section: str) -> None:
    update_section(RESULTS, HEADER, scale, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--parquet", type=Path, default=None,
                        help="a folder written by `salescore demo --scale S --out DIR`")
    parser.add_argument("--plan", default="field-sales",
                        choices=["field-sales", "inside-sales"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--home", type=Path, default=None,
                        help="keep the workspace here (and reuse it when it has a warehouse: "
                             "no generating or loading)")
    args = parser.parse_args()
    if args.scale == "large" and args.parquet is None and args.home is None:
        parser.error("large: write a Parquet copy first (salescore demo --scale large --out DIR)"
                     " and pass --parquet DIR")
    result = run(args.scale, args.parquet, args.plan, args.repeat, args.seed, args.home)
    _update(args.scale, _section(result, _machine()))
    kpi = statistics.median(result["kpi"])
    score = statistics.median(result["score"])
    print(f"{args.scale}: KPIs {kpi:.2f} s, KPIs + scoring {score:.2f} s "
          f"({score / kpi:.2f}×), with store {statistics.median(result['store']):.2f} s")
    print(f"results in {RESULTS}")


if __name__ == "__main__":
    main()

"""Where the whole catalogue's time goes: each KPI alone, every rep and month, on a kept warehouse.

    .venv/bin/python bench/profile_kpis.py --scale medium [--raw]

Opens the roll-ups benchmark's warehouse (bench_rollups.py's copy, kept tables built) read-only
and times each KPI of the catalogue alone (the engine's default path: kept derived facts and
roll-ups where a measure allows; ``--raw``: the raw rows), slowest first, with which of its
measures came from roll-ups. Single KPIs share no work, so the sum exceeds the whole
catalogue's one query; the order says where to look.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_kpis as bk  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--raw", action="store_true")
    parser.add_argument("--only", help="comma-separated KPIs")
    parser.add_argument("--db", type=Path, help="another kept warehouse (default: the "
                        "roll-ups benchmark's copy)")
    args = parser.parse_args()
    import ibis

    from salescore.core.periods import Grain
    from salescore.engine.kpis import KpiEngine, KpiRequest
    from salescore.semantic.catalog import shipped_catalog

    db = args.db or Path(f"/tmp/salescore-bench/{args.scale}-rollups.duckdb")
    con = ibis.duckdb.connect(str(db), read_only=True)
    con.raw_sql("SET memory_limit = '4GB'")
    cat = shipped_catalog()
    _, _, period = bk.window(args.scale)
    engine = KpiEngine(con, bk._settings(args.scale), cat, use_rollups=not args.raw,
                       use_derived=not args.raw)
    names = args.only.split(",") if args.only else list(cat.kpis)
    out = []
    for name in names:
        request = KpiRequest((name,), by="rep", period=period, grain=Grain.MONTH)
        started = time.perf_counter()
        compiled, _ = engine.compile(request)
        con.to_pyarrow(compiled.expr)
        seconds = time.perf_counter() - started
        kept = f"{len(compiled.from_rollups)}/{len(compiled.plan.measures)}"
        extra = f"conv={len(compiled.plan.conversions)} pop={len(compiled.plan.pops)}"
        out.append((seconds, name, kept, extra))
        print(f"{seconds:7.2f} s  {name}  roll-ups {kept} {extra}", flush=True)
    print("--- slowest first")
    for seconds, name, kept, extra in sorted(out, reverse=True):
        print(f"{seconds:7.2f} s  {name}  roll-ups {kept} {extra}")
    print(f"sum {sum(s for s, *_ in out):.1f} s")


if __name__ == "__main__":
    main()

"""Whole catalogue from kept derived facts and daily roll-ups, against the raw path and the floor.

    .venv/bin/python bench/bench_rollups.py --scale medium  # -> bench/results/rollups.md

In one process, on a copy of the benchmark warehouse (bench_kpis.py's, made if missing):
rebuild the kept tables (timed), then per method, ``--repeat`` runs, the median counted:

- ``floor_all``: bare scan of every column the whole catalogue reads (bench_kpis.py's);
- ``raw``: the whole catalogue for every rep and month from the raw rows (windows computed);
- ``derived``: the same, windows read from the kept derived facts, no roll-ups;
- ``rollups``: kept derived facts and roll-ups, the engine's default.

Then: the three paths must agree on every rep, month and output (counts and money exactly,
float averages to the reported relative difference); an import of 10,000 new activities
(kept tables included) is timed, and a re-import of the same rows must leave every roll-up as
it was.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_kpis as bk  # noqa: E402


def _engine(wh: Any, scale: str, *, rollups: bool, derived: bool) -> tuple[float, Any, int]:
    from salescore.core.periods import Grain
    from salescore.engine.kpis import KpiEngine, KpiRequest
    from salescore.semantic.catalog import shipped_catalog

    _, _, period = bk.window(scale)
    cat = shipped_catalog()
    engine = KpiEngine(wh.backend, bk._settings(scale), cat, use_rollups=rollups,
                       use_derived=derived)
    request = KpiRequest(tuple(cat.kpis), by="rep", period=period, grain=Grain.MONTH)
    started = time.perf_counter()
    compiled, _ = engine.compile(request)
    table = wh.backend.to_pyarrow(compiled.expr)
    return time.perf_counter() - started, table, len(compiled.from_rollups)


def _compare(a: Any, b: Any) -> tuple[int, float]:
    """Cells that differ other than float rounding, and the largest relative float difference."""
    assert a.num_rows == b.num_rows and a.column_names == b.column_names
    bad, worst = 0, 0.0
    for name in a.column_names:
        for x, y in zip(a.column(name).to_pylist(), b.column(name).to_pylist(), strict=True):
            if x == y:
                continue
            if isinstance(x, float) and isinstance(y, float):
                rel = abs(x - y) / max(abs(x), abs(y))
                worst = max(worst, rel)
                if rel > 1e-9:
                    bad += 1
            else:
                bad += 1
    return bad, worst


def _kept_digest(wh: Any) -> str:
    from salescore.engine.maintain import STATE

    h = hashlib.sha256()
    for (name,) in sorted(wh.execute_sql(f"SELECT name FROM {STATE} WHERE name LIKE 'rollup%'")):
        for row in wh.execute_sql(f'SELECT * FROM "{name}" ORDER BY ALL'):
            h.update(repr(row).encode())
    return h.hexdigest()


def _new_activities(wh: Any, n: int) -> Any:
    import pyarrow as pa

    reps = [r for (r,) in wh.execute_sql("SELECT rep_id FROM reps ORDER BY rep_id")]
    custs = [c for (c,) in wh.execute_sql(
        "SELECT customer_id FROM customers ORDER BY customer_id LIMIT 5000")]
    last = wh.execute_sql("SELECT max(occurred_at) FROM activities")[0][0]
    kinds = ["call", "email", "meeting", "visit", "message"]
    return pa.table({
        "activity_id": [f"bench-new-{i:06d}" for i in range(n)],
        "rep_id": [reps[i % len(reps)] for i in range(n)],
        "customer_id": [custs[(i * 7) % len(custs)] for i in range(n)],
        "kind": [kinds[i % len(kinds)] for i in range(n)],
        "direction": ["outbound" if i % 3 else "inbound" for i in range(n)],
        "occurred_at": [last - timedelta(days=(i % 20), minutes=i % 600) for i in range(n)],
        "duration_s": [60 + i % 900 for i in range(n)],
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "rollups.md")
    args = parser.parse_args()
    data = Path(f"/tmp/salescore-bench/{args.scale}")
    base = Path(f"/tmp/salescore-bench/{args.scale}.duckdb")
    base.parent.mkdir(parents=True, exist_ok=True)
    bk.prepare(args.scale, data, base)
    db = Path(f"/tmp/salescore-bench/{args.scale}-rollups.duckdb")
    shutil.copy(base, db)
    os.environ["SALESCORE_BENCH_MEMORY_LIMIT"] = args.memory_limit

    from salescore.engine.maintain import rebuild
    from salescore.engine.warehouse import Warehouse
    from salescore.ingest import import_arrow
    from salescore.semantic.catalog import shipped_catalog

    settings = bk._settings(args.scale)
    times: dict[str, list[float]] = {"floor_all": [], "raw": [], "derived": [], "rollups": []}
    with Warehouse.open(str(db)) as wh:
        wh.execute_sql(f"SET memory_limit = '{args.memory_limit}'")
        started = time.perf_counter()
        state = rebuild(wh, shipped_catalog(), settings)
        rebuild_s = time.perf_counter() - started
        print(f"rebuild {rebuild_s:.1f} s", flush=True)
        wh.execute_sql("CHECKPOINT")
        tables: dict[str, Any] = {}
        kept_measures = 0
        for _ in range(args.repeat):
            times["floor_all"].append(_floor(wh))
            for method, (r, d) in {"raw": (False, False), "derived": (False, True),
                                   "rollups": (True, True)}.items():
                seconds, table, n = _engine(wh, args.scale, rollups=r, derived=d)
                times[method].append(seconds)
                tables[method] = table
                if method == "rollups":
                    kept_measures = n
                print(method, f"{seconds:.2f} s", flush=True)
        rows = tables["raw"].num_rows
        agree = {m: _compare(tables["raw"], tables[m]) for m in ("derived", "rollups")}
        before = _kept_digest(wh)
        new = _new_activities(wh, 10_000)
        started = time.perf_counter()
        first = import_arrow(wh, settings, "activities", new)
        import_s = time.perf_counter() - started
        after_first = _kept_digest(wh)
        started = time.perf_counter()
        again = import_arrow(wh, settings, "activities", new)
        reimport_s = time.perf_counter() - started
        unchanged = _kept_digest(wh) == after_first
        _, fresh, _ = _engine(wh, args.scale, rollups=True, derived=True)
        _, raw_after, _ = _engine(wh, args.scale, rollups=False, derived=False)
        agree_after = _compare(raw_after, fresh)
        counts = {t: wh.execute_sql(f"SELECT count(*) FROM {t}")[0][0]
                  for t in ("opportunities", "activities", "orders", "reps")}
    med = {m: statistics.median(v) for m, v in times.items()}
    _report(args, med, times, rows, agree, rebuild_s, state, kept_measures, first, import_s,
            again, reimport_s, unchanged, before != after_first, agree_after, counts)


def _floor(wh: Any) -> float:
    started = time.perf_counter()
    for table, cols in bk.COLUMNS_ALL.items():
        wh.execute_sql(f"SELECT {', '.join(f'min({c})' for c in cols)} FROM {table}")
    return time.perf_counter() - started


def _report(args: argparse.Namespace, med: dict[str, float], times: dict[str, list[float]],
            rows: int, agree: dict[str, tuple[int, float]], rebuild_s: float, state: Any,
            kept_measures: int, first: Any, import_s: float, again: Any, reimport_s: float,
            unchanged: bool, changed_first: bool, agree_after: tuple[int, float],
            counts: dict[str, int]) -> None:
    import duckdb

    floor = med["floor_all"]
    lines = [
        f"## {args.scale} — {date.today().isoformat()}",
        "",
        f"Command: `.venv/bin/python bench/bench_rollups.py --scale {args.scale} "
        f"--repeat {args.repeat}` (medians of {args.repeat}; the machine was shared with other "
        "work, 2 cores).",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, DuckDB memory_limit "
        f"{args.memory_limit}, Python {platform.python_version()}, DuckDB {duckdb.__version__}.",
        f"Data: {counts['opportunities']:,} opportunities, {counts['activities']:,} activities, "
        f"{counts['orders']:,} orders, {counts['reps']:,} reps; whole catalogue, every rep × "
        f"every month ({rows:,} rows).",
        "",
        "| method | median s | × floor_all | × raw | runs |",
        "|---|---:|---:|---:|---|",
    ]
    for m, note in [("floor_all", "bare scan of every column the catalogue reads"),
                    ("raw", "raw rows, windows computed per query"),
                    ("derived", "windows read from kept derived facts"),
                    ("rollups", f"derived facts + daily roll-ups ({kept_measures} measures "
                                "from roll-ups)")]:
        runs = ", ".join(f"{t:.2f}" for t in times[m])
        lines.append(f"| {m} ({note}) | {med[m]:.2f} | {med[m] / floor:.1f} | "
                     f"{med[m] / med['raw']:.2f} | {runs} |")
    lines += [
        "",
        f"Rebuild of every kept table (`salescore kpi rebuild-rollups`): {rebuild_s:.1f} s "
        f"({len(state.derived)} derived facts, {len(state.rollups)} roll-ups).",
        "Agreement with the raw path over every rep, month and output: "
        + "; ".join(f"{m}: {bad} cells differ beyond float rounding, largest relative "
                    f"difference {worst:.1e}" for m, (bad, worst) in agree.items()) + ".",
        f"Import of 10,000 new activities (`import_arrow`, kept tables included): "
        f"{import_s:.2f} s ({first.inserted:,} inserted; roll-ups changed: {changed_first}). "
        f"Re-import of the same rows: {reimport_s:.2f} s ({again.inserted} inserted, "
        f"{again.updated} updated); every roll-up unchanged: {unchanged}. After the import, "
        f"roll-up path vs raw path: {agree_after[0]} cells differ, largest relative "
        f"difference {agree_after[1]:.1e}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    head = "# Roll-ups benchmark\n\nRecorded by `bench/bench_rollups.py`; newest first.\n\n"
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else head
    body = old[len(head):] if old.startswith(head) else old
    args.out.write_text(head + text + "\n" + body, encoding="utf-8")


if __name__ == "__main__":
    main()

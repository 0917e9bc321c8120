"""Benchmark the demo generator: every scale written to Parquet, timed, with its peak memory.

    PYTHONPATH=src .venv/bin/python bench/bench_demo.py                 # small, medium, large
    PYTHONPATH=src .venv/bin/python bench/bench_demo.py --scale large   # one scale

Each scale runs in a child process of its own, so that its peak resident memory (``ru_maxrss``,
children included) is its own. Parquet goes to a temporary folder (or ``--out``, e.g. bench/data,
which git ignores) and is deleted afterwards unless ``--keep``. The results replace that scale's
section in ``bench/results/demo.md``, with the machine and the date.

Budgets (from the issue): small < 30 s; large < 10 min and < 8 GiB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from benchlib import machine, update_section

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "demo.md"
BUDGET_S = {"small": 30.0, "medium": None, "large": 600.0}
BUDGET_MIB = {"small": None, "medium": None, "large": 8 * 1024}
HEADER = """# Demo generator benchmark / 演示数据生成基准

`bench/bench_demo.py` writes each scale of `salescore demo` to Parquet (zstd) in a child process
and records the wall time and the peak resident memory of that process (`ru_maxrss`, children
included). Budgets: small < 30 s; large < 10 min and < 8 GiB.
`bench/bench_demo.py` 在独立子进程中把每个规模的演示数据写成 Parquet，记录耗时与峰值内存。
预算：small 少于 30 秒；large 少于 10 分钟、峰值内存少于 8 GiB。

Re-run / 重新运行: `PYTHONPATH=src .venv/bin/python bench/bench_demo.py [--scale large]`
"""


def _child(scale: str, seed: int, locale: str, out: Path) -> None:
    """Generate one scale and print the measurements as one JSON line."""
    from salescore.demo import DemoConfig, write_parquet

    started = time.perf_counter()
    counts = write_parquet(DemoConfig(scale=scale, seed=seed, locale=locale,  # type: ignore[arg-type]
                                      end=date(2026, 10, 31)),
                           out)
    seconds = time.perf_counter() - started
    usage = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    print(json.dumps({"counts": counts, "seconds": seconds, "peak_mib": usage / 1024,
                      "parquet_bytes": size}))


def _machine() -> dict[str, str]:
    import faker
    import numpy
    import pyarrow

    return machine({"numpy / pyarrow / Faker": f"{numpy.__version__} / {pyarrow.__version__} / "
                                               f"{faker.VERSION}"})


def _section(scale: str, seed: int, locale: str, result: dict[str, object],
             wall: float, machine: dict[str, str]) -> str:
    counts: dict[str, int] = result["counts"]  # type: ignore[assignment]
    seconds = float(result["seconds"])  # type: ignore[arg-type]
    peak = float(result["peak_mib"])  # type: ignore[arg-type]
    size = int(result["parquet_bytes"])  # type: ignore[call-overload]
    verdicts = []
    if BUDGET_S[scale] is not None:
        ok = seconds < BUDGET_S[scale]  # type: ignore[operator]
        verdicts.append(f"time {'within' if ok else 'OVER'} {BUDGET_S[scale]:.0f} s")
    if BUDGET_MIB[scale] is not None:
        ok = peak < BUDGET_MIB[scale]  # type: ignore[operator]
        verdicts.append(f"memory {'within' if ok else 'OVER'} {BUDGET_MIB[scale] / 1024:.0f} GiB")
    lines = [
        f"<!-- scale:{scale} -->",
        f"## {scale}",
        "",
        f"- date / 日期: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- config / 配置: `DemoConfig(scale={scale!r}, seed={seed}, locale={locale!r})`, "
        "24 months ending 2026-10-31",
        *(f"- {k}: {v}" for k, v in machine.items()),
        f"- wall time / 耗时: **{seconds:.1f} s** (generate + write Parquet; process "
        f"{wall:.1f} s incl. start-up)",
        f"- peak memory / 峰值内存: **{peak:,.0f} MiB** (ru_maxrss)",
        f"- Parquet on disk / 磁盘占用: {size / 1024**2:,.0f} MiB",
        f"- rows per second / 每秒行数: {sum(counts.values()) / seconds:,.0f}",
    ]
    if verdicts:
        lines.append(f"- budget / 预算: {', '.join(verdicts)}")
    lines += ["", "| table | rows |", "|---|---:|"]
    lines += [f"| {name} | {rows:,} |" for name, rows in counts.items()]
    lines += [f"| **total** | **{sum(counts.values()):,}** |", f"<!-- /scale:{scale} -->", ""]
    return "\n".join(lines)


def _update(scale: str, section: str) -> None:
    update_section(RESULTS, HEADER, scale, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--locale", default="en", choices=["en", "zh_CN"])
    parser.add_argument("--out", type=Path, default=None, help="parent folder for the Parquet")
    parser.add_argument("--keep", action="store_true", help="keep the Parquet files")
    parser.add_argument("--child", nargs=2, metavar=("SCALE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.seed, args.locale, Path(args.child[1]))
        return

    machine = _machine()
    for scale in args.scale or ["small", "medium", "large"]:
        parent = args.out or Path(tempfile.mkdtemp(prefix="salescore-bench-"))
        out = parent / f"demo-{scale}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", scale, str(out), "--seed", str(args.seed),
             "--locale", args.locale],
            check=True, capture_output=True, text=True, env=os.environ.copy())
        wall = time.perf_counter() - started
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
            if args.out is None:
                shutil.rmtree(parent, ignore_errors=True)
        _update(scale, _section(scale, args.seed, args.locale, result, wall, machine))
        print(f"{scale}: {result['seconds']:.1f} s, peak {result['peak_mib']:,.0f} MiB, "
              f"{sum(result['counts'].values()):,} rows")
    print(f"results in {RESULTS}")


if __name__ == "__main__":
    main()

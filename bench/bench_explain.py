"""Benchmark ``salescore score show``: one rep's score explained down to the records, now against
the code before the one-pass explanation (issue 8), on the same data folder.

    mkdir /tmp/salescore-before                             # the code before, once
    git archive f406808~1 | tar -x -C /tmp/salescore-before
    PYTHONPATH=src .venv/bin/python bench/bench_explain.py --before /tmp/salescore-before
    ... --scale small | medium (default) ... --home DIR (keep the two data folders; reused)

The code before builds the demo organisation (DuckDB warehouse, SQLite app store) and scores
one month; this checkout explains a copy of the same folder, its app store migrated and the
month scored again by this checkout (the demo generator has changed since, so the same seed no
longer gives the same rows), so both explain the same stored score, each from an app store at
its own migration. Then, for each source tree
(``before``: its ``src``; ``now``: this checkout's), after one warm-up:

* **command**: ``salescore score show --rep R --period P`` as a new process, ``--repeat`` times
  (Python start-up and imports included: what a person waits for), its wall time and the CPU
  time the process used (user + system: less swayed than the wall time when other work shares
  the machine);
* **start-up**: ``salescore --help`` the same way (what every command pays before it starts);
* **explain call**: the explanation alone in one process, ``--repeat`` times, with the number of
  warehouse queries it ran (counted by the runner where the tree has one).

The medians and their ratio replace that scale's section of ``bench/results/explain.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchlib import machine, update_section

from salescore.demo import DemoConfig
from salescore.workspace import Workspace

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "explain.md"
HEADER = """# Score explanation benchmark / 评分解释基准

`bench/bench_explain.py` explains one rep's stored score down to the records behind every KPI
(`salescore score show`) with this checkout and with the code before the one-pass explanation
(issue 8), on the same demo workspace, and records the medians and their ratio. Goal (issue 8):
at least 5× faster on the medium demo.
`bench/bench_explain.py` 在同一演示工作区上，分别用当前代码与改进前的代码解释一名销售已保存的评分
（直到每个指标背后的记录），记录中位数及其比值。目标：medium 规模下至少快 5 倍。
"""

# Runs in a child process with the tree's src first on sys.path; prints JSON.
CHILD = r"""
import json, statistics, sys, time
from salescore.workspace import Workspace
home, rep, period, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with Workspace.open(home, read_only=True) as ws:
    def explain():
        if hasattr(ws, "owner"):
            session = ws.owner()
            before = session.runner.queries
            e = session.score_explanation(rep, period)
            return e, session.runner.queries - before
        return ws.score_explanation(rep, period), None
    explain()
    seconds, queries = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        e, queries = explain()
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds, "queries": queries, "kpis": len(e.records),
                      "score": e.explanation.score, "plan": e.explanation.plan}))
"""


def _env(src: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE left out: the warm-up writes each tree's bytecode, and every run
    # reads it, as an installed package's does (with it set, each run compiled the sources).
    env = {k: v for k, v in os.environ.items()
           if k not in ("SALESCORE_WAREHOUSE_URL", "SALESCORE_APP_DB_URL",
                        "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPATH"] = str(src)
    return env


def _cli(src: Path, *args: str) -> tuple[float, float]:
    """``salescore ARGS`` run once with the code of ``src``: its wall and CPU seconds."""
    argv = [sys.executable, "-c", "from salescore.cli.main import app; app()", *args]
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=_env(src), check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)


def _show_args(home: Path, rep: str, period: str) -> tuple[str, ...]:
    return ("score", "show", "--rep", rep, "--period", period, "--home", str(home))


def _call(src: Path, home: Path, rep: str, period: str, repeat: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(home), rep, period, str(repeat)],
                          env=_env(src), check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _salescore(src: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "salescore.cli.main", *args], env=_env(src),
                   check=True, stdout=subprocess.DEVNULL)


def _prepare(scale: str, seed: int, base: Path, trees: dict[str, Path]) -> tuple[str, str]:
    """The two data folders under ``base`` (built unless there) and the rep and month to
    explain. ``before``: the demo (``scale``, ``seed``) built and one month scored by the code
    before. ``now``: a copy of that folder (the demo generator has changed since, E21-E23, so
    the same seed no longer gives the same rows), its app store migrated, its settings written
    in today's spelling and the month scored again by this checkout, which keeps the records:
    both explain the very same score, each from an app store at its own migration."""
    config = DemoConfig(scale=scale, seed=seed, end=date(2026, 10, 31))  # type: ignore[arg-type]
    period = f"{config.end.year}-{config.end.month - 1:02d}" if config.end.month > 1 else \
        f"{config.end.year - 1}-12"
    before, now = base / "before", base / "now"
    if not (before / "warehouse.duckdb").exists():
        # the tree before --end ended its demo on 2026-10-31 always
        _salescore(trees["before"], "demo", "--scale", scale, "--seed", str(seed), "--home",
                   str(before))
        _salescore(trees["before"], "score", "--period", period, "--home", str(before))
    if not (now / "warehouse.duckdb").exists():
        now.mkdir(parents=True, exist_ok=True)
        for name in ("warehouse.duckdb", "salescore.yaml", "app.sqlite"):
            shutil.copy2(before / name, now / name)
        subprocess.run([sys.executable, "-c", RESAVE, str(now)], env=_env(trees["now"]),
                       check=True)
        _salescore(trees["now"], "score", "--period", period, "--home", str(now))
    with Workspace.open(now, read_only=True) as ws:
        stored = ws.owner().scorecards.stored(period)
        reps = sorted(s.subject_id for s in stored if s.subject_kind == "rep"
                      and s.score is not None)
    return reps[len(reps) // 2], period


# Writes a data folder's settings again in this checkout's spelling (the app store migrated on
# opening): what a person does after the old-spelling warnings.
RESAVE = r"""
import sys
from salescore.workspace import Workspace
with Workspace.open(sys.argv[1], read_only=True) as ws:
    ws.save_settings(ws.settings)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="a checkout of the code before (git worktree)")
    parser.add_argument("--scale", default="medium", choices=("small", "medium"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    base = args.home or Path(tempfile.mkdtemp(prefix="salescore-bench-explain-"))
    trees = {"before": args.before / "src", "now": ROOT / "src"}
    rep, period = _prepare(args.scale, args.seed, base, trees)
    load_before = os.getloadavg()
    for k, src in trees.items():  # warm-up: the files in the page cache, bytecode compiled
        _cli(src, *_show_args(base / k, rep, period))
        _cli(src, "--help")
    # Interleaved, so that a change in the machine's load falls on both alike.
    commands: dict[str, list[float]] = {k: [] for k in trees}
    cpu: dict[str, list[float]] = {k: [] for k in trees}
    helps: dict[str, list[float]] = {k: [] for k in trees}
    help_cpu: dict[str, list[float]] = {k: [] for k in trees}
    for _ in range(args.repeat):
        for k, src in trees.items():
            wall, used = _cli(src, *_show_args(base / k, rep, period))
            commands[k].append(wall)
            cpu[k].append(used)
            wall, used = _cli(src, "--help")
            helps[k].append(wall)
            help_cpu[k].append(used)
    calls = {k: _call(src, base / k, rep, period, args.repeat) for k, src in trees.items()}
    import duckdb

    med = {k: statistics.median(v) for k, v in commands.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    help_med = {k: statistics.median(v) for k, v in helps.items()}
    help_cpu_med = {k: statistics.median(v) for k, v in help_cpu.items()}
    call_med = {k: statistics.median(v["seconds"]) for k, v in calls.items()}
    assert calls["before"]["score"] == calls["now"]["score"], "both explain the same score"
    facts = machine({"duckdb": duckdb.__version__})
    lines = [
        f"<!-- scale:{args.scale} -->",
        f"## {args.scale}",
        "",
        f"- date / 日期: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- data / 数据: demo `{args.scale}`, seed {args.seed}; `score show --rep {rep} "
        f"--period {period}` (plan {calls['now']['plan']}, {calls['now']['kpis']} KPIs, "
        f"stored score {calls['now']['score']:.2f})",
        f"- before / 改进前: `{args.before}` (`git archive` of the commit before issue 8)",
        *(f"- {k}: {v}" for k, v in facts.items()),
        f"- load average at the start and at the end (1, 5, 15 min) / 开始与结束时负载: "
        f"{', '.join(f'{x:.2f}' for x in load_before)}; "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine is shared: the "
        f"CPU time is the steadier figure / 机器为共享，CPU 时间更稳定)",
        "",
        "| run / 运行 | before / 改进前 | now / 当前 | ratio / 倍数 |",
        "|---|---:|---:|---:|",
        f"| `score show` command, median of {args.repeat} / 命令 | {med['before']:.2f} s | "
        f"**{med['now']:.2f} s** | **{med['before'] / med['now']:.1f}×** |",
        f"| `score show` command, CPU time (user + system), median of {args.repeat} / 命令 CPU "
        f"时间 | {cpu_med['before']:.2f} s | **{cpu_med['now']:.2f} s** | "
        f"**{cpu_med['before'] / cpu_med['now']:.1f}×** |",
        f"| `salescore --help` start-up, median of {args.repeat} / 启动 | "
        f"{help_med['before']:.2f} s | **{help_med['now']:.2f} s** | "
        f"**{help_med['before'] / help_med['now']:.1f}×** |",
        f"| `salescore --help` start-up, CPU time, median of {args.repeat} / 启动 CPU 时间 | "
        f"{help_cpu_med['before']:.2f} s | **{help_cpu_med['now']:.2f} s** | "
        f"**{help_cpu_med['before'] / help_cpu_med['now']:.1f}×** |",
        f"| explanation call, median of {args.repeat} / 解释调用 | "
        f"{call_med['before']:.3f} s | **{call_med['now']:.3f} s** | "
        f"**{call_med['before'] / call_med['now']:.1f}×** |",
        f"| warehouse queries per explanation / 查询次数 | not counted | "
        f"{calls['now']['queries']} | |",
        "",
        "- command runs (s) / 各次: before " + ", ".join(f"{s:.2f}" for s in commands["before"])
        + "; now " + ", ".join(f"{s:.2f}" for s in commands["now"]),
        "- command CPU (s) / 各次 CPU: before " + ", ".join(f"{s:.2f}" for s in cpu["before"])
        + "; now " + ", ".join(f"{s:.2f}" for s in cpu["now"]),
        f"<!-- /scale:{args.scale} -->",
        "",
    ]
    update_section(RESULTS, HEADER, args.scale, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

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

On a warehouse built otherwise (``salescore demo --scale large``, whose import keeps the
derived facts and roll-ups), ``--db FILE`` with ``--catalogue-only``, ``--card-only`` or
``--import-only`` (the 10,000-activity import and its re-import alone; it changes FILE, so run
it last or on a copy) measures each part on its own.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
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
from benchlib import code_version  # noqa: E402


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


CARD = ("revenue_won", "deals_won", "win_rate", "avg_deal_size", "activities", "calls",
        "meetings", "reply_rate", "avg_response_hours", "pipeline_created", "csat_avg", "nps")


def _card(db: Path, scale: str, repeat: int) -> dict[str, Any]:
    """One team's card through its manager's session: 12 KPIs for the team, this quarter,
    the previous quarter and the same quarter last year (three requests). Cold: a new
    connection, session and engine; warm: the same engine again."""
    import ibis

    from salescore.core.periods import parse_period
    from salescore.core.scope import Scope
    from salescore.engine import runner as runner_module
    from salescore.engine.kpis import KpiEngine, KpiRequest
    from salescore.engine.runner import Runner
    from salescore.semantic.catalog import shipped_catalog

    _, end, _ = bk.window(scale)
    quarter = parse_period(f"{end.year}-Q{(end.month - 1) // 3 + 1}")
    periods = [str(quarter), str(quarter.previous()),
               f"{quarter.start.year - 1}-Q{(quarter.start.month - 1) // 3 + 1}"]
    cat = shipped_catalog()
    settings = bk._settings(scale)
    cold: list[float] = []
    warm: list[float] = []
    cold_cpu: list[float] = []
    warm_cpu: list[float] = []
    compiling: list[float] = []
    compiling_cpu: list[float] = []
    team = used = None
    for _ in range(repeat):
        started = time.perf_counter()
        cpu = time.process_time()
        con = ibis.duckdb.connect(str(db), read_only=True)
        if team is None:
            team = con.raw_sql("SELECT team_id FROM reps GROUP BY team_id ORDER BY count(*) "
                               "DESC, team_id LIMIT 1").fetchall()[0][0]
        engine = KpiEngine(Runner(con, Scope.team(team)), settings, cat)
        requests = [KpiRequest(CARD, by="team", period=p, subjects=(team,)) for p in periods]
        for req in requests:
            engine.compute(req)
        cold.append(time.perf_counter() - started)
        cold_cpu.append(time.process_time() - cpu)
        for _ in range(3):
            started = time.perf_counter()
            cpu = time.process_time()
            for req in requests:
                engine.compute(req)
            warm.append(time.perf_counter() - started)
            warm_cpu.append(time.process_time() - cpu)
            # Interleaved, the path before requests were kept compiled: a new engine asking
            # the context again (its small queries compiled again too) and every request's
            # KPIs compiled and their SQL generated.
            runner_module._RUN.clear()
            started = time.perf_counter()
            cpu = time.process_time()
            fresh = KpiEngine(Runner(con, Scope.team(team)), settings, cat)
            for req in requests:
                _, ctx, notes = fresh.prepare(req)
                fresh.runner._raw(fresh.runner.scoped(fresh.compile_in(req, ctx, notes).expr))
            compiling.append(time.perf_counter() - started)
            compiling_cpu.append(time.process_time() - cpu)
        used = len(engine.compile(KpiRequest(CARD, by="team", period=periods[0],
                                             subjects=(team,)))[0].from_rollups)
        con.disconnect()
    return {"team": team, "periods": periods, "cold": cold, "warm": warm, "from_rollups": used,
            "cold_cpu": cold_cpu, "warm_cpu": warm_cpu, "compiling": compiling,
            "compiling_cpu": compiling_cpu}


def _kept_digest(wh: Any) -> str:
    from salescore.engine.maintain import STATE

    h = hashlib.sha256()
    for (name,) in sorted(wh.execute_sql(f"SELECT name FROM {STATE} WHERE name LIKE 'rollup%'")):
        # Order-free digest in the database (every row's hash summed, and the count): the
        # same rows in any order give the same digest, another row or value another one.
        h.update(repr(wh.execute_sql(f'SELECT sum(hash(x)::HUGEINT), count(*) FROM "{name}" x'
                                     )).encode())
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
    parser.add_argument("--skip-derived", action="store_true",
                        help="leave out the derived-only path (saves a third of the run)")
    parser.add_argument("--card-only", action="store_true",
                        help="only the team card, on the warehouse of the last full run")
    parser.add_argument("--catalogue-only", action="store_true",
                        help="only the floor, raw and roll-up paths of the whole catalogue, on "
                        "an already kept warehouse (--db, default the last full run's): no "
                        "rebuild, import or card")
    parser.add_argument("--db", type=Path, help="the kept warehouse for --catalogue-only, "
                        "--card-only and --import-only")
    parser.add_argument("--with-sql", action="store_true",
                        help="with --catalogue-only: also the hand-written DuckDB SQL of the "
                        "whole catalogue (bench_kpis.py's sql_all), in the same run")
    parser.add_argument("--import-only", action="store_true",
                        help="only the 10,000-activity import and its re-import into --db "
                        "(changes it)")
    args = parser.parse_args()
    if args.catalogue_only:
        _catalogue_only(args)
        return
    if args.import_only:
        _import_only(args)
        return
    if args.card_only:
        card = _card(args.db or Path(f"/tmp/salescore-bench/{args.scale}-rollups.duckdb"),
                     args.scale, args.repeat)
        print(card)
        loads = f"{os.getloadavg()[0]:.1f} at the end"
        _card_report(args, card, loads)
        return
    data = Path(f"/tmp/salescore-bench/{args.scale}")
    base = Path(f"/tmp/salescore-bench/{args.scale}.duckdb")
    base.parent.mkdir(parents=True, exist_ok=True)
    bk.prepare(args.scale, data, base)
    db = Path(f"/tmp/salescore-bench/{args.scale}-rollups.duckdb")
    shutil.copy(base, db)
    os.environ["SALESCORE_BENCH_MEMORY_LIMIT"] = args.memory_limit
    load_start = os.getloadavg()[0]

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
            methods = {"raw": (False, False), "derived": (False, True), "rollups": (True, True)}
            if args.skip_derived:
                del methods["derived"]
            for method, (r, d) in methods.items():
                seconds, table, n = _engine(wh, args.scale, rollups=r, derived=d)
                times[method].append(seconds)
                tables[method] = table
                if method == "rollups":
                    kept_measures = n
                print(method, f"{seconds:.2f} s", flush=True)
        rows = tables["raw"].num_rows
        agree = {m: _compare(tables["raw"], tables[m]) for m in ("derived", "rollups")
                 if m in tables}
        load_before = os.getloadavg()
        before = _kept_digest(wh)
        new = _new_activities(wh, 10_000)
        started = time.perf_counter()
        cpu = time.process_time()
        first = import_arrow(wh, settings, "activities", new)
        import_s = time.perf_counter() - started
        import_cpu = time.process_time() - cpu
        print(f"import {import_s:.1f} s, CPU {import_cpu:.1f} s", flush=True)
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
        wh.execute_sql("CHECKPOINT")
    card = _card(db, args.scale, args.repeat)
    med = {m: statistics.median(v) for m, v in times.items() if v}
    _report(args, med, times, rows, agree, rebuild_s, state, kept_measures, first, import_s,
            again, reimport_s, unchanged, before != after_first, agree_after, counts,
            import_cpu, load_start)
    loads = f"{load_before[0]:.1f} after the timed runs, {os.getloadavg()[0]:.1f} at the end"
    _card_report(args, card, loads)


def _catalogue_only(args: argparse.Namespace) -> None:
    """The whole catalogue's three timings and their agreement on a warehouse whose kept
    tables this code built (a bounded run: no rebuild, import or card)."""
    import ibis

    from salescore.engine.maintain import read_state

    db = args.db or Path(f"/tmp/salescore-bench/{args.scale}-rollups.duckdb")
    con = ibis.duckdb.connect(str(db), read_only=True)
    con.raw_sql(f"SET memory_limit = '{args.memory_limit}'")
    state = read_state(con)
    assert state is not None, f"{db} keeps nothing: run the full benchmark or a rebuild first"

    class _Wh:  # what _engine and _floor read of a Warehouse
        backend = con

        @staticmethod
        def execute_sql(sql: str) -> list[tuple[Any, ...]]:
            return con.raw_sql(sql).fetchall()

    wh = _Wh()
    load_start = os.getloadavg()[0]
    times: dict[str, list[float]] = {"floor_all": [], "raw": [], "rollups": []}
    if args.with_sql:
        times["sql_all"] = []
    tables: dict[str, Any] = {}
    kept_measures = 0
    for _ in range(args.repeat):
        times["floor_all"].append(_floor(wh))
        if args.with_sql:
            times["sql_all"].append(bk.run_sql_all(db, args.scale)["seconds"])
            print("sql_all", f"{times['sql_all'][-1]:.2f} s", flush=True)
        for method, fast in (("raw", False), ("rollups", True)):
            seconds, table, n = _engine(wh, args.scale, rollups=fast, derived=fast)
            times[method].append(seconds)
            tables[method] = table
            kept_measures = n if fast else kept_measures
            print(method, f"{seconds:.2f} s", flush=True)
    bad, worst = _compare(tables["raw"], tables["rollups"])
    load_end = os.getloadavg()[0]
    med = {m: statistics.median(v) for m, v in times.items()}
    floor = med["floor_all"]
    counts = {t: wh.execute_sql(f"SELECT count(*) FROM {t}")[0][0]
              for t in ("opportunities", "activities", "orders", "reps")}
    lines = [
        f"## {args.scale} — {date.today().isoformat()} (whole catalogue only)",
        "",
        f"Command: `.venv/bin/python bench/bench_rollups.py {' '.join(sys.argv[1:])}` "
        f"(medians of {args.repeat}, on a warehouse whose kept tables this code built; no "
        f"rebuild, import or card in this run; 2 cores; load average (1 min) "
        f"{load_start:.1f} at the start, {load_end:.1f} at the end).",
        _machine_line(args.memory_limit),
        f"Data: {counts['opportunities']:,} opportunities, {counts['activities']:,} activities, "
        f"{counts['orders']:,} orders, {counts['reps']:,} reps; whole catalogue, every rep × "
        f"every month ({tables['raw'].num_rows:,} rows); kept: {len(state.derived)} derived "
        f"facts, {len(state.rollups)} roll-ups, {len(state.items)} item tables.",
        "",
        "| method | median s | × floor_all | × raw | runs |",
        "|---|---:|---:|---:|---|",
    ]
    for m, note in [("floor_all", "bare scan of every column the catalogue reads"),
                    ("raw", "raw rows, windows computed per query"),
                    ("rollups", f"derived facts, daily roll-ups and item tables "
                                f"({kept_measures} measures from them)"),
                    ("sql_all", "hand-written DuckDB SQL of the same KPIs (bench_kpis.py)")]:
        if m not in times:
            continue
        runs = ", ".join(f"{t:.2f}" for t in times[m])
        lines.append(f"| {m} ({note}) | {med[m]:.2f} | {med[m] / floor:.1f} | "
                     f"{med[m] / med['raw']:.2f} | {runs} |")
    if "sql_all" in med:
        ratio = med["rollups"] / med["sql_all"]
        lines += ["", f"Roll-ups ÷ hand-written SQL: **{ratio:.2f}** (goal ≤ 0.2: "
                      f"{'met' if ratio <= 0.2 else 'not met'}); roll-ups ÷ floor "
                      f"{med['rollups'] / floor:.1f} (goal ≤ 3: "
                      f"{'met' if med['rollups'] / floor <= 3 else 'not met'})."]
    lines += ["", "Agreement with the raw path over every rep, month and output: "
              f"{bad} cells differ beyond float rounding, largest relative difference "
              f"{worst:.1e}.", ""]
    _record_newest_first(args.out, "\n".join(lines))


def _import_only(args: argparse.Namespace) -> None:
    """An import of 10,000 new activities into ``--db`` (its kept tables updated in the same
    transaction), timed, then the same rows again: nothing inserted, every roll-up as it was."""
    from salescore.engine.warehouse import Warehouse
    from salescore.ingest import import_arrow

    assert args.db is not None, "--import-only needs --db"
    settings = bk._settings(args.scale)
    os.environ.setdefault("SALESCORE_DUCKDB_MEMORY_LIMIT", args.memory_limit)
    load_start = os.getloadavg()[0]
    with Warehouse.open(str(args.db)) as wh:
        count = wh.execute_sql("SELECT count(*) FROM activities")[0][0]
        before = _kept_digest(wh)
        new = _new_activities(wh, 10_000)
        started, cpu = time.perf_counter(), time.process_time()
        first = import_arrow(wh, settings, "activities", new)
        import_s, import_cpu = time.perf_counter() - started, time.process_time() - cpu
        after_first = _kept_digest(wh)
        started = time.perf_counter()
        again = import_arrow(wh, settings, "activities", new)
        reimport_s = time.perf_counter() - started
        unchanged = _kept_digest(wh) == after_first
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    _record_newest_first(args.out, (
        f"## {args.scale} — {date.today().isoformat()} (import only)\n\n"
        f"Command: `.venv/bin/python bench/bench_rollups.py {' '.join(sys.argv[1:])}` on a "
        f"warehouse of {count:,} activities whose derived facts and roll-ups the demo's load "
        f"kept; code {code_version()}; DuckDB memory_limit "
        f"{os.environ['SALESCORE_DUCKDB_MEMORY_LIMIT']}; load "
        f"average (1 min) {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
        f"{os.cpu_count()} cores.\n\n"
        f"Import of 10,000 new activities, derived facts and roll-ups included: "
        f"**{import_s:.2f} s** (CPU {import_cpu:.2f} s; {first.inserted:,} inserted; roll-ups "
        f"changed: {before != after_first}). Re-import of the same rows: {reimport_s:.2f} s "
        f"({again.inserted} inserted, {again.updated} updated); every roll-up unchanged: "
        f"{unchanged}. Peak memory of the process: {peak:.2f} GiB. Goal (under 3 s, no change "
        f"on re-import): {'met' if import_s < 3 and unchanged else 'not met'}.\n"))


def _machine_line(memory_limit: str) -> str:
    """The machine, versions and code a catalogue result was measured with."""
    import duckdb

    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores, DuckDB memory_limit "
            f"{memory_limit}, Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
            f"code {code_version()}.")


def _record_newest_first(out: Path, text: str) -> None:
    """Print ``text`` and put it at the top of the results file ``out``, below its heading."""
    print(text)
    head = "# Roll-ups benchmark\n\nRecorded by `bench/bench_rollups.py`; newest first.\n\n"
    old = out.read_text(encoding="utf-8") if out.exists() else head
    body = old[len(head):] if old.startswith(head) else old
    out.write_text(head + text + "\n" + body, encoding="utf-8")


def _card_report(args: argparse.Namespace, card: dict[str, Any], loads: str) -> None:
    text = (
        f"Team card ({len(CARD)} KPIs: {', '.join(CARD)}; team {card['team']} through its "
        f"manager's session; periods {', '.join(card['periods'])}, one request each; "
        f"{card['from_rollups']} measures from roll-ups): cold (new connection, session and "
        f"engine; the first one in the process compiles, the later ones find the compiled "
        f"queries) median {statistics.median(card['cold']) * 1000:.0f} ms "
        f"({', '.join(f'{x * 1000:.0f}' for x in card['cold'])}; CPU "
        f"{', '.join(f'{x * 1000:.0f}' for x in card['cold_cpu'])}); warm (the same engine "
        f"again: no context query, no compiling, one query per period) median "
        f"{statistics.median(card['warm']) * 1000:.0f} ms "
        f"({', '.join(f'{x * 1000:.0f}' for x in card['warm'])}), CPU median "
        f"{statistics.median(card['warm_cpu']) * 1000:.0f} ms "
        f"({', '.join(f'{x * 1000:.0f}' for x in card['warm_cpu'])}); interleaved with the "
        f"warm runs, the path before (a new engine asking the context again, every request "
        f"compiled): median {statistics.median(card['compiling']) * 1000:.0f} ms, CPU median "
        f"{statistics.median(card['compiling_cpu']) * 1000:.0f} ms; warm ÷ before: wall "
        f"{statistics.median(card['warm']) / statistics.median(card['compiling']):.2f}, CPU "
        f"{statistics.median(card['warm_cpu']) / statistics.median(card['compiling_cpu']):.2f}. "
        f"Load average (1 min): {loads}. Peak memory of the whole run (the process's "
        f"largest resident set, DuckDB included): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GiB.\n")
    print(text)
    body = args.out.read_text(encoding="utf-8")
    marker = "\n## "
    first = body.find(marker)
    second = body.find(marker, first + 1)
    cut = second if second != -1 else len(body)
    args.out.write_text(body[:cut].rstrip("\n") + "\n" + text + body[cut:], encoding="utf-8")


def _floor(wh: Any) -> float:
    started = time.perf_counter()
    for table, cols in bk.COLUMNS_ALL.items():
        wh.execute_sql(f"SELECT {', '.join(f'min({c})' for c in cols)} FROM {table}")
    return time.perf_counter() - started


def _report(args: argparse.Namespace, med: dict[str, float], times: dict[str, list[float]],
            rows: int, agree: dict[str, tuple[int, float]], rebuild_s: float, state: Any,
            kept_measures: int, first: Any, import_s: float, again: Any, reimport_s: float,
            unchanged: bool, changed_first: bool, agree_after: tuple[int, float],
            counts: dict[str, int], import_cpu: float, load_start: float) -> None:

    floor = med["floor_all"]
    lines = [
        f"## {args.scale} — {date.today().isoformat()}",
        "",
        f"Command: `.venv/bin/python bench/bench_rollups.py {' '.join(sys.argv[1:])}` "
        f"(medians of {args.repeat}; 2 cores; load "
        f"average (1 min) {load_start:.1f} at the start).",
        _machine_line(args.memory_limit),
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
        if m not in med:
            continue
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
        f"{import_s:.2f} s, CPU {import_cpu:.2f} s ({first.inserted:,} inserted; roll-ups "
        f"changed: {changed_first}). "
        f"Re-import of the same rows: {reimport_s:.2f} s ({again.inserted} inserted, "
        f"{again.updated} updated); every roll-up unchanged: {unchanged}. After the import, "
        f"roll-up path vs raw path: {agree_after[0]} cells differ, largest relative "
        f"difference {agree_after[1]:.1e}.",
        "",
    ]
    _record_newest_first(args.out, "\n".join(lines))


if __name__ == "__main__":
    main()

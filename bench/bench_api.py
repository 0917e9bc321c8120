"""Benchmark the REST API under load: ``salescore serve`` on the demo organisation with one month
scored, 50 concurrent clients on loopback calling the scorecard, team KPI and leaderboard
endpoints; p50, p95, p99 and errors, cold (the first call of each endpoint after start) and warm.
Two scenarios, side by side: one server process on a DuckDB warehouse, and ``--workers 2`` on a
PostgreSQL warehouse (the app store stays SQLite in the data folder).

    PYTHONPATH=src .venv/bin/python bench/bench_api.py          # medium demo, both scenarios
    ... --scenario duckdb|postgres|both --scale small --pg-scale small --seconds 15
    ... --pg-url 'postgresql://postgres@127.0.0.1:5432/test?schema=bench_api_medium'

The warm load comes from ``wrk`` (C, light on the CPU the server needs; Debian:
``apt-get install wrk``): ``wrk -t2 -c50 -d<seconds>s --latency --timeout 10s`` with a Lua
script (written to a temporary file) that rotates over the calls below, each with the API token
of the rep, manager or admin it is made as, counts the answers by status in a ``response()``
hook, stops a thread after its share of ``--requests`` and prints p50/75/90/95/99 and the
counts in ``done()``. wrk has no per-connection hook, so the identities rotate per request (over
the same 10 reps, 10 managers and the admin), not per connection. Each run is bounded in time
(``--seconds``) and count (``--requests``), and goes to 127.0.0.1 only. Runs: the three
endpoints mixed (the goal's measure), each alone, and the floor, a static file
(``/static/app.css``): what uvicorn, wrk and the machine cost with none of salescore's work.
Without wrk on the PATH the load falls back to 50 ``httpx.AsyncClient`` clients in this
process (which eat much of the CPU themselves), and the results say so.

* **scorecard**: ``GET /api/v1/scores/{rep}/{period}?records=false`` (a rep's own score and its
  lines, as the rep),
* **team KPIs**: ``GET /api/v1/kpis/values?kpis=revenue_won,win_rate,deals_won&by=team&period=P``
  (the manager's subtree),
* **leaderboard**: ``GET /api/v1/scores?period=P&subject_kind=rep&limit=100`` (as the admin).

Cold is the first call of each endpoint after the server starts, with httpx; warm is after
each caller's call has been made once (in each worker) before each run, with answers kept for
``--cache-seconds``. The demos are kept
and reused across runs (data folders under ``~/.cache/salescore-bench/``, the PostgreSQL
schema): built, and the month scored, only when missing. Every server started is stopped by its
PID. The result replaces that scenario's part of its scale's section of
``bench/results/api.md``. Goal (issue 9): p95 under 100 ms warm, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx
from benchlib import machine, update_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "api.md"
CACHE = Path.home() / ".cache" / "salescore-bench"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test?schema=bench_api_{scale}"
WAREHOUSE_ENV = "SALESCORE_WAREHOUSE_URL"
HEADER = """# REST API load benchmark / REST API 负载基准

`bench/bench_api.py` serves the demo organisation with one month scored (`salescore serve`) in
two scenarios, side by side: one process on a DuckDB warehouse, and `--workers 2` on a
PostgreSQL warehouse (SQLite app store in both). `wrk` (Debian's, C) sends 50 connections on
loopback at the scorecard, team KPI and leaderboard endpoints, mixed and each alone, and at a
static file as the floor; it records p50 to p99 and errors, cold (the first call of each
endpoint after start, httpx) and warm (each caller's answer already kept). Goal (issue 9): p95
under 100 ms warm, no errors.
`bench/bench_api.py` 在两种场景下启动演示组织服务：DuckDB 单进程，以及 PostgreSQL 两个工作进程；
由 wrk 以 50 个连接经回环地址调用评分卡、团队指标与排行榜接口（混合及单独）和静态文件（基线），
记录冷启动与预热后的 p50–p99 及错误数。目标：预热后 p95 低于 100 毫秒、无错误。

"""
PASSWORD = "bench password 1"

DEMO_END = date(2026, 10, 31)  # the recorded runs' data (the demo's default is yesterday)


def _salescore(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "salescore.cli.main", *args],
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=True,
                          input=stdin, capture_output=True, text=True)
    return done.stdout


Caller = tuple[str, str]  # (what the caller is: a rep id, a team id, "admin"; API token)


def _prepare(scale: str, seed: int, home: Path, people: int
             ) -> tuple[str, list[Caller], list[Caller], Caller]:
    """The demo in ``home`` (built unless there) with one month scored; ``people`` reps and as
    many managers (of different teams, as far as there are) and an admin, with API tokens."""
    from salescore.demo import DemoConfig

    config = DemoConfig(scale=scale, seed=seed, end=DEMO_END)  # type: ignore[arg-type]
    period = f"{config.end.year}-{config.end.month - 1:02d}" if config.end.month > 1 else \
        f"{config.end.year - 1}-12"
    from salescore.workspace import Workspace

    if (home / "salescore.yaml").exists() and not _built(home, period):
        _salescore("score", "--period", period, "--home", str(home))  # built, not yet scored
    if not _built(home, period):
        print(f"building the {scale} demo in {home} ({os.environ.get(WAREHOUSE_ENV) or 'DuckDB'})",
              flush=True)
        _salescore("demo", "--scale", scale, "--seed", str(seed), "--end", str(DEMO_END),
                   "--home", str(home))
        _salescore("score", "--period", period, "--home", str(home))

    with Workspace.open(home) as ws:
        owner = ws.owner()
        stored = owner.stored_scores(period, subject_kind="rep")
        scored = sorted(s.subject_id for s in stored if s.score is not None)
        reps = scored[:: max(1, len(scored) // people)][:people]
        teams = [t["team_id"] for t in owner.teams() if t["parent_team_id"] is not None]
        managed = [teams[i % len(teams)] for i in range(people)]
        accounts = ws.accounts
        cli = accounts.owner()
        known = {u.username for u in accounts.users(cli)}

        def person(name: str, role: str, rep_id: str | None, team_id: str | None) -> str:
            if name not in known:
                accounts.add_user(cli, username=name, password=PASSWORD, role=role,  # type: ignore[arg-type]
                                  rep_id=rep_id, team_id=team_id)
            else:
                accounts.update_user(cli, name, role=role, rep_id=rep_id,  # type: ignore[arg-type]
                                     team_id=team_id)
            return accounts.issue_token(cli, name, "bench")[1]

        rep_callers = [(r, person(f"bench-rep-{i}", "rep", r, None)) for i, r in enumerate(reps)]
        manager_callers = [(t, person(f"bench-manager-{i}", "manager", None, t))
                           for i, t in enumerate(managed)]
        admin = ("admin", person("bench-admin", "admin", None, None))
    return period, rep_callers, manager_callers, admin


def _built(home: Path, period: str) -> bool:
    """Whether the demo in ``home`` (and its warehouse) is there with ``period`` scored."""
    from salescore.workspace import Workspace

    if not (home / "salescore.yaml").exists():
        return False
    try:
        with Workspace.open(home) as ws:
            return bool(ws.owner().stored_scores(period, subject_kind="rep"))
    except Exception:  # noqa: BLE001 - anything missing or broken: build it again
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Call = tuple[str, dict[str, str], str]  # path, query, token
ENDPOINTS = ("scorecard", "team KPIs", "leaderboard", "floor: static file")


def _call(name: str, client: int, period: str, reps: list[Caller], managers: list[Caller],
          admin: Caller) -> Call:
    """What client ``client`` sends to endpoint ``name``: its own rep's scorecard, its own
    manager's team KPIs, the leaderboard as the admin."""
    match name:
        case "scorecard":
            rep, token = reps[client % len(reps)]
            return f"/api/v1/scores/{rep}/{period}", {"records": "false"}, token
        case "team KPIs":
            _, token = managers[client % len(managers)]
            return "/api/v1/kpis/values", {"kpis": "revenue_won,win_rate,deals_won",
                                           "by": "team", "period": period}, token
        case "leaderboard":
            return "/api/v1/scores", {"period": period, "subject_kind": "rep",
                                      "limit": "100"}, admin[1]
        case _:  # what the server, the client and this machine cost without salescore
            return "/static/app.css", {}, admin[1]


LOAD = ENDPOINTS[:3]
Row = dict[str, object]  # name, requests, rate, p50 … p99 (ms), non-2xx, socket errors, cold
PERCENTILES = (50, 75, 90, 95, 99)


def _url(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


WRK_SCRIPT = """
local calls = {
%(calls)s
}
local threads = {}
local made = 0
function setup(thread)
  thread:set("id", made)
  made = made + 1
  table.insert(threads, thread)
end
function init(args)
  limit = tonumber(args[1])
  turn = id * 7
  answered = 0
  statuses = {}
end
function request()
  local call = calls[(turn %% #calls) + 1]
  turn = turn + 1
  return wrk.format("GET", call[1], {["Authorization"] = "Bearer " .. call[2]})
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  answered = answered + 1
  if answered >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  io.write("BENCH requests ", summary.requests, "\\n")
  io.write("BENCH duration_us ", summary.duration, "\\n")
  for _, p in ipairs({50, 75, 90, 95, 99}) do
    io.write("BENCH p", p, " ", latency:percentile(p), "\\n")
  end
  io.write("BENCH max ", latency.max, "\\n")
  local e = summary.errors
  io.write("BENCH socket_errors ", e.connect + e.read + e.write + e.timeout, "\\n")
  for status, n in pairs(counts) do io.write("BENCH status_", status, " ", n, "\\n") end
end
"""


def _wrk(wrk: str, base: str, calls: list[Call], name: str, clients: int, requests: int,
         seconds: float) -> Row:
    """One wrk run over ``calls`` in turn: its latency percentiles and answers by status."""
    table = ",\n".join(f"  {{{_lua_string(_url(p, q))}, {_lua_string(t)}}}" for p, q, t in calls)
    threads = min(2, clients)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"calls": table})
    try:
        done = subprocess.run(
            [wrk, f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency",
             "--timeout", "10s", "-s", script.name, base, "--",
             str(max(1, requests // threads))],
            capture_output=True, text=True, timeout=seconds + 60, check=True)
    finally:
        os.unlink(script.name)
    found = dict(re.findall(r"^BENCH (\S+) (\S+)$", done.stdout, re.M))
    statuses = {int(k[7:]): int(float(v)) for k, v in found.items() if k.startswith("status_")}
    answered = int(float(found["requests"]))
    row: Row = {"name": name, "requests": answered,
                "rate": answered / (float(found["duration_us"]) / 1e6),
                "non-2xx": sum(n for s, n in statuses.items() if not 200 <= s < 300),
                "socket errors": int(float(found["socket_errors"])),
                "max": float(found["max"]) / 1000}
    row.update({f"p{p}": float(found[f"p{p}"]) / 1000 for p in PERCENTILES})
    return row


def _quantiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        v = values[0] if values else float("nan")
        return {f"p{p}": v for p in PERCENTILES}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {f"p{p}": cuts[p - 1] for p in PERCENTILES}


async def _load(base: str, calls: Callable[[str, int], Call], clients: int, requests: int,
                seconds: float) -> tuple[dict[str, list[float]], dict[str, int], float]:
    """The fallback without wrk: ``clients`` httpx clients, each through the four calls."""
    names = list(ENDPOINTS)
    latencies: dict[str, list[float]] = {n: [] for n in names}
    errors: dict[str, int] = dict.fromkeys(names, 0)
    issued = 0
    deadline = time.monotonic() + seconds

    async def client(index: int) -> None:
        nonlocal issued
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            turn = index
            while issued < requests and time.monotonic() < deadline:
                issued += 1
                name = names[turn % len(names)]
                turn += 1
                path, params, token = calls(name, index)
                started = time.perf_counter()
                try:
                    answer = await http.get(path, params=params, headers={
                        "Authorization": f"Bearer {token}"})
                    ok = answer.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies[name].append((time.perf_counter() - started) * 1000)
                errors[name] += not ok

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, errors, time.perf_counter() - started


def _httpx_rows(base: str, calls: Callable[[str, int], Call], args: argparse.Namespace
                ) -> list[Row]:
    latencies, errors, wall = asyncio.run(_load(base, calls, args.clients, args.requests,
                                                args.seconds))
    rows: list[Row] = []
    mixed = [x for n in LOAD for x in latencies[n]]
    for name, values, errs in (
            ("three endpoints mixed", mixed, sum(errors[n] for n in LOAD)),
            *((n, latencies[n], errors[n]) for n in ENDPOINTS)):
        rows.append({"name": name, "requests": len(values), "rate": len(values) / wall,
                     "non-2xx": errs, "socket errors": 0, "max": max(values, default=0),
                     **_quantiles(values)})
    return rows


def _serve(home: Path, port: int, workers: int, cache_seconds: float) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "salescore.cli.main", "serve", "--home", str(home), "--port",
         str(port), "--workers", str(workers)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"),
             "SALESCORE_CACHE_SECONDS": str(cache_seconds)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=2)
            return server
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                _stop(server)
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server we started, by its PID (uvicorn's supervisor stops its workers)."""
    if server.poll() is None:
        os.kill(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _scenario(args: argparse.Namespace, engine: str, scale: str) -> None:
    on_pg = engine == "postgres"
    workers = 2 if on_pg else 1
    if on_pg:
        os.environ[WAREHOUSE_ENV] = args.pg_url.format(scale=scale)
    else:
        os.environ.pop(WAREHOUSE_ENV, None)
    home = args.home or CACHE / f"api-{engine}-{scale}"
    period, reps, managers, admin = _prepare(scale, args.seed, home, args.people)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    def calls(name: str, client: int) -> Call:
        return _call(name, client, period, reps, managers, admin)

    wrk = shutil.which("wrk")
    tool = "wrk" if wrk else "httpx (wrk not found: the clients share the CPU with the server)"
    server = _serve(home, port, workers, args.cache_seconds)
    try:
        cold: dict[str, tuple[float, int]] = {}
        for name in ENDPOINTS:
            path, params, token = calls(name, 0)
            started = time.perf_counter()
            answer = httpx.get(f"{base}{path}", params=params, timeout=60,
                               headers={"Authorization": f"Bearer {token}"})
            cold[name] = ((time.perf_counter() - started) * 1000, answer.status_code)
        distinct = {_url(p, q) + t: (p, q, t) for n in LOAD for c in range(args.clients)
                    for p, q, t in [calls(n, c)]}

        def warm() -> None:  # every caller's answer kept, in each worker (connections spread)
            for _ in range(2 * workers):
                for path, params, token in distinct.values():
                    httpx.get(f"{base}{path}", params=params, timeout=60,
                              headers={"Authorization": f"Bearer {token}"})

        if wrk:
            warm()
            rows = [_wrk(wrk, base, [calls(n, c) for c in range(args.clients) for n in LOAD],
                         "three endpoints mixed", args.clients, args.requests, args.seconds)]
            for n in ENDPOINTS:
                warm()
                rows.append(_wrk(wrk, base, [calls(n, c) for c in range(args.clients)], n,
                                 args.clients, args.requests, args.seconds))
        else:
            warm()
            rows = _httpx_rows(base, calls, args)
    finally:
        _stop(server)

    import duckdb
    import fastapi
    import uvicorn

    versions = {"duckdb / fastapi / uvicorn / httpx": f"{duckdb.__version__} / "
                f"{fastapi.__version__} / {uvicorn.__version__} / {httpx.__version__}"}
    if wrk:
        versions["wrk"] = subprocess.run([wrk, "--version"], capture_output=True, text=True
                                         ).stdout.split(" [")[0]
    if on_pg:
        import psycopg

        with psycopg.connect(args.pg_url.split("?")[0], connect_timeout=5) as pg:
            row = pg.execute("SHOW server_version").fetchone()
        versions["PostgreSQL / psycopg"] = f"{row[0] if row else '?'} / {psycopg.__version__}"
    info = machine(versions)
    kept = f"kept answers for {args.cache_seconds:g} s" if args.cache_seconds else \
        "no kept answers (SALESCORE_CACHE_SECONDS=0)"
    where = f"PostgreSQL warehouse (`{args.pg_url.format(scale=scale)}`), 2 workers" if on_pg \
        else "DuckDB warehouse, one process"
    title = f"{'PostgreSQL, 2 workers' if on_pg else 'DuckDB, one process'}: {kept}"
    mixed, floor = rows[0], rows[-1]
    errors = sum(int(r["non-2xx"]) + int(r["socket errors"]) for r in rows[:4])  # type: ignore[call-overload]
    met = float(mixed["p95"]) < 100 and errors == 0  # type: ignore[arg-type]
    lines = [
        f"### {title}",
        "",
        f"- date / 日期: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- data / 数据: demo `{scale}`, seed {args.seed}, {period} scored; "
        f"{len(reps)} reps ({', '.join(r for r, _ in reps[:3])}, …) each calling their own "
        f"scorecard, {len(managers)} managers their team's KPIs, the admin the leaderboard",
        *(f"- {k}: {v}" for k, v in info.items()),
        f"- server / 服务: `salescore serve --workers {workers}`, {where}, SQLite app store, "
        f"{kept}",
        f"- load / 负载: {tool}, {args.clients} connections, each run up to {args.seconds:g} s "
        f"and {args.requests} requests, loopback",
        "",
        "| run | cold ms (status) | requests | req/s | p50 ms | p75 ms | p90 ms | p95 ms | "
        "p99 ms | max ms | non-2xx | socket errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        name = str(r["name"])
        ms, status = cold.get(name, (None, None))
        shown = f"**{name}**" if r is mixed else name
        lines.append(
            f"| {shown} | {'' if ms is None else f'{ms:.0f} ({status})'} | {r['requests']} | "
            f"{float(r['rate']):.0f} | "  # type: ignore[arg-type]
            + " | ".join(f"{float(r[f'p{p}']):.1f}" for p in PERCENTILES)  # type: ignore[arg-type]
            + f" | {float(r['max']):.0f} | {r['non-2xx']} | {r['socket errors']} |")  # type: ignore[arg-type]
    lines += [
        "",
        f"Mixed p95 {float(mixed['p95']):.1f} ms against the static-file floor's "  # type: ignore[arg-type]
        f"{float(floor['p95']):.1f} ms (×{float(mixed['p95']) / float(floor['p95']):.1f}); "  # type: ignore[arg-type]
        f"{errors} errors. **Goal (p95 < 100 ms warm, no errors): "
        f"{'met' if met else 'not met'}.** / 目标：{'达成' if met else '未达成'}。",
        "",
    ]
    _record(scale, title, "\n".join(lines))
    print("\n".join(lines), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="both", choices=("duckdb", "postgres", "both"))
    parser.add_argument("--scale", default="medium", choices=("small", "medium"))
    parser.add_argument("--pg-scale", default=None, choices=("small", "medium"),
                        help="the PostgreSQL scenario's scale (default: --scale)")
    parser.add_argument("--pg-url", default=PG_URL,
                        help="the PostgreSQL warehouse ({scale} is filled in)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20000, help="per run, at most")
    parser.add_argument("--seconds", type=float, default=15, help="per run, at most")
    parser.add_argument("--people", type=int, default=10,
                        help="distinct reps and managers calling")
    parser.add_argument("--cache-seconds", type=float, default=60,
                        help="the server's SALESCORE_CACHE_SECONDS (0: no kept answers)")
    parser.add_argument("--home", type=Path, default=None,
                        help="the data folder (default: one per scenario, kept, under "
                        "~/.cache/salescore-bench)")
    args = parser.parse_args()
    if args.scenario in ("duckdb", "both"):
        _scenario(args, "duckdb", args.scale)
    if args.scenario in ("postgres", "both"):
        _scenario(args, "postgres", args.pg_scale or args.scale)


def _record(scale: str, title: str, section: str) -> None:
    """This run's part in the scale's section, beside the other scenarios' and settings'."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    found = re.search(rf"<!-- scale:{scale} -->\n## {scale}\n(.*?)<!-- /scale:{scale} -->",
                      text, re.S)
    runs = re.split(r"(?=^### )", found.group(1), flags=re.M) if found else []
    runs = [r.strip("\n") + "\n" for r in runs if r.startswith("### ") and
            not r.startswith(f"### {title}\n")]
    runs.append(section)
    order = ("### DuckDB, one process: kept", "### PostgreSQL, 2 workers: kept",
             "### DuckDB, one process: no", "### PostgreSQL, 2 workers: no")
    runs.sort(key=lambda r: next((i for i, o in enumerate(order) if r.startswith(o)),
                                 len(order)))
    body = "\n".join(r.rstrip("\n") + "\n" for r in runs)
    update_section(RESULTS, HEADER, scale,
                   f"<!-- scale:{scale} -->\n## {scale}\n\n{body}\n<!-- /scale:{scale} -->\n")


if __name__ == "__main__":
    main()

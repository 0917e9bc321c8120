"""Benchmark events in: ``salescore serve`` on a small organisation, fed 1,000 events/s for
60 s through ``POST /api/v1/events`` and then through NATS JetStream (the server's own
consumer), on loopback; how many were applied, and the time from each event's sending to the
company's ``deals_won`` in the API including it (polled every 0.25 s).

    PYTHONPATH=src .venv/bin/python bench/bench_events.py            # both, 60 s each
    ... --seconds 20 --rate 1000 --batch 200 --scenario http|nats|both

Each event is a new won opportunity (one more deal won in the period), so that the count read
back is the number of events applied, and the visible time of event i is the first poll that
reads at least i. A monthly plan scores the reps on deals won (against a fixed 100,000, so a
rep's stored score is their deals / 1,000) and 2025-03 is scored before the run; the server's
today is 2025-03-16, so that events re-score the open month (every ``--rescore-seconds``; 0 turns
re-scoring off; ``--compare`` runs both, off first). The stored scores read back through
``GET /api/v1/scores`` at each poll give the arrival→score-stored time the same way.

HTTP: batches of ``--batch`` events every ``batch/rate`` seconds, at most 4
requests in flight. NATS: one event per message, published at ``--rate`` (the publisher waits for
JetStream's acknowledgement of each 50). Bounded in count and time; 127.0.0.1 only. The result
goes to bench/results/events.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from benchlib import machine  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "events.md"
PERIOD = "2025-03"
NATS_URL = "nats://127.0.0.1:4222"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PLAN = """\
name: bench
title: {en: Bench, zh: 基准}
grain: month
lines:
  - kpi: deals_won
    weight: 1
    target: {source: fixed, value: 100000}
    scoring: {method: linear, floor: 0, cap: 1.5}
ratings:
  - {label: A, min: 100}
  - {label: B}
"""


def _prepare(home: Path) -> str:
    """A small organisation (2 teams, 20 reps, 50 customers), plan ``bench`` adopted and
    2025-03 scored, and an admin's API token."""
    from salescore.workspace import Workspace

    with Workspace.init(home) as ws:
        events = [{"table": "teams", "row": {"team_id": f"T{t}", "name": f"Team {t}"}}
                  for t in range(2)]
        events += [{"table": "reps", "row": {"rep_id": f"r{i}", "name": f"Rep {i}", "active": True,
                                             "team_id": f"T{i % 2}"}} for i in range(20)]
        events += [{"table": "customers", "row": {"customer_id": f"c{i}", "name": f"C{i}",
                                                  "owner_rep_id": f"r{i % 20}",
                                                  "created_at": "2024-01-01T00:00:00Z"}}
                   for i in range(50)]
        outcome = ws.owner().realtime.accept_events(events)
        assert outcome.accepted == len(events), outcome
        ws.owner().adopt_plan(text=PLAN, effective_from=dt.date(2025, 1, 1), actor="bench")
        ws.owner().score(PERIOD)
        cli = ws.accounts.owner()
        ws.accounts.add_user(cli, username="bench", password=None, role="admin")
        return ws.accounts.issue_token(cli, "bench", "bench")[1]


def _event(i: int, tag: str) -> dict[str, object]:
    return {"table": "opportunities", "at": "2025-03-15T10:00:00Z", "row": {
        "opportunity_id": f"{tag}{i}", "customer_id": f"c{i % 50}", "owner_rep_id": f"r{i % 20}",
        "created_at": "2025-03-01T10:00:00Z", "stage": "won", "closed_at": "2025-03-15T10:00:00Z",
        "amount": "100", "currency": "CNY"}}


def _stream(subject: str) -> str:
    return "BENCH_" + subject.rsplit(".", 1)[-1]


async def _drop_stream(subject: str) -> None:
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(_stream(subject))
    except Exception:  # never made (the HTTP scenario alone)
        pass
    finally:
        await nc.close()


def _serve(home: Path, port: int, subject: str, rescore: float) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "salescore.cli.main", "serve", "--home", str(home), "--port",
         str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "SALESCORE_NATS_URL": NATS_URL,
             "SALESCORE_NATS_SUBJECT": subject, "SALESCORE_NATS_STREAM": _stream(subject),
             "SALESCORE_TODAY": "2025-03-16", "SALESCORE_RESCORE_SECONDS": str(rescore)},
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
    if server.poll() is None:
        os.kill(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


async def _count(client: httpx.AsyncClient) -> int:
    answer = await client.get("/api/v1/kpis/values", params={
        "kpis": "deals_won", "by": "company", "period": PERIOD})
    answer.raise_for_status()
    items = answer.json()["items"]
    return int(items[0]["values"]["deals_won"] or 0) if items else 0


async def _scored(client: httpx.AsyncClient) -> int:
    """The deals won that the stored scores of the reps hold (a score is deals / 1,000)."""
    answer = await client.get("/api/v1/scores", params={"period": PERIOD,
                                                        "subject_kind": "rep"})
    answer.raise_for_status()
    return sum(round((r["score"] or 0) * 1000) for r in answer.json()["items"])


async def _poll(client: httpx.AsyncClient, base: tuple[int, int], total: int, stop_at: float,
                seen: list[tuple[float, int]], scored: list[tuple[float, int]] | None
                ) -> None:
    """Poll the KPI (and, while re-scoring is on, the stored scores) every 0.25 s until
    both hold every event or ``stop_at``."""
    done = False
    while time.monotonic() < stop_at:
        try:
            seen.append((time.monotonic(), await _count(client) - base[0]))
            if scored is not None and not (scored and scored[-1][1] >= total):
                scored.append((time.monotonic(), await _scored(client) - base[1]))
        except httpx.HTTPError:
            pass
        done = bool(seen) and seen[-1][1] >= total and (
            scored is None or bool(scored) and scored[-1][1] >= total)
        if done:
            return
        await asyncio.sleep(0.25)


def _visible(sent: list[float], seen: list[tuple[float, int]]) -> list[float]:
    """Per event, the time from its sending to the first poll that counts it."""
    out = []
    j = 0
    for i, at in enumerate(sent):
        while j < len(seen) and seen[j][1] < i + 1:
            j += 1
        if j == len(seen):
            break
        out.append(seen[j][0] - at)
    return out


async def _http(base_url: str, token: str, rate: int, seconds: int, batch: int,
                rescore: bool) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    tag = f"h{uuid.uuid4().hex[:6]}-"
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        start_count = (await _count(client), await _scored(client))
        scored: list[tuple[float, int]] | None = [] if rescore else None
        sent: list[float] = []
        latencies: list[float] = []
        failures = 0
        in_flight = asyncio.Semaphore(4)
        tasks = []
        total = rate * seconds
        seen: list[tuple[float, int]] = []
        start = time.monotonic()

        async def post(first: int) -> None:
            nonlocal failures
            async with in_flight:
                body = {"events": [_event(first + k, tag) for k in range(batch)]}
                t0 = time.monotonic()
                try:
                    answer = await client.post("/api/v1/events", json=body)
                    answer.raise_for_status()
                except httpx.HTTPError:
                    failures += 1
                latencies.append(time.monotonic() - t0)

        poller = asyncio.create_task(_poll(client, start_count, total, start + seconds + 120,
                                           seen, scored))
        for first in range(0, total, batch):
            due = start + first / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            sent.extend([time.monotonic()] * batch)
            tasks.append(asyncio.create_task(post(first)))
        await asyncio.gather(*tasks)
        sending = time.monotonic() - start
        await poller
        applied = seen[-1][1] if seen else 0
        return {"sent": total, "applied": applied, "sending_s": sending,
                "done_s": (seen[-1][0] - start) if seen else None,
                "visible": _visible(sent, seen), "request": latencies, "failures": failures,
                "scored": _visible(sent, scored) if scored is not None else None,
                "scored_n": scored[-1][1] if scored else None}


async def _nats(base_url: str, token: str, rate: int, seconds: int, subject: str,
                rescore: bool) -> dict[str, object]:
    import json

    import nats

    headers = {"Authorization": f"Bearer {token}"}
    tag = f"n{uuid.uuid4().hex[:6]}-"
    from salescore.realtime.consumer import ensure_stream

    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    await ensure_stream(js, _stream(subject), subject)

    async def publish(data: bytes) -> None:
        for attempt in range(5):  # JetStream busy writing: wait for it rather than drop
            try:
                await js.publish(subject, data, timeout=10)
                return
            except (nats.js.errors.NoStreamResponseError, nats.errors.TimeoutError):
                if attempt == 4:
                    raise
                await asyncio.sleep(0.5)

    try:
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
            start_count = (await _count(client), await _scored(client))
            scored: list[tuple[float, int]] | None = [] if rescore else None
            total = rate * seconds
            sent: list[float] = []
            seen: list[tuple[float, int]] = []
            start = time.monotonic()
            poller = asyncio.create_task(_poll(client, start_count, total,
                                               start + seconds + 120, seen, scored))
            chunk = 50
            for first in range(0, total, chunk):
                due = start + first / rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                acks = [publish(json.dumps(_event(first + k, tag)).encode())
                        for k in range(chunk)]
                stamp = time.monotonic()
                await asyncio.gather(*acks)
                sent.extend([stamp] * chunk)
            sending = time.monotonic() - start
            await poller
            applied = seen[-1][1] if seen else 0
            return {"sent": total, "applied": applied, "sending_s": sending,
                    "done_s": (seen[-1][0] - start) if seen else None,
                    "visible": _visible(sent, seen), "request": [], "failures": 0,
                    "scored": _visible(sent, scored) if scored is not None else None,
                    "scored_n": scored[-1][1] if scored else None}
    finally:
        await nc.close()


def _q(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _server_side(home: Path) -> dict[str, float]:
    """Median and p95 time of one event import run (the server's work per batch)."""
    from salescore.workspace import Workspace

    with Workspace.open(home, read_only=True) as ws:
        runs = [r for r in ws.owner().import_runs(limit=100_000) if r.source == "events"
                and r.finished_at is not None]
    times = [(r.finished_at - r.started_at).total_seconds() for r in runs  # type: ignore[operator]
             ]
    rows = [r.read_rows for r in runs]
    return {"runs": len(runs), "median_ms": statistics.median(times) * 1000 if times else 0,
            "p95_ms": _q(times, 0.95) * 1000, "rows_median": statistics.median(rows) if rows
            else 0}


def _run(args: argparse.Namespace, rescore: float) -> tuple[dict[str, dict[str, Any]],
                                                            dict[str, float]]:
    """One server on a fresh organisation, re-scoring every ``rescore`` s (0: off), fed the
    scenario(s); the results by path and the server side's import runs."""
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        token = _prepare(home)
        port = _free_port()
        subject = f"salescore.bench.{uuid.uuid4().hex[:8]}"
        server = _serve(home, port, subject, rescore)
        base = f"http://127.0.0.1:{port}"
        results: dict[str, dict[str, Any]] = {}
        try:
            if args.scenario in ("http", "both"):
                results["HTTP POST /api/v1/events"] = asyncio.run(
                    _http(base, token, args.rate, args.seconds, args.batch, rescore > 0))
            if args.scenario in ("nats", "both"):
                results["NATS JetStream (the server's consumer)"] = asyncio.run(
                    _nats(base, token, args.rate, args.seconds, subject, rescore > 0))
        finally:
            _stop(server)
            asyncio.run(_drop_stream(subject))
        return results, _server_side(home)


def _secs(values: list[float] | None, q: float | None = None) -> str:
    if not values:
        return "—"
    return f"{(max(values) if q is None else _q(values, q)):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--scenario", choices=["http", "nats", "both"], default="both")
    parser.add_argument("--rescore-seconds", type=float, default=2.0)
    parser.add_argument("--compare", action="store_true",
                        help="run with re-scoring off first, then on")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    load_start = os.getloadavg()
    cpu_start = os.times()
    modes = [0.0, args.rescore_seconds] if args.compare else [args.rescore_seconds]
    runs = [(mode, *_run(args, mode)) for mode in modes]
    cpu_end = os.times()
    versions = {"salescore": "this tree",
                "load average (1, 5, 15 min) at the start": ", ".join(
                    f"{x:.1f}" for x in load_start),
                "at the end": ", ".join(f"{x:.1f}" for x in os.getloadavg())}
    info = machine(versions)
    lines = [f"## Run of {dt.date.today().isoformat()}: {args.rate} events/s for "
             f"{args.seconds} s each, re-scoring "
             + (f"off, then every {args.rescore_seconds:g} s" if args.compare else
                f"every {args.rescore_seconds:g} s" if args.rescore_seconds else "off"),
             "", "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), "",
             "| path | re-scoring | sent | applied | sending took | all visible after | "
             "achieved events/s | arrival→visible p50 | p95 | max | arrival→score stored "
             "p50 | p95 | max | request p50 | request p95 | failures |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for mode, results, _side in runs:
        for name, r in results.items():
            vis, req, scored = r["visible"], r["request"], r["scored"]
            done = r["done_s"] or float("nan")
            every = f"every {mode:g} s" if mode else "off"
            lines.append(
                f"| {name} | {every} | {r['sent']:,} | {r['applied']:,} | "
                f"{r['sending_s']:.1f} s | {done:.1f} s | {r['applied'] / done:,.0f} | "
                f"{_secs(vis, 0.5)} | {_secs(vis, 0.95)} | {_secs(vis)} | "
                f"{_secs(scored, 0.5)} | {_secs(scored, 0.95)} | {_secs(scored)} | "
                + (f"{_q(req, 0.5) * 1000:.0f} ms | {_q(req, 0.95) * 1000:.0f} ms | "
                   if req else "— | — | ") + f"{r['failures']} |")
    lines.append("")
    for mode, results, side in runs:
        counted = {n: r["scored_n"] for n, r in results.items() if r["scored_n"] is not None}
        every = f"every {mode:g} s" if mode else "off"
        lines.append(f"Server side, re-scoring {every}: "
                     f"{side['runs']} import runs of events, median {side['rows_median']:.0f} "
                     f"rows each, median {side['median_ms']:.0f} ms, p95 {side['p95_ms']:.0f} "
                     "ms per run" + ("; deals held by the stored scores at the end: "
                                     + ", ".join(f"{v:,}" for v in counted.values())
                                     if counted else "") + ".")
    lines.append(f"\nThe bench process's own CPU (client, pollers): "
                 f"{cpu_end.user - cpu_start.user + cpu_end.system - cpu_start.system:.1f} s.")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        head = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else \
            "# Events in: throughput and arrival-to-visible time\n\n"
        RESULTS.write_text(head.rstrip("\n") + "\n\n" + text, encoding="utf-8")


if __name__ == "__main__":
    main()

"""Benchmark the web pages as people use them: ``salescore serve`` on the demo organisation
(its data up to yesterday, last year and this year scored, as ``make demo`` builds it), then
50 simulated people signed in as reps, managers, executives and admins, each visiting the pages
their role opens, with a think time between visits; p50, p95 and p99 per page and overall, and
errors. Nothing is warmed up: the server starts fresh, and the first visit of each page by each
person is measured like every other.

    PYTHONPATH=src .venv/bin/python bench/bench_pages.py                 # medium demo
    ... --scale small --users 50 --think 1 --seconds 60 --note "busy machine"
    ... --end 2026-10-31            # data up to a fixed day (default: yesterday)
    ... --large                     # also: the team page cold on the large demo (long build)

Each person is one ``httpx.AsyncClient`` with its own cookies (a browser session), signed in
through the ``/login`` form before the load starts (argon2 checks are not page visits). The
people are the demo's own log-ins (``salescore demo --logins``: a rep, a manager of the first
region, the executive, the admin) and, so that 50 people are not four, more reps and managers
of other teams made for the bench (``bench-rep-N``, ``bench-manager-N``). Roles: 40 % reps, 30 %
managers, 15 % executives, 15 % admins. Pages by role:

* rep: ``/`` (My scorecard), ``/explore`` (revenue won by rep this month), ``/drill`` (the
  records behind their own revenue this month);
* manager, executive, admin: ``/`` (a manager and an executive are sent on to ``/team`` and
  ``/company``; an admin gets the home page), ``/team``, ``/company``, ``/explore`` (win rate by
  team this quarter), ``/drill`` (revenue won of a team they see, this month) and
  ``/reps/{id}`` (a rep they see).

The charts' data is in the page (JSON in the HTML): there are no separate chart-data calls. The
static files a page links to (CSS, ECharts, the chart script) are fetched on a person's first
visit of each page, as a browser with an empty cache would, and reported on their own row. A
visit follows redirects and counts from the first byte sent to the last byte of the last
answer; an error is a final status other than 200 or no answer within 30 s.

Each person starts at a random moment within the first think time, visits its pages in a
shuffled order, over and over, waiting ``--think`` seconds between visits, until ``--seconds``
have passed or ``--requests`` visits were made; loopback only. After the load (never before
it), each role's first person visits each of their pages once alone: the *alone* column, what a
page costs with nobody else waiting. The demo is kept and reused
across runs (data folders under ``~/.cache/salescore-bench/``, one per scale and end): built
and scored only when missing. The server started is stopped by its PID. The result replaces its
scale's section of ``bench/results/pages.md``. Goal (issue 10): p95 under 100 ms per page at 50
people with 1 s think time on the medium demo; the team page under 1 s cold on the large demo.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx
from benchlib import machine, update_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "pages.md"
CACHE = Path.home() / ".cache" / "salescore-bench"
PASSWORD = "bench password 1"
PAGES = ("/", "/team", "/company", "/explore", "/drill", "/reps/{id}")
STATIC = "static (first visit)"
ROLE_SHARES = (("rep", 0.40), ("manager", 0.30), ("executive", 0.15), ("admin", 0.15))
HEADER = """# Page load benchmark / 页面负载基准

`bench/bench_pages.py` serves the demo organisation (`salescore serve`, DuckDB, one process;
data up to yesterday, last year and this year scored, as `make demo` builds it) to 50 simulated
people signed in as reps, managers, executives and admins, each visiting the pages of their
role (`/`, `/team`, `/company`, `/explore`, `/drill`, `/reps/{id}`) with 1 s think time, the
server fresh and the first visit of each page included (no warm-up); p50/p95/p99 per page and
overall, and errors. The charts' data is inside each page (no separate calls); the static files
are fetched on each person's first visit of a page. Goal (issue 10): p95 under 100 ms per page
on the medium demo; the team page under 1 s cold on the large demo.
`bench/bench_pages.py` 以 50 个模拟用户（销售、经理、高管、管理员）登录后按角色访问各页面，思考时间
1 秒，服务刚启动、不预热，记录每个页面及总体的 p50/p95/p99 与错误数。目标：medium 规模下每个页面
p95 低于 100 毫秒；large 规模下团队页冷启动低于 1 秒。

"""


def _salescore(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "salescore.cli.main", *args],
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=True,
                          capture_output=True, text=True)
    return done.stdout


@dataclass
class Person:
    """One simulated person: who signs in and the pages they visit."""

    username: str
    role: str
    urls: dict[str, str]  # page key -> URL


@dataclass
class Tally:
    """What the load measured: latencies (ms) by page, first visits, errors."""

    ms: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in (*PAGES,
                                                                                  STATIC)})
    first: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*PAGES, STATIC), 0))
    statuses: dict[int, int] = field(default_factory=dict)
    alone: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})


def _prepare(scale: str, seed: int, end: date | None, home: Path) -> tuple[str, str]:
    """The demo in ``home`` (built and scored unless there); this month's and this quarter's
    labels on the organisation's today."""
    from salescore.workspace import Workspace

    if not _built(home):
        print(f"building the {scale} demo in {home}", flush=True)
        _salescore("demo", "--scale", scale, "--seed", str(seed), "--home", str(home),
                   *(("--end", end.isoformat()) if end else ()))
        for period in ("last-year", "this-year"):
            _salescore("score", "--period", period, "--home", str(home))
    with Workspace.open(home, read_only=True) as ws:
        cal = ws.calendar
        return str(cal.parse("this-month")), str(cal.parse("this-quarter"))


def _built(home: Path) -> bool:
    from salescore.workspace import Workspace

    if not (home / "salescore.yaml").exists():
        return False
    try:
        with Workspace.open(home, read_only=True) as ws:
            return bool(ws.owner().stored_scores("this-year", subject_kind="rep"))
    except Exception:  # noqa: BLE001 - anything missing or broken: build it again
        return False


def _people(home: Path, users: int, month: str, quarter: str, extra: int) -> list[Person]:
    """``users`` people over the four roles: the demo's log-ins (new passwords) and ``extra``
    more reps and managers of other teams, each with the URLs of the pages they visit."""
    from salescore.workspace import Workspace
    from salescore.workspace.demo import demo_logins

    with Workspace.open(home) as ws:
        made = demo_logins(ws, period=month)
        owner = ws.owner()
        teams = owner.teams()
        reps = [r for r in owner.reps() if r.get("active") is not False]
        scored = sorted({s.subject_id for s in owner.stored_scores(month, subject_kind="rep")
                         if s.score is not None})
        leaves = [t["team_id"] for t in teams
                  if not any(u.get("parent_team_id") == t["team_id"] for u in teams)]
        root = next(t["team_id"] for t in teams if t.get("parent_team_id") is None)
        team_of = {r["rep_id"]: r["team_id"] for r in reps}
        accounts = ws.accounts
        cli = accounts.owner()
        known = {u.username for u in accounts.users(cli)}

        def person(name: str, role: str, rep_id: str | None, team_id: str | None) -> None:
            if name in known:
                accounts.update_user(cli, name, role=role, rep_id=rep_id,
                                     team_id=team_id, active=True)
                accounts.reset_password(cli, name, PASSWORD)
            else:
                accounts.add_user(cli, username=name, password=PASSWORD,
                                  role=role, rep_id=rep_id, team_id=team_id)

        passwords = {m.username: m.password for m in made}
        demo = {m.role: m for m in made}
        pool: dict[str, list[tuple[str, str | None, str | None]]] = {
            role: [(demo[role].username, demo[role].rep_id, demo[role].team_id)]
            for role in ("rep", "manager", "executive", "admin") if role in demo}
        for i, rep_id in enumerate(scored[1: 1 + extra]):
            person(f"bench-rep-{i}", "rep", rep_id, None)
            pool.setdefault("rep", []).append((f"bench-rep-{i}", rep_id, None))
        for i, team_id in enumerate(leaves[:extra]):
            person(f"bench-manager-{i}", "manager", None, team_id)
            pool.setdefault("manager", []).append((f"bench-manager-{i}", None, team_id))
        passwords.update({name: PASSWORD for role in pool for name, _, _ in pool[role]
                          if name.startswith("bench-")})

    def below(team_id: str) -> set[str]:
        out, todo = {team_id}, [team_id]
        while todo:
            t = todo.pop()
            kids = [u["team_id"] for u in teams if u.get("parent_team_id") == t]
            out.update(kids)
            todo.extend(kids)
        return out

    people: list[Person] = []
    counts = [round(users * share) for _, share in ROLE_SHARES]
    counts[0] += users - sum(counts)
    for (role, _), count in zip(ROLE_SHARES, counts, strict=True):
        for i in range(count):
            who, own_rep, own_team = pool[role][i % len(pool[role])]
            if role == "rep":
                assert own_rep is not None
                urls = {
                    "/": "/",
                    "/explore": "/explore?" + urlencode(
                        {"kpi": "revenue_won", "by": "rep", "period": month}),
                    "/drill": "/drill?" + urlencode({"kpi": "revenue_won", "by": "rep",
                                                      "subject": own_rep, "period": month}),
                }
            else:
                seen = below(own_team) if own_team else below(root)
                team = own_team if own_team and role == "manager" else \
                    sorted(seen - {root})[i % max(1, len(seen) - 1)]
                # A rep they see: one scored this month, else any of theirs (never a rep
                # outside their teams, whose page is rightly a 404).
                theirs = sorted(r for r in scored if team_of.get(r) in seen) or \
                    sorted(r for r, t in team_of.items() if t in seen)
                urls = {
                    "/": "/", "/team": "/team", "/company": "/company",
                    "/explore": "/explore?" + urlencode(
                        {"kpi": "win_rate", "by": "team", "period": quarter}),
                    "/drill": "/drill?" + urlencode({"kpi": "revenue_won", "by": "team",
                                                      "subject": team, "period": month}),
                }
                if theirs:
                    urls["/reps/{id}"] = f"/reps/{theirs[i % len(theirs)]}"
            people.append(Person(who, role, urls))
    _PASSWORDS.update(passwords)
    return people


_PASSWORDS: dict[str, str] = {}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ASSETS = re.compile(r'<(?:script[^>]+src|link[^>]+href)="(/static/[^"]+)"')


async def _sign_in(http: httpx.AsyncClient, person: Person) -> None:
    page = await http.get("/login")
    token = _CSRF.search(page.text)
    assert token, "the sign-in page has no csrf_token"
    answer = await http.post("/login", data={"login": person.username,
                                             "password": _PASSWORDS[person.username],
                                             "csrf_token": token.group(1), "next": "/"},
                             follow_redirects=False)
    if answer.status_code != 303:
        raise SystemExit(f"{person.username} could not sign in: {answer.status_code}")


async def _load(base: str, people: list[Person], think: float, seconds: float, requests: int,
                seed: int) -> tuple[Tally, float]:
    tally = Tally()
    rng = random.Random(seed)
    clients = [httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=True)
               for _ in people]
    try:
        for http, person in zip(clients, people, strict=True):  # sign-ins are not page visits
            await _sign_in(http, person)
        visits = 0
        started = time.monotonic()
        deadline = started + seconds

        async def browse(http: httpx.AsyncClient, person: Person, order: list[str],
                         delay: float) -> None:
            nonlocal visits
            await asyncio.sleep(delay)
            cached: set[str] = set()
            seen: set[str] = set()
            turn = 0
            while time.monotonic() < deadline and visits < requests:
                key = order[turn % len(order)]
                turn += 1
                visits += 1
                t0 = time.perf_counter()
                try:
                    answer = await http.get(person.urls[key])
                    ok = answer.status_code == 200
                    tally.statuses[answer.status_code] = \
                        tally.statuses.get(answer.status_code, 0) + 1
                    body = answer.text
                except httpx.HTTPError:
                    ok, body = False, ""
                ms = (time.perf_counter() - t0) * 1000
                tally.ms[key].append(ms)
                tally.errors[key] += not ok
                if key not in seen:
                    seen.add(key)
                    tally.first[key].append(ms)
                for asset in _ASSETS.findall(body):  # an empty browser cache, once each
                    if asset in cached:
                        continue
                    cached.add(asset)
                    t1 = time.perf_counter()
                    try:
                        got = await http.get(asset)
                        fine = got.status_code == 200
                    except httpx.HTTPError:
                        fine = False
                    tally.ms[STATIC].append((time.perf_counter() - t1) * 1000)
                    tally.errors[STATIC] += not fine
                await asyncio.sleep(think)

        await asyncio.gather(*(
            browse(http, p, rng.sample(list(p.urls), len(p.urls)), rng.uniform(0, think))
            for http, p in zip(clients, people, strict=True)))
        wall = time.monotonic() - started
        # after the load, not before it: each role's first person alone, each page once, for
        # what a page costs without waiting behind others
        for role, _ in ROLE_SHARES:
            at = next((i for i, p in enumerate(people) if p.role == role), None)
            if at is None:
                continue
            for key, url in people[at].urls.items():
                t0 = time.perf_counter()
                try:
                    await clients[at].get(url)
                except httpx.TimeoutException:  # still queued behind the load: told as is
                    pass
                tally.alone[key].append((time.perf_counter() - t0) * 1000)
        return tally, wall
    finally:
        for http in clients:
            await http.aclose()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "salescore.cli.main", "serve", "--home", str(home), "--host",
         "127.0.0.1", "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while True:
        try:  # the sign-in page: nothing of the organisation's data is read
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
            return server
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                _stop(server)
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server we started, by its PID."""
    if server.poll() is None:
        os.kill(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _q(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return float("nan"), float("nan"), float("nan")
    if len(values) == 1:
        return values[0], values[0], values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _fmt(v: float) -> str:
    return "" if v != v else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def _home(scale: str, end: date | None) -> Path:
    return CACHE / f"pages-{scale}-{end.isoformat() if end else 'yesterday-' + _yesterday()}"


def _yesterday() -> str:
    from datetime import timedelta

    return (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def _versions() -> dict[str, str]:
    import duckdb
    import fastapi
    import uvicorn

    return {"duckdb / fastapi / uvicorn / httpx": f"{duckdb.__version__} / "
            f"{fastapi.__version__} / {uvicorn.__version__} / {httpx.__version__}"}


def run_load(args: argparse.Namespace) -> None:
    home = args.home or _home(args.scale, args.end)
    month, quarter = _prepare(args.scale, args.seed, args.end, home)
    people = _people(home, args.users, month, quarter, args.people)
    port = _free_port()
    load_before = os.getloadavg()
    server = _serve(home, port)
    try:
        tally, wall = asyncio.run(_load(f"http://127.0.0.1:{port}", people, args.think,
                                        args.seconds, args.requests, args.seed))
        server_cpu = _cpu_seconds(server.pid)
        load_after = os.getloadavg()
    finally:
        _stop(server)
    from salescore.workspace import Workspace

    with Workspace.open(home, read_only=True) as ws:
        span = {t.name: (t.rows, t.last) for t in ws.owner().table_info()}
        tz = ws.settings.organisation.timezone
        last = span["activities"][1]
        data_end = ws.calendar.local_date(last).isoformat() if last else "?"
    roles = {r: sum(1 for p in people if p.role == r) for r, _ in ROLE_SHARES}
    pages = [p for p in PAGES if tally.ms[p]]
    every = [x for p in pages for x in tally.ms[p]]
    errors = sum(tally.errors[p] for p in pages)
    rows = []
    for name, values, first, errs, alone in (
            *((p, tally.ms[p], tally.first[p], tally.errors[p], tally.alone[p]) for p in pages),
            ("**all pages**", every, [x for p in pages for x in tally.first[p]], errors,
             [x for p in pages for x in tally.alone[p]]),
            (STATIC, tally.ms[STATIC], [], tally.errors[STATIC], [])):
        p50, p95, p99 = _q(values)
        f50, f95, _ = _q(first)
        rows.append(f"| {name} | {len(values)} | {_fmt(p50)} | {_fmt(p95)} | {_fmt(p99)} | "
                    f"{_fmt(max(values, default=float('nan')))} | {_fmt(f50)} | {_fmt(f95)} | "
                    f"{errs} | {_fmt(statistics.median(alone)) if alone else ''} |")
    worst = max(_q(tally.ms[p])[1] for p in pages)
    met = worst < 100 and errors == 0
    label = f"{args.scale}" + (f" — {args.note}" if args.note else "")
    lines = [
        f"### {label}",
        "",
        f"- date / 日期: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- data / 数据: demo `{args.scale}`, seed {args.seed}, data up to {data_end} "
        f"({tz}; {'--end ' + args.end.isoformat() if args.end else 'yesterday'}), "
        f"{span['reps'][0]:,} reps, {span['opportunities'][0]:,} opportunities, "
        f"{span['activities'][0]:,} activities; last year and this year scored; "
        f"this month {month}, this quarter {quarter}",
        *(f"- {k}: {v}" for k, v in machine(_versions()).items()),
        "- server / 服务: `salescore serve` (one process, DuckDB warehouse, SQLite app store, "
        "default kept answers), started fresh: no warm-up",
        f"- load / 负载: {len(people)} people (" + ", ".join(f"{n} {r}s" for r, n in
                                                          roles.items()) +
        f"), each its own httpx client and session, {args.think:g} s think time, "
        f"{wall:.0f} s, {sum(len(v) for v in tally.ms.values())} requests "
        f"({len(every) / wall:.1f} page visits/s), loopback; answers by status: "
        + ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())),
        "- load average / 负载均值 (1, 5, 15 min): before "
        + ", ".join(f"{x:.1f}" for x in load_before) + "; after the load "
        + ", ".join(f"{x:.1f}" for x in load_after)
        + f"; the server's CPU time (start, sign-ins, load) {server_cpu:.1f} s"
        + (f" — {args.note}" if args.note else ""),
        "",
        "| page | visits | p50 ms | p95 ms | p99 ms | max ms | first visit p50 ms | "
        "first visit p95 ms | errors | alone ms (after) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "An error is a final status other than 200 or no answer within 30 s. *alone*: the "
        "median of each role's first person visiting the page by themselves after the load "
        "(what a page costs without waiting behind others' visits).",
        "",
        f"Slowest page p95 {worst:.0f} ms; {errors} errors. **Goal (p95 < 100 ms per page, no "
        f"errors{', on the medium demo' if args.scale != 'medium' else ''}): "
        f"{'met' if met else 'not met'}.** / 目标：{'达成' if met else '未达成'}。",
        "",
    ]
    section = "\n".join(lines)
    _record(args.scale, section)
    print(section, flush=True)


def run_large_team(args: argparse.Namespace) -> None:
    """The team page cold on the large demo: a fresh server, the first visit of ``/team`` as
    the admin (the whole company) and then as the manager of a region."""
    home = args.home_large or _home("large", args.end)
    month, quarter = _prepare("large", args.seed, args.end, home)
    people = _people(home, 4, month, quarter, 0)
    port = _free_port()
    started = time.perf_counter()
    server = _serve(home, port)  # answers once its start-up preparation (page views) is done
    start_s = time.perf_counter() - started
    timings: list[tuple[str, float, int]] = []

    async def visit() -> None:
        for role in ("admin", "manager"):
            person = next(p for p in people if p.role == role)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120,
                                         follow_redirects=True) as http:
                await _sign_in(http, person)
                t0 = time.perf_counter()
                answer = await http.get("/team")
                timings.append((role, (time.perf_counter() - t0) * 1000, answer.status_code))
    try:
        asyncio.run(visit())
    finally:
        _stop(server)
    lines = [
        "### large — the team page cold",
        "",
        f"- date / 日期: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- data / 数据: demo `large`, seed {args.seed}, "
        f"{'--end ' + args.end.isoformat() if args.end else 'data up to yesterday'}, last "
        f"year and this year scored",
        *(f"- {k}: {v}" for k, v in machine(_versions()).items()),
        "",
        f"- server start / 服务启动: {start_s:.1f} s until it answered (it prepares the "
        "page views it keeps — needs-action lists, stored scores, the company KPIs — before "
        "it answers anyone; then nothing is warmed: the first visits below are measured)",
        "",
        "| first visit of /team as | ms | status |",
        "|---|---:|---:|",
        *(f"| {role} | {ms:.0f} | {status} |" for role, ms, status in timings),
        "",
        f"**Goal (under 1 s cold): {'met' if all(ms < 1000 for _, ms, _ in timings) else 'not met'}"
        ".**",
        "",
    ]
    section = "\n".join(lines)
    _record("large", section)
    print(section, flush=True)


def _record(scale: str, section: str) -> None:
    """This run in its scale's section (replacing a run of the same title)."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    found = re.search(rf"<!-- scale:{scale} -->\n## {scale}\n(.*?)<!-- /scale:{scale} -->",
                      text, re.S)
    runs = re.split(r"(?=^### )", found.group(1), flags=re.M) if found else []
    title = section.split("\n", 1)[0]
    runs = [r.strip("\n") + "\n" for r in runs if r.startswith("### ")
            and not r.startswith(title + "\n")]
    runs.append(section)
    body = "\n".join(r.rstrip("\n") + "\n" for r in runs)
    update_section(RESULTS, HEADER, scale,
                   f"<!-- scale:{scale} -->\n## {scale}\n\n{body}\n<!-- /scale:{scale} -->\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium", choices=("small", "medium"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=date.fromisoformat, default=None,
                        help="the demo's last day, YYYY-MM-DD (default: yesterday)")
    parser.add_argument("--users", type=int, default=50, help="simulated people")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between visits")
    parser.add_argument("--seconds", type=float, default=60, help="the load's length, at most")
    parser.add_argument("--requests", type=int, default=20000, help="page visits, at most")
    parser.add_argument("--people", type=int, default=10,
                        help="more reps and managers (of other teams) besides the demo's log-ins")
    parser.add_argument("--note", default="", help="what the run's title adds (e.g. a busy "
                        "machine)")
    parser.add_argument("--home", type=Path, default=None,
                        help="the data folder (default: kept under ~/.cache/salescore-bench)")
    parser.add_argument("--large", action="store_true",
                        help="also: the team page cold on the large demo (builds it: long)")
    parser.add_argument("--large-only", action="store_true", help="only the large team page")
    parser.add_argument("--home-large", type=Path, default=None)
    args = parser.parse_args()
    if not 1 <= args.users <= 200 or args.seconds > 600:
        parser.error("--users 1..200 and --seconds up to 600: a bounded load")
    if not args.large_only:
        run_load(args)
    if args.large or args.large_only:
        run_large_team(args)


if __name__ == "__main__":
    main()

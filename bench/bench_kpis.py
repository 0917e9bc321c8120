"""KPI engine benchmark: the catalogue for every rep and month against hand-written DuckDB SQL.

    .venv/bin/python bench/bench_kpis.py --scale medium            # quick (a minute or two)
    .venv/bin/python bench/bench_kpis.py --scale large --spark     # the issue's target size

Reads the demo organisation as Parquet (written with ``salescore.demo.write_parquet`` when the
folder is missing), loads it once into a DuckDB file, then runs each method in its own process so
that its peak memory (max RSS) is its own:

- ``floor``: a bare scan of every column the KPIs read (min of each), the least any engine pays;
- ``sql``: hand-written DuckDB SQL for twenty-odd core KPIs (one grouped query per table, ICU
  time zone conversion, FILTER aggregates), the baseline;
- ``engine``: salescore's engine for the same KPIs (compile + context queries + run);
- ``engine_all``: salescore's engine for the whole shipped catalogue;
- ``sql_all``: hand-written DuckDB SQL for the whole shipped catalogue, the baseline for
  ``engine_all`` (checked equal to it on every rep, month and output);
- ``pandas`` / ``polars``: vectorised implementations of the same core KPIs;
- ``spark`` (``--spark``): the engine on PySpark in local mode, same core KPIs.

The results (and a check that the engine and the SQL agree) go to ``bench/results/kpis.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CORE = [
    "revenue_won", "deals_won", "deals_lost", "win_rate", "avg_deal_size", "pipeline_created",
    "opportunities_created", "lead_to_win_rate", "avg_sales_cycle_days",
    "median_sales_cycle_days", "activities", "calls", "emails", "meetings", "visits", "demos",
    "social_touches", "call_minutes", "customers_touched", "csat_avg", "csat_top2box", "nps",
    "survey_count", "order_revenue",
]
COLUMNS = {
    "opportunities": ["owner_rep_id", "status", "amount", "currency", "created_at", "closed_at"],
    "activities": ["rep_id", "kind", "direction", "customer_id", "occurred_at", "duration_s"],
    "surveys": ["rep_id", "csat", "nps", "answered_at"],
    "orders": ["rep_id", "amount", "currency", "ordered_at"],
}
# Every column the whole catalogue reads (the floor for ``engine_all`` and ``sql_all``).
COLUMNS_ALL = {
    "opportunities": ["opportunity_id", "owner_rep_id", "status", "channel", "amount", "currency",
                      "created_at", "closed_at"],
    "stage_changes": ["opportunity_id", "stage", "entered_at"],
    "activities": ["activity_id", "rep_id", "kind", "direction", "customer_id", "opportunity_id",
                   "occurred_at", "duration_s"],
    "surveys": ["rep_id", "csat", "nps", "answered_at"],
    "orders": ["order_id", "rep_id", "customer_id", "amount", "currency", "ordered_at"],
    "customers": ["owner_rep_id", "created_at"],
    "peer_reviews": ["reviewee_rep_id", "reviewed_at", "communication", "collaboration"],
    "assists": ["helper_rep_id", "helped_rep_id", "opportunity_id", "occurred_at", "points"],
    "trainings": ["rep_id", "completed_at", "hours", "score"],
    "targets": ["scope", "scope_id", "period", "kpi", "value"],
}
TABLES = ["teams", "reps", "customers", "opportunities", "stage_changes", "activities", "orders",
          "surveys", "peer_reviews", "assists", "trainings", "targets", "fx_rates"]


def config_of(scale: str) -> Any:
    from salescore.demo import DemoConfig

    return DemoConfig(scale=scale, end=date(2026, 10, 31))  # type: ignore[arg-type]


def zone(scale: str) -> str:
    from salescore.demo import demo_settings

    return str(demo_settings(config_of(scale)).organisation.timezone)


def window(scale: str) -> tuple[date, date, str]:
    cfg = config_of(scale)
    return cfg.start, cfg.end, f"{cfg.start.isoformat()}..{cfg.end.isoformat()}"


def prepare(scale: str, data: Path, db: Path) -> None:
    from salescore.demo import write_parquet
    from salescore.engine.warehouse import Warehouse

    if not (data / "activities").exists():
        started = time.perf_counter()
        write_parquet(config_of(scale), data)
        print(f"wrote {data} in {time.perf_counter() - started:.0f} s", flush=True)
    if db.exists():
        return
    started = time.perf_counter()
    with Warehouse.open(str(db)) as wh:
        wh.create_tables()
        for name in TABLES:
            files = str(data / name / "*.parquet")
            wh.execute_sql(f"INSERT INTO {name} BY NAME SELECT * FROM read_parquet('{files}')")
    print(f"loaded {db} in {time.perf_counter() - started:.0f} s", flush=True)


# -- the methods ----------------------------------------------------------------------------------
def _duckdb(db: Path) -> Any:
    """A read-only connection with the benchmark's memory limit (spilling to disk beyond it)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    limit = os.environ.get("SALESCORE_BENCH_MEMORY_LIMIT")
    if limit:
        con.execute(f"SET memory_limit = '{limit}'")
        con.execute("SET preserve_insertion_order = false")
    return con


def run_floor(db: Path, scale: str, columns: dict[str, list[str]] | None = None
              ) -> dict[str, Any]:
    con = _duckdb(db)
    started = time.perf_counter()
    for table, cols in (columns or COLUMNS).items():
        con.execute(f"SELECT {', '.join(f'min({c})' for c in cols)} FROM {table}").fetchall()
    return {"seconds": time.perf_counter() - started}


def hand_sql(scale: str, *, utc: bool = False) -> str:
    """The baseline; ``utc`` buckets by UTC month instead (wrong near month ends in any other
    zone, but shows what the time zone conversion costs hand-written SQL)."""
    first, last, _ = window(scale)
    tz = zone(scale)
    lo, hi = first.isoformat(), last.isoformat()

    def month(col: str) -> str:
        if utc:
            return f"date_trunc('month', {col})::DATE"
        return f"date_trunc('month', timezone('{tz}', {col}::TIMESTAMPTZ))::DATE"

    return f"""
SET TimeZone = 'UTC';
WITH months AS (
  SELECT range::DATE AS m FROM range(DATE '{lo}', DATE '{hi}' + 1, INTERVAL 1 MONTH)),
opp AS (
  SELECT owner_rep_id AS rep, status, amount::DOUBLE AS amount,
         epoch(closed_at) - epoch(created_at) AS cycle_s,
         {month('created_at')} AS cm, {month('closed_at')} AS xm
  FROM opportunities),
closed AS (
  SELECT rep, xm AS m,
    sum(amount) FILTER (status = 'won') AS revenue_won,
    count(*) FILTER (status = 'won') AS deals_won,
    count(*) FILTER (status = 'lost') AS deals_lost,
    avg(cycle_s) FILTER (status = 'won') / 86400 AS avg_cycle,
    median(cycle_s) FILTER (status = 'won') / 86400 AS median_cycle
  FROM opp WHERE xm BETWEEN DATE '{lo}' AND DATE '{hi}' GROUP BY ALL),
created AS (
  SELECT rep, cm AS m, sum(amount) AS pipeline_created, count(*) AS opportunities_created,
    count(*) FILTER (status = 'won') AS won_created
  FROM opp WHERE cm BETWEEN DATE '{lo}' AND DATE '{hi}' GROUP BY ALL),
act AS (
  SELECT rep_id AS rep, {month('occurred_at')} AS m, count(*) AS activities,
    count(*) FILTER (kind = 'call') AS calls, count(*) FILTER (kind = 'email') AS emails,
    count(*) FILTER (kind = 'meeting') AS meetings, count(*) FILTER (kind = 'visit') AS visits,
    count(*) FILTER (kind = 'demo') AS demos, count(*) FILTER (kind = 'social') AS social,
    sum(duration_s) FILTER (kind = 'call') / 60.0 AS call_minutes,
    count(DISTINCT customer_id) FILTER (direction = 'outbound') AS customers_touched
  FROM activities GROUP BY ALL),
srv AS (
  SELECT rep_id AS rep, {month('answered_at')} AS m, avg(csat) AS csat_avg,
    count(*) FILTER (csat >= 4) AS top2, count(csat) AS csat_n,
    count(*) FILTER (nps >= 9) AS promoters, count(*) FILTER (nps <= 6) AS detractors,
    count(nps) AS nps_n, count(*) AS survey_count
  FROM surveys GROUP BY ALL),
ord AS (
  SELECT rep_id AS rep, {month('ordered_at')} AS m, sum(amount::DOUBLE) AS order_revenue
  FROM orders GROUP BY ALL)
SELECT r.rep_id, strftime(months.m, '%Y-%m') AS period,
  coalesce(revenue_won, 0) AS revenue_won, coalesce(deals_won, 0) AS deals_won,
  coalesce(deals_lost, 0) AS deals_lost,
  deals_won / nullif(coalesce(deals_won, 0) + coalesce(deals_lost, 0), 0) AS win_rate,
  revenue_won / nullif(deals_won, 0) AS avg_deal_size,
  coalesce(pipeline_created, 0) AS pipeline_created,
  coalesce(opportunities_created, 0) AS opportunities_created,
  coalesce(won_created, 0) / nullif(opportunities_created, 0) AS lead_to_win_rate,
  avg_cycle AS avg_sales_cycle_days, median_cycle AS median_sales_cycle_days,
  coalesce(activities, 0) AS activities, coalesce(calls, 0) AS calls,
  coalesce(emails, 0) AS emails, coalesce(meetings, 0) AS meetings,
  coalesce(visits, 0) AS visits, coalesce(demos, 0) AS demos,
  coalesce(social, 0) AS social_touches, coalesce(call_minutes, 0) AS call_minutes,
  coalesce(customers_touched, 0) AS customers_touched, csat_avg,
  top2 / nullif(csat_n, 0) AS csat_top2box,
  100.0 * (promoters - detractors) / nullif(nps_n, 0) AS nps,
  coalesce(survey_count, 0) AS survey_count, coalesce(order_revenue, 0) AS order_revenue
FROM (SELECT rep_id, rep_id AS rep FROM reps) r CROSS JOIN months
LEFT JOIN closed USING (rep, m) LEFT JOIN created USING (rep, m) LEFT JOIN act USING (rep, m)
LEFT JOIN srv USING (rep, m) LEFT JOIN ord USING (rep, m)
ORDER BY 1, 2
"""


def hand_sql_all(scale: str) -> str:
    """Hand-written DuckDB SQL for the whole shipped catalogue (every KPI, one output per open
    stage for the per-stage ones), as an analyst would write it: one grouped query per table,
    FILTER aggregates, window functions for the next reply and the stage durations, a running sum
    for the open pipeline, a range join and an ASOF join for the stale opportunities, ICU time
    zone conversion. Targets: only monthly targets fit in a month (the bench's grain)."""
    first, last, _ = window(scale)
    tz = zone(scale)
    settings = _settings(scale)
    stages = list(settings.pipeline.open_stage_names())
    progress = [x.name for x in settings.pipeline.stages if x.status != "lost"]
    lo, hi = first.isoformat(), last.isoformat()
    rank = "CASE stage " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(progress)) + " END"
    def day(col: str) -> str:
        return f"timezone('{tz}', {col}::TIMESTAMPTZ)::DATE"
    def month(col: str) -> str:
        return f"date_trunc('month', {day(col)})::DATE"
    in_window = f"m BETWEEN DATE '{lo}' AND DATE '{hi}'"
    stage_cols = []
    for i, s in enumerate(stages):
        stage_cols.append(f"avg(days) FILTER (stage = '{s}') AS dis{i}")
        stage_cols.append(f"count(*) FILTER (stage = '{s}') AS sc_den{i}")
        later = progress.index(s)
        stage_cols.append(f"count(*) FILTER (stage = '{s}' AND reach > {later}) AS sc_num{i}")
    stage_out = []
    for i, s in enumerate(stages):
        stage_out.append(f'dis{i} AS "avg_days_in_stage[{s}]"')
        stage_out.append(f"coalesce(sc_num{i}, 0) / nullif(coalesce(sc_den{i}, 0), 0)"
                         f' AS "stage_conversion[{s}]"')
    return f"""
SET TimeZone = 'UTC';
WITH months AS (
  SELECT range::DATE AS m, (range + INTERVAL 1 MONTH)::DATE - 1 AS e
  FROM range(DATE '{lo}' - INTERVAL 1 MONTH, DATE '{hi}' + 1, INTERVAL 1 MONTH)),
grid AS (SELECT rep_id AS rep, m, e FROM reps CROSS JOIN months),
opp AS (
  SELECT opportunity_id, owner_rep_id AS rep, status, channel, amount,
         epoch(closed_at) - epoch(created_at) AS cycle_s,
         {day('created_at')} AS cd, {day('closed_at')} AS xd,
         opportunity_id IN (SELECT opportunity_id FROM assists) AS assisted,
         created_at
  FROM opportunities),
followed AS (
  SELECT DISTINCT o.opportunity_id FROM opportunities o JOIN activities a USING (opportunity_id)
  WHERE a.direction = 'outbound' AND a.occurred_at >= o.created_at
    AND a.occurred_at <= o.created_at + INTERVAL 48 HOUR),
closed AS (
  SELECT rep, date_trunc('month', xd)::DATE AS m,
    sum(amount) FILTER (status = 'won') AS revenue_won,
    count(*) FILTER (status = 'won') AS deals_won,
    count(*) FILTER (status = 'lost') AS deals_lost,
    avg(cycle_s) FILTER (status = 'won') / 86400 AS avg_cycle,
    median(cycle_s) FILTER (status = 'won') / 86400 AS median_cycle,
    sum(amount) FILTER (status = 'won' AND assisted) AS assisted_won,
    sum(amount) FILTER (status = 'won' AND channel = 'social') AS social_won,
    count(*) FILTER (status = 'won' AND channel = 'social') AS social_deals
  FROM opp WHERE xd BETWEEN DATE '{lo}' AND DATE '{hi}'
  GROUP BY ALL),
created AS (
  SELECT rep, date_trunc('month', cd)::DATE AS m, sum(amount) AS pipeline_created,
    count(*) AS opportunities_created, count(*) FILTER (status = 'won') AS won_created,
    count(*) FILTER (opportunity_id IN (SELECT opportunity_id FROM followed)) AS followed_up
  FROM opp WHERE cd BETWEEN DATE '{lo}' AND DATE '{hi}'
  GROUP BY ALL),
-- open pipeline at each month end: +amount in the month of creation, -amount in the month it
-- is no longer open (closed, but never before its creation): a running sum per rep (exact in
-- DECIMAL). Events before the window land in the month before it.
events AS (
  SELECT rep, greatest(date_trunc('month', cd)::DATE, DATE '{lo}' - INTERVAL 1 MONTH) AS m,
         sum(amount) AS delta FROM opp GROUP BY ALL
  UNION ALL
  SELECT rep, greatest(date_trunc('month', greatest(cd, xd))::DATE,
                       DATE '{lo}' - INTERVAL 1 MONTH), -sum(amount)
  FROM opp WHERE xd IS NOT NULL GROUP BY ALL),
open_pipe AS (
  SELECT rep, m, sum(coalesce(d, 0)) OVER (PARTITION BY rep ORDER BY m) AS open_end
  FROM grid LEFT JOIN (SELECT rep, m, sum(delta) AS d FROM events GROUP BY ALL) USING (rep, m)),
open_pipe2 AS (
  SELECT rep, m, open_end, lag(open_end) OVER (PARTITION BY rep ORDER BY m) AS open_start
  FROM open_pipe),
-- stale: open at the month end E, last touch (creation or an activity on it) 14+ days before E.
open_at_end AS (
  SELECT o.opportunity_id, o.rep, o.cd, m.m, m.e FROM opp o JOIN months m
    ON o.cd <= m.e AND (o.xd IS NULL OR o.xd > m.e)
  WHERE m.m >= DATE '{lo}'),
touch_days AS (
  SELECT DISTINCT opportunity_id, {day('occurred_at')} AS d FROM activities
  WHERE opportunity_id IS NOT NULL),
stale AS (
  SELECT rep, m, count(*) AS stale FROM open_at_end o
  ASOF LEFT JOIN touch_days t ON o.opportunity_id = t.opportunity_id AND t.d <= o.e
  WHERE greatest(o.cd, coalesce(t.d, o.cd)) <= o.e - 14
  GROUP BY ALL),
sc AS (
  SELECT s.opportunity_id, o.owner_rep_id AS rep, s.stage, {month('s.entered_at')} AS m,
    (epoch(lead(s.entered_at) OVER (PARTITION BY s.opportunity_id
                                    ORDER BY s.entered_at, s.stage))
     - epoch(s.entered_at)) / 86400 AS days,
    max({rank.replace('stage', 's.stage', 1)})
      OVER (PARTITION BY s.opportunity_id) AS reach
  FROM stage_changes s LEFT JOIN opportunities o USING (opportunity_id)),
stages AS (
  SELECT rep, m, {', '.join(stage_cols)}
  FROM sc WHERE {in_window} GROUP BY ALL),
act AS (
  SELECT rep_id AS rep, {month('occurred_at')} AS m, count(*) AS activities,
    count(*) FILTER (kind = 'call') AS calls, count(*) FILTER (kind = 'email') AS emails,
    count(*) FILTER (kind = 'meeting') AS meetings, count(*) FILTER (kind = 'visit') AS visits,
    count(*) FILTER (kind = 'demo') AS demos, count(*) FILTER (kind = 'social') AS social,
    sum(duration_s) FILTER (kind = 'call') AS call_seconds,
    count(DISTINCT customer_id) FILTER (direction = 'outbound') AS customers_touched
  FROM activities GROUP BY ALL),
-- response and reply: the next outbound / inbound of the same rep and customer, in
-- (time, id) order, over the activities with a customer.
conv AS (
  SELECT rep_id AS rep, occurred_at, kind, direction,
    min(occurred_at) FILTER (direction = 'outbound') OVER w AS next_out,
    min(occurred_at) FILTER (direction = 'inbound') OVER w AS next_in
  FROM activities WHERE customer_id IS NOT NULL
  WINDOW w AS (PARTITION BY rep_id, customer_id ORDER BY occurred_at, activity_id
               ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)),
msgs AS (
  SELECT rep, {month('occurred_at')} AS m,
    avg((epoch(next_out) - epoch(occurred_at)) / 3600) FILTER (direction = 'inbound')
      AS response_hours,
    count(*) FILTER (direction = 'outbound') AS out_msgs,
    count(*) FILTER (direction = 'outbound'
                     AND (epoch(next_in) - epoch(occurred_at)) / 3600 <= 72) AS answered
  FROM conv WHERE kind IN ('email', 'message') GROUP BY ALL),
srv AS (
  SELECT rep_id AS rep, {month('answered_at')} AS m, avg(csat) AS csat_avg,
    count(*) FILTER (csat >= 4) AS top2, count(csat) AS csat_n,
    count(*) FILTER (nps >= 9) AS promoters, count(*) FILTER (nps <= 6) AS detractors,
    count(nps) AS nps_n, count(*) AS survey_count
  FROM surveys GROUP BY ALL),
ord AS (
  SELECT rep_id AS rep, customer_id, amount,
    {month('ordered_at')} AS m,
    row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) > 1 AS repeat
  FROM orders),
ords AS (
  SELECT rep, m, sum(amount) AS order_revenue,
    count(DISTINCT customer_id) FILTER (amount > 0) AS buyers,
    count(DISTINCT customer_id) FILTER (amount > 0 AND repeat) AS repeat_buyers
  FROM ord WHERE {in_window} GROUP BY ALL),
buyers AS (SELECT DISTINCT rep, m, customer_id FROM ord
           WHERE amount > 0 AND customer_id IS NOT NULL
             AND m BETWEEN DATE '{lo}' - INTERVAL 1 MONTH AND DATE '{hi}'),
retention AS (
  SELECT b.rep, b.m + INTERVAL 1 MONTH AS m, count(*) AS prev, count(c.customer_id) AS kept
  FROM buyers b LEFT JOIN buyers c
    ON c.rep = b.rep AND c.customer_id = b.customer_id AND c.m = b.m + INTERVAL 1 MONTH
  GROUP BY ALL),
cust AS (
  SELECT owner_rep_id AS rep, {month('created_at')} AS m, count(*) AS new_customers
  FROM customers GROUP BY ALL),
peer AS (
  SELECT reviewee_rep_id AS rep, {month('reviewed_at')} AS m,
    avg(communication) AS peer_comm, avg(collaboration) AS peer_collab
  FROM peer_reviews GROUP BY ALL),
given AS (
  SELECT a.helper_rep_id AS rep, {month('a.occurred_at')} AS m, count(*) AS assists_given,
    sum(points) AS assist_points, count(*) FILTER (h.team_id <> r.team_id) AS cross_team
  FROM assists a LEFT JOIN reps h ON h.rep_id = a.helper_rep_id
  LEFT JOIN reps r ON r.rep_id = a.helped_rep_id GROUP BY ALL),
received AS (
  SELECT helped_rep_id AS rep, {month('occurred_at')} AS m, count(*) AS assists_received
  FROM assists GROUP BY ALL),
train AS (
  SELECT rep_id AS rep, {month('completed_at')} AS m, sum(hours) AS training_hours,
    count(*) AS trainings, avg(score) AS training_score
  FROM trainings GROUP BY ALL),
-- monthly rows: only targets set for a month fit inside a month.
tgt AS (
  SELECT scope_id AS rep, strptime(period, '%Y-%m')::DATE AS m, sum(value) AS target
  FROM targets WHERE scope = 'rep' AND kpi = 'revenue_won'
    AND regexp_full_match(period, '\\d{{4}}-\\d{{2}}') GROUP BY ALL)
SELECT g.rep AS rep_id, strftime(g.m, '%Y-%m') AS period,
  coalesce(activities, 0) AS activities, coalesce(calls, 0) AS calls,
  coalesce(emails, 0) AS emails, coalesce(meetings, 0) AS meetings,
  coalesce(visits, 0) AS visits, coalesce(demos, 0) AS demos,
  coalesce(social, 0) AS social_touches, coalesce(call_seconds, 0) AS call_seconds,
  coalesce(call_seconds, 0) / 60 AS call_minutes,
  coalesce(customers_touched, 0) AS customers_touched,
  coalesce(activities, 0) / nullif(coalesce(deals_won, 0), 0) AS activities_per_won_deal,
  coalesce(followed_up, 0) / nullif(coalesce(opportunities_created, 0), 0) AS follow_up_rate,
  response_hours AS avg_response_hours,
  coalesce(answered, 0) / nullif(coalesce(out_msgs, 0), 0) AS reply_rate,
  peer_comm AS peer_communication_score, peer_collab AS peer_collaboration_score,
  coalesce(assists_given, 0) AS assists_given, coalesce(assist_points, 0) AS assist_points,
  coalesce(cross_team, 0) AS cross_team_assists,
  coalesce(assists_received, 0) AS assists_received,
  coalesce(assisted_won, 0) / nullif(coalesce(revenue_won, 0), 0) AS team_revenue_share,
  coalesce(training_hours, 0) AS training_hours, coalesce(trainings, 0) AS trainings_completed,
  training_score AS training_score_avg,
  coalesce(social_won, 0) AS social_revenue_won, coalesce(social_deals, 0) AS social_deals_won,
  coalesce(social_won, 0) / nullif(coalesce(revenue_won, 0), 0) AS social_revenue_share,
  avg_cycle AS avg_sales_cycle_days, median_cycle AS median_sales_cycle_days,
  {', '.join(stage_out)},
  coalesce(won_created, 0) / nullif(coalesce(opportunities_created, 0), 0) AS lead_to_win_rate,
  coalesce(stale, 0) AS stale_opportunities,
  coalesce(revenue_won, 0) AS revenue_won, coalesce(deals_won, 0) AS deals_won,
  coalesce(deals_lost, 0) AS deals_lost,
  coalesce(deals_won, 0) / nullif(coalesce(deals_won, 0) + coalesce(deals_lost, 0), 0)
    AS win_rate,
  coalesce(revenue_won, 0) / nullif(coalesce(deals_won, 0), 0) AS avg_deal_size,
  coalesce(order_revenue, 0) AS order_revenue, coalesce(new_customers, 0) AS new_customers,
  coalesce(pipeline_created, 0) AS pipeline_created,
  coalesce(opportunities_created, 0) AS opportunities_created,
  coalesce(open_end, 0) AS open_pipeline,
  coalesce(revenue_won, 0) / nullif(coalesce(target, 0), 0) AS quota_attainment,
  coalesce(open_start, 0) / nullif(coalesce(target, 0), 0) AS pipeline_coverage,
  csat_avg, coalesce(top2, 0) / nullif(coalesce(csat_n, 0), 0) AS csat_top2box,
  coalesce(promoters, 0) AS nps_promoters, coalesce(detractors, 0) AS nps_detractors,
  coalesce(nps_n, 0) AS nps_responses,
  100.0 * (coalesce(promoters, 0) - coalesce(detractors, 0)) / nullif(coalesce(nps_n, 0), 0)
    AS nps,
  coalesce(survey_count, 0) AS survey_count,
  coalesce(kept, 0) / nullif(coalesce(prev, 0), 0) AS customer_retention_rate,
  coalesce(prev, 0) - coalesce(kept, 0) AS churned_customers,
  coalesce(repeat_buyers, 0) / nullif(coalesce(buyers, 0), 0) AS repeat_purchase_rate
FROM grid g
LEFT JOIN closed USING (rep, m) LEFT JOIN created USING (rep, m)
LEFT JOIN open_pipe2 USING (rep, m) LEFT JOIN stale USING (rep, m)
LEFT JOIN stages USING (rep, m) LEFT JOIN act USING (rep, m) LEFT JOIN msgs USING (rep, m)
LEFT JOIN srv USING (rep, m) LEFT JOIN ords USING (rep, m) LEFT JOIN retention USING (rep, m)
LEFT JOIN cust USING (rep, m) LEFT JOIN peer USING (rep, m) LEFT JOIN given USING (rep, m)
LEFT JOIN received USING (rep, m) LEFT JOIN train USING (rep, m) LEFT JOIN tgt USING (rep, m)
WHERE g.m >= DATE '{lo}'
ORDER BY 1, 2
"""


def _settings(scale: str) -> Any:
    from salescore.demo import demo_settings

    return demo_settings(config_of(scale))


def run_floor_all(db: Path, scale: str) -> dict[str, Any]:
    return run_floor(db, scale, COLUMNS_ALL)


def run_sql_all(db: Path, scale: str) -> dict[str, Any]:
    con = _duckdb(db)
    sql = hand_sql_all(scale)
    started = time.perf_counter()
    statements = [s for s in sql.split(";") if s.strip()]
    for statement in statements[:-1]:
        con.execute(statement)
    table = con.sql(statements[-1]).to_arrow_table()
    seconds = time.perf_counter() - started
    table.to_pandas().to_parquet(db.with_suffix(".sql_all.parquet"))
    return {"seconds": seconds, "rows": table.num_rows}


def run_sql_utc(db: Path, scale: str) -> dict[str, Any]:
    return run_sql(db, scale, utc=True)


def run_sql(db: Path, scale: str, utc: bool = False) -> dict[str, Any]:
    con = _duckdb(db)
    sql = hand_sql(scale, utc=utc)
    started = time.perf_counter()
    for statement in [s for s in sql.split(";") if s.strip()][:-1]:
        con.execute(statement)
    table = con.execute(sql.split(";")[-1]).to_arrow_table()
    seconds = time.perf_counter() - started
    if not utc:
        table.to_pandas().to_parquet(db.with_suffix(".sql.parquet"))
    return {"seconds": seconds, "rows": table.num_rows}


def _engine(backend: Any, scale: str, kpis: list[str]) -> dict[str, Any]:
    from salescore.core.periods import Grain
    from salescore.demo import demo_settings
    from salescore.engine.kpis import KpiEngine, KpiRequest

    _, _, period = window(scale)
    engine = KpiEngine(backend, demo_settings(config_of(scale)))
    request = KpiRequest(tuple(kpis), by="rep", period=period, grain=Grain.MONTH)
    started = time.perf_counter()
    compiled, _ = engine.compile(request)
    compile_s = time.perf_counter() - started
    query_started = time.perf_counter()
    table = backend.to_pyarrow(compiled.expr)
    query_s = time.perf_counter() - query_started
    total = time.perf_counter() - started
    return {"seconds": total, "compile_seconds": compile_s, "query_seconds": query_s,
            "rows": table.num_rows, "queries": engine._queries + 1, "passes": compiled.passes,
            "table": table}


def run_engine(db: Path, scale: str, kpis: list[str] | None = None,
               save: str = ".engine.parquet") -> dict[str, Any]:
    import ibis

    backend = ibis.duckdb.from_connection(_duckdb(db))
    out = _engine(backend, scale, kpis or CORE)
    table = out.pop("table")
    out["outputs"] = table.num_columns - 2
    table.to_pandas().to_parquet(db.with_suffix(save))
    return out


def run_engine_all(db: Path, scale: str) -> dict[str, Any]:
    from salescore.semantic.catalog import shipped_catalog

    out = run_engine(db, scale, list(shipped_catalog().kpis), save=".engine_all.parquet")
    return out


def _local_month(series: Any, tz: str) -> Any:
    return series.dt.tz_localize("UTC").dt.tz_convert(tz).dt.strftime("%Y-%m")


def run_pandas(db: Path, scale: str, data: Path) -> dict[str, Any]:
    import pandas as pd

    tz = zone(scale)
    first, last, _ = window(scale)
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m")
    started = time.perf_counter()
    opp = pd.read_parquet(data / "opportunities", columns=COLUMNS["opportunities"])
    opp["amount"] = opp["amount"].astype("float64")
    opp["cycle"] = (opp["closed_at"] - opp["created_at"]).dt.total_seconds() / 86400
    opp["xm"] = _local_month(opp["closed_at"], tz)
    opp["cm"] = _local_month(opp["created_at"], tz)
    won = opp["status"] == "won"
    opp["won_amount"] = opp["amount"].where(won)
    opp["won"] = won.astype("int64")
    opp["lost"] = (opp["status"] == "lost").astype("int64")
    opp["won_cycle"] = opp["cycle"].where(won)
    closed = opp.dropna(subset=["xm"]).groupby(["owner_rep_id", "xm"]).agg(
        revenue_won=("won_amount", "sum"), deals_won=("won", "sum"), deals_lost=("lost", "sum"),
        avg_sales_cycle_days=("won_cycle", "mean"), median_sales_cycle_days=("won_cycle",
                                                                             "median"))
    created = opp.groupby(["owner_rep_id", "cm"]).agg(
        pipeline_created=("amount", "sum"), opportunities_created=("amount", "size"),
        won_created=("won", "sum"))
    act = pd.read_parquet(data / "activities", columns=COLUMNS["activities"])
    act["m"] = _local_month(act["occurred_at"], tz)
    for kind, name in [("call", "calls"), ("email", "emails"), ("meeting", "meetings"),
                       ("visit", "visits"), ("demo", "demos"), ("social", "social_touches")]:
        act[name] = (act["kind"] == kind).astype("int64")
    act["call_s"] = act["duration_s"].where(act["kind"] == "call")
    act["out_customer"] = act["customer_id"].where(act["direction"] == "outbound")
    acts = act.groupby(["rep_id", "m"]).agg(
        activities=("kind", "size"), calls=("calls", "sum"), emails=("emails", "sum"),
        meetings=("meetings", "sum"), visits=("visits", "sum"), demos=("demos", "sum"),
        social_touches=("social_touches", "sum"), call_s=("call_s", "sum"),
        customers_touched=("out_customer", "nunique"))
    srv = pd.read_parquet(data / "surveys", columns=COLUMNS["surveys"])
    srv["m"] = _local_month(srv["answered_at"], tz)
    srv["top2"] = (srv["csat"] >= 4).astype("int64")
    srv["prom"] = (srv["nps"] >= 9).astype("int64")
    srv["det"] = (srv["nps"] <= 6).astype("int64")
    srvs = srv.groupby(["rep_id", "m"]).agg(
        csat_avg=("csat", "mean"), top2=("top2", "sum"), csat_n=("csat", "count"),
        prom=("prom", "sum"), det=("det", "sum"), nps_n=("nps", "count"),
        survey_count=("csat", "size"))
    orders = pd.read_parquet(data / "orders", columns=COLUMNS["orders"])
    orders["m"] = _local_month(orders["ordered_at"], tz)
    orders["amount"] = orders["amount"].astype("float64")
    ords = orders.groupby(["rep_id", "m"]).agg(order_revenue=("amount", "sum"))
    reps = pd.read_parquet(data / "reps", columns=["rep_id"])["rep_id"]
    grid = pd.MultiIndex.from_product([reps, months], names=["rep", "m"])
    out = pd.DataFrame(index=grid)
    for part in (closed, created, acts, srvs, ords):
        part.index.names = ["rep", "m"]
        out = out.join(part)
    out["win_rate"] = out["deals_won"] / (out["deals_won"].fillna(0) +
                                          out["deals_lost"].fillna(0)).replace(0, float("nan"))
    out["avg_deal_size"] = out["revenue_won"] / out["deals_won"].replace(0, float("nan"))
    out["lead_to_win_rate"] = out["won_created"] / out["opportunities_created"]
    out["call_minutes"] = out["call_s"].fillna(0) / 60
    out["csat_top2box"] = out["top2"] / out["csat_n"].replace(0, float("nan"))
    out["nps"] = 100 * (out["prom"] - out["det"]) / out["nps_n"].replace(0, float("nan"))
    out = out.reset_index()
    return {"seconds": time.perf_counter() - started, "rows": len(out)}


def run_polars(db: Path, scale: str, data: Path) -> dict[str, Any]:
    import polars as pl

    tz = zone(scale)
    first, last, _ = window(scale)
    started = time.perf_counter()

    def month(col: str) -> pl.Expr:
        return (pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(tz)
                .dt.strftime("%Y-%m"))

    def scan(table: str) -> pl.LazyFrame:
        return pl.scan_parquet(str(data / table / "*.parquet")).select(COLUMNS[table])

    opp = scan("opportunities").with_columns(
        pl.col("amount").cast(pl.Float64),
        ((pl.col("closed_at") - pl.col("created_at")).dt.total_seconds() / 86400).alias("cyc"),
        month("closed_at").alias("xm"), month("created_at").alias("cm"))
    won = pl.col("status") == "won"
    closed = opp.filter(pl.col("xm").is_not_null()).group_by(["owner_rep_id", "xm"]).agg(
        pl.col("amount").filter(won).sum().alias("revenue_won"),
        won.sum().alias("deals_won"), (pl.col("status") == "lost").sum().alias("deals_lost"),
        pl.col("cyc").filter(won).mean().alias("avg_sales_cycle_days"),
        pl.col("cyc").filter(won).median().alias("median_sales_cycle_days"),
    ).rename({"owner_rep_id": "rep", "xm": "m"})
    created = opp.group_by(["owner_rep_id", "cm"]).agg(
        pl.col("amount").sum().alias("pipeline_created"), pl.len().alias("opportunities_created"),
        won.sum().alias("won_created")).rename({"owner_rep_id": "rep", "cm": "m"})
    kind = pl.col("kind")
    acts = scan("activities").with_columns(month("occurred_at").alias("m")).group_by(
        ["rep_id", "m"]).agg(
        pl.len().alias("activities"), (kind == "call").sum().alias("calls"),
        (kind == "email").sum().alias("emails"), (kind == "meeting").sum().alias("meetings"),
        (kind == "visit").sum().alias("visits"), (kind == "demo").sum().alias("demos"),
        (kind == "social").sum().alias("social_touches"),
        (pl.col("duration_s").filter(kind == "call").sum() / 60).alias("call_minutes"),
        pl.col("customer_id").filter(pl.col("direction") == "outbound").drop_nulls().n_unique()
        .alias("customers_touched")).rename({"rep_id": "rep"})
    srvs = scan("surveys").with_columns(month("answered_at").alias("m")).group_by(
        ["rep_id", "m"]).agg(
        pl.col("csat").mean().alias("csat_avg"),
        ((pl.col("csat") >= 4).sum() / pl.col("csat").count()).alias("csat_top2box"),
        (100 * ((pl.col("nps") >= 9).sum() - (pl.col("nps") <= 6).sum())
         / pl.col("nps").count()).alias("nps"),
        pl.len().alias("survey_count")).rename({"rep_id": "rep"})
    ords = scan("orders").with_columns(month("ordered_at").alias("m")).group_by(
        ["rep_id", "m"]).agg(pl.col("amount").cast(pl.Float64).sum().alias("order_revenue")
                             ).rename({"rep_id": "rep"})
    months = pl.date_range(first, last, "1mo", eager=True).dt.strftime("%Y-%m")
    grid = pl.scan_parquet(str(data / "reps" / "*.parquet")).select(
        pl.col("rep_id").alias("rep")).join(pl.LazyFrame({"m": months}), how="cross")
    out = grid
    for part in (closed, created, acts, srvs, ords):
        out = out.join(part, on=["rep", "m"], how="left")
    out = out.with_columns(
        (pl.col("deals_won") / (pl.col("deals_won").fill_null(0) +
                                pl.col("deals_lost").fill_null(0))).alias("win_rate"),
        (pl.col("revenue_won") / pl.col("deals_won")).alias("avg_deal_size"),
        (pl.col("won_created") / pl.col("opportunities_created")).alias("lead_to_win_rate"),
    ).collect()
    return {"seconds": time.perf_counter() - started, "rows": out.height}


def run_spark(db: Path, scale: str, data: Path) -> dict[str, Any]:
    import ibis
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    session = (SparkSession.builder.master(f"local[{os.cpu_count()}]").appName("bench")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "6g")
               .config("spark.sql.shuffle.partitions", str(4 * (os.cpu_count() or 2)))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    for name in TABLES:
        session.read.parquet(str(data / name)).createOrReplaceTempView(name)
    backend = ibis.pyspark.connect(session)
    session_s = time.perf_counter() - started
    out = _engine(backend, scale, CORE)
    out.pop("table")
    out["session_seconds"] = session_s
    return out


METHODS = {"floor": run_floor, "floor_all": run_floor_all, "sql": run_sql, "sql_utc": run_sql_utc,
           "engine": run_engine,
           "engine_all": run_engine_all, "sql_all": run_sql_all, "pandas": run_pandas,
           "polars": run_polars,
           "spark": run_spark}


def _peak_rss_gib() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec from the forked parent, which would charge the loader's memory to every method."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def one(method: str, db: Path, scale: str, data: Path) -> None:
    fn = METHODS[method]
    result = fn(db, scale, data) if method in ("pandas", "polars", "spark") else fn(db, scale)
    result["max_rss_gib"] = _peak_rss_gib()
    print("RESULT " + json.dumps(result))


def child(method: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", method, "--scale", args.scale, "--data",
           str(args.data), "--db", str(args.db)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{method} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def agreement(db: Path, engine: str = ".engine.parquet", sql: str = ".sql.parquet",
              columns: list[str] | None = None) -> tuple[int, float]:
    """Rows compared and the largest relative difference over ``columns`` (all by default);
    infinite when a NULL in one is a number in the other or a column is missing."""
    import numpy as np
    import pandas as pd

    a = pd.read_parquet(db.with_suffix(engine)).set_index(["rep_id", "period"])
    b = pd.read_parquet(db.with_suffix(sql)).set_index(["rep_id", "period"])
    if set(a.columns) != set(b.columns) or len(a) != len(b):
        return len(a), float("inf")
    b = b.loc[a.index]
    worst = 0.0
    for col in columns or list(a.columns):
        x, y = a[col].astype("float64").to_numpy(), b[col].astype("float64").to_numpy()
        both = ~(np.isnan(x) & np.isnan(y))
        if (np.isnan(x) != np.isnan(y)).any():
            return len(a), float("inf")
        diff = np.abs(x[both] - y[both]) / np.maximum(1.0, np.abs(y[both]))
        worst = max(worst, float(np.nanmax(diff)) if diff.size else 0.0)
    return len(a), worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--spark", action="store_true", help="also time PySpark local mode")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (the median counts)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "kpis.md")
    parser.add_argument("--memory-limit", default="4GB",
                        help="DuckDB memory_limit for every DuckDB method ('' for the default)")
    parser.add_argument("--only", help="comma-separated methods to run")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data = args.data or Path(f"/tmp/salescore-bench/{args.scale}")
    args.db = args.db or Path(f"/tmp/salescore-bench/{args.scale}.duckdb")
    if args.one:
        one(args.one, args.db, args.scale, args.data)
        return
    args.db.parent.mkdir(parents=True, exist_ok=True)
    prepare(args.scale, args.data, args.db)
    os.environ["SALESCORE_BENCH_MEMORY_LIMIT"] = args.memory_limit
    methods = ["floor", "sql", "sql_utc", "engine", "floor_all", "engine_all", "sql_all", "pandas",
               "polars"]
    if args.spark:
        methods.append("spark")
    if args.only:
        methods = ["sql", "engine", *[m for m in args.only.split(",") if m not in
                                      ("sql", "engine")]]
    if "engine_all" in methods and "sql_all" not in methods:
        methods.append("sql_all")
    results: dict[str, dict[str, Any]] = {}
    for method in methods:
        runs = [child(method, args) for _ in range(1 if method == "spark" else args.repeat)]
        best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]  # the median run
        best["max_rss_gib"] = max(r["max_rss_gib"] for r in runs)
        results[method] = best
        print(f"{method:>10}: {best['seconds']:.2f} s, peak {best['max_rss_gib']:.2f} GiB",
              flush=True)
    rows, worst = agreement(args.db, columns=CORE)
    whole = None
    if "engine_all" in results and "sql_all" in results:
        whole = agreement(args.db, ".engine_all.parquet", ".sql_all.parquet")
    write_report(args, results, rows, worst, whole)


def write_report(args: argparse.Namespace, results: dict[str, dict[str, Any]], rows: int,
                 worst: float, whole: tuple[int, float] | None = None) -> None:
    import duckdb

    con = duckdb.connect(str(args.db), read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
              for t in ("opportunities", "activities", "surveys", "orders", "reps")}
    base = results["sql"]["seconds"]
    lines = [
        f"## {args.scale} — {date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"DuckDB memory_limit {args.memory_limit or 'default'}, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}.",
        f"Data: {counts['opportunities']:,} opportunities, {counts['activities']:,} activities, "
        f"{counts['surveys']:,} surveys, {counts['orders']:,} orders, {counts['reps']:,} reps; "
        f"every rep × every month of the 24-month window ({rows:,} rows), {zone(args.scale)}.",
        "",
        "| method | seconds | × hand SQL | peak RSS (GiB) | notes |",
        "|---|---:|---:|---:|---|",
    ]
    notes = {
        "floor": "bare scan (min of each column read)",
        "floor_all": "bare scan of every column the whole catalogue reads",
        "sql": f"hand-written DuckDB SQL, {len(CORE)} KPIs, ICU time zone (the baseline)",
        "sql_utc": "the same SQL bucketing by UTC month: no time zone cost (and wrong at "
                   "month ends)",
        "engine": f"salescore, same {len(CORE)} KPIs",
        "engine_all": "salescore, the whole shipped catalogue",
        "sql_all": "hand-written DuckDB SQL, the whole shipped catalogue (the whole-catalogue "
                   "baseline)",
        "pandas": f"vectorised pandas, same {len(CORE)} KPIs",
        "polars": f"Polars lazy, same {len(CORE)} KPIs",
        "spark": f"salescore on PySpark local[{os.cpu_count()}], same KPIs",
    }
    for method, r in results.items():
        extra = notes[method]
        if "query_seconds" in r:
            extra += (f"; compile {r['compile_seconds']:.2f} s + query {r['query_seconds']:.2f} s"
                      f"; {r['queries']} queries ({r['passes']} grouped passes)")
        if method == "engine_all" and "sql_all" in results:
            extra += f"; {r['seconds'] / results['sql_all']['seconds']:.2f}× sql_all"
        if "outputs" in r and method == "engine_all":
            extra += f"; {r['outputs']} outputs"
        if "session_seconds" in r:
            extra += f"; Spark start and view set-up {r['session_seconds']:.1f} s not included"
        lines.append(f"| {method} | {r['seconds']:.2f} | {r['seconds'] / base:.2f} | "
                     f"{r['max_rss_gib']:.2f} | {extra} |")
    lines += ["", f"Engine and hand SQL agree on all {len(CORE)} KPIs for every rep and month: "
              f"largest relative difference {worst:.1e}."]
    if whole is not None:
        lines += [f"Engine and hand SQL agree on the whole catalogue ({whole[0]:,} rows, every "
                  f"output column) with largest relative difference {whole[1]:.1e}; "
                  f"whole catalogue: engine {results['engine_all']['seconds']:.2f} s / hand SQL "
                  f"{results['sql_all']['seconds']:.2f} s = "
                  f"{results['engine_all']['seconds'] / results['sql_all']['seconds']:.2f}×."]
    lines += [""]
    text = "\n".join(lines) + "\n"
    previous = args.out.read_text(encoding="utf-8") if args.out.exists() else \
        "# KPI engine benchmark\n\nRecorded by `bench/bench_kpis.py`; newest first.\n\n"
    head, _, rest = previous.partition("\n## ")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(head.rstrip() + "\n\n" + text + ("\n## " + rest if rest else ""),
                        encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

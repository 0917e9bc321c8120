"""Every planted effect of docs/demo.md can be seen in the generated tables.

The thresholds leave room for sampling noise on the small scale (40 sellers); the effects were
checked on several seeds and both locales.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from salescore.demo import DemoData
from salescore.demo.params import CHANNEL_MIX, TRAINING_UPLIFT

WINDOW = "TIMESTAMP '2024-11-01'"


@pytest.fixture(scope="module")
def db(small_en: DemoData, traits_en: pa.Table) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    for name, data in small_en.tables.items():
        con.register(name, data)
    con.register("traits", traits_en)
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:  # type: ignore[type-arg]
    rows = con.sql(sql).fetchall()
    assert len(rows) == 1
    return rows[0]


def test_skilled_reps_win_more(db: duckdb.DuckDBPyConnection) -> None:
    rates = db.sql(f"""
        SELECT quartile, avg(win_rate) FROM (
            SELECT ntile(4) OVER (ORDER BY skill) AS quartile,
                   avg((status = 'won')::INT) AS win_rate
            FROM opportunities o JOIN traits t ON t.rep_id = o.owner_rep_id
            WHERE status <> 'open' AND created_at >= {WINDOW}
            GROUP BY t.rep_id, t.skill)
        GROUP BY 1 ORDER BY 1""").fetchall()
    bottom, top = rates[0][1], rates[-1][1]
    assert top - bottom > 0.10, rates


def test_effective_training_raises_the_win_rate(db: duckdb.DuckDBPyConnection) -> None:
    """Difference in differences: trained reps before/after their training vs. the others
    before/after the median training date."""
    rows = dict(db.sql(f"""
        WITH sellers AS (SELECT rep_id, effective_training_at AS trained_at FROM traits
                         WHERE role = 'seller'),
             cut AS (SELECT median(trained_at) AS cut_at FROM sellers),
             deals AS (
                SELECT o.status, o.created_at, s.trained_at IS NOT NULL AS trained,
                       coalesce(s.trained_at, (SELECT cut_at FROM cut)) AS split
                FROM opportunities o JOIN sellers s ON s.rep_id = o.owner_rep_id
                WHERE o.status <> 'open' AND o.created_at >= {WINDOW})
        SELECT trained,
               avg((status = 'won')::INT) FILTER (WHERE created_at >= split)
             - avg((status = 'won')::INT) FILTER (WHERE created_at < split)
        FROM deals GROUP BY 1""").fetchall())
    did = rows[True] - rows[False]
    assert TRAINING_UPLIFT / 2 < did < TRAINING_UPLIFT * 2, rows


def test_only_coaching_and_vr_trainings_are_planted(db: duckdb.DuckDBPyConnection) -> None:
    kinds = {k for (k,) in db.sql("SELECT DISTINCT effective_training_kind FROM traits "
                                  "WHERE effective_training_kind IS NOT NULL").fetchall()}
    assert kinds == {"coaching", "vr_simulation"}
    share, = one(db, "SELECT avg((effective_training_at IS NOT NULL)::INT) FROM traits "
                     "WHERE role = 'seller'")
    assert 0.3 < share < 0.5


def test_csat_follows_skill(db: duckdb.DuckDBPyConnection) -> None:
    corr, = one(db, """SELECT corr(csat, skill) FROM (
        SELECT rep_id, avg(csat) AS csat FROM surveys GROUP BY 1) JOIN traits USING (rep_id)
        WHERE role = 'seller'""")
    assert corr > 0.7


def test_collaboration_drives_assists_given(db: duckdb.DuckDBPyConnection) -> None:
    corr, = one(db, """SELECT corr(given, collaboration) FROM (
        SELECT t.rep_id, t.collaboration, count(a.assist_id) AS given
        FROM traits t LEFT JOIN assists a
          ON a.helper_rep_id = t.rep_id AND a.kind <> 'handover'
        WHERE t.role = 'seller' AND t.left_at IS NULL GROUP BY 1, 2)""")
    assert corr > 0.5


def test_some_assists_cross_teams(db: duckdb.DuckDBPyConnection) -> None:
    share, n = one(db, """SELECT avg((h.team_id <> g.team_id)::INT), count(*) FROM assists a
        JOIN reps h ON h.rep_id = a.helper_rep_id JOIN reps g ON g.rep_id = a.helped_rep_id
        WHERE a.kind <> 'handover'""")
    assert n > 300 and 0.15 < share < 0.40


def test_peer_reviews_follow_collaboration(db: duckdb.DuckDBPyConnection) -> None:
    corr, = one(db, """SELECT corr(score, collaboration) FROM (
        SELECT reviewee_rep_id AS rep_id, avg(collaboration) AS score FROM peer_reviews
        GROUP BY 1) JOIN traits USING (rep_id)""")
    assert corr > 0.7


def test_replies_come_faster_from_diligent_reps(db: duckdb.DuckDBPyConnection) -> None:
    corr, = one(db, """
        WITH inbound AS (
            SELECT row_number() OVER () AS n, * FROM activities
            WHERE direction = 'inbound' AND kind IN ('email', 'message', 'social')
              AND opportunity_id IS NOT NULL),
        delay AS (
            SELECT i.rep_id, min(epoch(r.occurred_at) - epoch(i.occurred_at)) / 3600 AS hours
            FROM inbound i JOIN activities r
              ON r.opportunity_id = i.opportunity_id AND r.kind = i.kind
             AND r.outcome = 'replied' AND r.occurred_at > i.occurred_at
            GROUP BY i.n, i.rep_id)
        SELECT corr(median_hours, diligence) FROM (
            SELECT rep_id, median(hours) AS median_hours FROM delay GROUP BY 1)
        JOIN traits USING (rep_id)""")
    assert corr < -0.7


def test_repeat_purchases_and_churn(db: duckdb.DuckDBPyConnection) -> None:
    repeat, churned, buyers = one(db, """
        SELECT count(*) FILTER (WHERE orders >= 2),
               count(*) FILTER (WHERE first_order < TIMESTAMP '2025-06-01'
                                  AND last_order < TIMESTAMP '2026-04-01'),
               count(*)
        FROM (SELECT customer_id, count(*) AS orders, min(ordered_at) AS first_order,
                     max(ordered_at) AS last_order FROM orders GROUP BY 1)""")
    assert repeat > buyers / 2
    assert churned > buyers / 20


def test_opportunity_volume_is_seasonal(small: DemoData) -> None:
    con = duckdb.connect()
    con.register("opportunities", small["opportunities"])
    months = dict(con.sql(f"""SELECT month(created_at), count(*) FROM opportunities
                              WHERE created_at >= {WINDOW} GROUP BY 1""").fetchall())
    if small.config.locale == "zh_CN":
        assert months[2] < 0.6 * months[3]  # Spring Festival
    else:
        assert months[8] < 0.7 * months[9]  # summer holidays


def test_social_channel_share(small: DemoData) -> None:
    channels = small["customers"].column("channel").to_pylist()
    share = channels.count("social") / len(channels)
    planted = CHANNEL_MIX[small.config.locale][1]
    assert abs(share - planted) < 0.04


def test_revenue_targets_are_plausible(db: duckdb.DuckDBPyConnection) -> None:
    """Reps hit their monthly revenue targets about as often as a stretch plan allows."""
    attainment, months = one(db, """
        WITH won AS (
            SELECT owner_rep_id AS rep_id,
                   strftime(timezone('Europe/Berlin', closed_at::TIMESTAMPTZ), '%Y-%m') AS period,
                   sum(amount) AS revenue
            FROM opportunities WHERE status = 'won' GROUP BY 1, 2)
        SELECT sum(coalesce(w.revenue, 0)) / sum(t.value), count(*)
        FROM targets t LEFT JOIN won w ON w.rep_id = t.scope_id AND w.period = t.period
        WHERE t.scope = 'rep' AND t.kpi = 'revenue_won'""")
    assert months > 40 * 20
    assert 0.75 < attainment < 1.15


def test_team_targets_add_up_the_reps(db: duckdb.DuckDBPyConnection) -> None:
    root, reps = one(db, """
        SELECT (SELECT value FROM targets WHERE scope = 'team' AND scope_id = 'T0001'
                AND period = '2025-Q2' AND kpi = 'revenue_won'),
               (SELECT sum(value) FROM targets WHERE scope = 'rep' AND kpi = 'revenue_won'
                AND period IN ('2025-04', '2025-05', '2025-06'))""")
    assert abs(root - reps) <= 100  # rounded to a unit of 100 EUR
    kpis = db.sql("SELECT scope, kpi, count(DISTINCT period) FROM targets GROUP BY 1, 2 "
                  "ORDER BY 1, 2").fetchall()
    # the 24 window months and 2026-11, the month of the demo's "today" (the day after the
    # data); the 7 whole quarters 2025-Q1 .. 2026-Q3 and 2026-Q4, the quarter in progress
    assert kpis == [("rep", "deals_won", 8), ("rep", "revenue_won", 25),
                    ("team", "revenue_won", 8)]


def test_leavers_hand_over_their_open_deals(db: duckdb.DuckDBPyConnection) -> None:
    leavers, = one(db, "SELECT count(*) FROM traits WHERE left_at IS NOT NULL")
    assert leavers > 0
    late, = one(db, """SELECT count(*) FROM opportunities o JOIN traits t
        ON t.rep_id = o.owner_rep_id
        WHERE t.left_at IS NOT NULL
          AND coalesce(o.closed_at, TIMESTAMP '2099-01-01') >= t.left_at""")
    assert late == 0
    after, = one(db, """SELECT count(*) FROM activities a JOIN traits t ON t.rep_id = a.rep_id
                        WHERE a.occurred_at >= t.left_at""")
    assert after == 0
    helped_after, = one(db, """SELECT count(*) FROM assists a JOIN traits t
                               ON t.rep_id = a.helper_rep_id
                               WHERE a.kind <> 'handover' AND a.occurred_at >= t.left_at""")
    assert helped_after == 0
    wrong, handed = one(db, """SELECT count(*) FILTER (WHERE a.helped_rep_id <> t.successor_rep_id),
                               count(*) FROM assists a JOIN traits t ON t.rep_id = a.helper_rep_id
                               WHERE a.kind = 'handover'""")
    assert handed > 0 and wrong == 0

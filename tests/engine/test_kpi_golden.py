"""Golden values on the tiny organisation ``KPIS`` (tests/tiny_org.py), worked out by hand.

Each case is one query (KPIs × grain × period) and the values it must give, with the arithmetic
in the comment beside it. The same cases run on every backend, PySpark included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from ibis.backends import BaseBackend
from tests.backends import PYSPARK, WAREHOUSES, fresh_warehouse_url, spark_views
from tests.tiny_org import KPIS, kpi_settings

from salescore.engine.kpis import KpiResult, compute_kpis
from salescore.engine.warehouse import Warehouse
from salescore.model.org import OrgSettings

SHANGHAI = kpi_settings()
UTC = kpi_settings(timezone="UTC")
FISCAL_APRIL = kpi_settings(fiscal_year_start_month=4)
NULL = None


pytestmark = pytest.mark.parametrize("backend", [*WAREHOUSES, PYSPARK], indirect=True)


@pytest.fixture(scope="module")
def wh(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseBackend]:
    """The tiny organisation on ``backend`` (temporary views on PySpark), for the module."""
    if backend == "pyspark":
        yield spark_views(KPIS.arrow_tables())
        return
    with fresh_warehouse_url(backend, tmp_path_factory.mktemp("golden")) as url, \
            Warehouse.open(url) as warehouse:
        KPIS.load(warehouse)
        yield warehouse.backend


@dataclass(frozen=True)
class Case:
    id: str
    kpis: tuple[str, ...]
    by: str
    period: str
    expected: dict[tuple[str | None, str], dict[str, float | None]]
    grain: str | None = None
    settings: OrgSettings = field(default=SHANGHAI)


def run(wh: BaseBackend, case: Case) -> KpiResult:
    return compute_kpis(wh, case.kpis, by=case.by, period=case.period, grain=case.grain,
                        settings=case.settings)


def by_key(result: KpiResult) -> dict[tuple[Any, str], dict[str, Any]]:
    out = {}
    for row in result.table.to_pylist():
        subject = row[result.subject] if result.subject else None
        out[(subject, row["period"])] = row
    return out


CASES = [
    Case("results-rep", ("revenue_won", "deals_won", "deals_lost", "win_rate", "avg_deal_size",
                         "pipeline_created", "opportunities_created", "open_pipeline",
                         "lead_to_win_rate"), "rep", "2025-Q1", {
        # r1 won o1 (100, Feb) and o2 (300, Mar); o5 closes 04-01 01:00 local: Q2. Lost o3.
        ("r1", "2025-Q1"): {"revenue_won": 400, "deals_won": 2, "deals_lost": 1,
                            "win_rate": 2 / 3, "avg_deal_size": 200,
                            "pipeline_created": 100 + 300 + 50 + 200 + 400,
                            "opportunities_created": 5,
                            "open_pipeline": 200 + 400,  # o4 and o5 are open at 03-31
                            "lead_to_win_rate": 3 / 5},  # o1, o2, o5 of the five created
        # r2 won o6: 1000 USD at the rate of 01-10 (7.0), the nearest before 01-15. Lost o7.
        ("r2", "2025-Q1"): {"revenue_won": 7000, "deals_won": 1, "deals_lost": 1,
                            "win_rate": 1 / 2, "avg_deal_size": 7000,
                            "pipeline_created": 80, "opportunities_created": 1,
                            "open_pipeline": 0, "lead_to_win_rate": 0},
        # r3 has no rows: counts and sums 0, ratios and averages NULL.
        ("r3", "2025-Q1"): {"revenue_won": 0, "deals_won": 0, "win_rate": NULL,
                            "avg_deal_size": NULL, "lead_to_win_rate": NULL},
        # r4: o9 won Feb 1 local (150); o10 (open, 120 EUR) has no rate: the money KPIs it is
        # in are unknown (NULL), not 150 or 0; it still counts as an opportunity created.
        ("r4", "2025-Q1"): {"revenue_won": 150, "pipeline_created": NULL,
                            "opportunities_created": 2, "open_pipeline": NULL},
    }),
    Case("time-zone-quarter", ("deals_won", "revenue_won"), "rep", "2025", {
        ("r1", "2025-Q1"): {"deals_won": 2}, ("r1", "2025-Q2"): {"deals_won": 1,
                                                               "revenue_won": 400},
    }, grain="quarter"),
    Case("time-zone-utc", ("deals_won",), "rep", "2025", {
        # In UTC o5 closes on 03-31, so it is a Q1 deal.
        ("r1", "2025-Q1"): {"deals_won": 3}, ("r1", "2025-Q2"): {"deals_won": 0},
    }, grain="quarter", settings=UTC),
    Case("time-zone-month", ("deals_won",), "rep", "2025-Q1", {
        # o9 closes 2025-01-31 16:30 UTC = 02-01 00:30 local.
        ("r4", "2025-01"): {"deals_won": 0}, ("r4", "2025-02"): {"deals_won": 1},
        ("r4", "2025-03"): {"deals_won": 0},
        ("r1", "2025-01"): {"deals_won": 0}, ("r1", "2025-02"): {"deals_won": 1},
        ("r1", "2025-03"): {"deals_won": 1},
    }, grain="month"),
    Case("team-subtree", ("deals_won", "deals_lost", "revenue_won", "win_rate"), "team",
         "2025-Q1", {
        # T1 = r1+r2+r3: won o1, o2, o6; lost o3, o7: 3/5, not the mean of 2/3 and 1/2.
        ("T1", "2025-Q1"): {"deals_won": 3, "deals_lost": 2, "revenue_won": 7400,
                            "win_rate": 3 / 5},
        # T2 includes T2X: o9 (r4) and o12 (r6); o11 is lost in Q2.
        ("T2", "2025-Q1"): {"deals_won": 2, "deals_lost": 0, "revenue_won": 650,
                            "win_rate": 1.0},
        ("T2X", "2025-Q1"): {"deals_won": 1, "revenue_won": 500},
        ("REG", "2025-Q1"): {"deals_won": 5, "deals_lost": 2, "revenue_won": 8050,
                             "win_rate": 5 / 7},
    }),
    Case("company", ("deals_won", "win_rate", "revenue_won", "social_revenue_share"), "company",
         "2025-Q1", {
        (None, "2025-Q1"): {"deals_won": 5, "win_rate": 5 / 7, "revenue_won": 8050,
                            "social_revenue_share": 500 / 8050},
    }),
    Case("dimension-region", ("revenue_won",), "region", "2025-Q1", {
        # customers' regions: o1, o2 (c1) and o9 (c2) North; o6 (c4) and o12 (c3) South.
        ("North", "2025-Q1"): {"revenue_won": 100 + 300 + 150},
        ("South", "2025-Q1"): {"revenue_won": 7000 + 500},
    }),
    Case("dimension-channel", ("revenue_won", "deals_won"), "channel", "2025-Q1", {
        ("social", "2025-Q1"): {"revenue_won": 500, "deals_won": 1},
        ("web", "2025-Q1"): {"revenue_won": 100 + 300 + 7000 + 150, "deals_won": 4},
    }),
    Case("fiscal-year", ("deals_won",), "rep", "FY2025", {
        # Fiscal year from April: FY2025 = 2024-04-01..2025-03-31; o5 (04-01 local) is FY2026.
        ("r1", "FY2025"): {"deals_won": 2}, ("r2", "FY2025"): {"deals_won": 1},
    }, settings=FISCAL_APRIL),
    Case("fiscal-quarters", ("deals_won",), "rep", "FY2025", {
        ("r1", "FY2025-Q1"): {"deals_won": 0}, ("r1", "FY2025-Q3"): {"deals_won": 0},
        ("r1", "FY2025-Q4"): {"deals_won": 2},
    }, grain="fiscal_quarter", settings=FISCAL_APRIL),
    Case("satisfaction", ("csat_avg", "csat_top2box", "nps", "survey_count", "nps_promoters"),
         "rep", "2025-Q1", {
        # r1: CSAT 5, 4, 2 (s4 has none): mean 11/3, top-2 2/3; NPS 10, 8, 3, 9: 2 promoters,
        # 1 detractor of 4 answers: 100 * (2 - 1) / 4 = 25.
        ("r1", "2025-Q1"): {"csat_avg": 11 / 3, "csat_top2box": 2 / 3, "nps": 25.0,
                            "survey_count": 4, "nps_promoters": 2},
        ("r2", "2025-Q1"): {"csat_avg": 3.0, "csat_top2box": 0.0, "nps": -100.0,
                            "survey_count": 1},
        ("r3", "2025-Q1"): {"csat_avg": NULL, "nps": NULL, "survey_count": 0},
    }),
    Case("satisfaction-team", ("csat_avg", "nps"), "team", "2025-Q1", {
        # T1: CSAT 5, 4, 2, 3 -> 3.5; NPS 2 promoters, 2 detractors of 5 -> 0.
        ("T1", "2025-Q1"): {"csat_avg": 3.5, "nps": 0.0},
    }),
    Case("retention", ("customer_retention_rate", "churned_customers", "repeat_purchase_rate",
                       "order_revenue", "new_customers"), "rep", "2025-Q1", {
        # Q4 2024: c1, c2; Q1: c1, c3. Kept c1 of {c1, c2}; c2 churned. c1 ordered before
        # (2024-11) so it is a repeat buyer; c3's first order ever is in Q1: 1 of 2.
        ("r1", "2025-Q1"): {"customer_retention_rate": 1 / 2, "churned_customers": 1,
                            "repeat_purchase_rate": 1 / 2, "order_revenue": 100 + 200 + 50,
                            "new_customers": 1},
        ("r2", "2025-Q1"): {"customer_retention_rate": NULL, "churned_customers": 0,
                            "new_customers": 1},
    }),
    Case("retention-q2", ("customer_retention_rate", "churned_customers"), "rep", "2025-Q2", {
        # Q1: c1, c3; Q2: c3 -> kept 1 of 2, c1 churned.
        ("r1", "2025-Q2"): {"customer_retention_rate": 1 / 2, "churned_customers": 1},
    }),
    Case("retention-months", ("customer_retention_rate", "churned_customers"), "rep",
         "2025-Q1", {
        # Dec: c2 -> Jan: c1 (0 of 1); Jan: c1 -> Feb: c3 (0 of 1); Feb: c3 -> Mar: c1.
        ("r1", "2025-01"): {"customer_retention_rate": 0.0, "churned_customers": 1},
        ("r1", "2025-02"): {"customer_retention_rate": 0.0, "churned_customers": 1},
        ("r1", "2025-03"): {"customer_retention_rate": 0.0, "churned_customers": 1},
    }, grain="month"),
    Case("retention-team", ("customer_retention_rate",), "team", "2025-Q1", {
        ("T1", "2025-Q1"): {"customer_retention_rate": 1 / 2},
    }),
    Case("cycle", ("avg_sales_cycle_days", "median_sales_cycle_days", "avg_days_in_stage"),
         "rep", "2025-Q1", {
        # o1: 01-05 -> 02-10 = 36 days; o2: 01-10 -> 03-20 = 69 days.
        # In lead: o1 5, o2 5, o3 32 (to lost), o4 14 -> 14; qualified: o1 10, o2 64 -> 37
        # (o4 is still qualified); proposal: o1 21.
        ("r1", "2025-Q1"): {"avg_sales_cycle_days": 52.5, "median_sales_cycle_days": 52.5,
                            "avg_days_in_stage[lead]": 14.0,
                            "avg_days_in_stage[qualified]": 37.0,
                            "avg_days_in_stage[proposal]": 21.0},
    }),
    Case("cycle-team", ("avg_sales_cycle_days", "median_sales_cycle_days"), "team", "2025-Q1", {
        # T1 adds o6: 2024-12-20 -> 2025-01-15 = 26 days. Mean of 36, 69, 26; median 36.
        ("T1", "2025-Q1"): {"avg_sales_cycle_days": (36 + 69 + 26) / 3,
                            "median_sales_cycle_days": 36.0},
    }),
    Case("funnel", ("stage_conversion", "stale_opportunities"), "rep", "2025-Q1", {
        # lead in Q1: o1, o2, o3, o4; went further: o1, o2, o4 (o3 only lost).
        # qualified: o1, o2, o4; further: o1 (proposal), o2 (won). proposal: o1 -> won.
        # Stale at 03-31: o4 (last touch 02-15); o5 was touched on 03-25.
        ("r1", "2025-Q1"): {"stage_conversion[lead]": 3 / 4,
                            "stage_conversion[qualified]": 2 / 3,
                            "stage_conversion[proposal]": 1.0, "stale_opportunities": 1},
        ("r2", "2025-Q1"): {"stage_conversion[lead]": NULL, "stale_opportunities": 0},
    }),
    Case("stale-months", ("stale_opportunities",), "rep", "2025-Q1", {
        # 01-31: o1 (last touch 01-06), o2 (01-10). 02-28: o2 (02-06), o3 (02-01); o4 was
        # created 02-15, 13 days before: not yet. 03-31: o4.
        ("r1", "2025-01"): {"stale_opportunities": 2},
        ("r1", "2025-02"): {"stale_opportunities": 2},
        ("r1", "2025-03"): {"stale_opportunities": 1},
    }, grain="month"),
    Case("stale-team", ("stale_opportunities",), "team", "2025-Q1", {
        # o10 (r4, created 02-01, never touched) and o11 (r5, created 03-10, 21 days) too.
        ("T2", "2025-Q1"): {"stale_opportunities": 2},
        ("REG", "2025-Q1"): {"stale_opportunities": 3},
    }),
    Case("activity", ("activities", "calls", "emails", "meetings", "visits", "demos",
                      "social_touches", "call_minutes", "customers_touched",
                      "activities_per_won_deal", "follow_up_rate"), "rep", "2025-Q1", {
        # a1..a8; calls a1 (600 s) and a5 (300 s): 15 minutes; outbound to c1, c2, c3.
        # Follow-up within 48 h: only o1 (a1 a day after creation) of the five created.
        ("r1", "2025-Q1"): {"activities": 8, "calls": 2, "emails": 3, "meetings": 1,
                            "visits": 1, "demos": 0, "social_touches": 0, "call_minutes": 15.0,
                            "customers_touched": 3, "activities_per_won_deal": 8 / 2,
                            "follow_up_rate": 1 / 5},
        ("r3", "2025-Q1"): {"activities": 0, "activities_per_won_deal": NULL},
    }),
    Case("communication", ("avg_response_hours", "reply_rate", "peer_communication_score"),
         "rep", "2025-Q1", {
        # a2 (in, 02-03 09:00) -> a3 (out, 15:00): 6 h; a4 (in, 02-05 15:00) -> a5 (out,
        # 02-06 03:00): 12 h. a3 answered by a4 after 48 h; a6 never: 1 of 2.
        ("r1", "2025-Q1"): {"avg_response_hours": 9.0, "reply_rate": 1 / 2,
                            "peer_communication_score": 4.0},
    }),
    Case("collaboration", ("peer_collaboration_score", "assists_given", "assist_points",
                           "cross_team_assists", "assists_received", "team_revenue_share"),
         "rep", "2025-Q1", {
        ("r1", "2025-Q1"): {"peer_collaboration_score": 3.0, "assists_received": 2,
                            "assists_given": 0,
                            "team_revenue_share": 300 / 400},  # o2 was assisted, o1 not
        ("r2", "2025-Q1"): {"assists_given": 1, "assist_points": 3.0, "cross_team_assists": 0},
        ("r4", "2025-Q1"): {"assists_given": 1, "assist_points": 2.0, "cross_team_assists": 1},
    }),
    Case("development", ("training_hours", "trainings_completed", "training_score_avg"),
         "rep", "2025-Q1", {
        ("r1", "2025-Q1"): {"training_hours": 6.0, "trainings_completed": 2,
                            "training_score_avg": 80.0},
    }),
    Case("targets", ("quota_attainment", "pipeline_coverage"), "rep", "2025-Q1", {
        # r1 has a Q1 target (800) and monthly ones: the quarter's own target counts: 400/800.
        # Open at the start of Q1: nothing for r1; o6 for r2 (1000 USD at 7.2 on 12-20).
        ("r1", "2025-Q1"): {"quota_attainment": 0.5, "pipeline_coverage": 0.0},
        ("r2", "2025-Q1"): {"quota_attainment": 1.0, "pipeline_coverage": 7200 / 7000},
        ("r3", "2025-Q1"): {"quota_attainment": NULL, "pipeline_coverage": NULL},
    }),
    Case("targets-team", ("quota_attainment",), "team", "2025-Q1", {
        # The team target is the sum of the reps' (800 + 7000); the T1 team row is not used.
        ("T1", "2025-Q1"): {"quota_attainment": 7400 / 7800},
    }),
    Case("targets-months", ("quota_attainment",), "rep", "2025-Q1", {
        ("r1", "2025-01"): {"quota_attainment": 0.0},
        ("r1", "2025-02"): {"quota_attainment": 100 / 200},
        ("r1", "2025-03"): {"quota_attainment": 300 / 300},
    }, grain="month"),
    Case("channel", ("social_revenue_won", "social_deals_won"), "rep", "2025-Q1", {
        ("r6", "2025-Q1"): {"social_revenue_won": 500, "social_deals_won": 1},
        ("r1", "2025-Q1"): {"social_revenue_won": 0, "social_deals_won": 0},
    }),
    Case("all-history", ("deals_won", "revenue_won"), "company", "all", {
        # o1, o2, o5, o6, o8, o9, o12.
        (None, "all"): {"deals_won": 7,
                        "revenue_won": 100 + 300 + 400 + 7000 + 250 + 150 + 500},
    }),
]


def _query_key(case: Case) -> tuple[str, str, str | None, str, int]:
    org_ = case.settings.organisation
    return (case.by, case.period, case.grain, org_.timezone, org_.fiscal_year_start_month)


# Cases that differ only in their KPIs share one query: fewer round trips (PySpark is slow).
_KPIS_OF_QUERY: dict[tuple[str, str, str | None, str, int], list[str]] = {}
for _case in CASES:
    _names = _KPIS_OF_QUERY.setdefault(_query_key(_case), [])
    _names += [k for k in _case.kpis if k not in _names]


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str, str | None, str, int], dict[tuple[Any, str], Any]]:
    return {}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(wh: BaseBackend, case: Case,
                results: dict[tuple[str, str, str | None, str, int], dict[tuple[Any, str], Any]]
                ) -> None:
    key = _query_key(case)
    if key not in results:
        shared = Case(case.id, tuple(_KPIS_OF_QUERY[key]), case.by, case.period, {},
                      case.grain, case.settings)
        results[key] = by_key(run(wh, shared))
    got = results[key]
    for key, expected in case.expected.items():
        assert key in got, f"no row for {key}; rows: {sorted(got)[:8]}"
        row = got[key]
        for kpi, value in expected.items():
            actual = row[kpi]
            if value is None:
                assert actual is None, f"{kpi}{key}: expected NULL, got {actual}"
            else:
                assert actual == pytest.approx(value, rel=1e-9, abs=1e-9), f"{kpi}{key}"


def test_every_subject_and_period_has_a_row(wh: BaseBackend) -> None:
    result = compute_kpis(wh, ["deals_won"], by="rep", period="2025-Q1", grain="month",
                          settings=SHANGHAI)
    keys = {(r["rep_id"], r["period"]) for r in result.table.to_pylist()}
    assert keys == {(f"r{i}", f"2025-0{m}") for i in range(1, 7) for m in (1, 2, 3)}


def test_foreign_currency_without_rate_is_null_with_its_reason(wh: BaseBackend) -> None:
    result = compute_kpis(wh, ["open_pipeline", "deals_won"], by="rep", period="2025-Q1",
                          settings=SHANGHAI)
    rows = {r["rep_id"]: r for r in result.table.to_pylist()}
    assert rows["r4"]["open_pipeline"] is None  # o10: 120 EUR, no EUR rate
    assert rows["r1"]["open_pipeline"] == 600 and rows["r3"]["open_pipeline"] == 0
    assert set(result.reasons) == {"open_pipeline"}  # deals_won is no money
    reason = result.reasons["open_pipeline"]
    assert "EUR (1 rows)" in reason.message and "salescore import fx_rates" in reason.message
    assert "salescore settings set currency EUR" in reason.message
    assert "EUR（1 行）" in reason.message_zh
    assert reason in result.notices


def test_dimension_a_source_lacks_is_null_and_noticed(wh: BaseBackend) -> None:
    result = compute_kpis(wh, ["training_hours", "deals_won"], by="product", period="2025-Q1",
                          settings=SHANGHAI)
    rows = {r["product"]: r for r in result.table.to_pylist()}
    assert rows["A"]["training_hours"] is None and rows["A"]["deals_won"] == 4  # o1 o6 o9 o12
    assert rows["B"]["deals_won"] == 1  # o2
    assert any("training_hours" in n.message for n in result.notices)


def test_subjects_keeps_only_those(wh: BaseBackend) -> None:
    result = compute_kpis(wh, ["deals_won"], by="rep", period="2025-Q1", settings=SHANGHAI,
                          subjects=["r1"])
    assert result.table.to_pylist() == [{"rep_id": "r1", "period": "2025-Q1", "deals_won": 2}]

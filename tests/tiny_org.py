"""The tiny, hand-checkable organisation of the tests, in two named variants.

``KPIS`` is the organisation of the KPI golden tests (``tests/engine/test_kpi_golden.py``), the
scope tests (``tests/workspace``) and the CLI's ``kpi`` tests: every source table, a team tree
three deep, times in Asia/Shanghai. ``SCORECARDS`` is the organisation of the scorecard tests
(``tests/scorecards``): two flat teams, job titles, hire dates and leavers, monthly revenue
targets, times in UTC. Every number a test asserts is worked out by hand, in the test, from the
rows here; both variants are loaded the same way (:meth:`TinyOrg.load`).

Why two and not one: the golden tests assert whole result sets, so neither organisation can be a
superset of the other with every expected value kept. ``test_every_subject_and_period_has_a_row``
wants exactly r1…r6 for 2025-01…03, the ``company`` case wants 5 deals won in 2025-Q1 for 8050,
and the scope tests want everyone's session to return exactly r1…r6: the scorecard deals
(a1…a5, four of them won in February 2025) would add reps and change those totals. The scorecard
tests count the members and stored scores of north and south (six unchanged scores on a
re-run). And the two use the same ids for different rows (opportunities o1…o12, customer c1
owned by r1 in one and a1 in the other), which the tests name (the explanation of a1's revenue
in February is ``["o1", "o2"]``).

``KPIS``
--------
Time zone Asia/Shanghai (UTC+8): every time is written in LOCAL time with :func:`L` and stored
as naive UTC, as the warehouse keeps it. Reporting currency CNY; one deal is in USD (rates 7.2
from 2024-12-01, 7.0 from 2025-01-10) and one in EUR, for which there is no rate.

Team tree::

    REG (region North)
    ├── T1: r1, r2, r3
    └── T2: r4, r5
        └── T2X: r6

Pipeline: lead, qualified, proposal (open), won, lost.

``SCORECARDS``
--------------
Time zone UTC. Teams north and south; Account Executives a1, a2 (north), a3, a4 (south) and a5
(north, hired 2025-05-10); a4 left after 2025-02-10 (last activity); m1 is a Sales Manager,
whom no plan scores. Won deals (amount, closed in):

=====  ==================  =========  ==================
rep    February 2025       April      May 2025
=====  ==================  =========  ==================
a1     100 + 50 (2 deals)  2 deals    300 (1)
a2     40 (1)              —          60 + 60 + 60 (3)
a3     —                   1 deal     100 (1)
a4     200 (1)             (left)     (left)
a5     (not hired)         (not hired) 50 (1)
=====  ==================  =========  ==================

Revenue targets (targets table): February a1 100, a2 80, a3 50, a4 100; May a1 200, a2 150,
a3 100 (a5 none). The plans scored on it are in ``tests/scorecards/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from salescore.compile.schema import schema
from salescore.engine.warehouse import Warehouse
from salescore.model.org import Organisation, OrgSettings, Pipeline, Stage
from salescore.model.tables import TABLES


@dataclass(frozen=True)
class TinyOrg:
    """One variant: its settings and its rows per canonical table (a table left out is empty)."""

    settings: OrgSettings
    rows: Mapping[str, Sequence[Mapping[str, Any]]]

    def arrow_tables(self) -> dict[str, pa.Table]:
        """Every canonical table as Arrow in its declared schema, missing columns NULL."""
        out = {}
        for declared in TABLES:
            target = schema(declared.name).to_pyarrow()
            rows = self.rows.get(declared.name, [])
            columns = {}
            for f in target:
                values = [r.get(f.name) for r in rows]
                if pa.types.is_decimal(f.type):
                    values = [None if v is None else Decimal(str(v)) for v in values]
                columns[f.name] = pa.array(values, type=f.type)
            out[declared.name] = pa.table(columns)
        return out

    def load(self, warehouse: Warehouse) -> None:
        """Create the tables and write this organisation into ``warehouse``."""
        warehouse.create_tables()
        for name, data in self.arrow_tables().items():
            warehouse.append(name, data)


# -- KPIS ----------------------------------------------------------------------------------

TZ_HOURS = 8


def L(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:  # noqa: N802
    """A local (Asia/Shanghai) wall-clock time as the naive UTC instant the warehouse stores."""
    return datetime(y, m, d, h, mi) - timedelta(hours=TZ_HOURS)


PIPELINE = Pipeline(stages=(
    Stage(name="lead"), Stage(name="qualified"), Stage(name="proposal"),
    Stage(name="won", status="won"), Stage(name="lost", status="lost"),
))


def kpi_settings(timezone: str = "Asia/Shanghai", fiscal_year_start_month: int = 1
                 ) -> OrgSettings:
    """The settings of ``KPIS``; the golden tests also run it in UTC and from an April fiscal
    year."""
    return OrgSettings(
        organisation=Organisation(name="Tiny", timezone=timezone, currency="CNY",
                                  fiscal_year_start_month=fiscal_year_start_month),
        pipeline=PIPELINE,
    )


TEAMS = [
    {"team_id": "REG", "name": "North region", "parent_team_id": None, "region": "North"},
    {"team_id": "T1", "name": "Team one", "parent_team_id": "REG", "region": "North"},
    {"team_id": "T2", "name": "Team two", "parent_team_id": "REG", "region": "North"},
    {"team_id": "T2X", "name": "Team two-x", "parent_team_id": "T2", "region": "North"},
]
REPS = [
    {"rep_id": r, "name": r.upper(), "team_id": t, "active": True}
    for r, t in [("r1", "T1"), ("r2", "T1"), ("r3", "T1"), ("r4", "T2"), ("r5", "T2"),
                 ("r6", "T2X")]
]
CUSTOMERS = [
    {"customer_id": "c1", "name": "C1", "region": "North", "channel": "web", "segment": "SMB",
     "owner_rep_id": "r1", "created_at": L(2024, 10, 1)},
    {"customer_id": "c2", "name": "C2", "region": "North", "channel": "web", "segment": "SMB",
     "owner_rep_id": "r1", "created_at": L(2024, 10, 1)},
    {"customer_id": "c3", "name": "C3", "region": "South", "channel": "social",
     "segment": "ENT", "owner_rep_id": "r1", "created_at": L(2025, 2, 1)},
    {"customer_id": "c4", "name": "C4", "region": "South", "channel": "web", "segment": "ENT",
     "owner_rep_id": "r2", "created_at": L(2025, 1, 15)},
]


def _opp(oid: str, rep: str, cust: str, created: datetime, status: str, amount: float,
         closed: datetime | None = None, currency: str = "CNY", channel: str = "web",
         product: str = "A") -> dict[str, Any]:
    return {"opportunity_id": oid, "owner_rep_id": rep, "customer_id": cust,
            "created_at": created, "status": status, "stage": status if status != "open"
            else "qualified", "amount": amount, "currency": currency, "closed_at": closed,
            "channel": channel, "product": product}


OPPORTUNITIES = [
    _opp("o1", "r1", "c1", L(2025, 1, 5), "won", 100, L(2025, 2, 10)),
    _opp("o2", "r1", "c1", L(2025, 1, 10), "won", 300, L(2025, 3, 20), product="B"),
    _opp("o3", "r1", "c2", L(2025, 2, 1), "lost", 50, L(2025, 3, 5)),
    _opp("o4", "r1", "c2", L(2025, 2, 15), "open", 200),
    # Won at 2025-03-31 17:00 UTC: 2025-04-01 01:00 in Shanghai, so Q2 locally.
    _opp("o5", "r1", "c3", L(2025, 3, 1), "won", 400, L(2025, 4, 1, 1, 0)),
    _opp("o6", "r2", "c4", L(2024, 12, 20), "won", 1000, L(2025, 1, 15), currency="USD"),
    _opp("o7", "r2", "c4", L(2025, 1, 20), "lost", 80, L(2025, 2, 20)),
    _opp("o8", "r4", "c2", L(2025, 4, 2), "won", 250, L(2025, 5, 10)),
    # Won at 2025-01-31 16:30 UTC: 2025-02-01 00:30 in Shanghai, so February locally.
    _opp("o9", "r4", "c2", L(2025, 1, 3), "won", 150, L(2025, 2, 1, 0, 30)),
    _opp("o10", "r4", "c2", L(2025, 2, 1), "open", 120, currency="EUR"),
    _opp("o11", "r5", "c3", L(2025, 3, 10), "lost", 60, L(2025, 4, 20)),
    _opp("o12", "r6", "c3", L(2025, 1, 15), "won", 500, L(2025, 3, 15), channel="social"),
]
STAGE_CHANGES = [
    {"opportunity_id": o, "stage": s, "entered_at": t}
    for o, s, t in [
        ("o1", "lead", L(2025, 1, 5)), ("o1", "qualified", L(2025, 1, 10)),
        ("o1", "proposal", L(2025, 1, 20)), ("o1", "won", L(2025, 2, 10)),
        ("o2", "lead", L(2025, 1, 10)), ("o2", "qualified", L(2025, 1, 15)),
        ("o2", "won", L(2025, 3, 20)),
        ("o3", "lead", L(2025, 2, 1)), ("o3", "lost", L(2025, 3, 5)),
        ("o4", "lead", L(2025, 2, 15)), ("o4", "qualified", L(2025, 3, 1)),
    ]
]


def _act(aid: str, rep: str, kind: str, direction: str, when: datetime, cust: str | None,
         opp: str | None = None, duration: int | None = None) -> dict[str, Any]:
    return {"activity_id": aid, "rep_id": rep, "kind": kind, "direction": direction,
            "occurred_at": when, "customer_id": cust, "opportunity_id": opp,
            "duration_s": duration}


ACTIVITIES = [
    _act("a1", "r1", "call", "outbound", L(2025, 1, 6), "c1", "o1", 600),
    _act("a2", "r1", "email", "inbound", L(2025, 2, 3, 9), "c1"),
    _act("a3", "r1", "email", "outbound", L(2025, 2, 3, 15), "c1"),
    _act("a4", "r1", "message", "inbound", L(2025, 2, 5, 15), "c1"),
    _act("a5", "r1", "call", "outbound", L(2025, 2, 6, 3), "c1", "o2", 300),
    _act("a6", "r1", "email", "outbound", L(2025, 3, 1), "c2"),
    _act("a7", "r1", "meeting", "outbound", L(2025, 3, 2), "c2", "o3"),
    _act("a8", "r1", "visit", "outbound", L(2025, 3, 25), "c3", "o5"),
]
ORDERS = [
    {"order_id": oid, "rep_id": "r1", "customer_id": c, "ordered_at": t, "amount": a,
     "currency": "CNY"}
    for oid, c, t, a in [
        ("d1", "c1", L(2024, 11, 10), 70), ("d2", "c2", L(2024, 12, 1), 80),
        ("d3", "c1", L(2025, 1, 20), 100), ("d4", "c3", L(2025, 2, 10), 200),
        ("d5", "c1", L(2025, 3, 3), 50), ("d6", "c3", L(2025, 4, 15), 90),
    ]
]
SURVEYS = [
    {"survey_id": sid, "rep_id": rep, "customer_id": "c1", "answered_at": t, "csat": cs,
     "nps": n}
    for sid, rep, t, cs, n in [
        ("s1", "r1", L(2025, 1, 10), 5, 10), ("s2", "r1", L(2025, 2, 10), 4, 8),
        ("s3", "r1", L(2025, 3, 10), 2, 3), ("s4", "r1", L(2025, 3, 11), None, 9),
        ("s5", "r2", L(2025, 2, 12), 3, 6),
    ]
]
PEER_REVIEWS = [
    {"review_id": "p1", "reviewer_rep_id": "r2", "reviewee_rep_id": "r1",
     "reviewed_at": L(2025, 2, 1), "collaboration": 4, "communication": 5},
    {"review_id": "p2", "reviewer_rep_id": "r3", "reviewee_rep_id": "r1",
     "reviewed_at": L(2025, 3, 1), "collaboration": 2, "communication": 3},
]
ASSISTS = [
    {"assist_id": "x1", "helper_rep_id": "r2", "helped_rep_id": "r1", "opportunity_id": "o4",
     "occurred_at": L(2025, 1, 20), "kind": "referral", "points": 3.0},
    {"assist_id": "x2", "helper_rep_id": "r4", "helped_rep_id": "r1", "opportunity_id": "o2",
     "occurred_at": L(2025, 2, 20), "kind": "joint_visit", "points": 2.0},
]
TRAININGS = [
    {"training_id": "t1", "rep_id": "r1", "course": "Negotiation", "kind": "workshop",
     "completed_at": L(2025, 1, 10), "hours": 4.0, "score": 80.0},
    {"training_id": "t2", "rep_id": "r1", "course": "CRM", "kind": "elearning",
     "completed_at": L(2025, 2, 10), "hours": 2.0, "score": None},
]
TARGETS = [
    {"scope": "rep", "scope_id": rep, "period": p, "kpi": "revenue_won", "value": v}
    for rep, p, v in [
        ("r1", "2025-Q1", 800.0), ("r1", "2025-01", 100.0), ("r1", "2025-02", 200.0),
        ("r1", "2025-03", 300.0), ("r2", "2025-Q1", 7000.0),
    ]
] + [{"scope": "team", "scope_id": "T1", "period": "2025-Q1", "kpi": "revenue_won",
      "value": 99999.0}]
FX_RATES = [
    {"currency": "USD", "day": date(2024, 12, 1), "rate": 7.2},
    {"currency": "USD", "day": date(2025, 1, 10), "rate": 7.0},
]

_KPI_ROWS: dict[str, list[dict[str, Any]]] = {
    "teams": TEAMS, "reps": REPS, "customers": CUSTOMERS, "opportunities": OPPORTUNITIES,
    "stage_changes": STAGE_CHANGES, "activities": ACTIVITIES, "orders": ORDERS,
    "surveys": SURVEYS, "peer_reviews": PEER_REVIEWS, "assists": ASSISTS,
    "trainings": TRAININGS, "targets": TARGETS, "fx_rates": FX_RATES,
}
KPIS = TinyOrg(settings=kpi_settings(), rows=_KPI_ROWS)


# -- SCORECARDS ----------------------------------------------------------------------------


def _won(oid: str, rep: str, amount: float, closed: datetime) -> dict[str, Any]:
    return {"opportunity_id": oid, "customer_id": "c1", "owner_rep_id": rep,
            "created_at": datetime(2024, 12, 1, 9), "stage": "won", "status": "won",
            "amount": amount, "currency": "CNY", "closed_at": closed}


_SCORECARD_ROWS: dict[str, list[dict[str, Any]]] = {
    "teams": [
        {"team_id": "north", "name": "North", "parent_team_id": None},
        {"team_id": "south", "name": "South", "parent_team_id": None},
    ],
    "reps": [
        {"rep_id": "a1", "name": "A1", "team_id": "north", "title": "Account Executive",
         "hire_date": date(2023, 1, 1), "active": True},
        {"rep_id": "a2", "name": "A2", "team_id": "north", "title": "Account Executive",
         "hire_date": date(2023, 1, 1), "active": True},
        {"rep_id": "a3", "name": "A3", "team_id": "south", "title": "account executive ",
         "hire_date": None, "active": True},
        {"rep_id": "a4", "name": "A4", "team_id": "south", "title": "Account Executive",
         "hire_date": date(2023, 1, 1), "active": False},
        {"rep_id": "a5", "name": "A5", "team_id": "north", "title": "Account Executive",
         "hire_date": date(2025, 5, 10), "active": True},
        {"rep_id": "m1", "name": "M1", "team_id": "north", "title": "Sales Manager",
         "hire_date": date(2020, 1, 1), "active": True},
    ],
    "customers": [
        {"customer_id": "c1", "name": "C1", "owner_rep_id": "a1",
         "created_at": datetime(2024, 1, 1)},
    ],
    "opportunities": [
        _won("o1", "a1", 100, datetime(2025, 2, 10, 12)),
        _won("o2", "a1", 50, datetime(2025, 2, 20, 12)),
        _won("o3", "a2", 40, datetime(2025, 2, 11, 12)),
        _won("o4", "a4", 200, datetime(2025, 2, 5, 12)),
        _won("o11", "a1", 10, datetime(2025, 4, 3, 12)),
        _won("o12", "a1", 10, datetime(2025, 4, 4, 12)),
        _won("o13", "a3", 10, datetime(2025, 4, 5, 12)),
        _won("o5", "a1", 300, datetime(2025, 5, 10, 12)),
        _won("o6", "a2", 60, datetime(2025, 5, 11, 12)),
        _won("o7", "a2", 60, datetime(2025, 5, 12, 12)),
        _won("o8", "a2", 60, datetime(2025, 5, 13, 12)),
        _won("o9", "a3", 100, datetime(2025, 5, 14, 12)),
        _won("o10", "a5", 50, datetime(2025, 5, 20, 12)),
    ],
    "activities": [
        {"activity_id": "x1", "rep_id": "a4", "kind": "call", "direction": "outbound",
         "occurred_at": datetime(2025, 2, 10, 9)},
        {"activity_id": "x2", "rep_id": "a1", "kind": "call", "direction": "outbound",
         "occurred_at": datetime(2025, 2, 11, 9)},
    ],
    "targets": [
        {"scope": "rep", "scope_id": rep, "period": period, "kpi": "revenue_won",
         "value": value, "set_by": "import", "reason": "plan"}
        for rep, period, value in [("a1", "2025-02", 100.0), ("a2", "2025-02", 80.0),
                                   ("a3", "2025-02", 50.0), ("a4", "2025-02", 100.0),
                                   ("a1", "2025-05", 200.0), ("a2", "2025-05", 150.0),
                                   ("a3", "2025-05", 100.0)]
    ],
}
SCORECARDS = TinyOrg(
    settings=OrgSettings(organisation=Organisation(name="Tiny", timezone="UTC", currency="CNY")),
    rows=_SCORECARD_ROWS,
)


TINY_PLAN = """\
name: tiny
title: {en: Tiny, zh: 小}
grain: quarter
lines:
  - kpi: revenue_won
    weight: 0.5
    target: {source: fixed, value: 1000}
    scoring: {method: linear, floor: 0, cap: 1.5}
  - kpi: deals_won
    weight: 0.5
    target: {source: fixed, value: 2}
    scoring: {method: linear, floor: 0, cap: 1.5}
ratings:
  - {label: A, min: 100}
  - {label: B}
"""
"""Plan ``tiny`` on the ``KPIS`` organisation: revenue against 1000 and deals won against 2,
quarterly, half each (the scope tests and the web app's tests adopt it)."""

"""The small organisation of the strengths, communication and balance tests (issue 11, parts 5
to 7) and of their pages' tests. Time zone UTC.

``REPS_ORG``::

    CO ── TA: a1, a2, a3
      └── TB: b1, b2

Each rep has one customer (``c`` + rep id). Every deal is created 2025-01-06 09:00 and closed in
2025-Q1 (won amount / lost):

=====  ===========================  =======  =====  ========  ==========
rep    deals                        revenue  won    lost      win rate
=====  ===========================  =======  =====  ========  ==========
a1     o1 W 300, o2 W 200, o3 L     500      2      1         2/3
a2     o4 W 100, o5 L, o6 L         100      1      2         1/3
a3     o7 W 400                     400      1      0         1
b1     o8 W 600, o9 W 100, o10 L    700      2      1         2/3
b2     o11 L, o12 L                 0        0      2         0
=====  ===========================  =======  =====  ========  ==========

Touches (outbound calls at 10:00, linked to the deal), January 2025:
o1 6 8 10 13 · o2 7 9 12 · o3 10 · o4 6 16 · o5 8 (09:00) · o6 none · o7 7 9 11 13 15 17 ·
o8 6 9 12 · o9 8 20 · o10 10 30 · o11 none · o12 10.

Messages: a1 gets an e-mail from their customer 2025-02-03 09:00, answers 12:00 (3 h), and the
customer writes back 2025-02-04 10:00 (22 h later; never answered). b2 gets one 2025-02-10 10:00
and answers 2025-02-11 10:00 (24 h); the customer never writes back.

Assists (2025-Q1): x1 a2→a1 on o1 (referral, 5 points); x2 b1→a1 on o2 (joint visit, 3);
x3 a1→b1 on o8 (joint visit, 3); x4 a3→a2 on o5 (knowledge share, 2); x5 b2→b1, no deal
(knowledge share, 2).

Plan ``pq`` (quarterly, every rep): revenue won against 1000 and deals won against 2, half each,
linear from 0 capped at 150 %; blend 80 % individual, 20 % the team's members' average;
ratings A from 60, else B. Individual scores: a1 75, a2 30, a3 45, b1 85, b2 0; team scores TA
50, TB 42.5; scores a1 70, a2 34, a3 46, b1 76.5, b2 8.5.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.tiny_org import PIPELINE, TinyOrg

from salescore.model.org import Organisation, OrgSettings

SETTINGS = OrgSettings(organisation=Organisation(name="Reps", timezone="UTC", currency="CNY"),
                       pipeline=PIPELINE)
PERIOD = "2025-Q1"


def D(m: int, d: int, h: int = 10) -> datetime:  # noqa: N802
    return datetime(2025, m, d, h)


TEAMS = [
    {"team_id": "CO", "name": "Company", "parent_team_id": None},
    {"team_id": "TA", "name": "Team A", "parent_team_id": "CO"},
    {"team_id": "TB", "name": "Team B", "parent_team_id": "CO"},
]
TEAM_OF = {"a1": "TA", "a2": "TA", "a3": "TA", "b1": "TB", "b2": "TB"}
REPS = [{"rep_id": r, "name": r.upper(), "team_id": t, "active": True}
        for r, t in TEAM_OF.items()]
CUSTOMERS = [{"customer_id": f"c{r}", "name": f"C{r}", "owner_rep_id": r, "segment": "SMB",
              "channel": "web", "created_at": datetime(2024, 6, 1)} for r in TEAM_OF]

DEALS = [  # id, rep, status, amount, closed
    ("o1", "a1", "won", 300, D(2, 10)), ("o2", "a1", "won", 200, D(3, 10)),
    ("o3", "a1", "lost", 100, D(2, 20)),
    ("o4", "a2", "won", 100, D(2, 15)), ("o5", "a2", "lost", 100, D(3, 1)),
    ("o6", "a2", "lost", 100, D(3, 5)),
    ("o7", "a3", "won", 400, D(3, 20)),
    ("o8", "b1", "won", 600, D(2, 25)), ("o9", "b1", "won", 100, D(3, 12)),
    ("o10", "b1", "lost", 100, D(3, 15)),
    ("o11", "b2", "lost", 100, D(2, 5)), ("o12", "b2", "lost", 100, D(3, 25)),
]
OPPORTUNITIES = [
    {"opportunity_id": o, "customer_id": f"c{r}", "owner_rep_id": r, "product": "A",
     "channel": "web", "created_at": D(1, 6, 9), "stage": s, "status": s, "amount": a,
     "currency": "CNY", "closed_at": c}
    for o, r, s, a, c in DEALS
]
STAGE_CHANGES = [{"opportunity_id": o, "stage": st, "entered_at": t}
                 for o, _r, s, _a, c in DEALS for st, t in (("lead", D(1, 6, 9)), (s, c))]

TOUCHES = {"o1": [6, 8, 10, 13], "o2": [7, 9, 12], "o3": [10], "o4": [6, 16], "o5": [8],
           "o6": [], "o7": [7, 9, 11, 13, 15, 17], "o8": [6, 9, 12], "o9": [8, 20],
           "o10": [10, 30], "o11": [], "o12": [10]}
OWNER = {o: r for o, r, *_ in DEALS}


def _touch(n: int, opp: str, day: int) -> dict[str, Any]:
    rep = OWNER[opp]
    return {"activity_id": f"t{n}", "rep_id": rep, "customer_id": f"c{rep}",
            "opportunity_id": opp, "kind": "call", "direction": "outbound",
            "occurred_at": D(1, day, 9 if opp == "o5" else 10), "duration_s": 120}


ACTIVITIES = [_touch(i, o, d) for i, (o, d) in enumerate(
    (o, d) for o, days in TOUCHES.items() for d in days)] + [
    {"activity_id": aid, "rep_id": rep, "customer_id": f"c{rep}", "opportunity_id": None,
     "kind": "email", "direction": direction, "occurred_at": when}
    for aid, rep, direction, when in [
        ("m1", "a1", "inbound", D(2, 3, 9)), ("m2", "a1", "outbound", D(2, 3, 12)),
        ("m3", "a1", "inbound", D(2, 4, 10)),
        ("m4", "b2", "inbound", D(2, 10, 10)), ("m5", "b2", "outbound", D(2, 11, 10)),
    ]]

ASSISTS = [
    {"assist_id": x, "helper_rep_id": h, "helped_rep_id": g, "opportunity_id": o,
     "occurred_at": when, "kind": k, "points": p}
    for x, h, g, o, when, k, p in [
        ("x1", "a2", "a1", "o1", D(1, 15), "referral", 5.0),
        ("x2", "b1", "a1", "o2", D(2, 1), "joint_visit", 3.0),
        ("x3", "a1", "b1", "o8", D(2, 5), "joint_visit", 3.0),
        ("x4", "a3", "a2", "o5", D(2, 10), "knowledge_share", 2.0),
        ("x5", "b2", "b1", None, D(3, 1), "knowledge_share", 2.0),
    ]]

REPS_ORG = TinyOrg(settings=SETTINGS, rows={
    "teams": TEAMS, "reps": REPS, "customers": CUSTOMERS, "opportunities": OPPORTUNITIES,
    "stage_changes": STAGE_CHANGES, "activities": ACTIVITIES, "assists": ASSISTS})

PLAN = """\
name: pq
title: {en: Quarterly, zh: 季度}
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
blend: {individual: 0.8, team: 0.2}
ratings:
  - {label: A, min: 60}
  - {label: B}
"""

"""A small organisation written for the "needs action" tests, every figure worked out by hand.

Time zone UTC; as of 2025-06-30 unless a test says otherwise. Team tree and reps::

    N (north): n1, n2
    └── NX: x1
    S (south): s1
    (no team): z1, who has no records

Open opportunities (owner, customer, stage, entered the stage, amount; touches that count):

====  =====  ========  =========  ==========  ======  ==========================================
id    owner  customer  stage      entered     amount  touches (owner's, linked or customer-level)
====  =====  ========  =========  ==========  ======  ==========================================
o1    n1     c1        qualified  2025-06-01  1000    call 06-25                -> quiet 5
o2    n1     c2        qualified  2025-06-20  2000    e-mail 06-10 (n2's call 06-28 is not the
                                                      owner's)                   -> quiet 20
o3    n1     c3        proposal   2025-04-01  3000    customer-level visit 06-29 -> quiet 1
o4    n2     c4        qualified  2025-05-01  4000    none, created 04-20 (a call on 07-05 is
                                                      after the day)             -> quiet 71
o5    n2     c4        lead       (created)   —       created 06-25              -> quiet 5
o6    x1     c6        qualified  2025-05-01  600     call 06-16                 -> quiet 14
o7    x1     c6        lead       (created)   700     call 06-17                 -> quiet 13
o8    s1     c8        qualified  2025-05-01  8000    none, created 05-01        -> quiet 60
====  =====  ========  =========  ==========  ======  ==========================================

No activity for 14 days: o4 (71), o8 (60), o2 (20), o6 (14, the boundary); not o7 (13).

Finished stays in "qualified" of team N's deals: h1 10, h2 10, h3 20 (lost from qualified),
h4 30, h5 30 (won from qualified) and o3's 31 (qualified 03-01 to proposal 04-01): six, median
(20 + 30) / 2 = 25 days. "proposal" has two finished stays in N (h1 9, h2 4) and "lead" two
(o1 12, o4 11): fewer than five, no usual. Team S: hs1..hs5, 100 days each in qualified, usual
100. Team NX: no history. Stuck: o4 (60 > 25) and o1 (29 > 25); not o2 (10), not o6 (NX has
no usual, N's does not apply), not o8 (60 < 100), not o3 (no usual for proposal).

Surveys of June 2025 with csat below 3: v3 (n2, csat 1, no customer, 06-20), v6 (x1, 2, 06-29),
v1 (n1, 2, 06-10), v4 (s1, 2, 06-05); not v2 (csat 3), v5 (May), v7 (csat unknown).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.tiny_org import TinyOrg

from salescore.model.org import Organisation, OrgSettings, Pipeline, Stage

AS_OF = date(2025, 6, 30)

SETTINGS = OrgSettings(
    organisation=Organisation(name="Actions", timezone="UTC", currency="CNY"),
    pipeline=Pipeline(stages=(Stage(name="lead"), Stage(name="qualified"),
                              Stage(name="proposal"), Stage(name="won", status="won"),
                              Stage(name="lost", status="lost"))),
)


def d(y: int, m: int, day: int, h: int = 10) -> datetime:
    return datetime(y, m, day, h)


def _opp(oid: str, rep: str, cust: str, created: datetime, stage: str, status: str = "open",
         amount: float | None = None, closed: datetime | None = None) -> dict[str, Any]:
    return {"opportunity_id": oid, "customer_id": cust, "owner_rep_id": rep,
            "created_at": created, "stage": stage, "status": status, "amount": amount,
            "currency": "CNY" if amount is not None else None, "closed_at": closed}


def _act(aid: str, rep: str, when: datetime, opp: str | None, cust: str | None,
         kind: str = "call") -> dict[str, Any]:
    return {"activity_id": aid, "rep_id": rep, "customer_id": cust, "opportunity_id": opp,
            "kind": kind, "direction": "outbound", "occurred_at": when}


def _survey(sid: str, rep: str, when: datetime, csat: int | None, cust: str | None
            ) -> dict[str, Any]:
    return {"survey_id": sid, "customer_id": cust, "rep_id": rep, "answered_at": when,
            "csat": csat, "nps": 3, "comment": f"comment {sid}"}


TEAMS = [
    {"team_id": "N", "name": "North", "parent_team_id": None},
    {"team_id": "NX", "name": "North X", "parent_team_id": "N"},
    {"team_id": "S", "name": "South", "parent_team_id": None},
]
REPS = [{"rep_id": r, "name": name, "team_id": t, "active": True} for r, name, t in [
    ("n1", "Nina", "N"), ("n2", "Ned", "N"), ("x1", "Xu", "NX"), ("s1", "Sam", "S"),
    ("z1", "Zoe", None)]]
CUSTOMERS = [{"customer_id": c, "name": f"Customer {c}", "owner_rep_id": r,
              "created_at": d(2024, 1, 1)} for c, r in [
    ("c1", "n1"), ("c2", "n1"), ("c3", "n1"), ("c4", "n2"), ("c6", "x1"), ("c8", "s1")]]

OPPORTUNITIES = [
    _opp("o1", "n1", "c1", d(2025, 5, 20), "qualified", amount=1000),
    _opp("o2", "n1", "c2", d(2025, 5, 1), "qualified", amount=2000),
    _opp("o3", "n1", "c3", d(2025, 3, 1), "proposal", amount=3000),
    _opp("o4", "n2", "c4", d(2025, 4, 20), "qualified", amount=4000),
    _opp("o5", "n2", "c4", d(2025, 6, 25), "lead"),
    _opp("o6", "x1", "c6", d(2025, 5, 1), "qualified", amount=600),
    _opp("o7", "x1", "c6", d(2025, 5, 1), "lead", amount=700),
    _opp("o8", "s1", "c8", d(2025, 5, 1), "qualified", amount=8000),
    # the history: closed deals
    _opp("h1", "n1", "c1", d(2025, 1, 1), "won", "won", 100, d(2025, 1, 20)),
    _opp("h2", "n1", "c1", d(2025, 2, 1), "lost", "lost", 100, d(2025, 2, 15)),
    _opp("h3", "n1", "c2", d(2025, 3, 1), "lost", "lost", 100, d(2025, 3, 21)),
    _opp("h4", "n2", "c4", d(2025, 1, 1), "won", "won", 100, d(2025, 1, 31)),
    _opp("h5", "n2", "c4", d(2025, 2, 1), "won", "won", 100, d(2025, 3, 3)),
    *[_opp(f"hs{i}", "s1", "c8", d(2024, 9, 1), "won", "won", 100, d(2024, 12, 10))
      for i in range(1, 6)],
]
STAGE_CHANGES = [
    {"opportunity_id": o, "stage": s, "entered_at": t} for o, s, t in [
        ("o1", "lead", d(2025, 5, 20)), ("o1", "qualified", d(2025, 6, 1)),
        ("o2", "qualified", d(2025, 6, 20)),
        ("o3", "qualified", d(2025, 3, 1)), ("o3", "proposal", d(2025, 4, 1)),
        ("o4", "lead", d(2025, 4, 20)), ("o4", "qualified", d(2025, 5, 1)),
        ("o6", "qualified", d(2025, 5, 1)),
        ("o8", "qualified", d(2025, 5, 1)),
        ("h1", "qualified", d(2025, 1, 1)), ("h1", "proposal", d(2025, 1, 11)),
        ("h2", "qualified", d(2025, 2, 1)), ("h2", "proposal", d(2025, 2, 11)),
        ("h3", "qualified", d(2025, 3, 1)),
        ("h4", "qualified", d(2025, 1, 1)),
        ("h5", "qualified", d(2025, 2, 1)),
        *[(f"hs{i}", "qualified", d(2024, 9, 1)) for i in range(1, 6)],
    ]]
ACTIVITIES = [
    _act("a1", "n1", d(2025, 6, 25), "o1", "c1"),
    _act("a2", "n1", d(2025, 6, 10), "o2", "c2", "email"),
    _act("a3", "n2", d(2025, 6, 28), "o2", "c2"),
    _act("a4", "n1", d(2025, 6, 29), None, "c3", "visit"),
    _act("a5", "x1", d(2025, 6, 16), "o6", "c6"),
    _act("a6", "x1", d(2025, 6, 17), "o7", "c6"),
    _act("a7", "n2", d(2025, 7, 5), "o4", "c4"),
]
SURVEYS = [
    _survey("v1", "n1", d(2025, 6, 10), 2, "c1"),
    _survey("v2", "n1", d(2025, 6, 12), 3, "c1"),
    _survey("v3", "n2", d(2025, 6, 20), 1, None),
    _survey("v4", "s1", d(2025, 6, 5), 2, "c8"),
    _survey("v5", "n1", d(2025, 5, 31), 1, "c2"),
    _survey("v6", "x1", d(2025, 6, 29), 2, "c6"),
    _survey("v7", "n1", d(2025, 6, 15), None, "c1"),
]

ACTION_ORG = TinyOrg(SETTINGS, {
    "teams": TEAMS, "reps": REPS, "customers": CUSTOMERS, "opportunities": OPPORTUNITIES,
    "stage_changes": STAGE_CHANGES, "activities": ACTIVITIES, "surveys": SURVEYS,
})
"""The organisation above, ready to :meth:`~tests.tiny_org.TinyOrg.load`."""

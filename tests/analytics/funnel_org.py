"""The small organisation of the funnel and cycle tests (and of the /funnel page's tests).

Time zone UTC; every time is 10:00, so that a cycle or a stay in a stage is a whole number of
days. Pipeline: lead, qualified, proposal (open), won, lost. Period under test: 2025-Q1.

    CO ── TA: ra1, ra2, ra3
      └── TB: rb1, rb2

Deals (stage entries as month-day of 2025 unless said; ``—`` no stage history):

=====  ====  ====================================================  ======  ==============
deal   rep   stages entered                                        status  created → closed
=====  ====  ====================================================  ======  ==============
d1     ra1   lead 01-05, qualified 01-10, proposal 01-20, won 02-10  won   01-05 → 02-10 (36 d)
d2     ra1   lead 01-06, qualified 01-16, lost 02-01               lost    01-06 → 02-01 (26 d)
d3     ra1   lead 02-01, lost 02-11                                lost    02-01 → 02-11 (10 d)
d4     ra1   lead 02-10, qualified 02-20, proposal 03-01           open    02-10
d5     ra1   lead 03-01                                            open    03-01
e1     ra2   lead 01-03, qualified 01-08, proposal 01-15, won 01-30  won   01-03 → 01-30 (27 d)
e2     ra2   lead 01-04, qualified 01-09, proposal 01-19, won 03-05  won   01-04 → 03-05 (60 d)
e3     ra2   lead 02-02, qualified 02-05, lost 02-25               lost    02-02 → 02-25 (23 d)
e4     ra2   lead 02-03, qualified 02-06, won 03-10 (no proposal)  won     02-03 → 03-10 (35 d)
f1     ra3   lead 01-12, qualified 01-20, proposal 02-01, won 02-15  won   01-12 → 02-15 (34 d)
f2     ra3   lead 01-15, lost 01-25                                lost    01-15 → 01-25 (10 d)
g1     rb1   lead 01-07, qualified 01-14, proposal 02-14, lost 03-14 lost  01-07 → 03-14 (66 d)
g2     rb1   lead 2024-12-20, qualified 01-05, won 01-25           won     2024-12-20 → 01-25 (36 d)
g3     rb2   lead 03-20, qualified 03-28                           open    03-20
g4     rb2   lead 04-02                                            open    04-02
g5     rb2   —                                                     won     02-01 → 02-20 (19 d)
g6     rb2   —                                                     lost    03-01 → 02-27: unknown
=====  ====  ====================================================  ======  ==============

Channels: d3, d4 and d5 came from ``partner``, every other deal from ``web``. Customers: cu1
(segment SMB) for d1 and d3, cu2 (ENT) for d2 and d4, none for d5 (its segment is unknown).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.tiny_org import PIPELINE, TinyOrg

from salescore.model.org import Organisation, OrgSettings


def D(m: int, d: int, y: int = 2025) -> datetime:  # noqa: N802
    """10:00 UTC on ``y-m-d``."""
    return datetime(y, m, d, 10)


SETTINGS = OrgSettings(organisation=Organisation(name="Funnel", timezone="UTC", currency="CNY"),
                       pipeline=PIPELINE)

TEAMS = [
    {"team_id": "CO", "name": "Company", "parent_team_id": None},
    {"team_id": "TA", "name": "Team A", "parent_team_id": "CO"},
    {"team_id": "TB", "name": "Team B", "parent_team_id": "CO"},
]
REPS = [{"rep_id": r, "name": r.upper(), "team_id": t, "active": True}
        for r, t in [("ra1", "TA"), ("ra2", "TA"), ("ra3", "TA"), ("rb1", "TB"), ("rb2", "TB")]]
CUSTOMERS = [
    {"customer_id": "cu1", "name": "Cu1", "segment": "SMB", "owner_rep_id": "ra1",
     "created_at": D(1, 1, 2024)},
    {"customer_id": "cu2", "name": "Cu2", "segment": "ENT", "owner_rep_id": "ra1",
     "created_at": D(1, 1, 2024)},
]

# deal, rep, customer, channel, status, created, closed, [(stage, entered)]
_DEALS: list[tuple[str, str, str | None, str, str, datetime, datetime | None,
                   list[tuple[str, datetime]]]] = [
    ("d1", "ra1", "cu1", "web", "won", D(1, 5), D(2, 10),
     [("lead", D(1, 5)), ("qualified", D(1, 10)), ("proposal", D(1, 20)), ("won", D(2, 10))]),
    ("d2", "ra1", "cu2", "web", "lost", D(1, 6), D(2, 1),
     [("lead", D(1, 6)), ("qualified", D(1, 16)), ("lost", D(2, 1))]),
    ("d3", "ra1", "cu1", "partner", "lost", D(2, 1), D(2, 11),
     [("lead", D(2, 1)), ("lost", D(2, 11))]),
    ("d4", "ra1", "cu2", "partner", "open", D(2, 10), None,
     [("lead", D(2, 10)), ("qualified", D(2, 20)), ("proposal", D(3, 1))]),
    ("d5", "ra1", None, "partner", "open", D(3, 1), None, [("lead", D(3, 1))]),
    ("e1", "ra2", None, "web", "won", D(1, 3), D(1, 30),
     [("lead", D(1, 3)), ("qualified", D(1, 8)), ("proposal", D(1, 15)), ("won", D(1, 30))]),
    ("e2", "ra2", None, "web", "won", D(1, 4), D(3, 5),
     [("lead", D(1, 4)), ("qualified", D(1, 9)), ("proposal", D(1, 19)), ("won", D(3, 5))]),
    ("e3", "ra2", None, "web", "lost", D(2, 2), D(2, 25),
     [("lead", D(2, 2)), ("qualified", D(2, 5)), ("lost", D(2, 25))]),
    ("e4", "ra2", None, "web", "won", D(2, 3), D(3, 10),
     [("lead", D(2, 3)), ("qualified", D(2, 6)), ("won", D(3, 10))]),
    ("f1", "ra3", None, "web", "won", D(1, 12), D(2, 15),
     [("lead", D(1, 12)), ("qualified", D(1, 20)), ("proposal", D(2, 1)), ("won", D(2, 15))]),
    ("f2", "ra3", None, "web", "lost", D(1, 15), D(1, 25),
     [("lead", D(1, 15)), ("lost", D(1, 25))]),
    ("g1", "rb1", None, "web", "lost", D(1, 7), D(3, 14),
     [("lead", D(1, 7)), ("qualified", D(1, 14)), ("proposal", D(2, 14)), ("lost", D(3, 14))]),
    ("g2", "rb1", None, "web", "won", D(12, 20, 2024), D(1, 25),
     [("lead", D(12, 20, 2024)), ("qualified", D(1, 5)), ("won", D(1, 25))]),
    ("g3", "rb2", None, "web", "open", D(3, 20), None,
     [("lead", D(3, 20)), ("qualified", D(3, 28))]),
    ("g4", "rb2", None, "web", "open", D(4, 2), None, [("lead", D(4, 2))]),
    ("g5", "rb2", None, "web", "won", D(2, 1), D(2, 20), []),
    ("g6", "rb2", None, "web", "lost", D(3, 1), D(2, 27), []),
]


def _opportunity(deal: tuple[Any, ...]) -> dict[str, Any]:
    oid, rep, customer, channel, status, created, closed, stages = deal
    return {"opportunity_id": oid, "owner_rep_id": rep, "customer_id": customer,
            "channel": channel, "product": "P", "status": status,
            "stage": stages[-1][0] if stages else status, "created_at": created,
            "closed_at": closed, "amount": 100, "currency": "CNY"}


ROWS: dict[str, list[dict[str, Any]]] = {
    "teams": TEAMS, "reps": REPS, "customers": CUSTOMERS,
    "opportunities": [_opportunity(d) for d in _DEALS],
    "stage_changes": [{"opportunity_id": d[0], "stage": s, "entered_at": t}
                      for d in _DEALS for s, t in d[7]],
}
FUNNEL = TinyOrg(settings=SETTINGS, rows=ROWS)

PERIOD = "2025-Q1"
DEALS_OF = {rep: sorted(d[0] for d in _DEALS if d[1] == rep)
            for rep in ("ra1", "ra2", "ra3", "rb1", "rb2")}
FIRST_DAY = date(2025, 1, 1)

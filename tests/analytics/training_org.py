"""The small organisations of the training-impact and market-trend tests (and of the /trends
page's tests). Time zone UTC; every time is 10:00; every deal is worth 100 CNY.

``TRAINING``::

    CO ── TA: t1, t2, t3, c1, c2
      └── TB: t4, t5, c3, c4, c5

t1…t5 complete the course "Negotiation" (kind coaching) on 2025-03-10; c1 completes "AR demo"
(kind ar_demo) on 2025-03-05, and is still an untrained peer for Negotiation. With a window of
one month, *before* is 2025-02 and *after* 2025-04 (the training month 2025-03 is neither).
Deals are created on the 1st and closed on the 20th of the same month; won / lost:

=====  ==========  ==========
rep    2025-02     2025-04
=====  ==========  ==========
t1     1 / 1       2 / 0       (and one won in 2025-03, in neither window)
t2     0 / 2       1 / 1
t3     1 / 1       1 / 1
t4     1 / 3       3 / 1
t5     2 / 0       1 / 1
c1     1 / 1       1 / 1
c2     1 / 1       0 / 2
c3     2 / 0       1 / 1
c4     0 / 2       1 / 1
c5     1 / 1       1 / 1
=====  ==========  ==========

c5 also has an open deal created 2025-05-02, the last day of data: the complete months are
2025-02 (the first close) to 2025-04.

``TRENDS``: one rep of each team, 24 months 2023-01 … 2024-12. r1 (team TA) creates
``6 + i + PATTERN[i % 12]`` deals from channel ``web`` in month *i* (0 = 2023-01), each won on
the 15th of the same month; r2 (TB) one deal a month from ``partner``, won in odd months and
lost in even ones (2023-01 is month 0, even). An activity on 2024-12-31 makes that the last
day of data, so 2024-12 is complete: 24 months of history, from the first close (2023-01).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.tiny_org import PIPELINE, TinyOrg

from salescore.model.org import Organisation, OrgSettings

SETTINGS = OrgSettings(organisation=Organisation(name="Training", timezone="UTC",
                                                 currency="CNY"), pipeline=PIPELINE)


def D(y: int, m: int, d: int) -> datetime:  # noqa: N802
    return datetime(y, m, d, 10)


TEAMS = [
    {"team_id": "CO", "name": "Company", "parent_team_id": None},
    {"team_id": "TA", "name": "Team A", "parent_team_id": "CO"},
    {"team_id": "TB", "name": "Team B", "parent_team_id": "CO"},
]
_TEAM_OF = {"t1": "TA", "t2": "TA", "t3": "TA", "c1": "TA", "c2": "TA",
            "t4": "TB", "t5": "TB", "c3": "TB", "c4": "TB", "c5": "TB"}
# rep: (won before, lost before, won after, lost after)
WINDOWS = {"t1": (1, 1, 2, 0), "t2": (0, 2, 1, 1), "t3": (1, 1, 1, 1), "t4": (1, 3, 3, 1),
           "t5": (2, 0, 1, 1), "c1": (1, 1, 1, 1), "c2": (1, 1, 0, 2), "c3": (2, 0, 1, 1),
           "c4": (0, 2, 1, 1), "c5": (1, 1, 1, 1)}


def _deal(oid: str, rep: str, status: str, created: datetime, closed: datetime | None,
          channel: str = "web") -> dict[str, Any]:
    return {"opportunity_id": oid, "owner_rep_id": rep, "customer_id": None,
            "channel": channel, "product": "P", "status": status,
            "stage": status if status != "open" else "lead", "created_at": created,
            "closed_at": closed, "amount": 100, "currency": "CNY"}


def _training_deals() -> list[dict[str, Any]]:
    out = []
    for rep, (wb, lb, wa, la) in WINDOWS.items():
        for month, won, lost in ((2, wb, lb), (4, wa, la)):
            for i, status in enumerate(["won"] * won + ["lost"] * lost):
                out.append(_deal(f"{rep}-{month}-{i}", rep, status, D(2025, month, 1),
                                 D(2025, month, 20)))
    out.append(_deal("t1-3-0", "t1", "won", D(2025, 3, 1), D(2025, 3, 20)))
    out.append(_deal("c5-open", "c5", "open", D(2025, 5, 2), None))
    return out


TRAINING = TinyOrg(settings=SETTINGS, rows={
    "teams": TEAMS,
    "reps": [{"rep_id": r, "name": r.upper(), "team_id": t, "active": True}
             for r, t in _TEAM_OF.items()],
    "opportunities": _training_deals(),
    "trainings": [{"training_id": f"TR{i}", "rep_id": r, "course": "Negotiation",
                   "kind": "coaching", "completed_at": D(2025, 3, 10), "hours": 2.0,
                   "score": None} for i, r in enumerate(("t1", "t2", "t3", "t4", "t5"))]
    + [{"training_id": "TR9", "rep_id": "c1", "course": "AR demo", "kind": "ar_demo",
        "completed_at": D(2025, 3, 5), "hours": 1.0, "score": 80.0}],
})

PATTERN = [0, -2, 1, 0, 3, -1, 2, -4, 1, 0, 2, -2]
"""The seasonal pattern of r1's deals (sums to 0)."""


def _trend_deals() -> list[dict[str, Any]]:
    out = []
    for i in range(24):
        y, m = 2023 + i // 12, i % 12 + 1
        for k in range(6 + i + PATTERN[i % 12]):
            out.append(_deal(f"w{i}-{k}", "r1", "won", D(y, m, 1), D(y, m, 15)))
        out.append(_deal(f"p{i}", "r2", "won" if i % 2 else "lost", D(y, m, 1), D(y, m, 15),
                         channel="partner"))
    return out


TRENDS = TinyOrg(settings=SETTINGS, rows={
    "teams": TEAMS,
    "reps": [{"rep_id": "r1", "name": "R1", "team_id": "TA", "active": True},
             {"rep_id": "r2", "name": "R2", "team_id": "TB", "active": True}],
    "opportunities": _trend_deals(),
    "activities": [{"activity_id": "a1", "rep_id": "r1", "customer_id": None,
                    "opportunity_id": None, "kind": "call", "direction": "outbound",
                    "occurred_at": D(2024, 12, 31), "duration_s": 60, "outcome": "connected"}],
})

"""The small organisation of the pipeline-changes tests (and of the /pipeline page's tests).

Time zone UTC, currency CNY, every time 10:00. Pipeline: lead, qualified, proposal, won, lost.
From 2025-02-01 to 2025-02-28, deals expected to close in 2025-Q1 (01-01 … 03-31)::

    CO ── TA: ra1, ra2
      └── TB: rb1

History rows (``opportunity_history``: valid from, stage/status, amount, expected close):

====  ====  =======  ===================================================  ==================
deal  rep   created  history                                              between the dates
====  ====  =======  ===================================================  ==================
p1    ra1   01-05    01-05 lead 100 → 03-15                               kept, 100 → 100
p2    ra1   01-10    01-10 lead 200 → 03-20; 02-10 proposal 250           up 50
p3    ra1   01-12    01-12 lead 300 → 02-20; 02-15 won 280                down 20, won 280
p4    ra2   01-15    01-15 lead 400 → 03-10; 02-05 close → 04-20          pushed 400
p5    ra2   02-10    02-10 lead 150 → 03-30                               new 150
p6    ra2   01-03    01-03 lead 500 → 05-10; 02-20 close → 03-25          pulled in 500
p7    rb1   01-20    01-20 lead 600 → 03-01; 02-25 lost 600               lost 600
p8    rb1   01-25    01-25 lead (amount unknown) → 03-05; 02-12 700       up 700 (unknown)
p9    rb1   03-05    03-05 lead 900 → 03-29                               after the end
p10   rb1   01-02    01-02 lead 50 → 01-25; 01-20 won 50                  won before start
p11   ra1   01-06    (no history)                                         in no pipeline
p12   ra2   01-08    03-01 lead 80 → 03-28 (first imported after the end) kept, 80 → 80
p13   rb1   01-09    01-09 lead 1000 EUR → 03-12                          kept, unknown (EUR)
====  ====  =======  ===================================================  ==================
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.tiny_org import PIPELINE, TinyOrg

from salescore.model.org import Organisation, OrgSettings


def D(m: int, d: int, y: int = 2025) -> datetime:  # noqa: N802
    return datetime(y, m, d, 10)


SETTINGS = OrgSettings(organisation=Organisation(name="Pipeline", timezone="UTC",
                                                 currency="CNY"), pipeline=PIPELINE)
TEAMS = [
    {"team_id": "CO", "name": "Company", "parent_team_id": None},
    {"team_id": "TA", "name": "Team A", "parent_team_id": "CO"},
    {"team_id": "TB", "name": "Team B", "parent_team_id": "CO"},
]
REPS = [{"rep_id": r, "name": r.upper(), "team_id": t, "active": True,
         "email": f"{r}@example.com"}
        for r, t in [("ra1", "TA"), ("ra2", "TA"), ("rb1", "TB")]]

# deal, rep, created, [(valid_from, stage, amount, close day, currency)]
_H = tuple[datetime, str, int | None, date, str]
_DEALS: list[tuple[str, str, datetime, list[_H]]] = [
    ("p1", "ra1", D(1, 5), [(D(1, 5), "lead", 100, date(2025, 3, 15), "CNY")]),
    ("p2", "ra1", D(1, 10), [(D(1, 10), "lead", 200, date(2025, 3, 20), "CNY"),
                             (D(2, 10), "proposal", 250, date(2025, 3, 20), "CNY")]),
    ("p3", "ra1", D(1, 12), [(D(1, 12), "lead", 300, date(2025, 2, 20), "CNY"),
                             (D(2, 15), "won", 280, date(2025, 2, 20), "CNY")]),
    ("p4", "ra2", D(1, 15), [(D(1, 15), "lead", 400, date(2025, 3, 10), "CNY"),
                             (D(2, 5), "lead", 400, date(2025, 4, 20), "CNY")]),
    ("p5", "ra2", D(2, 10), [(D(2, 10), "lead", 150, date(2025, 3, 30), "CNY")]),
    ("p6", "ra2", D(1, 3), [(D(1, 3), "lead", 500, date(2025, 5, 10), "CNY"),
                            (D(2, 20), "lead", 500, date(2025, 3, 25), "CNY")]),
    ("p7", "rb1", D(1, 20), [(D(1, 20), "lead", 600, date(2025, 3, 1), "CNY"),
                             (D(2, 25), "lost", 600, date(2025, 3, 1), "CNY")]),
    ("p8", "rb1", D(1, 25), [(D(1, 25), "lead", None, date(2025, 3, 5), "CNY"),
                             (D(2, 12), "lead", 700, date(2025, 3, 5), "CNY")]),
    ("p9", "rb1", D(3, 5), [(D(3, 5), "lead", 900, date(2025, 3, 29), "CNY")]),
    ("p10", "rb1", D(1, 2), [(D(1, 2), "lead", 50, date(2025, 1, 25), "CNY"),
                             (D(1, 20), "won", 50, date(2025, 1, 25), "CNY")]),
    ("p11", "ra1", D(1, 6), []),
    ("p12", "ra2", D(1, 8), [(D(3, 1), "lead", 80, date(2025, 3, 28), "CNY")]),
    ("p13", "rb1", D(1, 9), [(D(1, 9), "lead", 1000, date(2025, 3, 12), "EUR")]),
]


def _status(stage: str) -> str:
    return stage if stage in ("won", "lost") else "open"


def _opportunity(deal: tuple[Any, ...]) -> dict[str, Any]:
    oid, rep, created, history = deal
    at, stage, amount, close, currency = history[-1] if history else (
        created, "lead", 10, date(2025, 3, 1), "CNY")
    status = _status(stage)
    return {"opportunity_id": oid, "owner_rep_id": rep, "created_at": created,
            "stage": stage, "status": status, "amount": amount, "currency": currency,
            "expected_close_date": close, "closed_at": at if status != "open" else None}


ROWS: dict[str, list[dict[str, Any]]] = {
    "teams": TEAMS, "reps": REPS,
    "opportunities": [_opportunity(d) for d in _DEALS],
    "opportunity_history": [
        {"opportunity_id": d[0], "valid_from": at, "stage": stage, "status": _status(stage),
         "amount": amount, "currency": currency, "expected_close_date": close}
        for d in _DEALS for at, stage, amount, close, currency in d[3]],
}
PIPELINE_ORG = TinyOrg(settings=SETTINGS, rows=ROWS)
START, END = date(2025, 2, 1), date(2025, 2, 28)

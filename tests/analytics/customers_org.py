"""The small organisation of the retention and customer-behaviour tests (and of /customers).

Time zone UTC; every order at 10:00. Pipeline of ``tests/tiny_org.py``.

    CO ── TA: ra1, ra2
      └── TB: rb1

Orders (month-day of 2025 unless said; product: that of the order's opportunity, ``—`` none):

========  ====  =============================================  =======
customer  rep   orders (amount, product)                       channel
========  ====  =============================================  =======
c1        ra1   01-10 100 A, 04-15 200 —, 07-20 100 —, 10-05 100 B  web
c2        ra1   02-01 300 A, 08-01 300 B                       social
c3        ra2   03-05 50 B                                     web
c4        ra2   2024-11-20 100 —, 05-01 100 —                  social
c5        rb1   04-10 400 A, 05-10 100 C, 06-10 −50 (refund), 12-20 100 —  partner
c6        rb1   11-11 80 C                                     web
========  ====  =============================================  =======
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.tiny_org import PIPELINE, TinyOrg

from salescore.model.org import Organisation, OrgSettings


def D(m: int, d: int, y: int = 2025) -> datetime:  # noqa: N802
    """10:00 UTC on ``y-m-d``."""
    return datetime(y, m, d, 10)


SETTINGS = OrgSettings(organisation=Organisation(name="Customers", timezone="UTC",
                                                 currency="CNY"), pipeline=PIPELINE)

TEAMS = [
    {"team_id": "CO", "name": "Company", "parent_team_id": None},
    {"team_id": "TA", "name": "Team A", "parent_team_id": "CO"},
    {"team_id": "TB", "name": "Team B", "parent_team_id": "CO"},
]
REPS = [{"rep_id": r, "name": r.upper(), "team_id": t, "active": True}
        for r, t in [("ra1", "TA"), ("ra2", "TA"), ("rb1", "TB")]]
_CHANNEL = {"c1": "web", "c2": "social", "c3": "web", "c4": "social", "c5": "partner",
            "c6": "web"}
_OWNER = {"c1": "ra1", "c2": "ra1", "c3": "ra2", "c4": "ra2", "c5": "rb1", "c6": "rb1"}
CUSTOMERS = [{"customer_id": c, "name": c.upper(), "segment": "SMB", "channel": ch,
              "owner_rep_id": _OWNER[c], "created_at": D(1, 1, 2024)}
             for c, ch in _CHANNEL.items()]

# order, customer, when, amount, opportunity (product) or None
_ORDERS: list[tuple[str, str, datetime, int, tuple[str, str] | None]] = [
    ("o01", "c1", D(1, 10), 100, ("p1", "A")),
    ("o02", "c1", D(4, 15), 200, None),
    ("o03", "c1", D(7, 20), 100, None),
    ("o04", "c1", D(10, 5), 100, ("p2", "B")),
    ("o05", "c2", D(2, 1), 300, ("p3", "A")),
    ("o06", "c2", D(8, 1), 300, ("p4", "B")),
    ("o07", "c3", D(3, 5), 50, ("p5", "B")),
    ("o08", "c4", D(11, 20, 2024), 100, None),
    ("o09", "c4", D(5, 1), 100, None),
    ("o10", "c5", D(4, 10), 400, ("p6", "A")),
    ("o11", "c5", D(5, 10), 100, ("p7", "C")),
    ("o12", "c5", D(6, 10), -50, None),
    ("o13", "c5", D(12, 20), 100, None),
    ("o14", "c6", D(11, 11), 80, ("p8", "C")),
]


def _opportunity(order: tuple[Any, ...]) -> dict[str, Any]:
    _, customer, when, amount, (oid, product) = order
    return {"opportunity_id": oid, "owner_rep_id": _OWNER[customer], "customer_id": customer,
            "channel": "web", "product": product, "status": "won", "stage": "won",
            "created_at": when, "closed_at": when, "amount": amount, "currency": "CNY"}


ROWS: dict[str, list[dict[str, Any]]] = {
    "teams": TEAMS, "reps": REPS, "customers": CUSTOMERS,
    "opportunities": [_opportunity(o) for o in _ORDERS if o[4] is not None],
    "orders": [{"order_id": oid, "customer_id": c, "rep_id": _OWNER[c], "ordered_at": when,
                "amount": amount, "currency": "CNY",
                "opportunity_id": opp[0] if opp else None}
               for oid, c, when, amount, opp in _ORDERS],
}
CUSTOMERS_ORG = TinyOrg(settings=SETTINGS, rows=ROWS)
YEAR = "2025"

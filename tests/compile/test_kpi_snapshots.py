"""Snapshots (compile/kpis.py, placement ``snapshot``): open pipeline and stale opportunities
worked out by hand over rows that close before they open, close on a period's last day, are
open for one evening, have no amount, and opportunities whose touches end and start idle
spells."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest
from tests.tiny_org import KPIS, L, TinyOrg

from salescore.engine.kpis import KpiEngine, KpiRequest
from salescore.engine.warehouse import Warehouse
from salescore.semantic.catalog import shipped_catalog

CATALOG = shipped_catalog()
NAMES = ["open_pipeline", "pipeline_coverage", "stale_opportunities"]


def _opp(i: int, rep: str, created: datetime, closed: datetime | None, amount: float | None,
         currency: str) -> dict[str, Any]:
    return {"opportunity_id": f"x{i}", "owner_rep_id": rep, "customer_id": "c1",
            "created_at": created, "status": "open" if closed is None else "won",
            "stage": "qualified" if closed is None else "won", "amount": amount,
            "currency": currency, "closed_at": closed, "channel": "web", "product": "A"}


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    with Warehouse.open("duckdb://:memory:") as wh:
        KPIS.load(wh)
        yield wh


def _replace_opportunities(wh: Warehouse, opps: list[dict[str, Any]],
                           touches: Sequence[tuple[int, datetime]] = ()) -> None:
    acts = [{"activity_id": f"t{i}", "rep_id": "r1", "kind": "call", "direction": "outbound",
             "occurred_at": when, "customer_id": "c1", "opportunity_id": f"x{opp}"}
            for i, (opp, when) in enumerate(touches)]
    org = TinyOrg(settings=KPIS.settings,
                  rows={**KPIS.rows, "opportunities": opps, "activities": acts})
    for name in ("opportunities", "activities"):
        wh.execute_sql(f"DELETE FROM {name}")
        wh.append(name, org.arrow_tables()[name])


def test_open_pipeline_and_stale_opportunities_by_hand(warehouse: Warehouse) -> None:
    _replace_opportunities(warehouse, [
        _opp(1, "r1", L(2024, 12, 1), None, 100, "CNY"),               # open throughout
        _opp(2, "r1", L(2025, 1, 10), L(2025, 2, 28, 23), 30, "CNY"),  # Jan, not Feb's end
        _opp(3, "r1", L(2025, 2, 1), L(2025, 1, 1), 500, "CNY"),       # closed before created
        _opp(4, "r1", L(2025, 1, 31, 23, 59), L(2025, 2, 1, 0), 7, "CNY"),  # open on Jan 31
        _opp(5, "r2", L(2025, 3, 1), None, None, "CNY"),               # amount unknown
        _opp(6, "r1", L(2025, 3, 2), L(2025, 3, 31, 12), 1000, "CNY"),  # closed on the last day
        _opp(7, "r1", L(2025, 2, 28, 20), L(2025, 3, 1, 9), 5, "CNY"),  # open on Feb 28 only
    ], [(1, L(2025, 2, 20)), (1, L(2025, 2, 21)), (2, L(2025, 2, 10))])
    engine = KpiEngine(warehouse.backend, KPIS.settings, CATALOG)
    rows = engine.compute(KpiRequest.of(NAMES, by="rep", period="2025-Q1",
                                        grain="month")).table.to_pylist()
    got = {(r["rep_id"], r["period"]): r["open_pipeline"] for r in rows
           if r["rep_id"] in ("r1", "r2")}
    stale = {(r["rep_id"], r["period"]): r["stale_opportunities"] for r in rows
             if r["rep_id"] in ("r1", "r2")}
    # x1 idle from Dec 15 to its touch on Feb 20, again from Mar 7 (14 days after Feb 21);
    # x2 idle Jan 24 to its touch on Feb 10, then Feb 24 until it closes on Feb 28 (not
    # idle on the 28th); x5 idle from Mar 15; x6 idle Mar 16 until it closes on Mar 31
    assert stale == {("r1", "2025-01"): 2, ("r1", "2025-02"): 0, ("r1", "2025-03"): 1,
                     ("r2", "2025-01"): 0, ("r2", "2025-02"): 0, ("r2", "2025-03"): 1}
    assert got == {("r1", "2025-01"): 137.0, ("r1", "2025-02"): 105.0,
                   ("r1", "2025-03"): 100.0,
                   # an unknown amount is left out of the sum (the module's rule)
                   ("r2", "2025-01"): 0.0, ("r2", "2025-02"): 0.0, ("r2", "2025-03"): 0.0}

"""A request is compiled once (engine/kpis.py, engine/runner.py): asked again, the engine runs
one query and compiles nothing; a write through the warehouse makes it ask and compile again,
and the answer then counts the new rows."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
from tests.tiny_org import KPIS

from salescore.engine.kpis import KpiEngine, KpiRequest
from salescore.engine.warehouse import Warehouse
from salescore.ingest import import_arrow

REQUEST = KpiRequest.of(["activities", "calls", "revenue_won"], by="rep", period="2025-Q1")


def test_asked_again_one_query_and_after_a_write_the_new_rows() -> None:
    with Warehouse.open("duckdb://:memory:") as wh:
        KPIS.load(wh)
        engine = KpiEngine(wh.backend, KPIS.settings, version=lambda: wh.writes)
        first = engine.compute(REQUEST)
        assert first.queries > 1  # the rates asked first (money KPI), then the KPIs
        again = engine.compute(REQUEST)
        assert again.queries == 1
        assert again.table.to_pylist() == first.table.to_pylist()
        calls = {r["rep_id"]: r["calls"] for r in first.table.to_pylist()}
        import_arrow(wh, KPIS.settings, "activities", pa.table({
            "activity_id": ["new1", "new2"], "rep_id": ["r1", "r1"],
            "customer_id": ["c1", "c1"], "kind": ["call", "call"],
            "direction": ["outbound", "outbound"],
            "occurred_at": [datetime(2025, 2, 3, 5), datetime(2025, 3, 3, 5)],
            "duration_s": [60, 60]}))
        after = engine.compute(REQUEST)
        assert after.queries > 1
        assert {r["rep_id"]: r["calls"] for r in after.table.to_pylist()} == \
            {**calls, "r1": calls["r1"] + 2}
        # another engine on the same catalogue, scope and context finds the compiled query
        other = KpiEngine(wh.backend, KPIS.settings, engine.catalog)
        assert other.compute(REQUEST).table.to_pylist() == after.table.to_pylist()

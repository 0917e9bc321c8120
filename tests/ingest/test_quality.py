"""The quality report's numbers, worked out by hand, on every backend."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pyarrow as pa

from salescore.compile.schema import schema
from salescore.engine.warehouse import Warehouse
from salescore.ingest import quality_report
from salescore.model.org import OrgSettings


def _opportunity(oid: str, customer: str, stage: str, status: str, created: datetime,
                 closed: datetime | None, currency: str = "CNY") -> dict[str, object]:
    return {"opportunity_id": oid, "customer_id": customer, "owner_rep_id": "r1",
            "product": None, "channel": "web" if oid != "o4" else None, "created_at": created,
            "stage": stage, "status": status, "amount": Decimal("10"), "currency": currency,
            "expected_close_date": None, "closed_at": closed, "lost_reason": None}


def _append(warehouse: Warehouse, name: str, records: list[dict[str, object]]) -> None:
    warehouse.append(name, pa.Table.from_pylist(records, schema=schema(name).to_pyarrow()))


def _seed(warehouse: Warehouse) -> None:
    # Appended directly: the report must find what an import would have refused.
    _append(warehouse, "customers", [
        {"customer_id": "c1", "name": "ACME Co., Ltd.", "created_at": datetime(2025, 1, 1)},
        {"customer_id": "c2", "name": "acme", "created_at": datetime(2025, 1, 2)},
        {"customer_id": "c3", "name": "上海某某科技有限公司", "created_at": datetime(2025, 1, 3)},
        {"customer_id": "c4", "name": "上海某某科技", "created_at": datetime(2025, 2, 4, 9)},
        {"customer_id": "c5", "name": "Other", "created_at": datetime(2025, 1, 5)},
    ])
    _append(warehouse, "opportunities", [
        _opportunity("o1", "c1", "lead", "open", datetime(2025, 3, 1), None),
        _opportunity("o2", "c1", "won", "won", datetime(2025, 3, 1), datetime(2025, 2, 1)),
        _opportunity("o3", "c9", "Demo", "open", datetime(2025, 3, 1), None, "USD"),
        _opportunity("o4", "c8", "proposal", "won", datetime(2025, 3, 5), datetime(2025, 3, 6)),
    ])
    _append(warehouse, "fx_rates", [
        {"currency": "EUR", "day": datetime(2025, 3, 1).date(), "rate": 7.8}])


def test_quality_numbers(warehouse: Warehouse) -> None:
    _seed(warehouse)
    report = quality_report(warehouse, OrgSettings())
    opps = report.table("opportunities")
    assert opps.rows == 4
    completeness = {c.name: c.completeness for c in opps.columns}
    assert completeness["channel"] == 0.75 and completeness["closed_at"] == 0.5
    assert completeness["product"] == 0.0 and completeness["opportunity_id"] == 1.0
    # o2 closed before created, o3 unknown stage, o4 status contradicts its stage: 3 of 4 rows.
    assert opps.invalid_rows == 3 and opps.validity == 0.25
    issues = {i.check: (i.rows, i.examples) for i in opps.issues}
    assert issues["not_before:closed_at"] == (1, ())
    assert issues["unknown_stage"] == (1, ("Demo (1)",))
    assert issues["status_stage"] == (1, ())
    assert issues["orphans:customer_id"] == (2, ("c8", "c9"))
    assert issues["orphans:owner_rep_id"] == (4, ("r1",))
    assert issues["no_fx_rate"] == (1, ("USD (1)",))
    assert opps.orphans == {"customer_id": 2, "owner_rep_id": 4}
    assert (opps.oldest, opps.newest) == (datetime(2025, 3, 1), datetime(2025, 3, 5))
    assert opps.duplicate_keys == 0
    customers = report.table("customers")
    assert (customers.rows, customers.validity, customers.newest) == \
        (5, 1.0, datetime(2025, 2, 4, 9))
    assert [(g.normalised, g.customers) for g in report.likely_duplicate_customers] == [
        ("acme", (("c1", "ACME Co., Ltd."), ("c2", "acme"))),
        ("上海某某科技", (("c3", "上海某某科技有限公司"), ("c4", "上海某某科技"))),
    ]
    assert report.duplicate_customer_rows == 4
    assert report.table("teams").rows == 0 and report.table("teams").validity == 1.0
    as_json = report.to_dict()
    assert as_json["tables"][2]["newest"] == "2025-02-04T09:00:00Z"


def test_quality_of_chosen_tables_only(warehouse: Warehouse) -> None:
    report = quality_report(warehouse, OrgSettings(), ["teams", "reps"])
    assert [t.name for t in report.tables] == ["teams", "reps"]
    assert report.likely_duplicate_customers == ()

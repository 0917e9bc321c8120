"""Derived facts and daily roll-ups (engine/maintain.py): the roll-up path equals the raw path
for every catalogue KPI on the tiny organisation; imports keep them as a rebuild would; a
failed import leaves them as they were; a re-import changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest
from tests.tiny_org import KPIS, L

from salescore.core.scope import Scope
from salescore.engine.kpis import KpiEngine, KpiRequest
from salescore.engine.maintain import STATE, read_state, rebuild
from salescore.engine.runner import Runner
from salescore.engine.warehouse import Warehouse
from salescore.ingest import import_arrow
from salescore.semantic.catalog import shipped_catalog

CATALOG = shipped_catalog()
SETTINGS = KPIS.settings
GRAINS = ["rep", "team", "company", "region", "product", "kind"]


def compute(wh: Warehouse, by: str, *, fast: bool, period: str = "2025") -> list[dict[str, Any]]:
    engine = KpiEngine(wh.backend, SETTINGS, CATALOG, use_rollups=fast, use_derived=fast)
    req = KpiRequest.of(list(CATALOG.kpis), by=by, period=period, grain="month")
    return engine.compute(req).table.to_pylist()


def assert_same(raw: list[dict[str, Any]], fast: list[dict[str, Any]]) -> None:
    assert len(raw) == len(fast)
    for a, b in zip(raw, fast, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            if isinstance(a[k], float) and isinstance(b[k], float):
                # float averages are sums of days, not of rows: same to the last bits
                assert b[k] == pytest.approx(a[k], rel=1e-12, abs=0), (k, a, b)
            else:
                assert a[k] == b[k], (k, a, b)


def kept_tables(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every kept table's rows, sorted: what must not change where nothing changed."""
    state = read_state(wh)
    assert state is not None
    names = [n for (n,) in wh.execute_sql(f"SELECT name FROM {STATE} WHERE kind <> 'settings'")]
    out = {}
    for name in sorted(names):
        rows = wh.execute_sql(f'SELECT * FROM "{name}"')
        out[name] = sorted(rows, key=repr)
    return out


@pytest.fixture
def wh() -> Iterator[Warehouse]:
    with Warehouse.open("duckdb://:memory:") as warehouse:
        KPIS.load(warehouse)
        rebuild(warehouse, CATALOG, SETTINGS)
        yield warehouse


def test_kept_items_answer_distinct_counts_conversions_and_retention(wh: Warehouse) -> None:
    engine = KpiEngine(wh.backend, SETTINGS, CATALOG)
    names = ["customers_touched", "repeat_purchase_rate", "customer_retention_rate",
             "stage_conversion"]
    for by in ("rep", "team", "company"):
        compiled, _ = engine.compile(KpiRequest.of(names, by=by, period="2025"))
        assert set(compiled.from_rollups) == {"m__customers_touched", "m__repeat_buyers",
                                              "m__buying_customers"}
        sql = compiled.sql()
        assert "conversions__stage_changes__entered_at__opportunity_id" in sql
        assert "items__orders__ordered_at__customer_id" in sql
        assert '"stage_changes"' not in sql and '"orders"' not in sql
    # a dimension splits rows the kept items do not, and they are kept per month: raw rows
    for by, grain in (("region", "month"), ("rep", "week")):
        req = KpiRequest.of(names, by=by, period="2025-Q1", grain=grain)
        compiled, _ = engine.compile(req)
        assert compiled.from_rollups == compiled.from_items == ()
        assert "items__" not in compiled.sql()
    # quarters are whole months: one rep's customers over three months counted once
    by_quarter = KpiRequest.of(names, by="rep", period="2025", grain="quarter")
    compiled, _ = engine.compile(by_quarter)
    assert "c__stage_conversion__s1__num" in compiled.from_items
    fast = KpiEngine(wh.backend, SETTINGS, CATALOG).compute(by_quarter).table.to_pylist()
    raw = KpiEngine(wh.backend, SETTINGS, CATALOG, use_rollups=False,
                    use_derived=False).compute(by_quarter).table.to_pylist()
    assert_same(raw, fast)
    # r1 reached out to c1 in January and February, to c2 and c3 in March
    assert _value(fast, "r1", "2025-Q1", "customers_touched") == 3


def test_rollups_are_used(wh: Warehouse) -> None:
    engine = KpiEngine(wh.backend, SETTINGS, CATALOG)
    compiled, _ = engine.compile(KpiRequest.of(list(CATALOG.kpis), by="rep", period="2025"))
    assert "m__deals_won" in compiled.from_rollups
    assert "m__activities" in compiled.from_rollups
    # money in USD on the tiny org is converted per row: raw
    assert "m__revenue_won" not in compiled.from_rollups
    assert 30 <= len(compiled.from_rollups) < len(compiled.plan.measures)


@pytest.mark.parametrize("by", GRAINS)
def test_rollup_path_equals_raw_path(wh: Warehouse, by: str) -> None:
    assert_same(compute(wh, by, fast=False), compute(wh, by, fast=True))


def test_bulk_append_makes_kept_tables_stale(wh: Warehouse) -> None:
    teams = pa.table({"team_id": ["T9"], "name": ["Nine"], "parent_team_id": [None],
                      "department": [None], "region": [None]})
    wh.append("teams", teams)
    assert read_state(wh) is None


NEW_ACTIVITIES = pa.table({
    "activity_id": ["n1", "n2", "n3", "a1"],
    "rep_id": ["r1", "r1", "r2", "r1"],
    "customer_id": ["c1", "c1", "c4", "c2"],
    "kind": ["email", "call", "visit", "call"],
    "direction": ["inbound", "outbound", "outbound", "outbound"],
    "occurred_at": [datetime(2025, 2, 3, 1), datetime(2025, 2, 3, 5), datetime(2025, 3, 31, 17),
                    datetime(2025, 1, 20, 2)],
    "duration_s": [None, 300, None, 120],
})
CHANGED_CUSTOMERS = pa.table({
    "customer_id": ["c1"], "name": ["C1"], "region": ["West"], "channel": ["partner"],
    "owner_rep_id": ["r1"], "created_at": [datetime(2024, 9, 30, 2)],
})


NEW_STAGE_CHANGES = pa.table({
    # o4 (r1, qualified on 2025-03-01) now reaches proposal: its March entry converts
    "opportunity_id": ["o4", "o7"], "stage": ["proposal", "lead"],
    "entered_at": [L(2025, 3, 20), L(2025, 1, 20)],
})
NEW_ORDERS = pa.table({
    # c3's first order is now r2's, before r1's d4: d4 (February) is a repeat purchase
    "order_id": ["d0"], "rep_id": ["r2"], "customer_id": ["c3"],
    "ordered_at": [L(2024, 12, 5)], "amount": [60.0], "currency": ["CNY"],
})
MOVED_OPPORTUNITY = pa.table({
    # o4 handed from r1 to r3: its stage entries (and their conversion) go with it
    "opportunity_id": ["o4"], "owner_rep_id": ["r3"], "customer_id": ["c2"],
    "created_at": [L(2025, 2, 15)], "status": ["open"], "stage": ["proposal"],
    "amount": [200.0], "currency": ["CNY"], "closed_at": [None], "channel": ["web"],
    "product": ["A"],
})


def _value(rows: list[dict[str, Any]], rep: str, period: str, kpi: str) -> Any:
    return next(r[kpi] for r in rows if r["rep_id"] == rep and r["period"] == period)


def test_imports_keep_what_a_rebuild_would(wh: Warehouse) -> None:
    for name, data in [("activities", NEW_ACTIVITIES), ("customers", CHANGED_CUSTOMERS),
                       ("stage_changes", NEW_STAGE_CHANGES), ("orders", NEW_ORDERS),
                       ("opportunities", MOVED_OPPORTUNITY)]:
        result = import_arrow(wh, SETTINGS, name, data)
        assert result.inserted + result.updated > 0
        incremental = kept_tables(wh)
        for by in ("channel",) if name == "customers" else ("rep", "team"):
            assert_same(compute(wh, by, fast=False), compute(wh, by, fast=True))
        rebuild(wh, CATALOG, SETTINGS)
        assert kept_tables(wh) == incremental, name


def test_imports_change_kept_items_beyond_their_own_rows(wh: Warehouse) -> None:
    """A stage entry changes its opportunity's earlier entries' conversions; an order changes
    another rep's repeat purchases; a new owner takes the opportunity's entries along."""
    qualified = "stage_conversion[qualified]"
    before = compute(wh, "rep", fast=True, period="2025-Q1")
    assert _value(before, "r1", "2025-03", qualified) == 0.0
    assert _value(before, "r1", "2025-02", "repeat_purchase_rate") == 0.0
    import_arrow(wh, SETTINGS, "stage_changes", NEW_STAGE_CHANGES)
    import_arrow(wh, SETTINGS, "orders", NEW_ORDERS)
    after = compute(wh, "rep", fast=True, period="2025-Q1")
    assert _value(after, "r1", "2025-03", qualified) == 1.0
    # r1's February buyers: c3 alone (d4), now its second order
    assert _value(after, "r1", "2025-02", "repeat_purchase_rate") == 1.0
    import_arrow(wh, SETTINGS, "opportunities", MOVED_OPPORTUNITY)
    moved = compute(wh, "rep", fast=True, period="2025-Q1")
    assert _value(moved, "r1", "2025-03", qualified) is None
    assert _value(moved, "r3", "2025-03", qualified) == 1.0
    assert_same(compute(wh, "rep", fast=False, period="2025-Q1"), moved)


def test_reimport_of_the_same_rows_changes_nothing(wh: Warehouse) -> None:
    import_arrow(wh, SETTINGS, "activities", NEW_ACTIVITIES)
    before = kept_tables(wh)
    again = import_arrow(wh, SETTINGS, "activities", NEW_ACTIVITIES)
    assert again.inserted == again.updated == 0
    assert kept_tables(wh) == before


@pytest.mark.parametrize("name", ["activities", "stage_changes", "orders"])
def test_failed_import_leaves_rows_facts_and_rollups_as_they_were(wh: Warehouse,
                                                                   name: str) -> None:
    from salescore.ingest import loading

    data = {"activities": NEW_ACTIVITIES, "stage_changes": NEW_STAGE_CHANGES,
            "orders": NEW_ORDERS}[name]
    before = kept_tables(wh)
    assert any(t.startswith(("items__", "conversions__")) for t in before)
    rows_before = wh.execute_sql(f"SELECT count(*) FROM {name}")[0][0]

    class Killed(Exception):
        pass

    original = loading.KeptChanges.after

    def dies_midway(self: Any, notify: Any = None) -> None:
        original(self, notify)  # facts and roll-ups written, the transaction not committed
        raise Killed

    loading.KeptChanges.after = dies_midway  # type: ignore[method-assign]
    try:
        with pytest.raises(Killed):
            import_arrow(wh, SETTINGS, name, data)
    finally:
        loading.KeptChanges.after = original  # type: ignore[method-assign]
    assert wh.execute_sql(f"SELECT count(*) FROM {name}")[0][0] == rows_before
    assert kept_tables(wh) == before


SCOPES = [Scope.rep("r1"), Scope.team("T2")]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.kind}-{s.subject}")
@pytest.mark.parametrize("by", ["rep", "team"])
def test_scoped_session_from_rollups_equals_its_raw_path(wh: Warehouse, scope: Scope,
                                                         by: str) -> None:
    """A rep's or manager's session reads the roll-up rows of the reps in its reach, and gets
    exactly what its own rows give (kept windows read in both, as every scoped query does)."""

    def run(rollups: bool) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
        engine = KpiEngine(Runner(wh.backend, scope), SETTINGS, CATALOG, use_rollups=rollups)
        req = KpiRequest.of(list(CATALOG.kpis), by=by, period="2025", grain="month")
        compiled, _ = engine.compile(req)
        return engine.compute(req).table.to_pylist(), compiled.from_rollups

    raw, none = run(False)
    fast, used = run(True)
    assert none == ()
    assert "m__activities" in used and "m__deals_won" in used
    # another rep's team is out of reach: read through the raw rows
    assert "m__cross_team_assists" not in used
    assert_same(raw, fast)
    assert fast


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_keeps_them_too(warehouse_url: str) -> None:
    """PostgreSQL: rebuild, an import's upkeep in its transaction, the roll-up path."""
    with Warehouse.open(warehouse_url) as pg:
        KPIS.load(pg)
        rebuild(pg, CATALOG, SETTINGS)
        result = import_arrow(pg, SETTINGS, "activities", NEW_ACTIVITIES)
        assert result.inserted == 3
        incremental = kept_tables(pg)
        assert_same(compute(pg, "rep", fast=False), compute(pg, "rep", fast=True))
        rebuild(pg, CATALOG, SETTINGS)
        assert kept_tables(pg) == incremental
        # the kept items, recomputed per item and per rep and month
        for name, data in [("stage_changes", NEW_STAGE_CHANGES), ("orders", NEW_ORDERS),
                           ("opportunities", MOVED_OPPORTUNITY)]:
            import_arrow(pg, SETTINGS, name, data)
        incremental = kept_tables(pg)
        fast = compute(pg, "rep", fast=True, period="2025-Q1")
        assert _value(fast, "r3", "2025-03", "stage_conversion[qualified]") == 1.0
        assert _value(fast, "r1", "2025-02", "repeat_purchase_rate") == 1.0
        assert_same(compute(pg, "rep", fast=False, period="2025-Q1"), fast)
        rebuild(pg, CATALOG, SETTINGS)
        assert kept_tables(pg) == incremental

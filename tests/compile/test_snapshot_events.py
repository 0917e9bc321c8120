"""Snapshots added up as events (compile/kpis.py, ``_Compiler._aggregate_snapshot``): the
counts and sums of rows open on a period's snapshot day equal the range join of rows and
periods they replace, whatever the rows (closed before they open, still open, unknown amounts,
amounts in a currency without a rate, idle spells of touched opportunities) and whatever the
periods (months, one quarter, weeks)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.tiny_org import KPIS, L, TinyOrg

import salescore.compile.kpis as compile_module
import salescore.engine.kpis as engine_module
from salescore.core.lru import Lru
from salescore.engine.kpis import KpiEngine, KpiRequest
from salescore.engine.warehouse import Warehouse
from salescore.semantic.catalog import shipped_catalog

CATALOG = shipped_catalog()
NAMES = ["open_pipeline", "pipeline_coverage", "stale_opportunities"]
SHAPES = [("2025", "month"), ("2025-Q1", None), ("2025-Q1", "week")]
REPS = ["r1", "r2", "r4", "r6"]


def _opp(i: int, rep: str, created: datetime, closed: datetime | None, amount: float | None,
         currency: str) -> dict[str, Any]:
    return {"opportunity_id": f"x{i}", "owner_rep_id": rep, "customer_id": "c1",
            "created_at": created, "status": "open" if closed is None else "won",
            "stage": "qualified" if closed is None else "won", "amount": amount,
            "currency": currency, "closed_at": closed, "channel": "web", "product": "A"}


def _compute(wh: Warehouse, by: str, period: str, grain: str | None, *, events: bool,
             monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    with monkeypatch.context() as m:
        m.setattr(engine_module, "_PREPARED", Lru(8))
        if events:
            m.setattr(compile_module, "_FEW_SNAPSHOTS", 0)  # events for every shape
        else:
            m.setattr(compile_module, "_BY_EVENTS", frozenset())
        engine = KpiEngine(wh.backend, KPIS.settings, CATALOG, use_rollups=False,
                           use_derived=False)
        compiled, _ = engine.compile(KpiRequest.of(NAMES, by=by, period=period, grain=grain))
        assert ("salescore_snapshots_" in compiled.sql()) is events
        return engine.compute(KpiRequest.of(NAMES, by=by, period=period,
                                            grain=grain)).table.to_pylist()


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


def test_events_are_chosen_for_many_snapshot_days(warehouse: Warehouse) -> None:
    engine = KpiEngine(warehouse.backend, KPIS.settings, CATALOG, use_rollups=False,
                       use_derived=False)
    for period, grain, events in (("2025", "month", True), ("2025-Q1", None, False),
                                  ("2025-Q1", "month", False), ("2025-Q1", "week", True)):
        compiled, _ = engine.compile(KpiRequest.of(NAMES, by="rep", period=period, grain=grain))
        assert ("salescore_snapshots_" in compiled.sql()) is events, (period, grain)


def test_open_pipeline_by_hand(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    _replace_opportunities(warehouse, [
        _opp(1, "r1", L(2024, 12, 1), None, 100, "CNY"),               # open throughout
        _opp(2, "r1", L(2025, 1, 10), L(2025, 2, 28, 23), 30, "CNY"),  # Jan, not Feb's end
        _opp(3, "r1", L(2025, 2, 1), L(2025, 1, 1), 500, "CNY"),       # closed before created
        _opp(4, "r1", L(2025, 1, 31, 23, 59), L(2025, 2, 1, 0), 7, "CNY"),  # open on Jan 31
        _opp(5, "r2", L(2025, 3, 1), None, None, "CNY"),               # amount unknown
        _opp(6, "r1", L(2025, 3, 2), L(2025, 3, 31, 12), 1000, "CNY"),  # closed on the last day
        _opp(7, "r1", L(2025, 2, 28, 20), L(2025, 3, 1, 9), 5, "CNY"),  # open on Feb 28 only
    ], [(1, L(2025, 2, 20)), (1, L(2025, 2, 21)), (2, L(2025, 2, 10))])
    rows = _compute(warehouse, "rep", "2025-Q1", "month", events=True, monkeypatch=monkeypatch)
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


_DAYS = st.integers(min_value=-60, max_value=420)


@st.composite
def _opportunities(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=0, max_value=14))
    out = []
    for i in range(n):
        created = L(2024, 11, 1) + timedelta(days=draw(_DAYS), hours=draw(st.integers(0, 23)))
        closed = None
        if draw(st.booleans()):
            closed = created + timedelta(days=draw(st.integers(min_value=-20, max_value=200)),
                                         hours=draw(st.integers(-12, 12)))
        amount = draw(st.one_of(st.none(), st.integers(0, 10_000)))
        currency = draw(st.sampled_from(["CNY", "CNY", "USD", "EUR"]))
        out.append(_opp(i, draw(st.sampled_from(REPS)), created, closed, amount, currency))
    return out


@st.composite
def _touches(draw: st.DrawFn) -> list[tuple[int, datetime]]:
    n = draw(st.integers(min_value=0, max_value=20))
    return [(draw(st.integers(0, 13)),
             L(2024, 11, 1) + timedelta(days=draw(_DAYS), hours=draw(st.integers(0, 23))))
            for _ in range(n)]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(opps=_opportunities(), touches=_touches(),
       by=st.sampled_from(["rep", "team", "company", "product"]), shape=st.sampled_from(SHAPES))
def test_events_equal_the_range_join(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch,
                                     opps: list[dict[str, Any]],
                                     touches: list[tuple[int, datetime]], by: str,
                                     shape: tuple[str, str | None]) -> None:
    _replace_opportunities(warehouse, opps, touches)
    period, grain = shape
    joined = _compute(warehouse, by, period, grain, events=False, monkeypatch=monkeypatch)
    events = _compute(warehouse, by, period, grain, events=True, monkeypatch=monkeypatch)
    assert events == joined

"""Compiled queries kept on disk (engine/sql_store.py): a new process (here: the engine's
in-memory cache emptied) runs the SQL an earlier one compiled, compiling nothing, and gets the
same rows; the rows added since count (the data is not in the key); another scope, a damaged
file or a read-only store each behave as they should."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests.tiny_org import KPIS

from salescore.core.lru import Lru
from salescore.core.scope import Scope
from salescore.engine import kpis as kpis_module
from salescore.engine.kpis import KpiEngine, KpiRequest
from salescore.engine.runner import Runner
from salescore.engine.sql_store import SqlStore, canonical
from salescore.engine.warehouse import Warehouse
from salescore.ingest import import_arrow

BY_REP = KpiRequest.of(["calls", "revenue_won", "win_rate"], by="rep", period="2025-Q1")
BY_TEAM = KpiRequest.of(["deals_won", "activities"], by="team", period="2025-Q1", grain="month")


def _rows(engine: KpiEngine, request: KpiRequest) -> list[dict[str, Any]]:
    return engine.compute(request).table.to_pylist()


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process has: no request compiled in memory."""
    monkeypatch.setattr(kpis_module, "_PREPARED", Lru(kpis_module._PREPARED_SIZE))


def _compiling_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("compiled although the store holds the query")

    monkeypatch.setattr(kpis_module, "compile_kpis", refuse)


def test_a_new_process_runs_the_kept_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    _new_process(monkeypatch)
    with Warehouse.open("duckdb://:memory:") as wh:
        KPIS.load(wh)
        first = KpiEngine(wh.backend, KPIS.settings, sql_store=SqlStore(tmp_path))
        expected = {r: _rows(first, r) for r in (BY_REP, BY_TEAM)}
        files = sorted(tmp_path.glob("*.json"))
        assert len(files) == 2
        for f in files:  # the in-memory tables are renamed after their content
            text = f.read_text()
            assert "salescore_kept_" in text
            assert "salescore_periods_" not in text and "salescore_teams_" not in text

        _new_process(monkeypatch)
        _compiling_forbidden(monkeypatch)
        store = SqlStore(tmp_path)
        later = KpiEngine(wh.backend, KPIS.settings, sql_store=store)
        assert {r: _rows(later, r) for r in (BY_REP, BY_TEAM)} == expected
        assert (store.hits, store.misses) == (2, 0)
        r1_calls = next(r["calls"] for r in expected[BY_REP] if r["rep_id"] == "r1")

        import_arrow(wh, KPIS.settings, "activities", pa.table({
            "activity_id": ["new1"], "rep_id": ["r1"], "customer_id": ["c1"],
            "kind": ["call"], "direction": ["outbound"],
            "occurred_at": [datetime(2025, 2, 3, 5)], "duration_s": [60]}))
        _new_process(monkeypatch)
        again = KpiEngine(wh.backend, KPIS.settings, sql_store=SqlStore(tmp_path))
        assert next(r["calls"] for r in _rows(again, BY_REP)
                    if r["rep_id"] == "r1") == r1_calls + 1


def test_another_scope_is_compiled_and_kept_apart(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _new_process(monkeypatch)
    with Warehouse.open("duckdb://:memory:") as wh:
        KPIS.load(wh)
        everyone = _rows(KpiEngine(wh.backend, KPIS.settings, sql_store=SqlStore(tmp_path)),
                         BY_REP)
        _new_process(monkeypatch)
        store = SqlStore(tmp_path)
        rep = KpiEngine(Runner(wh.backend, Scope.rep("r1")), KPIS.settings, sql_store=store)
        assert _rows(rep, BY_REP) == [r for r in everyone if r["rep_id"] == "r1"]
        assert (store.hits, store.misses) == (0, 1)
        assert len(list(tmp_path.glob("*.json"))) == 2


def test_a_damaged_file_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    _new_process(monkeypatch)
    with Warehouse.open("duckdb://:memory:") as wh:
        KPIS.load(wh)
        expected = _rows(KpiEngine(wh.backend, KPIS.settings, sql_store=SqlStore(tmp_path)),
                         BY_REP)
        (kept,) = tmp_path.glob("*.json")
        kept.write_text('{"sql": "SELECT')
        _new_process(monkeypatch)
        store = SqlStore(tmp_path)
        assert _rows(KpiEngine(wh.backend, KPIS.settings, sql_store=store), BY_REP) == expected
        assert (store.hits, store.misses) == (0, 1)
        assert kept.read_text().endswith("}")  # written again whole


def test_a_read_only_store_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    _new_process(monkeypatch)
    with Warehouse.open("duckdb://:memory:") as wh:
        KPIS.load(wh)
        store = SqlStore(tmp_path / "kept", writable=False)
        KpiEngine(wh.backend, KPIS.settings, sql_store=store).compute(BY_TEAM)
        assert not (tmp_path / "kept").exists()


def test_canonical_text_is_the_same_for_equal_values() -> None:
    assert canonical(frozenset({"b", "a", "c"})) == canonical(frozenset({"c", "a", "b"}))
    assert canonical({"y": 1, "x": date(2025, 1, 2)}) == canonical({"x": date(2025, 1, 2),
                                                                     "y": 1})
    assert canonical(BY_REP) == canonical(KpiRequest.of(["calls", "revenue_won", "win_rate"],
                                                        by="rep", period="2025-Q1"))
    assert canonical(BY_REP) != canonical(BY_TEAM)

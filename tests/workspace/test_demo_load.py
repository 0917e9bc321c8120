"""Loading the demo organisation: committed a few million rows at a time (the large demo in one
transaction did not fit in memory), and a load that fails on the way leaves nothing behind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import salescore.demo
import salescore.workspace.session as session_module
from salescore.workspace import Workspace
from salescore.workspace.demo import DemoConfig, demo_settings

CONFIG = DemoConfig(scale="small", seed=3, end=date(2026, 10, 31))


def _rows(ws: Workspace) -> dict[str, int]:
    return {t.name: t.rows for t in ws.owner().table_info()}


def test_committed_in_parts_every_generated_row_is_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "DEMO_COMMIT_ROWS", 40_000)
    commits = Counter[str]()
    generated = Counter[str]()
    for name, chunk in salescore.demo.generate(CONFIG):
        generated[name] += chunk.num_rows
    with Workspace.init(tmp_path / "h", demo_settings(CONFIG), overwrite=True) as ws:
        warehouse = ws._warehouse
        real = warehouse.execute_sql

        def counting(sql: str, *args: Any, **kwargs: Any) -> Any:
            if sql == "COMMIT":
                commits["commit"] += 1
            return real(sql, *args, **kwargs)

        monkeypatch.setattr(warehouse, "execute_sql", counting)
        ws.owner().load_demo(CONFIG)
        rows = _rows(ws)
    assert sum(generated.values()) > 200_000
    assert {n: rows[n] for n in generated} == dict(generated)
    # ~240,000 rows in parts of 40,000 or more: several commits, not one, not one per chunk
    assert 3 <= commits["commit"] <= 12


def test_a_load_that_fails_on_the_way_leaves_the_warehouse_empty(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "DEMO_COMMIT_ROWS", 20_000)
    real = salescore.demo.generate

    def failing(config: DemoConfig, progress: Any = None) -> Iterator[tuple[str, pa.Table]]:
        for i, item in enumerate(real(config, progress=progress)):
            if i == 12:
                raise OSError("disk full")
            yield item

    monkeypatch.setattr(salescore.demo, "generate", failing)
    with Workspace.init(tmp_path / "h", demo_settings(CONFIG), overwrite=True) as ws:
        with pytest.raises(OSError, match="disk full"):
            ws.owner().load_demo(CONFIG)
        assert set(_rows(ws).values()) == {0}

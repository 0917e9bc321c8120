"""The tiny ``KPIS`` organisation in a fresh data folder on DuckDB (``tests/tiny_org.py``):
r1 has one deal won in 2025-03 (o2, 300 CNY) and an open one (o4, 200 CNY)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.tiny_org import KPIS

from salescore.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("SALESCORE_APP_DB_URL", raising=False)
    with Workspace.init(tmp_path / "home", KPIS.settings) as ws:
        KPIS.load(ws._warehouse)
        yield ws

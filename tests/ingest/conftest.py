"""Helpers for the ingest tests: files written as the products write them, and warehouses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from salescore.engine.warehouse import Warehouse
from salescore.model.org import Organisation, OrgSettings


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` exactly (line endings as given) in ``encoding``."""
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def settings() -> OrgSettings:
    """A UTC organisation reporting in CNY, with the default pipeline."""
    return OrgSettings()


@pytest.fixture
def shanghai() -> OrgSettings:
    return OrgSettings(organisation=Organisation(timezone="Asia/Shanghai"))


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Warehouse]:
    """A fresh DuckDB warehouse file with every canonical table."""
    with Warehouse.open(f"duckdb:///{tmp_path}/warehouse.duckdb") as wh:
        wh.create_tables()
        yield wh


def rows(wh: Warehouse, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in wh.execute_sql(sql)]

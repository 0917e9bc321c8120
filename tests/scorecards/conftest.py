"""The scorecard tests' stores: the tiny organisation ``SCORECARDS`` (``tests/tiny_org.py``, where
its reps, deals and targets are tabled) on each backend, and the plans scored on it.

Plans (``V1``, ``V2``): revenue_won against the targets table (linear, cap 1.5) and deals_won
against a fixed 2 (linear, cap 1.5); ratings A ≥ 100, B ≥ 50, C. Version 1 weighs them 0.5 /
0.5, version 2 0.8 / 0.2.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.backends import fresh_warehouse_url
from tests.tiny_org import SCORECARDS

from salescore.appstore.store import AppStore, sqlite_url
from salescore.engine.kpis import KpiEngine
from salescore.engine.warehouse import Warehouse
from salescore.scorecards import Scorecards


def plan_yaml(revenue: float, deals: float, *, name: str = "tiny-sales",
              extra_line: str = "") -> str:
    return f"""\
name: {name}
title_en: Tiny sales
title_zh: 小团队销售
grain: month
applies_to:
  titles: [Account Executive]
lines:
  - kpi: revenue_won
    weight: {revenue}
    target: {{source: targets_table}}
    scoring: {{method: linear, floor: 0, cap: 1.5}}
  - kpi: deals_won
    weight: {deals}
    target: {{source: fixed, value: 2}}
    scoring: {{method: linear, floor: 0, cap: 1.5}}
{extra_line}missing:
  policy: reweight
  min_coverage: 0.5
ratings:
  - {{label: A, min: 100, title_en: Excellent, title_zh: 优秀}}
  - {{label: B, min: 50}}
  - {{label: C}}
"""


V1 = plan_yaml(0.5, 0.5)
V2 = plan_yaml(0.8, 0.2)


def open_cards(warehouse: Warehouse, app: AppStore) -> Scorecards:
    return Scorecards(warehouse, app, KpiEngine(warehouse.backend, SCORECARDS.settings),
                      SCORECARDS.settings)


@pytest.fixture
def cards(warehouse_url: str, db_url: str) -> Iterator[Scorecards]:
    """Scorecards over the tiny organisation, on each warehouse backend with each app store."""
    with Warehouse.open(warehouse_url) as warehouse, AppStore.open(db_url) as app:
        SCORECARDS.load(warehouse)
        yield open_cards(warehouse, app)


@pytest.fixture
def local_cards(tmp_path: Path) -> Iterator[Scorecards]:
    """The tiny organisation on DuckDB and SQLite only (for tests where the store is not the
    point)."""
    with fresh_warehouse_url("duckdb", tmp_path) as url, Warehouse.open(url) as warehouse, \
            AppStore.open(sqlite_url(tmp_path / "app.sqlite")) as app:
        SCORECARDS.load(warehouse)
        yield open_cards(warehouse, app)

"""A tiny organisation for the scorecard tests, on every pair of stores that is present.

Time zone UTC. Teams north and south; Account Executives a1, a2 (north), a3, a4 (south) and a5
(north, hired 2025-05-10); a4 left after 2025-02-10 (last activity); m1 is a Sales Manager,
whom no plan scores. Won deals (amount, closed in):

=====  ==================  =========  ==================
rep    February 2025       April      May 2025
=====  ==================  =========  ==================
a1     100 + 50 (2 deals)  2 deals    300 (1)
a2     40 (1)              —          60 + 60 + 60 (3)
a3     —                   1 deal     100 (1)
a4     200 (1)             (left)     (left)
a5     (not hired)         (not hired) 50 (1)
=====  ==================  =========  ==================

Revenue targets (targets table): February a1 100, a2 80, a3 50, a4 100; May a1 200, a2 150,
a3 100 (a5 none).

Plans (``V1``, ``V2``): revenue_won against the targets table (linear, cap 1.5) and deals_won
against a fixed 2 (linear, cap 1.5); ratings A ≥ 100, B ≥ 50, C. Version 1 weighs them 0.5 /
0.5, version 2 0.8 / 0.2.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pyarrow as pa
import pytest
from sqlalchemy import create_engine, make_url, pool

from salescore.appstore.store import AppStore, sqlite_url
from salescore.compile.schema import schema
from salescore.engine.kpis import KpiEngine
from salescore.engine.warehouse import Warehouse
from salescore.model.org import Organisation, OrgSettings
from salescore.model.tables import TABLES
from salescore.scorecards import Scorecards

POSTGRES_ENV = "SALESCORE_TEST_POSTGRES_URL"

SETTINGS = OrgSettings(organisation=Organisation(name="Tiny", timezone="UTC", currency="CNY"))


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


def _won(oid: str, rep: str, amount: float, closed: datetime) -> dict[str, Any]:
    return {"opportunity_id": oid, "customer_id": "c1", "owner_rep_id": rep,
            "created_at": datetime(2024, 12, 1, 9), "stage": "won", "status": "won",
            "amount": amount, "currency": "CNY", "closed_at": closed}


ROWS: dict[str, list[dict[str, Any]]] = {
    "teams": [
        {"team_id": "north", "name": "North", "parent_team_id": None},
        {"team_id": "south", "name": "South", "parent_team_id": None},
    ],
    "reps": [
        {"rep_id": "a1", "name": "A1", "team_id": "north", "title": "Account Executive",
         "hire_date": date(2023, 1, 1), "active": True},
        {"rep_id": "a2", "name": "A2", "team_id": "north", "title": "Account Executive",
         "hire_date": date(2023, 1, 1), "active": True},
        {"rep_id": "a3", "name": "A3", "team_id": "south", "title": "account executive ",
         "hire_date": None, "active": True},
        {"rep_id": "a4", "name": "A4", "team_id": "south", "title": "Account Executive",
         "hire_date": date(2023, 1, 1), "active": False},
        {"rep_id": "a5", "name": "A5", "team_id": "north", "title": "Account Executive",
         "hire_date": date(2025, 5, 10), "active": True},
        {"rep_id": "m1", "name": "M1", "team_id": "north", "title": "Sales Manager",
         "hire_date": date(2020, 1, 1), "active": True},
    ],
    "customers": [
        {"customer_id": "c1", "name": "C1", "owner_rep_id": "a1",
         "created_at": datetime(2024, 1, 1)},
    ],
    "opportunities": [
        _won("o1", "a1", 100, datetime(2025, 2, 10, 12)),
        _won("o2", "a1", 50, datetime(2025, 2, 20, 12)),
        _won("o3", "a2", 40, datetime(2025, 2, 11, 12)),
        _won("o4", "a4", 200, datetime(2025, 2, 5, 12)),
        _won("o11", "a1", 10, datetime(2025, 4, 3, 12)),
        _won("o12", "a1", 10, datetime(2025, 4, 4, 12)),
        _won("o13", "a3", 10, datetime(2025, 4, 5, 12)),
        _won("o5", "a1", 300, datetime(2025, 5, 10, 12)),
        _won("o6", "a2", 60, datetime(2025, 5, 11, 12)),
        _won("o7", "a2", 60, datetime(2025, 5, 12, 12)),
        _won("o8", "a2", 60, datetime(2025, 5, 13, 12)),
        _won("o9", "a3", 100, datetime(2025, 5, 14, 12)),
        _won("o10", "a5", 50, datetime(2025, 5, 20, 12)),
    ],
    "activities": [
        {"activity_id": "x1", "rep_id": "a4", "kind": "call", "direction": "outbound",
         "occurred_at": datetime(2025, 2, 10, 9)},
        {"activity_id": "x2", "rep_id": "a1", "kind": "call", "direction": "outbound",
         "occurred_at": datetime(2025, 2, 11, 9)},
    ],
    "targets": [
        {"scope": "rep", "scope_id": rep, "period": period, "kpi": "revenue_won",
         "value": value, "set_by": "import", "reason": "plan"}
        for rep, period, value in [("a1", "2025-02", 100.0), ("a2", "2025-02", 80.0),
                                   ("a3", "2025-02", 50.0), ("a4", "2025-02", 100.0),
                                   ("a1", "2025-05", 200.0), ("a2", "2025-05", 150.0),
                                   ("a3", "2025-05", 100.0)]
    ],
}


def arrow_tables() -> dict[str, pa.Table]:
    out = {}
    for declared in TABLES:
        target = schema(declared.name).to_pyarrow()
        rows = ROWS.get(declared.name, [])
        columns = {}
        for f in target:
            values = [r.get(f.name) for r in rows]
            if pa.types.is_decimal(f.type):
                values = [None if v is None else Decimal(str(v)) for v in values]
            columns[f.name] = pa.array(values, type=f.type)
        out[declared.name] = pa.table(columns)
    return out


def load(warehouse: Warehouse) -> None:
    warehouse.create_tables()
    for name, data in arrow_tables().items():
        warehouse.append(name, data)


# -- stores --------------------------------------------------------------------------------


def _psycopg(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app_postgres_database() -> Iterator[str]:
    """A PostgreSQL database made for this run's app stores (dropped afterwards)."""
    given = os.environ.get(POSTGRES_ENV)
    if not given:
        pytest.skip(f"PostgreSQL app store cases need {POSTGRES_ENV}")
    server = make_url(_psycopg(given))
    name = f"salescore_scorecards_{uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _app_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return sqlite_url(tmp_path / "app.sqlite")
    database = request.getfixturevalue("app_postgres_database")
    schema_name = f"t_{uuid4().hex[:10]}"
    engine = create_engine(database, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema_name}"')
    engine.dispose()
    url = make_url(database).update_query_dict({"options": f"-csearch_path={schema_name}"})
    return url.render_as_string(hide_password=False)


def _warehouse_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "duckdb":
        return f"duckdb:///{tmp_path}/warehouse.duckdb"
    return str(request.getfixturevalue("pg_schema_url"))


STORES = [
    pytest.param(("duckdb", "sqlite"), id="duckdb+sqlite"),
    pytest.param(("duckdb", "postgresql"), id="duckdb+postgresql",
                 marks=pytest.mark.postgres),
    pytest.param(("postgres", "postgresql"), id="postgres+postgresql",
                 marks=pytest.mark.postgres),
]


def open_cards(warehouse: Warehouse, app: AppStore) -> Scorecards:
    return Scorecards(warehouse, app, KpiEngine(warehouse.backend, SETTINGS), SETTINGS)


@pytest.fixture(params=STORES)
def cards(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scorecards]:
    """Scorecards over the tiny organisation, on each pair of stores (warehouse, app store)."""
    warehouse_kind, app_kind = request.param
    with Warehouse.open(_warehouse_url(warehouse_kind, request, tmp_path)) as warehouse, \
            AppStore.open(_app_url(app_kind, request, tmp_path)) as app:
        load(warehouse)
        yield open_cards(warehouse, app)


@pytest.fixture
def local_cards(tmp_path: Path) -> Iterator[Scorecards]:
    """The tiny organisation on DuckDB and SQLite only (for tests where the store is not the
    point)."""
    with Warehouse.open(f"duckdb:///{tmp_path}/warehouse.duckdb") as warehouse, \
            AppStore.open(sqlite_url(tmp_path / "app.sqlite")) as app:
        load(warehouse)
        yield open_cards(warehouse, app)

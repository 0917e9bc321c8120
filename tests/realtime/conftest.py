"""The tiny ``KPIS`` organisation in a fresh data folder on DuckDB (``tests/tiny_org.py``):
r1 has one deal won in 2025-03 (o2, 300 CNY) and an open one (o4, 200 CNY); and the app on it,
shared by the API and page tests (``server``).

``workspace`` and ``server`` run each test on every app store (``tests/backends.py``: SQLite, and
PostgreSQL where ``SALESCORE_TEST_POSTGRES_URL`` names a server, else skipped saying so): the
event versions, alert states, deliveries and stored scores all live there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from tests.app.conftest import Server, served
from tests.backends import APP_STORES, fresh_app_schema_url
from tests.tiny_org import KPIS

from salescore.app import AppSettings
from salescore.workspace import Workspace


@pytest.fixture(params=APP_STORES)
def app_store(request: pytest.FixtureRequest) -> str | None:
    """The app store a workspace test runs on: ``None`` for the data folder's SQLite file, or
    a fresh schema of the test PostgreSQL server."""
    if request.param == "sqlite":
        return None
    return fresh_app_schema_url(request.getfixturevalue("postgres_database"))


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_store: str | None
              ) -> Iterator[Workspace]:
    monkeypatch.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
    if app_store is None:
        monkeypatch.delenv("SALESCORE_APP_DB_URL", raising=False)
    else:
        monkeypatch.setenv("SALESCORE_APP_DB_URL", app_store)
    with Workspace.init(tmp_path / "home", KPIS.settings) as ws:
        KPIS.load(ws._warehouse)
        yield ws


RULES = """\
rules:
  - name: behind_pace
    title: {en: Behind pace, zh: 进度落后}
    kpi: revenue_won
    condition: {kind: pace_below, value: 0.7}
    audience: [rep, manager]
    channels: [inapp]
"""


@pytest.fixture(scope="module", params=APP_STORES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    """The app on the tiny organisation (``tests/app/conftest.py``), today 2025-03-16, shared
    by a module's API and page tests (not the whole session's: the app's warehouse URL is in
    the environment while it runs, and a test of another folder must not see it): rule
    ``behind_pace`` set, and r4 (team T2) behind it (a March target of 5,000 against 250 won),
    raised and delivered in-app. On each app store (SQLite; PostgreSQL where the tests have
    a server)."""
    folder = tmp_path_factory.mktemp("realtime-app")
    app_db = None if request.param == "sqlite" else fresh_app_schema_url(
        request.getfixturevalue("postgres_database"))
    with served("duckdb", folder, AppSettings(today=date(2025, 3, 16)),
                app_db_url=app_db) as app:
        admin = app.headers("admin")
        answer = app.client.put("/api/v1/alerts/rules", json={"yaml": RULES}, headers=admin)
        assert answer.json() == {"added": ["behind_pace"], "changed": [], "removed": []}
        events = {"events": [{"table": "targets", "row": {
            "scope": "rep", "scope_id": "r4", "period": "2025-03", "kpi": "revenue_won",
            "value": "5000"}}]}
        assert app.client.post("/api/v1/events", json=events,
                               headers=admin).json()["accepted"] == 1
        assert app.client.post("/api/v1/alerts/check", headers=admin).json()["sent"] == 2
        yield app


@pytest.fixture(autouse=True)
def _signed_out(request: pytest.FixtureRequest) -> Iterator[None]:
    """A page test signs the shared client in: the next test starts signed out."""
    yield
    if "server" in request.fixturenames:
        request.getfixturevalue("server").client.cookies.clear()

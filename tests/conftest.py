"""Fixtures shared by the whole suite: one backend fixture family (``tests/backends.py`` says
which backends there are and how each is set up).

``backend`` names the backend a cross-backend test runs on; ``warehouse_url`` and ``warehouse``
give it a fresh warehouse there; ``db_url`` gives it a fresh app store. Without
``SALESCORE_TEST_POSTGRES_URL`` every PostgreSQL case is skipped by ``postgres_url``, saying why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.backends import (
    APP_STORES,
    POSTGRES_ENV,
    WAREHOUSES,
    app_database,
    fresh_app_schema_url,
    fresh_warehouse_url,
    postgres_server,
)
from tests.spark_cluster import CLUSTER_ENV, StandaloneCluster, why_not

from salescore.appstore.store import sqlite_url
from salescore.engine.warehouse import Warehouse

if TYPE_CHECKING:
    from salescore.workspace import Workspace


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashes() -> Iterator[None]:
    """Argon2id at its lowest cost for the whole suite (module fixtures included): the tests
    are about accounts and access, not hashing cost, and the default cost is 0.15 s a user.
    tests/appstore/test_credentials.py puts the real parameters back and checks them."""
    from argon2 import PasswordHasher

    from salescore.appstore import credentials

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "_hasher", lambda: quick)
        yield


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL server's URL; the test is skipped, visibly, where there is none."""
    url = postgres_server()
    if not url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (set by .ci/run), "
                    "e.g. postgresql://postgres@127.0.0.1:5432/test")
    return url


@pytest.fixture(scope="module", params=WAREHOUSES)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend a cross-backend test runs on: each of ``WAREHOUSES``, or the set a module
    gives with ``pytest.mark.parametrize("backend", [...], indirect=True)``. Module-scoped so
    that a module may hold one loaded warehouse per backend."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    return str(request.param)


@pytest.fixture
def warehouse_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty warehouse URL on each backend (DuckDB file, PostgreSQL schema), dropped
    after the test."""
    with fresh_warehouse_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    """An open warehouse with every canonical table created, on each backend."""
    with Warehouse.open(warehouse_url) as wh:
        wh.create_tables()
        yield wh


@pytest.fixture(scope="session")
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A database made for this test run's app stores on the test server, as a SQLAlchemy URL
    (``postgresql+psycopg://``); dropped at the end."""
    with app_database(postgres_url) as url:
        yield url


@pytest.fixture(params=APP_STORES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty app store database on each app store backend: a SQLite file in a folder not
    yet made, or a fresh schema of ``postgres_database``."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "data" / "app.sqlite")
    return fresh_app_schema_url(request.getfixturevalue("postgres_database"))


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    """A Spark standalone cluster on 127.0.0.1 (a master and two one-core workers) for the
    whole test run, stopped at the end even when a test fails. Where it cannot start (no
    Java, no PySpark) the tests that ask for it are skipped saying why, or fail when
    ``SALESCORE_TEST_SPARK_CLUSTER=required`` (``.ci/run`` sets it)."""
    reason = why_not()
    if reason:
        if os.environ.get(CLUSTER_ENV) == "required":
            pytest.fail(f"the Spark cluster tests cannot run ({CLUSTER_ENV}=required): {reason}")
        pytest.skip(f"the Spark cluster tests need Java and PySpark: {reason}")
    from tests.backends import stop_spark_backend

    from salescore.engine.spark import stop_sessions

    stop_spark_backend()  # one SparkContext per process: the cluster's, while it runs
    cluster = StandaloneCluster(tmp_path_factory.mktemp("spark-cluster"))
    try:
        yield cluster.start()
    finally:
        stop_sessions()
        cluster.stop()


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The small demo organisation (seed 42, data to 2026-10-31) loaded once per test process
    into a DuckDB workspace, for the tests that check what the analyses and models recover of
    what the demo plants (they read it; none changes its rows)."""
    from datetime import date

    from salescore.demo import DemoConfig, demo_settings
    from salescore.workspace import Workspace

    config = DemoConfig(scale="small", seed=42, locale="en", end=date(2026, 10, 31))
    folder = tmp_path_factory.mktemp("small-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
        mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        with Workspace.init(folder / "home", demo_settings(config)) as workspace:
            workspace.owner().load_demo(config)
            yield workspace

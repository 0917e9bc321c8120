"""Fixtures for the app store tests, each run on SQLite and on PostgreSQL.

``db_url`` (an empty app store database on each backend) and ``postgres_database`` (this run's
PostgreSQL database, for tests about the server itself) come from ``tests/conftest.py``; each
PostgreSQL case gets a fresh schema, so tests never see each other's tables. Without
``SALESCORE_TEST_POSTGRES_URL`` the PostgreSQL cases are skipped, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salescore.appstore import AppStore


@pytest.fixture
def store(db_url: str) -> Iterator[AppStore]:
    """An app store migrated to the newest revision."""
    opened = AppStore.open(db_url)
    try:
        yield opened
    finally:
        opened.close()

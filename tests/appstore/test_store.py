"""Opening the app store, its failures, sessions, UTC timestamps and the audit log."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from salescore.appstore import (
    APP_DB_FILE,
    AppStore,
    AuditEntry,
    ImportRun,
    QualityReport,
    User,
    default_url,
    sqlite_url,
)
from salescore.appstore.store import HEAD_REVISION
from salescore.core.errors import StoreError


def test_open_creates_the_sqlite_folder_and_migrates(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "home dir 数据" / APP_DB_FILE
    with AppStore.open(sqlite_url(path)) as store:
        assert path.is_file()
        assert store.current_revision() == HEAD_REVISION
        assert store.backend == "sqlite"
        assert store.url == sqlite_url(path)
    assert default_url(path.parent) == sqlite_url(path)


def test_a_sqlite_file_is_written_ahead_and_synced_at_checkpoints(tmp_path: Path) -> None:
    """WAL (readers and the writer do not wait for each other) with synchronous NORMAL (a
    commit costs no fsync), on every connection of the pool."""
    with AppStore.open(sqlite_url(tmp_path / APP_DB_FILE)) as store, store.session() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_open_without_migrate_leaves_an_empty_database(tmp_path: Path) -> None:
    with AppStore.open(sqlite_url(tmp_path / APP_DB_FILE), migrate=False) as store:
        assert store.current_revision() is None
        assert store.needs_upgrade()


def test_unreachable_postgres_is_a_store_error_naming_the_server() -> None:
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        AppStore.open("postgresql://scott:hunter2@127.0.0.1:9/app")
    assert time.monotonic() - started < 5
    error = caught.value
    assert error.message.startswith("cannot reach the app store postgresql+psycopg://scott:***@")
    assert "127.0.0.1:9/app" in error.message
    assert "无法连接应用库" in error.message_zh
    assert "hunter2" not in error.message + error.message_zh


def test_missing_postgres_database_is_a_store_error(postgres_database: str) -> None:
    missing = postgres_database.rsplit("/", 1)[0] + "/no_such_database_here"
    with pytest.raises(StoreError) as caught:
        AppStore.open(missing)
    assert "no_such_database_here" in caught.value.message


def test_postgres_url_without_driver_uses_psycopg(postgres_database: str) -> None:
    plain = postgres_database.replace("postgresql+psycopg://", "postgresql://", 1)
    with AppStore.open(plain, migrate=False) as store:
        assert store.url.startswith("postgresql+psycopg://")
        assert store.backend == "postgresql"


def test_folder_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        AppStore.open(sqlite_url(blocker / "data" / APP_DB_FILE))
    assert f"cannot create the folder {blocker / 'data'}" in caught.value.message
    assert "无法创建应用库目录" in caught.value.message_zh


def test_file_that_is_not_sqlite_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / APP_DB_FILE
    path.write_bytes(b"this is a spreadsheet, honestly" * 100)
    with pytest.raises(StoreError) as caught:
        AppStore.open(sqlite_url(path))
    assert "file is not a database" in caught.value.message


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/app", "runs on SQLite or PostgreSQL, not 'mysql'"),
    ],
)
def test_malformed_or_unsupported_url_is_a_store_error(url: str, says: str) -> None:
    with pytest.raises(StoreError) as caught:
        AppStore.open(url)
    assert says in caught.value.message


def test_session_commits_on_success_and_rolls_back_on_error(store: AppStore) -> None:
    with store.session() as session:
        session.add(User(username="kept", role="rep", locale="en"))
    with pytest.raises(RuntimeError), store.session() as session:
        session.add(User(username="dropped", role="rep", locale="en"))
        session.flush()
        raise RuntimeError("boom")
    with store.session() as session:
        assert session.scalars(select(User.username)).all() == ["kept"]


def test_timestamps_come_back_aware_in_utc(store: AppStore) -> None:
    shanghai = datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    with store.session() as session:
        run = ImportRun(
            started_at=shanghai,
            table_name="reps",
            source="reps.csv",
            status="loaded",
            actor="cli",
        )
        session.add(run)
    with store.session() as session:
        stored = session.scalars(select(ImportRun.started_at)).one()
        assert stored == datetime(2025, 3, 1, 0, 30, 15, 123456, tzinfo=UTC)
        assert stored.tzinfo is UTC
        later = session.scalars(
            select(func.count()).where(ImportRun.started_at > shanghai - timedelta(seconds=1))
        ).one()
        assert later == 1


def test_naive_timestamps_are_refused(store: AppStore) -> None:
    with pytest.raises(StatementError) as caught, store.session() as session:
        session.add(
            ImportRun(
                started_at=datetime(2025, 3, 1),
                table_name="reps",
                source="api",
                status="loaded",
                actor="cli",
            )
        )
        session.flush()
    assert isinstance(caught.value.orig, ValueError)


def test_audit_keeps_json_values_and_null(store: AppStore) -> None:
    with store.session() as session:
        entry = store.audit(
            session,
            actor="ann",
            action="target.set",
            entity="target",
            entity_id="rep:r1:2025-Q1:won_amount",
            before=None,
            after={
                "value": Decimal("120000.50"),
                "period_start": date(2025, 1, 1),
                "备注": "新目标",
            },
            reason="季度目标调整",
        )
        assert entry.id is not None
    with store.session() as session:
        row = session.scalars(select(AuditEntry)).one()
        assert row.after == {"value": "120000.50", "period_start": "2025-01-01", "备注": "新目标"}
        assert row.before is None
        assert row.reason == "季度目标调整"
        assert row.entity_id == "rep:r1:2025-Q1:won_amount"
        assert abs(row.at - datetime.now(UTC)) < timedelta(minutes=1)
        # None is SQL NULL, not the JSON text 'null', so "no before" can be queried.
        nulls = session.execute(text("SELECT COUNT(*) FROM audit_log WHERE before IS NULL"))
        assert nulls.scalar_one() == 1


def test_audit_refuses_values_json_cannot_hold(store: AppStore) -> None:
    with pytest.raises(TypeError), store.session() as session:
        store.audit(
            session, actor="ann", action="x.y", entity="x", entity_id=1, after={"o": object()}
        )


def test_quality_report_outlives_its_import_run(store: AppStore) -> None:
    with store.session() as session:
        run = ImportRun(
            table_name="orders",
            source="api",
            status="loaded",
            actor="api",
            read_rows=10,
            inserted=7,
            updated=1,
            unchanged=1,
            rejected=1,
        )
        session.add(run)
        session.flush()
        session.add(QualityReport(import_run=run, report={"missing_currency": 3}))
    with store.session() as session:
        session.execute(text("DELETE FROM import_runs"))
    with store.session() as session:
        report = session.scalars(select(QualityReport)).one()
        assert report.import_run_id is None
        assert report.report == {"missing_currency": 3}


def test_import_status_is_a_closed_set(store: AppStore) -> None:
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(ImportRun(table_name="orders", source="api", status="done", actor="api"))
        session.flush()


def test_writes_are_counted_per_table(tmp_path: Path) -> None:
    """A reader of some tables (the page stamp: audit log and scores) is not sent back to the
    database by a write elsewhere (a sign-in's attempt row, a web session's touch)."""
    from salescore.appstore.models import LoginAttempt

    with AppStore.open(sqlite_url(tmp_path / APP_DB_FILE)) as store:
        watched = ("audit_log", "scores")
        with store.session() as s:
            s.add(LoginAttempt(login="ann", address="127.0.0.1", outcome="ok"))
        assert (store.writes, store.writes_to(watched), store.writes_to(["login_attempts"])) \
            == (1, 0, 1)
        with store.session() as s:  # a statement, not a flush
            s.execute(LoginAttempt.__table__.update().values(outcome="ok"))
        assert (store.writes, store.writes_to(watched)) == (2, 0)
        with store.session() as s:
            store.audit(s, actor="t", action="set", entity="target", entity_id=1)
        assert (store.writes, store.writes_to(watched), store.writes_to(["login_attempts"])) \
            == (3, 1, 2)
        with store.session() as s:  # read only: no write at all
            s.scalar(select(func.count()).select_from(AuditEntry))
        assert store.writes == 3

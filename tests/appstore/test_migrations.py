"""The migrations build exactly the models' schema, and undo all of it, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Column, MetaData, String, inspect, select, text

import salescore
from salescore.appstore import AppStore, User, create_user
from salescore.appstore.models import full_metadata
from salescore.appstore.store import HEAD_REVISION
from salescore.core.errors import StoreError

TABLES_0001 = {"users", "api_tokens", "plans", "plan_versions", "audit_log"}
TABLES_0002 = {"import_runs", "quality_reports"}
TABLES_0003 = {"scores"}
TABLES_0004 = {"web_sessions", "login_attempts"}
TABLES_0005 = {"score_records"}
TABLES_0006 = {"coaching_requests", "coaching_feedback", "checkin_cadences", "checkins",
               "checkin_actions", "review_cycles", "review_answers", "coaching_kudos"}
TABLES_0007 = {"event_versions", "alert_rules", "alert_states", "alerts",
               "notification_channels", "deliveries"}
TABLES_0008 = {"report_schedules"}
TABLES_0009 = {"ml_models"}
ALL_TABLES = (TABLES_0001 | TABLES_0002 | TABLES_0003 | TABLES_0004 | TABLES_0005
              | TABLES_0006 | TABLES_0007 | TABLES_0008 | TABLES_0009 | {"alembic_version"})


def _tables(store: AppStore) -> set[str]:
    with store.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _diff(store: AppStore, metadata: MetaData) -> list[Any]:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_step_by_step_then_downgrade_to_base(db_url: str) -> None:
    store = AppStore.open(db_url, migrate=False)
    try:
        assert store.current_revision() is None
        assert store.needs_upgrade()
        assert _tables(store) == set()

        store.upgrade("0001")
        assert store.current_revision() == "0001"
        assert _tables(store) == TABLES_0001 | {"alembic_version"}

        store.upgrade()
        assert store.current_revision() == store.head_revision() == HEAD_REVISION == "0010"
        assert not store.needs_upgrade()
        assert _tables(store) == ALL_TABLES

        store.downgrade("0001")
        assert store.current_revision() == "0001"
        assert _tables(store) == TABLES_0001 | {"alembic_version"}

        store.downgrade("base")
        assert store.current_revision() is None
        # Alembic keeps its own (now empty) version table; everything the migrations made is gone.
        assert _tables(store) == {"alembic_version"}
        with store.engine.connect() as connection:
            inspector = inspect(connection)
            if store.backend == "postgresql":
                assert inspector.get_sequence_names() == []
            else:
                names = connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type IN ('index', 'table')")
                ).scalars()
                assert set(names) == {"alembic_version", "sqlite_autoindex_alembic_version_1"}

        # And the round trip can be made again.
        store.upgrade()
        assert _tables(store) == ALL_TABLES
    finally:
        store.close()


def test_models_and_migrations_agree(store: AppStore) -> None:
    assert _diff(store, full_metadata()) == []


def test_drift_check_sees_a_model_change(store: AppStore) -> None:
    """The check above can fail: a column added to the models, or widened, is reported."""
    changed = MetaData()
    for table in full_metadata().tables.values():
        table.to_metadata(changed)
    changed.tables["users"].append_column(Column("nickname", String(40), nullable=True))
    changed.tables["users"].c.username.type = String(80)
    # Alembic reports a column change as a list of (kind, ...) tuples, other changes as one tuple.
    diff = _diff(store, changed)
    kinds = sorted(str(entry[0][0] if isinstance(entry, list) else entry[0]) for entry in diff)
    assert kinds == ["add_column", "modify_type"]


def test_check_constraints_are_named_as_in_the_models(store: AppStore) -> None:
    with store.engine.connect() as connection:
        inspector = inspect(connection)
        for table in full_metadata().sorted_tables:
            expected = {str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)}
            found = {str(c["name"]) for c in inspector.get_check_constraints(table.name)}
            assert found == expected, table.name
        assert {fk["name"] for fk in inspector.get_foreign_keys("api_tokens")} == {
            "fk_api_tokens_user_id_users"
        }
        assert {uq["name"] for uq in inspector.get_unique_constraints("plan_versions")} == {
            "uq_plan_versions_plan_id_version"
        }


def test_rows_survive_upgrade_and_downgrade_of_later_tables(db_url: str) -> None:
    store = AppStore.open(db_url, migrate=False)
    try:
        store.upgrade("0001")
        with store.session() as session:
            create_user(session, username="ann", role="rep", password="long enough", rep_id="r1")
        store.upgrade()
        store.downgrade("0001")
        with store.session() as session:
            assert session.scalars(select(User.rep_id)).all() == ["r1"]
    finally:
        store.close()


def _users_at_0003(db_url: str, emails: dict[str, str]) -> AppStore:
    store = AppStore.open(db_url, migrate=False)
    store.upgrade("0003")
    with store.session() as session:
        for username, email in emails.items():
            user = create_user(session, username=username, role="rep", password=None)
            # As an older salescore kept it: in the case it was typed.
            session.execute(text("UPDATE users SET email = :email WHERE id = :id"),
                            {"email": email, "id": user.id})
    return store


def test_0004_lower_cases_emails_and_makes_them_unique(db_url: str) -> None:
    store = _users_at_0003(db_url, {"ann": "Ann@Example.COM", "bob": "bob@example.com"})
    try:
        store.upgrade()
        with store.session() as session:
            assert sorted(session.scalars(select(User.email))) == [
                "ann@example.com", "bob@example.com"]
        with store.engine.connect() as connection:
            uniques = inspect(connection).get_unique_constraints("users")
        assert {uq["name"] for uq in uniques} == {"uq_users_username", "uq_users_email"}
        store.downgrade("0003")
        assert _tables(store) == TABLES_0001 | TABLES_0002 | TABLES_0003 | {"alembic_version"}
    finally:
        store.close()


def test_0004_refuses_two_users_with_one_email_and_changes_nothing(db_url: str) -> None:
    store = _users_at_0003(db_url, {"ann": "Shared@Example.com", "bob": "shared@example.COM"})
    try:
        with pytest.raises(StoreError) as caught:
            store.upgrade()
        assert "'ann' and 'bob' share the e-mail address 'shared@example.com'" in \
            caught.value.message
        assert "邮箱须唯一" in caught.value.message_zh
        assert store.current_revision() == "0003"
        assert "web_sessions" not in _tables(store)
        with store.session() as session:
            assert "Shared@Example.com" in session.scalars(select(User.email)).all()
    finally:
        store.close()


def test_database_from_a_newer_salescore_is_refused(store: AppStore, db_url: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(StoreError) as caught:
        AppStore.open(db_url)
    assert "'0999'" in caught.value.message
    assert "newer salescore" in caught.value.message
    assert "'0999'" in caught.value.message_zh and "升级 salescore" in caught.value.message_zh
    with pytest.raises(StoreError):
        AppStore.open(db_url, migrate=False)


def test_migrating_to_an_unknown_revision_is_a_store_error(store: AppStore) -> None:
    with pytest.raises(StoreError) as caught:
        store.downgrade("0042")
    assert "0042" in caught.value.message
    assert store.current_revision() == HEAD_REVISION


_OPEN_WHEN_TOLD = """
import sys, time
from pathlib import Path
import salescore
from salescore.appstore import AppStore
go = Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
AppStore.open(sys.argv[1]).close()
"""


def test_processes_opening_a_new_store_together_migrate_it_once(
    db_url: str, tmp_path: Path
) -> None:
    """Web workers started together all open (and so migrate) the store: none may fail."""
    go = tmp_path / "go"
    source = str(Path(salescore.__file__).resolve().parents[1])
    env = os.environ | {"PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_WHEN_TOLD, db_url, str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        go.touch()
        outcomes = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert [worker.returncode for worker in workers] == [0, 0], outcomes
    with AppStore.open(db_url, migrate=False) as store, store.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (HEAD_REVISION,)
        ]

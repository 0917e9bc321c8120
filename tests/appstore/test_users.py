"""Users and API tokens: hashing, audit rows, token life cycle, constraints."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from salescore.appstore import (
    ApiToken,
    AppStore,
    AuditEntry,
    User,
    UserError,
    authenticate,
    create_user,
    find_user,
    issue_token,
    revoke_token,
    set_password,
    update_user,
    user_for_token,
    verify_password,
)


def _audit(store: AppStore, action: str) -> list[AuditEntry]:
    with store.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_create_user_hashes_the_password_and_audits(store: AppStore) -> None:
    with store.session() as session:
        user = create_user(
            session,
            username="Li.Wei",
            role="manager",
            password="正确的马 battery",
            display_name="李伟",
            email="li.wei@example.cn",
            team_id="t-east",
            locale="zh_CN",
            actor="admin",
        )
        user_id = user.id
    with store.session() as session:
        stored = session.get(User, user_id)
        assert stored is not None
        assert stored.username == "li.wei"
        assert stored.password_hash is not None
        assert stored.password_hash.startswith("$argon2id$v=19$")
        assert "正确的马" not in stored.password_hash and "battery" not in stored.password_hash
        assert verify_password(stored, "正确的马 battery")
        assert not verify_password(stored, "正确的马 Battery")
        assert stored.active and stored.name == "李伟"
        assert stored.created_at.tzinfo is UTC
    [entry] = _audit(store, "user.create")
    assert (entry.actor, entry.entity, entry.entity_id) == ("admin", "user", str(user_id))
    assert entry.before is None
    assert entry.after == {
        "username": "li.wei",
        "display_name": "李伟",
        "email": "li.wei@example.cn",
        "role": "manager",
        "rep_id": None,
        "team_id": "t-east",
        "locale": "zh_CN",
        "active": True,
    }


def test_usernames_are_unique_in_any_case(store: AppStore) -> None:
    with store.session() as session:
        create_user(session, username="ann", role="rep", password="password-1")
    with pytest.raises(UserError) as caught, store.session() as session:
        create_user(session, username=" ANN ", role="admin", password="password-2")
    assert caught.value.message == "a user called 'ann' already exists"
    assert caught.value.message_zh == "用户 'ann' 已存在"
    # The database holds the constraint too, for writers that bypass create_user.
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(User(username="ann", role="rep", locale="en"))
        session.flush()
    assert len(_audit(store, "user.create")) == 1


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"username": "system"}, "reserved"),
        ({"username": "two words"}, "without spaces"),
        ({"role": "boss"}, "role 'boss' is not one of rep, manager, executive, admin"),
        ({"locale": "fr"}, "locale 'fr' is not one of en, zh_CN"),
        ({"password": "short"}, "at least 8 characters"),
    ],
)
def test_bad_user_values_are_refused(store: AppStore, fields: dict[str, str], says: str) -> None:
    arguments = {"username": "bob", "role": "rep", "password": "long enough"} | fields
    with pytest.raises(UserError) as caught, store.session() as session:
        create_user(session, **arguments)  # type: ignore[arg-type]
    assert says in caught.value.message
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize(("column", "value"), [("role", "boss"), ("locale", "fr")])
def test_database_holds_roles_and_locales_to_their_sets(
    store: AppStore, column: str, value: str
) -> None:
    user = User(username="raw", role="rep", locale="en")
    setattr(user, column, value)
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(user)
        session.flush()


def test_authenticate(store: AppStore) -> None:
    with store.session() as session:
        create_user(session, username="ann", role="rep", password="right-password")
        create_user(session, username="svc", role="admin", password=None)
    with store.session() as session:
        ann = authenticate(session, "ANN", "right-password")
        assert ann is not None and ann.username == "ann"
        assert authenticate(session, "ann", "wrong-password") is None
        assert authenticate(session, "nobody", "right-password") is None
        assert authenticate(session, "svc", "") is None
        update_user(session, ann, actor="admin", active=False)
        assert authenticate(session, "ann", "right-password") is None


def test_update_user_audits_only_what_changed(store: AppStore) -> None:
    with store.session() as session:
        user = create_user(session, username="ann", role="rep", password="password-1", rep_id="r1")
        before = user.updated_at
    with store.session() as session:
        found = find_user(session, "ann")
        assert found is not None
        changes = update_user(
            session,
            found,
            actor="admin",
            reason="promoted",
            role="manager",
            rep_id="r1",
            team_id="t-north",
        )
        assert changes == {"role": ("rep", "manager"), "team_id": (None, "t-north")}
        assert update_user(session, found, actor="admin", role="manager") == {}
        assert found.updated_at > before
    [entry] = _audit(store, "user.update")
    assert entry.before == {"role": "rep", "team_id": None}
    assert entry.after == {"role": "manager", "team_id": "t-north"}
    assert entry.reason == "promoted"


def test_set_password_is_audited_without_the_hash(store: AppStore) -> None:
    with store.session() as session:
        user = create_user(session, username="ann", role="rep", password="old-password")
        set_password(session, user, "new-password", actor="ann")
        assert verify_password(user, "new-password") and not verify_password(user, "old-password")
    [entry] = _audit(store, "user.password")
    assert entry.before is None and entry.after == {"password": "changed", "scheme": "argon2id"}


def test_token_round_trip_stores_only_a_hash(store: AppStore) -> None:
    with store.session() as session:
        user = create_user(session, username="ann", role="rep", password=None)
        token, secret = issue_token(session, user, "laptop", actor="ann")
        token_id = token.id
    assert secret.startswith("sc_") and len(secret) == 46
    with store.session() as session:
        stored = session.get(ApiToken, token_id)
        assert stored is not None
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert stored.prefix == secret[:8]
        assert stored.last_used_at is None
        row = session.execute(select(ApiToken.__table__)).one()
        assert secret not in [str(value) for value in row]
    with store.session() as session:
        found = user_for_token(session, secret)
        assert found is not None and found.username == "ann"
        assert user_for_token(session, secret[:-1]) is None
        assert user_for_token(session, "") is None
    with store.session() as session:
        stored = session.get(ApiToken, token_id)
        assert stored is not None and stored.last_used_at is not None
        assert abs(stored.last_used_at - datetime.now(UTC)) < timedelta(minutes=1)
    [entry] = _audit(store, "token.issue")
    assert entry.after == {
        "user": "ann",
        "name": "laptop",
        "prefix": secret[:8],
        "expires_at": None,
    }


def test_last_used_is_written_at_most_once_a_minute(store: AppStore) -> None:
    with store.session() as session:
        user = create_user(session, username="ann", role="rep", password=None)
        token, secret = issue_token(session, user, "ci")
        user_for_token(session, secret)
        first = token.last_used_at
        assert first is not None
        user_for_token(session, secret)
        assert token.last_used_at == first
        token.last_used_at = first - timedelta(minutes=2)
        user_for_token(session, secret)
        assert token.last_used_at > first


def test_tokens_expire(store: AppStore) -> None:
    now = datetime.now(UTC)
    with store.session() as session:
        user = create_user(session, username="ann", role="rep", password=None)
        _, expired = issue_token(session, user, "old", expires_at=now - timedelta(seconds=1))
        _, current = issue_token(session, user, "new", expires_at=now + timedelta(hours=1))
    with store.session() as session:
        assert user_for_token(session, expired) is None
        assert user_for_token(session, current) is not None
    with pytest.raises(UserError), store.session() as session:
        found = find_user(session, "ann")
        assert found is not None
        issue_token(session, found, "naive", expires_at=datetime(2030, 1, 1))


def test_tokens_revoke_and_die_with_their_user(store: AppStore) -> None:
    with store.session() as session:
        user = create_user(session, username="ann", role="rep", password=None)
        token, secret = issue_token(session, user, "phone")
        _, other = issue_token(session, user, "tablet")
        user_id = user.id
    with store.session() as session:
        stored = session.get(ApiToken, token.id)
        assert stored is not None
        revoke_token(session, stored, actor="admin", reason="lost phone")
        revoke_token(session, stored, actor="admin")
    with store.session() as session:
        assert user_for_token(session, secret) is None
        assert user_for_token(session, other) is not None
        again = session.get(User, user_id)
        assert again is not None
        update_user(session, again, actor="admin", active=False)
        assert user_for_token(session, other) is None
    [entry] = _audit(store, "token.revoke")
    assert entry.before == {"revoked_at": None} and entry.reason == "lost phone"
    assert entry.after is not None
    revoked_at = datetime.fromisoformat(entry.after["revoked_at"])
    assert abs(revoked_at - datetime.now(UTC)) < timedelta(minutes=1)
    # ON DELETE CASCADE in the database (on SQLite too: foreign keys are switched on).
    with store.session() as session:
        session.execute(delete(User).where(User.id == user_id))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_token_hashes_are_unique(store: AppStore) -> None:
    with store.session() as session:
        user = create_user(session, username="ann", role="rep", password=None)
        token, _ = issue_token(session, user, "one")
        user_id, digest = user.id, token.token_hash
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(ApiToken(user_id=user_id, name="copy", token_hash=digest, prefix="sc_copy1"))
        session.flush()

"""ws.accounts: log-in, throttling, web sessions, password changes, tokens, admin operations and
their audit rows, on SQLite and PostgreSQL, with a clock the tests move by hand."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text, update

from salescore.appstore import AppStore, AuditEntry, LoginAttempt, User
from salescore.appstore.credentials import scrypt_hash
from salescore.core.access import Principal
from salescore.core.scope import AccessError
from salescore.workspace import (
    AccountNotFound,
    Accounts,
    AuditInfo,
    LoginFailed,
    LoginThrottled,
    TokenInfo,
    UserError,
    UserInfo,
    WebLogin,
    Workspace,
)
from salescore.workspace.accounts import _Memo

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ANN_PASSWORD = "ann's long password"
BOB_PASSWORD = "bob's long password"
HOME = "10.0.0.1"
AWAY = "192.0.2.7"


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)



@pytest.fixture
def store(db_url: str) -> Iterator[AppStore]:
    opened = AppStore.open(db_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(store: AppStore, clock: Clock) -> Accounts:
    """Accounts with an admin ``root``, a manager ``ann`` (ann@example.com, team T1) and a rep
    ``bob`` (rep R1)."""
    acc = Accounts(store, clock=clock)
    cli = acc.owner()
    acc.add_user(cli, username="root", password="root's long password", role="admin")
    acc.add_user(cli, username="Ann", password=ANN_PASSWORD, role="manager",
                 email="Ann@Example.com", display_name="Ann Li", team_id="T1", locale="zh_CN")
    acc.add_user(cli, username="bob", password=BOB_PASSWORD, role="rep", rep_id="R1")
    return acc


def _principal(accounts: Accounts, login: str, password: str) -> Principal:
    return accounts.log_in(login, password, address=HOME).principal


def _audit(store: AppStore) -> list[AuditEntry]:
    with store.session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


# -- log-in ---------------------------------------------------------------------------------
def test_log_in_by_username_or_email_in_any_case(accounts: Accounts) -> None:
    by_name = accounts.log_in("ANN", ANN_PASSWORD, address=HOME, user_agent="Firefox")
    by_email = accounts.log_in(" ann@EXAMPLE.com ", ANN_PASSWORD, address=HOME)
    assert isinstance(by_name, WebLogin)
    assert by_name.principal == by_email.principal == Principal(
        by_name.principal.user_id, "ann", "Ann Li", "zh_CN", "manager", team_id="T1")
    assert by_name.session_id != by_email.session_id
    assert by_name.csrf_token != by_email.csrf_token
    assert by_name.expires_at == T0 + timedelta(minutes=30)
    assert by_name.csrf_matches(by_name.csrf_token)
    assert not by_name.csrf_matches(by_email.csrf_token) and not by_name.csrf_matches(None)


def test_wrong_user_and_wrong_password_fail_alike(accounts: Accounts) -> None:
    with pytest.raises(LoginFailed) as unknown:
        accounts.log_in("nobody", ANN_PASSWORD, address=HOME)
    with pytest.raises(LoginFailed) as wrong:
        accounts.log_in("ann", "not the password", address=HOME)
    assert unknown.value.text == wrong.value.text
    assert wrong.value.message == "wrong username or password"
    assert wrong.value.message_zh == "用户名或密码错误"


def test_inactive_and_password_less_users_cannot_log_in(accounts: Accounts) -> None:
    cli = accounts.owner()
    accounts.update_user(cli, "bob", active=False)
    with pytest.raises(LoginFailed):
        accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    accounts.add_user(cli, username="robot", password=None, role="executive")
    with pytest.raises(LoginFailed):
        accounts.log_in("robot", "", address=HOME)


def test_an_old_scrypt_hash_is_upgraded_to_argon2_at_log_in(store: AppStore,
                                                            accounts: Accounts) -> None:
    with store.session() as session:
        session.execute(update(User).where(User.username == "bob")
                        .values(password_hash=scrypt_hash(BOB_PASSWORD)))
    with pytest.raises(LoginFailed):  # a wrong password changes nothing
        accounts.log_in("bob", "wrong password", address=HOME)
    with store.session() as session:
        assert session.scalars(select(User.password_hash).where(User.username == "bob")
                               ).one().startswith("scrypt$")
    accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    with store.session() as session:
        stored = session.scalars(select(User.password_hash).where(User.username == "bob")).one()
    assert stored.startswith("$argon2id$")
    [upgrade] = [e for e in _audit(store) if e.action == "user.password_upgrade"]
    assert (upgrade.actor, upgrade.before, upgrade.after) == (
        "bob", {"scheme": "scrypt"}, {"scheme": "argon2id"})
    accounts.log_in("bob", BOB_PASSWORD, address=HOME)  # the new hash works, no second upgrade
    assert [e.action for e in _audit(store)].count("user.password_upgrade") == 1


# -- throttling -----------------------------------------------------------------------------
def test_sixth_failure_for_an_account_waits_until_the_oldest_of_five_is_15_minutes_old(
        store: AppStore, accounts: Accounts, clock: Clock) -> None:
    for n in range(5):  # from five addresses, by name and by e-mail: one account
        with pytest.raises(LoginFailed):
            accounts.log_in("ann" if n % 2 else "ann@example.com", "guess", address=f"10.9.0.{n}")
        clock.advance(minutes=1)
    # T0 + 5 min: the oldest failure (T0) is 5 minutes old, so 10 minutes to wait.
    with pytest.raises(LoginThrottled) as caught:
        accounts.log_in("ann", ANN_PASSWORD, address=AWAY)  # even the right password
    assert caught.value.retry_after == 600
    assert caught.value.message == "too many failed log-ins; try again in 600 seconds"
    assert "600 秒后重试" in caught.value.message_zh
    clock.advance(minutes=9, seconds=59)
    with pytest.raises(LoginThrottled) as caught:
        accounts.log_in("ann", ANN_PASSWORD, address=AWAY)
    assert caught.value.retry_after == 1
    accounts.log_in("bob", BOB_PASSWORD, address=AWAY)  # other accounts are not held up
    clock.advance(seconds=1)  # T0 + 15 min: the first failure is out of the window
    assert accounts.log_in("ann", ANN_PASSWORD, address=AWAY).principal.username == "ann"
    with store.session() as session:
        outcomes = [a.outcome for a in session.scalars(
            select(LoginAttempt).where(LoginAttempt.login.in_(["ann", "ann@example.com"]))
            .order_by(LoginAttempt.id))]
    assert outcomes == ["failed"] * 5 + ["throttled"] * 2 + ["ok"]


def test_refused_attempts_do_not_extend_the_wait(accounts: Accounts, clock: Clock) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            accounts.log_in("bob", "guess", address=HOME)
    for _ in range(3):
        clock.advance(minutes=4)
        with pytest.raises(LoginThrottled):
            accounts.log_in("bob", "guess", address=HOME)
    clock.advance(minutes=3)  # T0 + 15 min
    accounts.log_in("bob", BOB_PASSWORD, address=HOME)


def test_a_success_ends_the_accounts_run_of_failures(accounts: Accounts) -> None:
    for _ in range(4):
        with pytest.raises(LoginFailed):
            accounts.log_in("bob", "guess", address=f"10.1.0.{_}")
    accounts.log_in("bob", BOB_PASSWORD, address=AWAY)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            accounts.log_in("bob", "guess", address=f"10.2.0.{_}")
    accounts.log_in("bob", BOB_PASSWORD, address=AWAY)  # 8 failures, but 4 since the success


def test_sixth_failure_from_an_address_waits_and_a_success_does_not_clear_it(
        accounts: Accounts, clock: Clock) -> None:
    for name in ("x1", "x2", "x3", "root"):  # unknown and known accounts alike
        with pytest.raises(LoginFailed):
            accounts.log_in(name, "guess", address=HOME)
        clock.advance(seconds=30)
    accounts.log_in("ann", ANN_PASSWORD, address=HOME)
    with pytest.raises(LoginFailed):
        accounts.log_in("x5", "guess", address=HOME)
    clock.advance(minutes=1)  # T0 + 3 min; the oldest failure is at T0
    with pytest.raises(LoginThrottled) as caught:
        accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    assert caught.value.retry_after == 12 * 60
    accounts.log_in("bob", BOB_PASSWORD, address=AWAY)  # the account itself is not held up
    clock.advance(minutes=12)
    accounts.log_in("bob", BOB_PASSWORD, address=HOME)


def test_the_password_is_never_stored_or_logged(store: AppStore, accounts: Accounts,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LoginFailed):
        accounts.log_in("ann", "a wrong but secret guess", address=HOME)
    login = accounts.log_in("ann", ANN_PASSWORD, address=HOME)
    accounts.change_password(login.principal, ANN_PASSWORD, "brand new secret words",
                             session_id=login.session_id)
    _, token = accounts.issue_token(accounts.owner(), "ann", "laptop")
    secrets = ("a wrong but secret guess", ANN_PASSWORD, "brand new secret words",
               login.session_id, token)
    with store.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                dumped = json.dumps([str(value) for value in row], ensure_ascii=False)
                assert not any(secret in dumped for secret in secrets), table
    assert not any(secret in caplog.text for secret in secrets)


# -- web sessions ---------------------------------------------------------------------------
def test_log_in_rotates_the_session_the_browser_had(accounts: Accounts) -> None:
    first = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    second = accounts.log_in("bob", BOB_PASSWORD, address=HOME, replacing=first.session_id)
    assert second.session_id != first.session_id
    assert accounts.web_session(first.session_id) is None
    assert accounts.web_session(second.session_id) == second
    # A failed log-in still ends the session it was given: the browser is signing in afresh.
    with pytest.raises(LoginFailed):
        accounts.log_in("bob", "guess", address=HOME, replacing=second.session_id)
    assert accounts.web_session(second.session_id) is None


def test_unknown_session_ids_find_nothing(accounts: Accounts) -> None:
    login = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    assert accounts.web_session("") is None
    assert accounts.web_session(login.session_id + "x") is None
    assert accounts.web_session(login.csrf_token) is None


def test_idle_sessions_lapse_and_use_keeps_them_alive(accounts: Accounts, clock: Clock) -> None:
    login = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    clock.advance(seconds=40)  # used within the minute: not rewritten, the expiry stays
    seen = accounts.web_session(login.session_id)
    assert seen is not None and seen.expires_at == T0 + timedelta(minutes=30)
    clock.advance(minutes=29)  # T0 + 29:40, 29:40 after the recorded use
    seen = accounts.web_session(login.session_id)
    assert seen is not None and seen.expires_at == clock.now + timedelta(minutes=30)
    clock.advance(minutes=30)
    assert accounts.web_session(login.session_id) is not None
    clock.advance(minutes=30, seconds=1)
    assert accounts.web_session(login.session_id) is None
    clock.advance(minutes=-31)  # ended, not merely lapsed: it does not come back
    assert accounts.web_session(login.session_id) is None


def test_idle_limit_is_a_parameter(accounts: Accounts, clock: Clock) -> None:
    login = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    clock.advance(minutes=6)
    assert accounts.web_session(login.session_id, idle_minutes=10) is not None
    clock.advance(minutes=6)
    assert accounts.web_session(login.session_id, idle_minutes=5) is None
    assert accounts.web_session(login.session_id, idle_minutes=60) is None
    short = accounts.using(idle_minutes=2)
    login = short.log_in("bob", BOB_PASSWORD, address=HOME)
    assert login.expires_at == clock.now + timedelta(minutes=2)
    clock.advance(minutes=3)
    assert short.web_session(login.session_id) is None


def test_a_session_ends_after_12_hours_however_busy(accounts: Accounts, clock: Clock) -> None:
    login = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    for _ in range(12 * 3 - 1):
        clock.advance(minutes=20)
        seen = accounts.web_session(login.session_id)
        assert seen is not None
        assert seen.expires_at == min(clock.now + timedelta(minutes=30), T0 + timedelta(hours=12))
    clock.advance(minutes=20)  # T0 + 12 h
    assert accounts.web_session(login.session_id) is None


def test_log_out_ends_the_session_only(accounts: Accounts) -> None:
    first = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    other = accounts.log_in("bob", BOB_PASSWORD, address=AWAY)
    accounts.log_out(first.session_id)
    accounts.log_out(first.session_id)  # twice is fine
    accounts.log_out("never issued")
    assert accounts.web_session(first.session_id) is None
    assert accounts.web_session(other.session_id) is not None


def test_password_change_ends_other_sessions_and_rotates_this_one(
        store: AppStore, accounts: Accounts) -> None:
    here = accounts.log_in("ann", ANN_PASSWORD, address=HOME, user_agent="Firefox")
    there = accounts.log_in("ann", ANN_PASSWORD, address=AWAY)
    bobs = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    with pytest.raises(LoginFailed):
        accounts.change_password(here.principal, "wrong current", "new long password")
    assert accounts.web_session(there.session_id) is not None  # nothing changed
    rotated = accounts.change_password(here.principal, ANN_PASSWORD, "new long password",
                                       session_id=here.session_id)
    assert rotated is not None and rotated.principal == here.principal
    assert rotated.session_id != here.session_id and rotated.csrf_token != here.csrf_token
    assert accounts.web_session(here.session_id) is None
    assert accounts.web_session(there.session_id) is None
    assert accounts.web_session(rotated.session_id) is not None
    assert accounts.web_session(bobs.session_id) is not None
    with pytest.raises(LoginFailed):
        accounts.log_in("ann", ANN_PASSWORD, address=HOME)
    accounts.log_in("ann", "new long password", address=HOME)
    # Without a session id (an API client), every session ends and none is returned.
    assert accounts.change_password(here.principal, "new long password", "third password") \
        is None
    assert accounts.web_session(rotated.session_id) is None
    [*_, last] = [e for e in _audit(store) if e.action == "user.password"]
    assert last.actor == "ann" and last.after == {"password": "changed", "scheme": "argon2id"}


def test_a_short_new_password_is_refused(accounts: Accounts) -> None:
    login = accounts.log_in("ann", ANN_PASSWORD, address=HOME)
    with pytest.raises(UserError, match="at least 8 characters"):
        accounts.change_password(login.principal, ANN_PASSWORD, "short")
    assert accounts.web_session(login.session_id) is not None


def test_deactivation_and_a_new_role_end_sessions(accounts: Accounts) -> None:
    cli = accounts.owner()
    bob = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    ann = accounts.log_in("ann", ANN_PASSWORD, address=HOME)
    accounts.update_user(cli, "bob", active=False)
    assert accounts.web_session(bob.session_id) is None
    accounts.update_user(cli, "bob", active=True)
    assert accounts.web_session(bob.session_id) is None  # reactivating revives nothing
    accounts.update_user(cli, "ann", display_name="Ann Q. Li")  # not a change of power
    assert accounts.web_session(ann.session_id) is not None
    accounts.update_user(cli, "ann", role="executive")
    assert accounts.web_session(ann.session_id) is None
    assert accounts.log_in("ann", ANN_PASSWORD, address=HOME).principal.role == "executive"


def test_reset_password_ends_all_sessions(accounts: Accounts) -> None:
    bob = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    accounts.reset_password(accounts.owner(), "bob", "reset long password")
    assert accounts.web_session(bob.session_id) is None
    accounts.log_in("bob", "reset long password", address=HOME)


# -- API tokens -----------------------------------------------------------------------------
def test_token_use_is_recorded_and_revocation_is_final(accounts: Accounts, clock: Clock) -> None:
    cli = accounts.owner()
    info, secret = accounts.issue_token(cli, "bob", "nightly export")
    assert isinstance(info, TokenInfo)
    assert (info.name, info.username, info.prefix, info.last_used_at, info.revoked_at) == (
        "nightly export", "bob", secret[:8], None, None)
    assert secret not in repr(info)
    bob = accounts.principal_for_token(secret)
    assert bob is not None and (bob.username, bob.role, bob.rep_id) == ("bob", "rep", "R1")
    [listed] = accounts.tokens(cli, "bob")
    assert listed.last_used_at == T0
    clock.advance(seconds=30)
    accounts.principal_for_token(secret)
    assert accounts.tokens(cli, "bob")[0].last_used_at == T0  # once a minute at most
    clock.advance(minutes=2)
    accounts.principal_for_token(secret)
    assert accounts.tokens(cli, "bob")[0].last_used_at == clock.now
    assert accounts.principal_for_token(secret[:-1]) is None
    revoked = accounts.revoke_token(cli, info.token_id)
    assert revoked.revoked_at == clock.now
    assert accounts.principal_for_token(secret) is None
    clock.advance(minutes=1)
    assert accounts.revoke_token(cli, info.token_id).revoked_at == revoked.revoked_at
    with pytest.raises(AccountNotFound):
        accounts.revoke_token(cli, 9999)


def test_token_of_an_inactive_user_or_past_its_days_does_not_work(
        accounts: Accounts, clock: Clock) -> None:
    cli = accounts.owner()
    _, forever = accounts.issue_token(cli, "bob", "script")
    info, weekly = accounts.issue_token(cli, "ann", "week", days=7)
    assert info.expires_at == T0 + timedelta(days=7)
    accounts.update_user(cli, "bob", active=False)
    assert accounts.principal_for_token(forever) is None
    accounts.update_user(cli, "bob", active=True)
    assert accounts.principal_for_token(forever) is not None
    clock.advance(days=7)
    assert accounts.principal_for_token(weekly) is None
    with pytest.raises(UserError):
        accounts.issue_token(cli, "ann", "never", days=0)


def test_users_manage_their_own_tokens_only(accounts: Accounts) -> None:
    cli = accounts.owner()
    bob = _principal(accounts, "bob", BOB_PASSWORD)
    ann = _principal(accounts, "ann", ANN_PASSWORD)
    mine, secret = accounts.issue_token(bob, "bob", "my laptop")
    anns, _ = accounts.issue_token(cli, "ann", "ann's")
    assert [t.token_id for t in accounts.tokens(bob)] == [mine.token_id]
    assert [t.token_id for t in accounts.tokens(bob, "bob")] == [mine.token_id]
    assert {t.token_id for t in accounts.tokens(cli)} == {mine.token_id, anns.token_id}
    with pytest.raises(AccessError):
        accounts.tokens(bob, "ann")
    with pytest.raises(AccessError):
        accounts.issue_token(bob, "ann", "sneaky")
    with pytest.raises(AccountNotFound):  # another's token is as if it did not exist
        accounts.revoke_token(bob, anns.token_id)
    accounts.revoke_token(ann, anns.token_id)
    accounts.revoke_token(bob, mine.token_id)
    assert accounts.principal_for_token(secret) is None


# -- admin operations -----------------------------------------------------------------------
def test_admin_operations_refuse_non_admins(accounts: Accounts) -> None:
    cli = accounts.owner()
    info, _ = accounts.issue_token(cli, "root", "root's")
    for login, password in (("bob", BOB_PASSWORD), ("ann", ANN_PASSWORD)):
        actor = _principal(accounts, login, password)
        operations = [
            lambda a=actor: accounts.users(a),
            lambda a=actor: accounts.user(a, "root"),
            lambda a=actor: accounts.add_user(a, username="eve", password="eve's password",
                                              role="admin"),
            lambda a=actor: accounts.update_user(a, a.username, role="admin"),
            lambda a=actor: accounts.reset_password(a, "root", "taken over!"),
            lambda a=actor: accounts.tokens(a, "root"),
            lambda a=actor: accounts.issue_token(a, "root", "mine now"),
            lambda a=actor: accounts.audit(a),
        ]
        for operation in operations:
            with pytest.raises(AccessError) as caught:
                operation()
            assert "is for admins" in caught.value.message
            assert "仅限管理员" in caught.value.message_zh
        with pytest.raises(AccountNotFound):
            accounts.revoke_token(actor, info.token_id)
    executive = Principal(99, "exec", "Exec", "en", "executive")
    with pytest.raises(AccessError):
        accounts.users(executive)
    assert [u.username for u in accounts.users(cli)] == ["ann", "bob", "root"]
    assert accounts.user(cli, "root").role == "admin"


def test_add_user_and_update_only_the_given_fields(accounts: Accounts) -> None:
    cli = accounts.owner()
    added = accounts.add_user(cli, username="Chen", password="chen's password", role="rep",
                              display_name="陈", email="CHEN@example.cn", locale="zh_CN",
                              rep_id="R2")
    assert isinstance(added, UserInfo)
    assert (added.username, added.email, added.display_name, added.locale, added.role,
            added.rep_id, added.team_id, added.active) == (
        "chen", "chen@example.cn", "陈", "zh_CN", "rep", "R2", None, True)
    assert added.created_at == accounts.user(cli, "chen").created_at
    changed = accounts.update_user(cli, "chen", role="manager", team_id="T2", rep_id=None)
    assert (changed.role, changed.team_id, changed.rep_id, changed.email, changed.display_name) \
        == ("manager", "T2", None, "chen@example.cn", "陈")
    with pytest.raises(AccountNotFound):
        accounts.user(cli, "nobody")
    with pytest.raises(AccountNotFound):
        accounts.update_user(cli, "nobody", active=False)


def test_email_addresses_are_unique_whatever_their_case(accounts: Accounts) -> None:
    cli = accounts.owner()
    with pytest.raises(UserError, match="belongs to another user"):
        accounts.add_user(cli, username="ann2", password="long password", role="rep",
                          email="ANN@example.COM")
    with pytest.raises(UserError, match="belongs to another user"):
        accounts.update_user(cli, "bob", email="ann@example.com")
    with pytest.raises(UserError, match="not an e-mail address"):
        accounts.update_user(cli, "bob", email="bob at example")
    accounts.add_user(cli, username="nomail", password="long password", role="rep")
    accounts.add_user(cli, username="nomail2", password="long password", role="rep", email="")
    assert accounts.update_user(cli, "ann", email="ANN@example.com").email == "ann@example.com"


def test_the_last_active_admin_is_kept(accounts: Accounts) -> None:
    cli = accounts.owner()
    with pytest.raises(UserError, match="last active admin"):
        accounts.update_user(cli, "root", role="manager")
    with pytest.raises(UserError, match="last active admin"):
        accounts.update_user(cli, "root", active=False)
    accounts.update_user(cli, "ann", role="admin")
    accounts.update_user(cli, "root", active=False)
    assert not accounts.user(cli, "root").active


def test_every_change_is_audited_with_who_before_and_after_and_no_secret(
        store: AppStore, accounts: Accounts) -> None:
    cli = accounts.owner()
    start = len(_audit(store))
    root = _principal(accounts, "root", "root's long password")
    accounts.add_user(root, username="dee", password="dee's password", role="rep", rep_id="R3")
    accounts.update_user(root, "dee", role="manager", team_id="T1", rep_id=None,
                         reason="promoted")
    accounts.reset_password(cli, "dee", "dee's new password")
    info, secret = accounts.issue_token(root, "dee", "cron", days=30)
    accounts.revoke_token(cli, info.token_id)
    entries = _audit(store)[start:]
    assert [(e.actor, e.action) for e in entries] == [
        ("root", "user.create"), ("root", "user.update"), ("cli", "user.password"),
        ("root", "token.issue"), ("cli", "token.revoke")]
    create, change, password, issue, revoke = entries
    assert create.before is None and create.after is not None
    assert create.after["role"] == "rep" and create.after["rep_id"] == "R3"
    assert change.before == {"role": "rep", "rep_id": "R3", "team_id": None}
    assert change.after == {"role": "manager", "rep_id": None, "team_id": "T1"}
    assert change.reason == "promoted"
    assert password.after == {"password": "changed", "scheme": "argon2id"}
    assert issue.after is not None and issue.after["prefix"] == secret[:8]
    assert revoke.before == {"revoked_at": None}
    dumped = json.dumps([[e.before, e.after, e.reason] for e in _audit(store)],
                        ensure_ascii=False)
    for secret_text in (secret, "dee's password", "dee's new password", "$argon2", "scrypt$"):
        assert secret_text not in dumped
    # The same rows through the accounts, newest first, paged and filtered.
    listed = accounts.audit(cli, limit=3)
    assert all(isinstance(e, AuditInfo) for e in listed)
    assert [e.action for e in listed] == ["token.revoke", "token.issue", "user.password"]
    following = accounts.audit(cli, limit=2, before_id=listed[-1].entry_id)
    assert [e.action for e in following] == ["user.update", "user.create"]
    assert following[0].before == change.before and following[0].after == change.after
    tokens_only = accounts.audit(cli, entity="api_token")
    assert [e.action for e in tokens_only] == ["token.revoke", "token.issue"]


def test_workspace_offers_accounts_on_its_app_store(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "data") as ws:
        cli = ws.accounts.owner()
        assert (cli.user_id, cli.username, cli.is_admin) == (0, "cli", True)
        ws.accounts.add_user(cli, username="ann", password=ANN_PASSWORD, role="admin")
    with Workspace.open(tmp_path / "data") as ws:
        login = ws.accounts.log_in("ann", ANN_PASSWORD, address=HOME)
        assert ws.accounts.web_session(login.session_id) == login


def test_a_caller_is_remembered_briefly_and_forgotten_on_any_change(
        store: AppStore, clock: Clock) -> None:
    """Two servers on one app store: each remembers whom a token or a session acts for for a
    moment; a change through one forgets at once there, and reaches the other when its memory
    lapses (here 1.5 s of real time instead of 5 s: long enough for the changes below on a
    busy machine)."""
    here = Accounts(store, clock=clock, memo=_Memo(seconds=1.5))
    there = Accounts(store, clock=clock, memo=_Memo(seconds=1.5))
    cli = here.owner()
    here.add_user(cli, username="bob", password=BOB_PASSWORD, role="rep", rep_id="R1")
    info, secret = here.issue_token(cli, "bob", "script")
    login = here.log_in("bob", BOB_PASSWORD, address=HOME)
    seen_there = there.principal_for_token(secret)
    assert seen_there is not None and seen_there.role == "rep"
    assert there.web_session(login.session_id) is not None

    here.update_user(cli, "bob", role="manager", team_id="T1")  # ends bob's web sessions
    here.revoke_token(cli, info.token_id)
    assert here.principal_for_token(secret) is None  # at once where it was changed
    assert here.web_session(login.session_id) is None
    remembered = there.principal_for_token(secret)  # still the rep, for a moment
    assert remembered is not None and remembered.role == "rep"
    assert there.web_session(login.session_id) is not None
    time.sleep(1.6)
    assert there.principal_for_token(secret) is None
    assert there.web_session(login.session_id) is None
    # The memory holds digests of the secrets, never the secrets themselves.
    assert not any(secret in str(key) or login.session_id in str(key)
                   for key in there._memo._kept)


def test_only_a_remembered_caller_is_given_without_reading_the_store(
        store: AppStore, clock: Clock) -> None:
    """What a server asks on its event loop: the caller when remembered, else ``None`` (it
    then reads on a worker thread); a change through these accounts forgets at once."""
    accounts = Accounts(store, clock=clock)
    cli = accounts.owner()
    accounts.add_user(cli, username="bob", password=BOB_PASSWORD, role="rep", rep_id="R1")
    _, secret = accounts.issue_token(cli, "bob", "script")
    login = accounts.log_in("bob", BOB_PASSWORD, address=HOME)
    accounts._memo.forget()
    assert accounts.remembered_web_session(login.session_id) is None
    assert accounts.remembered_token(secret) is None
    web = accounts.web_session(login.session_id)
    token = accounts.principal_for_token(secret)
    assert web is not None and token is not None
    assert accounts.remembered_web_session(login.session_id) == web
    assert accounts.remembered_web_session(login.session_id, idle_minutes=5) is None  # asked
    assert accounts.remembered_token(secret) == token  # for another idle limit: not the same
    accounts.log_out(login.session_id)
    assert accounts.remembered_web_session(login.session_id) is None
    assert accounts.remembered_token(secret) is None
    clock.advance(seconds=10)  # past the memory, on the accounts' clock
    assert accounts.principal_for_token(secret) is not None
    assert accounts.remembered_token(secret) is not None
    clock.advance(seconds=6)
    assert accounts.remembered_token(secret) is None


def test_many_requests_of_one_client_read_the_store_once(
        store: AppStore, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy script's 20 requests arriving together after its memory lapsed: one look-up of
    its token in the store, the others wait for it (not 20 reads, each recording the use)."""
    import threading

    from salescore.appstore import users as users_module

    accounts = Accounts(store, clock=clock)
    cli = accounts.owner()
    accounts.add_user(cli, username="bob", password=BOB_PASSWORD, role="rep", rep_id="R1")
    _, secret = accounts.issue_token(cli, "bob", "script")
    looked = []
    real = users_module.usable_token

    def counted(*args: object, **kwargs: object) -> object:
        looked.append(1)
        time.sleep(0.05)  # a slow store, so that the others arrive while it is read
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(users_module, "usable_token", counted)
    start = threading.Barrier(20)
    found: list[object] = []

    def call() -> None:
        start.wait()
        found.append(accounts.principal_for_token(secret))

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(looked) == 1
    assert len(found) == 20 and all(getattr(p, "username", None) == "bob" for p in found)

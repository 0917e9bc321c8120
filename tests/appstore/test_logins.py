"""Log-in attempts and the throttle: five failures in 15 minutes, per account and per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from salescore.appstore import AppStore, LoginAttempt, create_user
from salescore.appstore.logins import prune_attempts, record_attempt, wait_seconds
from salescore.appstore.models import LoginOutcome

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _record(store: AppStore, outcome: LoginOutcome, minutes: float, *, login: str = "ann",
            user_id: int | None = None, address: str = "10.0.0.1") -> None:
    with store.session() as session:
        record_attempt(session, login=login, user_id=user_id, address=address, outcome=outcome,
                       now=_at(minutes))


def _wait(store: AppStore, minutes: float, *, login: str = "ann", user_id: int | None = None,
          address: str = "192.0.2.1") -> int:
    with store.session() as session:
        return wait_seconds(session, login=login, user_id=user_id, address=address,
                            now=_at(minutes))


def test_five_failures_of_an_unknown_login_wait_for_the_oldest(store: AppStore) -> None:
    for minute in (0, 2, 4, 6):
        _record(store, "failed", minute, login=" ANN ", address=f"10.0.0.{minute}")
    assert _wait(store, 7) == 0
    _record(store, "failed", 8, address="10.0.0.8")
    assert _wait(store, 8) == 7 * 60  # until the oldest, at 0, is 15 minutes old
    assert _wait(store, 14.5) == 30
    assert _wait(store, 15) == 0  # 0 is out; 2, 4, 6, 8 are four
    _record(store, "throttled", 9)  # refused attempts are not failures
    assert _wait(store, 15) == 0


def test_a_known_users_attempts_count_whatever_they_typed(store: AppStore) -> None:
    with store.session() as session:
        user_id = create_user(session, username="ann", email="ann@example.com", role="rep",
                              password=None).id
    for minute, login in enumerate(["ann", "ann@example.com", "ANN", "ann", "Ann@Example.com"]):
        _record(store, "failed", minute, login=login, user_id=user_id, address=f"10.1.{minute}")
    assert _wait(store, 5, user_id=user_id) == 10 * 60
    assert _wait(store, 5, login="ann", user_id=None) == 0  # an unknown 'ann' is another key


def test_a_success_ends_the_accounts_failures_not_the_addresses(store: AppStore) -> None:
    for minute in range(4):
        _record(store, "failed", minute, address="10.0.0.1")
    _record(store, "ok", 4, address="10.0.0.1")
    _record(store, "failed", 5, address="10.0.0.1")
    assert _wait(store, 6) == 0  # one failure since the success
    assert _wait(store, 6, login="bob", address="10.0.0.1") == 9 * 60


def test_an_unknown_address_is_not_throttled_by_address(store: AppStore) -> None:
    for minute in range(5):
        _record(store, "failed", minute, login=f"user{minute}", address="")
    assert _wait(store, 5, login="other", address="") == 0


def test_attempts_older_than_a_day_are_pruned(store: AppStore) -> None:
    _record(store, "failed", -25 * 60)
    _record(store, "failed", -60)
    with store.session() as session:
        prune_attempts(session, now=T0)
        assert [a.at for a in session.scalars(select(LoginAttempt))] == [_at(-60)]

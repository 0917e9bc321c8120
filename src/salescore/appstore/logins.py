"""Log-in attempts and the throttle they feed: five failures, then wait.

Each password log-in is recorded (when, the login as typed in lower case, the user it named,
the address, and the outcome), never the password. Within any 15 minutes, five failures for the
same account, or from the same address, refuse the next attempt without looking at its password,
until the oldest of those five is 15 minutes old. A success ends the account's run of failures, not
the address's: one good password from an address must not reopen it to guessing at others.

>>> from datetime import UTC, datetime, timedelta
>>> from salescore.appstore.store import AppStore
>>> t0 = datetime(2025, 3, 1, 9, tzinfo=UTC)
>>> with AppStore.open("sqlite://") as store, store.session() as session:
...     for minute in range(5):
...         _ = record_attempt(session, login="ann", user_id=None, address="10.0.0.9",
...                            outcome="failed", now=t0 + timedelta(minutes=minute))
...     wait_seconds(session, login="ann", user_id=None, address="10.0.0.1",
...                  now=t0 + timedelta(minutes=5))
600
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session

from salescore.appstore.models import ADDRESS, LoginAttempt, LoginOutcome
from salescore.appstore.timestamps import utcnow

FAILURE_LIMIT = 5
FAILURE_WINDOW = timedelta(minutes=15)
# Attempts are kept this long (to tell what happened), then deleted.
KEEP_ATTEMPTS = timedelta(days=1)
LOGIN_CHARS = 320


def login_key(login: str) -> str:
    """The login as recorded: stripped, in lower case, cut to 320 characters."""
    return login.strip().lower()[:LOGIN_CHARS]


def _account(login: str, user_id: int | None) -> ColumnElement[bool]:
    # A known user's attempts count together whatever they typed (name or e-mail address).
    if user_id is not None:
        return LoginAttempt.user_id == user_id
    return and_(LoginAttempt.user_id.is_(None), LoginAttempt.login == login_key(login))


def _wait(session: Session, where: ColumnElement[bool], since: datetime, now: datetime) -> int:
    failures = session.scalars(
        select(LoginAttempt.at)
        .where(where, LoginAttempt.outcome == "failed", LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .limit(FAILURE_LIMIT)
    ).all()
    if len(failures) < FAILURE_LIMIT:
        return 0
    return max(1, math.ceil((failures[-1] + FAILURE_WINDOW - now).total_seconds()))


def wait_seconds(
    session: Session,
    *,
    login: str,
    user_id: int | None,
    address: str,
    now: datetime | None = None,
) -> int:
    """How many seconds the next attempt for this account or from this address must wait; 0
    when it may go ahead. An empty ``address`` (not known) is not throttled by address."""
    moment = now or utcnow()
    start = moment - FAILURE_WINDOW
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            _account(login, user_id), LoginAttempt.outcome == "ok", LoginAttempt.at > start
        )
    )
    account = _wait(session, _account(login, user_id), max(start, last_success or start), moment)
    by_address = (
        _wait(session, LoginAttempt.address == address[:ADDRESS], start, moment) if address else 0
    )
    return max(account, by_address)


def record_attempt(
    session: Session,
    *,
    login: str,
    user_id: int | None,
    address: str,
    outcome: LoginOutcome,
    now: datetime | None = None,
) -> LoginAttempt:
    """Record one attempt (never its password)."""
    attempt = LoginAttempt(
        at=now or utcnow(),
        login=login_key(login),
        user_id=user_id,
        address=address[:ADDRESS],
        outcome=outcome,
    )
    session.add(attempt)
    session.flush()
    return attempt


def prune_attempts(session: Session, *, now: datetime | None = None) -> None:
    """Delete attempts older than a day: the throttle looks back 15 minutes."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < (now or utcnow()) - KEEP_ATTEMPTS))

"""Web sessions: a signed-in browser, kept server-side, known by the SHA-256 of its id.

A session is started at each log-in with a new random id (the caller puts it in a cookie; the
store never sees it again, only its digest) and a random CSRF token. It ends when the person logs
out, logs in again (rotation), changes their password, is deactivated or given another role; it
lapses after ``idle`` without use and, whatever the use, at its absolute limit.

>>> from datetime import UTC, datetime, timedelta
>>> from salescore.appstore.store import AppStore
>>> from salescore.appstore.users import create_user
>>> t0 = datetime(2025, 3, 1, 9, tzinfo=UTC)
>>> with AppStore.open("sqlite://") as store, store.session() as session:
...     ann = create_user(session, username="ann", role="admin", password=None)
...     started, sid = start_session(session, ann, address="127.0.0.1", now=t0)
...     alive = live_session(session, sid, now=t0 + timedelta(minutes=29))  # used: 30 more
...     lapsed = live_session(session, sid, now=t0 + timedelta(minutes=60))
...     (alive is started, lapsed, started.end_reason)
(True, None, 'idle')
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from salescore.appstore.credentials import new_csrf_token, new_session_id, token_digest
from salescore.appstore.models import ADDRESS, TITLE, SessionEnd, User, WebSession
from salescore.appstore.timestamps import utcnow

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
# A session used again within this time does not rewrite its row: one write a minute at most.
TOUCH_RESOLUTION = timedelta(minutes=1)
# Ended and lapsed sessions are kept this long (to tell what happened), then deleted.
KEEP_ENDED = timedelta(days=1)


def start_session(
    session: Session,
    user: User,
    *,
    address: str,
    user_agent: str = "",
    now: datetime | None = None,
    absolute: timedelta = ABSOLUTE,
) -> tuple[WebSession, str]:
    """A new session for ``user`` and its id, which only the caller holds from now on."""
    moment = now or utcnow()
    session_id = new_session_id()
    web = WebSession(
        session_hash=token_digest(session_id),
        user_id=user.id,
        csrf_token=new_csrf_token(),
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + absolute,
        address=address[:ADDRESS],
        user_agent=user_agent[:TITLE],
    )
    session.add(web)
    session.flush()
    return web, session_id


def find_session(session: Session, session_id: str) -> WebSession | None:
    """The session with this id, live or not, or ``None``."""
    return session.scalar(
        select(WebSession).where(WebSession.session_hash == token_digest(session_id))
    )


def idle_until(web: WebSession, idle: timedelta) -> datetime:
    """When ``web`` lapses if it is not used again: ``idle`` after its last use, or at its
    absolute limit if that comes first."""
    return min(web.last_seen_at + idle, web.expires_at)


def live_session(
    session: Session, session_id: str, *, now: datetime | None = None, idle: timedelta = IDLE
) -> WebSession | None:
    """The session with this id if it is live at ``now``, its use recorded; else ``None``.

    A session found idle for longer than ``idle``, past its absolute limit, or belonging to an
    inactive user is ended on the way (``idle``, ``expired``, ``inactive``).
    """
    moment = now or utcnow()
    web = find_session(session, session_id)
    if web is None or web.ended_at is not None:
        return None
    if moment >= web.expires_at:
        end_session(session, web, "expired", now=moment)
        return None
    if moment - web.last_seen_at > idle:
        end_session(session, web, "idle", now=moment)
        return None
    if not web.user.active:
        end_session(session, web, "inactive", now=moment)
        return None
    if moment - web.last_seen_at >= TOUCH_RESOLUTION:
        web.last_seen_at = moment
        session.flush()
    return web


def end_session(
    session: Session, web: WebSession, reason: SessionEnd, *, now: datetime | None = None
) -> None:
    """End ``web`` (if it has not ended) for ``reason``."""
    if web.ended_at is None:
        web.ended_at = now or utcnow()
        web.end_reason = reason
        session.flush()


def end_user_sessions(
    session: Session,
    user_id: int,
    reason: SessionEnd,
    *,
    now: datetime | None = None,
    keep: int | None = None,
) -> int:
    """End every session of the user still running, except the one whose row id is ``keep``;
    return how many were ended."""
    query = (
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        query = query.where(WebSession.id != keep)
    ended = session.execute(query)
    session.flush()
    return int(getattr(ended, "rowcount", 0) or 0)


def live_sessions(session: Session, user_id: int) -> list[WebSession]:
    """The user's sessions that have not been ended (some may have lapsed unnoticed)."""
    return list(
        session.scalars(
            select(WebSession)
            .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
            .order_by(WebSession.id)
        )
    )


def prune_sessions(session: Session, *, now: datetime | None = None) -> None:
    """Delete sessions that ended or reached their absolute limit more than a day ago."""
    horizon = (now or utcnow()) - KEEP_ENDED
    session.execute(
        delete(WebSession).where(
            or_(WebSession.expires_at < horizon, WebSession.ended_at < horizon)
        )
    )

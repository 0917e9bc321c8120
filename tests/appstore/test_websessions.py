"""Web sessions in the app store: only the id's digest kept, idle and absolute limits, ending."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from salescore.appstore import AppStore, User, WebSession, create_user, update_user
from salescore.appstore.websessions import (
    end_user_sessions,
    find_session,
    idle_until,
    live_session,
    live_sessions,
    prune_sessions,
    start_session,
)

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)


def _user(store: AppStore, name: str = "ann") -> int:
    with store.session() as session:
        return create_user(session, username=name, role="rep", rep_id="R1", password=None).id


def test_only_the_digest_of_the_id_is_kept(store: AppStore) -> None:
    user_id = _user(store)
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        web, session_id = start_session(session, user, address="2001:db8::1" * 10,
                                        user_agent="x" * 500, now=T0)
    with store.session() as session:
        row = session.scalars(select(WebSession)).one()
        assert row.session_hash == hashlib.sha256(session_id.encode()).hexdigest()
        assert session_id not in (row.csrf_token, row.address, row.user_agent)
        assert (row.created_at, row.last_seen_at, row.expires_at) == (
            T0, T0, T0 + timedelta(hours=12))
        assert len(row.address) == 64 and len(row.user_agent) == 200
        assert idle_until(row, timedelta(minutes=30)) == T0 + timedelta(minutes=30)
        assert find_session(session, session_id) is not None
        assert find_session(session, row.session_hash) is None


def test_live_session_lapses_ends_and_touches_once_a_minute(store: AppStore) -> None:
    user_id = _user(store)
    idle = timedelta(minutes=30)
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        _, sid = start_session(session, user, address="127.0.0.1", now=T0)
        web = live_session(session, sid, now=T0 + timedelta(seconds=59), idle=idle)
        assert web is not None and web.last_seen_at == T0
        web = live_session(session, sid, now=T0 + timedelta(minutes=1), idle=idle)
        assert web is not None and web.last_seen_at == T0 + timedelta(minutes=1)
        assert live_session(session, sid, now=T0 + timedelta(minutes=31, seconds=1),
                            idle=idle) is None
        assert (web.ended_at, web.end_reason) == (T0 + timedelta(minutes=31, seconds=1), "idle")
        _, absolute = start_session(session, user, address="127.0.0.1", now=T0,
                                    absolute=timedelta(minutes=10))
        assert live_session(session, absolute, now=T0 + timedelta(minutes=10), idle=idle) is None
        assert find_session(session, absolute).end_reason == "expired"  # type: ignore[union-attr]


def test_ending_a_users_sessions_keeps_others_and_the_one_asked(store: AppStore) -> None:
    ann_id, bob_id = _user(store, "ann"), _user(store, "bob")
    with store.session() as session:
        ann, bob = session.get(User, ann_id), session.get(User, bob_id)
        assert ann is not None and bob is not None
        keep, _ = start_session(session, ann, address="a", now=T0)
        start_session(session, ann, address="b", now=T0)
        start_session(session, bob, address="c", now=T0)
        assert end_user_sessions(session, ann_id, "password", now=T0, keep=keep.id) == 1
        assert [w.id for w in live_sessions(session, ann_id)] == [keep.id]
        assert len(live_sessions(session, bob_id)) == 1
        update_user(session, bob, actor="cli", role="manager", now=T0)  # a new role
        assert live_sessions(session, bob_id) == []
        update_user(session, ann, actor="cli", active=False, now=T0)
        assert live_sessions(session, ann_id) == []
        reasons = sorted(w.end_reason or "" for w in session.scalars(select(WebSession)))
        assert reasons == ["inactive", "password", "role"]


def test_old_sessions_are_pruned_after_a_day(store: AppStore) -> None:
    user_id = _user(store)
    with store.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        start_session(session, user, address="a", now=T0 - timedelta(days=2))
        recent, sid = start_session(session, user, address="b", now=T0)
        prune_sessions(session, now=T0)
        assert [w.id for w in session.scalars(select(WebSession))] == [recent.id]
        assert live_session(session, sid, now=T0) is recent

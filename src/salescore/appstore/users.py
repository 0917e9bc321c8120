"""Users and their API tokens: creating, changing and authenticating them, every change audited.

Usernames are kept in lower case and compared so: ``Alice`` and ``alice`` are one person. Passwords
are stored only as scrypt hashes; token secrets only as SHA-256 digests, and shown once, when
issued.

>>> from salescore.appstore.store import AppStore
>>> with AppStore.open("sqlite://") as store, store.session() as session:
...     ann = create_user(session, username="Ann", role="manager", password="s3cret-pass",
...                       team_id="t-north")
...     token, secret = issue_token(session, ann, "laptop")
...     (ann.username, verify_password(ann, "s3cret-pass"), verify_password(ann, "nope"),
...      user_for_token(session, secret) is ann, user_for_token(session, secret + "x"))
('ann', True, False, True, None)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from salescore.appstore.audit import record_audit
from salescore.appstore.credentials import (
    hash_password,
    new_token_secret,
    password_matches,
    token_digest,
    token_prefix,
)
from salescore.appstore.models import LOCALES, NAME, ROLES, TITLE, ApiToken, Role, User
from salescore.appstore.timestamps import utcnow
from salescore.core.errors import SalescoreError
from salescore.model.org import Locale

MIN_PASSWORD_CHARS = 8
# Names the audit log uses for actors that are not people.
RESERVED_USERNAMES: Final = frozenset({"system", "cli", "api", "anonymous"})
# A token used again within this time does not rewrite its row: one write per minute, not per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class UserError(SalescoreError, ValueError):
    """A user or token cannot be created or changed as asked (bad value, name taken)."""


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET


def user_snapshot(user: User) -> dict[str, Any]:
    """The user's fields as the audit log records them (never the password hash)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "rep_id": user.rep_id,
        "team_id": user.team_id,
        "locale": user.locale,
        "active": user.active,
    }


def _normal_username(username: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > NAME or any(ch.isspace() for ch in name):
        raise UserError(
            f"username {username!r} must be 1 to {NAME} characters without spaces",
            message_zh=f"用户名 {username!r} 须为 1 至 {NAME} 个字符，且不含空格",
        )
    if name in RESERVED_USERNAMES:
        raise UserError(
            f"username {name!r} is reserved for the audit log; choose another",
            message_zh=f"用户名 {name!r} 为审计日志保留，请另选一个",
        )
    return name


def _check_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise UserError(
        f"role {role!r} is not one of {', '.join(ROLES)}",
        message_zh=f"角色 {role!r} 不在 {', '.join(ROLES)} 之中",
    )


def _check_locale(locale: str) -> Locale:
    for known in LOCALES:
        if locale == known:
            return known
    raise UserError(
        f"locale {locale!r} is not one of {', '.join(LOCALES)}",
        message_zh=f"语言 {locale!r} 不在 {', '.join(LOCALES)} 之中",
    )


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(
            f"a password needs at least {MIN_PASSWORD_CHARS} characters",
            message_zh=f"密码至少需要 {MIN_PASSWORD_CHARS} 个字符",
        )
    return password


def find_user(session: Session, username: str) -> User | None:
    """The user called ``username`` (any case), or ``None``."""
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def create_user(
    session: Session,
    *,
    username: str,
    role: Role,
    password: str | None,
    display_name: str | None = None,
    email: str | None = None,
    rep_id: str | None = None,
    team_id: str | None = None,
    locale: Locale = "en",
    actor: str = "system",
) -> User:
    """Add an active user, hash the password, and write a ``user.create`` audit row.

    ``password`` ``None`` makes an account that can only use API tokens. Raises
    :class:`UserError` (English and Chinese message) for a taken or malformed username, an unknown
    role or locale, or a password shorter than :data:`MIN_PASSWORD_CHARS`.
    """
    name = _normal_username(username)
    checked_role = _check_role(role)
    checked_locale = _check_locale(locale)
    stored = None if password is None else hash_password(_check_password(password))
    if find_user(session, name) is not None:
        raise UserError(
            f"a user called {name!r} already exists", message_zh=f"用户 {name!r} 已存在"
        )
    user = User(
        username=name,
        role=checked_role,
        password_hash=stored,
        display_name=display_name,
        email=email,
        rep_id=rep_id,
        team_id=team_id,
        locale=checked_locale,
        active=True,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # another session took the name since find_user looked
        raise UserError(
            f"a user called {name!r} already exists", message_zh=f"用户 {name!r} 已存在"
        ) from exc
    record_audit(
        session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=user.id,
        before=None,
        after=user_snapshot(user),
    )
    return user


def update_user(
    session: Session,
    user: User,
    *,
    actor: str,
    reason: str | None = None,
    display_name: str | None | _Unset = UNSET,
    email: str | None | _Unset = UNSET,
    role: Role | _Unset = UNSET,
    rep_id: str | None | _Unset = UNSET,
    team_id: str | None | _Unset = UNSET,
    locale: Locale | _Unset = UNSET,
    active: bool | _Unset = UNSET,
) -> dict[str, tuple[Any, Any]]:
    """Change the given fields, audit them as ``user.update``, and return ``{field: (old, new)}``.

    Fields left out keep their value; a field set to its current value is not a change. Nothing
    changed writes no audit row.
    """
    wanted: dict[str, Any] = {
        "display_name": display_name,
        "email": email,
        "role": role if role is UNSET else _check_role(role),
        "rep_id": rep_id,
        "team_id": team_id,
        "locale": locale if locale is UNSET else _check_locale(locale),
        "active": active,
    }
    changes = {
        field: (getattr(user, field), value)
        for field, value in wanted.items()
        if value is not UNSET and getattr(user, field) != value
    }
    if not changes:
        return {}
    for field, (_, new) in changes.items():
        setattr(user, field, new)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="user.update",
        entity="user",
        entity_id=user.id,
        before={field: old for field, (old, _) in changes.items()},
        after={field: new for field, (_, new) in changes.items()},
        reason=reason,
    )
    return changes


def set_password(
    session: Session, user: User, password: str | None, *, actor: str, reason: str | None = None
) -> None:
    """Replace the user's password (``None`` removes it) and audit ``user.password``.

    The audit row records that the password changed, never a hash or the password.
    """
    user.password_hash = None if password is None else hash_password(_check_password(password))
    user.updated_at = utcnow()
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="user.password",
        entity="user",
        entity_id=user.id,
        after={"password": "removed" if password is None else "changed"},
        reason=reason,
    )


def verify_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's password. Does not look at ``active``: see
    :func:`authenticate` for signing in."""
    return password_matches(user.password_hash, password)


@cache
def _decoy_hash() -> str:
    return hash_password("decoy password, never matches a real one")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or ``None``.

    An unknown username costs the same hashing time as a wrong password, so that timing does
    not tell which usernames exist.
    """
    user = find_user(session, username)
    if user is None:
        password_matches(_decoy_hash(), password)
        return None
    if not verify_password(user, password) or not user.active:
        return None
    return user


def issue_token(
    session: Session,
    user: User,
    name: str,
    *,
    expires_at: datetime | None = None,
    actor: str = "system",
) -> tuple[ApiToken, str]:
    """Create an API token for ``user`` and return it with its secret, which is shown only now.

    The store keeps the secret's SHA-256 and its first eight characters (``prefix``), so that a
    person can tell tokens apart. ``expires_at`` must be timezone-aware. Audited as
    ``token.issue`` (without secret or hash).
    """
    label = name.strip()
    if not label or len(label) > TITLE:
        raise UserError(
            f"a token needs a name of 1 to {TITLE} characters",
            message_zh=f"令牌名称须为 1 至 {TITLE} 个字符",
        )
    if expires_at is not None and expires_at.utcoffset() is None:
        raise UserError(
            "a token's expiry must carry a time zone (UTC is kept)",
            message_zh="令牌的过期时间须带时区（存储为 UTC）",
        )
    secret = new_token_secret()
    token = ApiToken(
        user=user,
        name=label,
        token_hash=token_digest(secret),
        prefix=token_prefix(secret),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="token.issue",
        entity="api_token",
        entity_id=token.id,
        after={
            "user": user.username,
            "name": token.name,
            "prefix": token.prefix,
            "expires_at": expires_at,
        },
    )
    return token, secret


def revoke_token(
    session: Session, token: ApiToken, *, actor: str = "system", reason: str | None = None
) -> None:
    """Revoke ``token`` from now on and audit ``token.revoke``; a revoked token stays revoked."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="token.revoke",
        entity="api_token",
        entity_id=token.id,
        before={"revoked_at": None},
        after={"revoked_at": token.revoked_at},
        reason=reason,
    )


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user whose unexpired, unrevoked token has this secret, or ``None``.

    Records the use in ``last_used_at`` (at most once a minute per token, to spare the database
    a write on every call).
    """
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    now = utcnow()
    if token is None or not token.usable_at(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return token.user

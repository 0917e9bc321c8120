"""Users and their API tokens: creating, changing and authenticating them, every change audited.

Usernames and e-mail addresses are kept in lower case and compared so: ``Alice`` and ``alice`` are
one person, and an address belongs to one user at most. Passwords are stored only as Argon2id
hashes (older scrypt hashes are replaced at the next successful log-in); token secrets only as
SHA-256 digests, and shown once, when issued. Deactivating a user or changing their role ends their
web sessions.

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

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from salescore.appstore.audit import record_audit
from salescore.appstore.credentials import (
    SCHEME,
    hash_password,
    hash_scheme,
    needs_rehash,
    new_token_secret,
    password_matches,
    token_digest,
    token_prefix,
)
from salescore.appstore.models import LOCALES, NAME, ROLES, TITLE, ApiToken, Role, User
from salescore.appstore.timestamps import utcnow
from salescore.appstore.websessions import end_user_sessions
from salescore.core.errors import SalescoreError
from salescore.model.org import Locale

MIN_PASSWORD_CHARS = 8
EMAIL_CHARS = 320
# Names the audit log uses for actors that are not people.
RESERVED_USERNAMES: Final = frozenset({"system", "cli", "api", "anonymous"})
# A token used again within this time does not rewrite its row: one write per minute, not per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class UserError(SalescoreError, ValueError):
    """A user or token cannot be created or changed as asked (bad value, name taken)."""


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET
# The type of UNSET, for the signatures of callers that pass it on.
Unset = _Unset


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


def normal_email(email: str | None) -> str | None:
    """``email`` stripped and in lower case (``None`` for none or blank); :class:`UserError` when
    it is not of the form ``name@domain``.

    >>> normal_email(" Li.Wei@Example.CN "), normal_email("")
    ('li.wei@example.cn', None)
    """
    if email is None or not email.strip():
        return None
    address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    if (not at or not local or not domain or len(address) > EMAIL_CHARS
            or any(ch.isspace() for ch in address)):
        raise UserError(
            f"{email!r} is not an e-mail address (name@domain, at most {EMAIL_CHARS} characters)",
            message_zh=f"{email!r} 不是电子邮箱地址（name@domain，最多 {EMAIL_CHARS} 个字符）",
        )
    return address


def _email_taken(session: Session, email: str, user_id: int | None = None) -> UserError | None:
    owner = session.scalar(select(User).where(func.lower(User.email) == email))
    if owner is None or owner.id == user_id:
        return None
    return UserError(
        f"the e-mail address {email!r} belongs to another user",
        message_zh=f"电子邮箱 {email!r} 已属于另一位用户",
    )


def check_role(role: str) -> Role:
    """``role`` if it is one of :data:`ROLES`, else :class:`UserError`."""
    for known in ROLES:
        if role == known:
            return known
    raise UserError(
        f"role {role!r} is not one of {', '.join(ROLES)}",
        message_zh=f"角色 {role!r} 不在 {', '.join(ROLES)} 之中",
    )


def check_locale(locale: str) -> Locale:
    """``locale`` if it is one of :data:`LOCALES`, else :class:`UserError`."""
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


def find_user_by_login(session: Session, login: str) -> User | None:
    """The user whose username, else whose e-mail address, is ``login`` (any case), or ``None``."""
    key = login.strip().lower()
    if not key:
        return None
    user = session.scalar(select(User).where(User.username == key))
    if user is None and "@" in key:
        user = session.scalar(select(User).where(func.lower(User.email) == key))
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by username."""
    return list(session.scalars(select(User).order_by(User.username)))


def active_admins(session: Session) -> int:
    """How many active admins there are."""
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active)
    ) or 0


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
    checked_role = check_role(role)
    checked_locale = check_locale(locale)
    address = normal_email(email)
    stored = None if password is None else hash_password(_check_password(password))
    if find_user(session, name) is not None:
        raise UserError(
            f"a user called {name!r} already exists", message_zh=f"用户 {name!r} 已存在"
        )
    if address is not None and (taken := _email_taken(session, address)) is not None:
        raise taken
    user = User(
        username=name,
        role=checked_role,
        password_hash=stored,
        display_name=display_name,
        email=address,
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
            f"a user called {name!r} (or the e-mail address {address!r}) already exists",
            message_zh=f"用户 {name!r}（或电子邮箱 {address!r}）已存在",
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
    now: datetime | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Change the given fields, audit them as ``user.update``, and return ``{field: (old, new)}``.

    Fields left out keep their value; a field set to its current value is not a change. Nothing
    changed writes no audit row. A new role or deactivation ends the user's web sessions (at
    ``now``, default the current time): what they could do has changed under them.
    """
    address = email if email is UNSET else normal_email(email)
    if isinstance(address, str):
        taken = _email_taken(session, address, user.id)
        if taken is not None:
            raise taken
    wanted: dict[str, Any] = {
        "display_name": display_name,
        "email": address,
        "role": role if role is UNSET else check_role(role),
        "rep_id": rep_id,
        "team_id": team_id,
        "locale": locale if locale is UNSET else check_locale(locale),
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
    if "active" in changes and not user.active:
        end_user_sessions(session, user.id, "inactive", now=now)
    elif "role" in changes:
        end_user_sessions(session, user.id, "role", now=now)
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
        after={"password": "removed" if password is None else "changed",
               "scheme": hash_scheme(user.password_hash)},
        reason=reason,
    )


def verify_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's password. Does not look at ``active``: see
    :func:`authenticate` for signing in."""
    return password_matches(user.password_hash, password)


@cache
def _decoy_hash() -> str:
    return hash_password("decoy password, never matches a real one")


def decoy_verification(password: str) -> None:
    """Spend the time a password check takes, for a login that names no user: timing must not
    tell which usernames exist."""
    password_matches(_decoy_hash(), password)


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active user with this username or e-mail address and password, or ``None``.

    An unknown login costs the same hashing time as a wrong password, so that timing does not
    tell which usernames exist. A matching hash made with an older scheme (scrypt) or older
    parameters is replaced by a new Argon2id hash, audited as ``user.password_upgrade`` (the
    schemes only, never a hash).
    """
    user = find_user_by_login(session, login)
    if user is None or user.password_hash is None:
        decoy_verification(password)
        return None
    if not verify_password(user, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        old_scheme = hash_scheme(user.password_hash)
        user.password_hash = hash_password(password)
        session.flush()
        record_audit(
            session,
            actor=user.username,
            action="user.password_upgrade",
            entity="user",
            entity_id=user.id,
            before={"scheme": old_scheme},
            after={"scheme": SCHEME},
            reason="password hash upgraded at log-in",
        )
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


def find_token(session: Session, token_id: int) -> ApiToken | None:
    """The API token with this id, or ``None``."""
    return session.get(ApiToken, token_id)


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """The tokens of ``user`` (everyone's when ``None``), newest first."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def revoke_token(
    session: Session,
    token: ApiToken,
    *,
    actor: str = "system",
    reason: str | None = None,
    now: datetime | None = None,
) -> None:
    """Revoke ``token`` from ``now`` on and audit ``token.revoke``; a revoked token stays
    revoked."""
    if token.revoked_at is not None:
        return
    token.revoked_at = now or utcnow()
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


def user_for_token(session: Session, secret: str, *, now: datetime | None = None) -> User | None:
    """The active user whose unexpired, unrevoked token has this secret, or ``None``.

    Records the use in ``last_used_at`` (at most once a minute per token, to spare the database
    a write on every call).
    """
    token = usable_token(session, secret, now=now)
    return None if token is None else token.user


def usable_token(session: Session, secret: str, *, now: datetime | None = None
                 ) -> ApiToken | None:
    """The unexpired, unrevoked token with this secret whose user is active, or ``None``; its
    use recorded as :func:`user_for_token` says."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    now = now or utcnow()
    if token is None or not token.usable_at(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return token

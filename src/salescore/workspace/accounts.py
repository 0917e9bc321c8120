"""Accounts: signing in (web sessions, API tokens), and managing users and tokens.

``ws.accounts`` is what the web app and the CLI call for people; they import no app store code.
Its results are plain dataclasses (:class:`WebLogin`, :class:`UserInfo`, :class:`TokenInfo`,
:class:`AuditInfo`), never database rows. Every change is audited with who did it (the actor's
username; ``cli`` for :meth:`Accounts.owner`), when, and the values before and after, never a hash
or a secret.

* Log-in (:meth:`Accounts.log_in`) by username or e-mail address starts a new web session (the id
  goes in a cookie; only its SHA-256 is kept) and ends the one the browser had. Five failures
  within 15 minutes for an account or from an address make the next attempt wait
  (:class:`LoginThrottled`). A wrong username and a wrong password fail alike
  (:class:`LoginFailed`).
* A session (:meth:`Accounts.web_session`) lapses after 30 minutes idle (by default) and 12 hours
  in all; a password change ends the user's other sessions and rotates the current one;
  deactivation or a new role ends them all.
* Admin operations take the acting :class:`~salescore.core.access.Principal` first and refuse
  anyone but an admin (:class:`~salescore.core.scope.AccessError`); a user may list, issue and
  revoke their own API tokens.

>>> import tempfile
>>> from salescore.workspace import Workspace
>>> with tempfile.TemporaryDirectory() as d, Workspace.init(d) as ws:
...     cli = ws.accounts.owner()
...     _ = ws.accounts.add_user(cli, username="ann", password="correct horse", role="admin")
...     login = ws.accounts.log_in("ann", "correct horse", address="127.0.0.1")
...     (ws.accounts.web_session(login.session_id).principal.username,
...      ws.accounts.audit(cli)[0].action)
('ann', 'user.create')
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from salescore.appstore import audit as audit_log
from salescore.appstore import logins, users, websessions
from salescore.appstore.models import ApiToken, AuditEntry, User, WebSession
from salescore.appstore.store import AppStore, StoreSession
from salescore.appstore.timestamps import utcnow
from salescore.appstore.users import UNSET, Unset, UserError
from salescore.core.access import Principal, Role
from salescore.core.errors import ConfigError, SalescoreError
from salescore.core.scope import AccessError
from salescore.model.org import settings_path

__all__ = [
    "UNSET",
    "Accounts",
    "AccountNotFound",
    "AuditInfo",
    "LoginFailed",
    "LoginThrottled",
    "TokenInfo",
    "UserError",
    "UserInfo",
    "Unset",
    "WebLogin",
]

DEFAULT_IDLE_MINUTES = 30
DEFAULT_ABSOLUTE_HOURS = 12
CLI_USERNAME = "cli"


class LoginFailed(SalescoreError):
    """The login or the password is wrong, or the account cannot sign in (inactive, no
    password): one message for all, so that it does not tell which usernames exist."""

    def __init__(self) -> None:
        super().__init__("wrong username or password", message_zh="用户名或密码错误")


class LoginThrottled(SalescoreError):
    """Too many failed log-ins for this account or from this address: wait ``retry_after``
    seconds. The password was not looked at."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed log-ins; try again in {retry_after} seconds",
            message_zh=f"登录失败次数过多，请在 {retry_after} 秒后重试",
        )
        self.retry_after = retry_after


class AccountNotFound(SalescoreError, LookupError):
    """No such user or API token (or none the caller may see)."""


@dataclass(frozen=True, slots=True)
class WebLogin:
    """A live web session: its id (for the cookie; shown to no one else), its CSRF token, whom
    it acts for, and when it lapses if not used again."""

    session_id: str
    csrf_token: str
    principal: Principal
    expires_at: datetime

    def csrf_matches(self, token: str | None) -> bool:
        """Whether ``token`` (from a form or header) is this session's CSRF token, compared in
        constant time."""
        return token is not None and hmac.compare_digest(token.encode(), self.csrf_token.encode())


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as an admin sees them (never the password hash)."""

    user_id: int
    username: str
    display_name: str | None
    email: str | None
    locale: str
    role: Role
    rep_id: str | None
    team_id: str | None
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token without its secret: its name, the first characters of the secret (to tell
    tokens apart), its dates, and whose it is."""

    token_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    username: str


@dataclass(frozen=True, slots=True)
class AuditInfo:
    """One row of the audit log."""

    entry_id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


def _principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.name, user.locale, user.role,
                     rep_id=user.rep_id, team_id=user.team_id)


def _user_info(user: User) -> UserInfo:
    return UserInfo(user.id, user.username, user.display_name, user.email, user.locale,
                    user.role, user.rep_id, user.team_id, user.active, user.created_at)


def _token_info(token: ApiToken) -> TokenInfo:
    return TokenInfo(token.id, token.name, token.prefix, token.created_at, token.expires_at,
                     token.last_used_at, token.revoked_at, token.user.username)


def _audit_info(entry: AuditEntry) -> AuditInfo:
    return AuditInfo(entry.id, entry.at, entry.actor, entry.action, entry.entity,
                     entry.entity_id, entry.before, entry.after, entry.reason)


def _require_admin(actor: Principal, action: str, action_zh: str) -> None:
    if not actor.is_admin:
        raise AccessError(
            f"{action} is for admins; {actor.username} is a {actor.role}",
            message_zh=f"{action_zh}仅限管理员；{actor.username} 的角色是 {actor.role}")


def _require_self_or_admin(actor: Principal, username: str, action: str, action_zh: str
                           ) -> None:
    if actor.username != username.strip().lower():
        _require_admin(actor, action, action_zh)


MEMO_SECONDS = 5.0
"""How long a signed-in caller is remembered between requests without reading the app store
again (see :class:`_Memo`)."""


class _Memo:
    """Whom a credential (an API token, a web session id) acted for, remembered for
    :data:`MEMO_SECONDS` so that a busy client does not cost an app-store read per request (a
    token look-up is about 1 ms of the server's one core on SQLite).

    Only the credential's SHA-256 is kept, never the secret. Every change that can take a
    credential's rights away through these accounts (revocation, role or activity, password,
    log-out) forgets everything at once; a change made by another process (the CLI, another
    worker) takes effect within :data:`MEMO_SECONDS`. A remembered caller is given only while
    the credential's own expiry, on the accounts' clock, has not come.
    """

    def __init__(self, seconds: float = MEMO_SECONDS, entries: int = 4096) -> None:
        self.seconds = seconds
        self.entries = entries
        self._kept: dict[tuple[str, str], tuple[float, datetime, datetime | None, Any]] = {}
        self._guard = threading.Lock()
        self._looking: dict[tuple[str, str], threading.Lock] = {}

    def looking_up(self, key: tuple[str, str]) -> threading.Lock:
        """The lock that one look-up of ``key`` holds, so that the many requests of a busy
        client whose memory has just lapsed wait for that one look-up instead of all reading
        (and all recording the use in) the store at once."""
        with self._guard:
            if len(self._looking) >= self.entries:
                self._looking.clear()
            return self._looking.setdefault(key, threading.Lock())

    @staticmethod
    def key(kind: str, secret: str) -> tuple[str, str]:
        return kind, hashlib.sha256(secret.encode()).hexdigest()

    def get(self, key: tuple[str, str], now: datetime) -> Any | None:
        with self._guard:
            found = self._kept.get(key)
        if found is None:
            return None
        until, at, expires, value = found
        # Both clocks: the process's, and the accounts' own (tests move it by hours).
        if time.monotonic() >= until or not 0 <= (now - at).total_seconds() < self.seconds \
                or (expires is not None and now >= expires):
            return None
        return value

    def put(self, key: tuple[str, str], value: Any, now: datetime, expires: datetime | None
            ) -> None:
        if self.seconds <= 0:
            return
        with self._guard:
            if len(self._kept) >= self.entries:
                self._kept.clear()
            self._kept[key] = (time.monotonic() + self.seconds, now, expires, value)

    def forget(self) -> None:
        with self._guard:
            self._kept.clear()


_M = TypeVar("_M", bound=Callable[..., Any])


def _forgets(method: _M) -> _M:
    """``method`` may take a credential's rights away: the memo forgets every caller once it
    is done (after its change is committed, so that no request remembers the state before)."""

    @functools.wraps(method)
    def wrapper(self: Accounts, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        finally:
            self._memo.forget()

    return wrapper  # type: ignore[return-value]


class Accounts:
    """Users, sessions and tokens of one app store. ``clock`` gives the current UTC time (tests
    pass their own); ``idle_minutes`` and ``absolute_hours`` bound a web session's life."""

    def __init__(self, store: AppStore, *, clock: Callable[[], datetime] = utcnow,
                 idle_minutes: int = DEFAULT_IDLE_MINUTES,
                 absolute_hours: int = DEFAULT_ABSOLUTE_HOURS, memo: _Memo | None = None
                 ) -> None:
        self._store = store
        self._clock = clock
        self._memo = memo if memo is not None else _Memo()
        self._owns_store = False
        self.idle_minutes = idle_minutes
        self.absolute_hours = absolute_hours

    @classmethod
    def open(cls, home: Path | str | None = None) -> Accounts:
        """The accounts of a data folder, with its app store alone: no warehouse is opened, so
        that users can be managed while the server holds it. Close it when done (or use it as
        a context manager); ``ws.accounts`` needs no closing."""
        from salescore.workspace.workspace import Locations

        locations = Locations.resolve(home)
        if not settings_path(locations.home).exists():
            raise ConfigError(
                f"{locations.home} is not a salescore data folder (it has no salescore.yaml); "
                f"run salescore init --home {locations.home} first",
                message_zh=f"{locations.home} 不是 salescore 数据目录（没有 salescore.yaml）；"
                f"请先运行 salescore init --home {locations.home}")
        accounts = cls(AppStore.open(locations.app_db_url))
        accounts._owns_store = True
        return accounts

    def close(self) -> None:
        """Close the app store if :meth:`open` opened it."""
        if self._owns_store:
            self._store.close()

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def using(self, *, clock: Callable[[], datetime] | None = None,
              idle_minutes: int | None = None, absolute_hours: int | None = None) -> Accounts:
        """The same accounts with another clock or other session limits."""
        return Accounts(self._store, clock=clock or self._clock,
                        idle_minutes=self.idle_minutes if idle_minutes is None else idle_minutes,
                        absolute_hours=(self.absolute_hours if absolute_hours is None
                                        else absolute_hours), memo=self._memo)

    @staticmethod
    def owner() -> Principal:
        """The data folder's owner as the CLI acts: an admin with user id 0, ``cli`` in the
        audit log."""
        return Principal(0, CLI_USERNAME, CLI_USERNAME, "en", "admin")

    def _now(self) -> datetime:
        return self._clock()

    def _idle(self, minutes: int | None = None) -> timedelta:
        return timedelta(minutes=self.idle_minutes if minutes is None else minutes)

    def _web_login(self, web: WebSession, session_id: str, idle: timedelta) -> WebLogin:
        return WebLogin(session_id, web.csrf_token, _principal(web.user),
                        websessions.idle_until(web, idle))

    def _start(self, session: StoreSession, user: User, *, address: str, user_agent: str,
               now: datetime) -> WebLogin:
        web, session_id = websessions.start_session(
            session, user, address=address, user_agent=user_agent, now=now,
            absolute=timedelta(hours=self.absolute_hours))
        return self._web_login(web, session_id, self._idle())

    # -- signing in ------------------------------------------------------------------------
    @_forgets
    def log_in(self, login: str, password: str, *, address: str, user_agent: str = "",
               replacing: str | None = None) -> WebLogin:
        """Check the password of the user whose username or e-mail address is ``login`` and
        start a new web session; the session ``replacing`` (the browser's old id) is ended.

        Raises :class:`LoginThrottled` after five failures in 15 minutes for the account or
        from ``address`` (the password is then not checked), and :class:`LoginFailed` for a
        wrong login or password, an inactive user or one without a password.
        """
        now = self._now()
        throttled: LoginThrottled | None = None
        with self._store.session() as session:
            logins.prune_attempts(session, now=now)
            websessions.prune_sessions(session, now=now)
            if replacing:
                old = websessions.find_session(session, replacing)
                if old is not None:
                    websessions.end_session(session, old, "rotated", now=now)
            named = users.find_user_by_login(session, login)
            user_id = None if named is None else named.id
            wait = logins.wait_seconds(session, login=login, user_id=user_id, address=address,
                                       now=now)
            if wait:
                logins.record_attempt(session, login=login, user_id=user_id, address=address,
                                      outcome="throttled", now=now)
                throttled = LoginThrottled(wait)
            else:
                user = users.authenticate(session, login, password)
                logins.record_attempt(session, login=login, user_id=user_id, address=address,
                                      outcome="failed" if user is None else "ok", now=now)
                if user is not None:
                    return self._start(session, user, address=address, user_agent=user_agent,
                                       now=now)
        # Raised after the block, so that the attempt just recorded is committed.
        raise throttled or LoginFailed()

    def remembered_web_session(self, session_id: str, *, idle_minutes: int | None = None
                               ) -> WebLogin | None:
        """:meth:`web_session` when its answer is remembered (a session looked up within
        :data:`MEMO_SECONDS`), else ``None``; no store read, so that a server may ask it on its
        event loop and go to a worker thread only when it must read."""
        return self._memo.get(self._web_key(session_id, self._idle(idle_minutes)), self._now())

    def remembered_token(self, secret: str) -> Principal | None:
        """:meth:`principal_for_token` when its answer is remembered, else ``None`` (no store
        read)."""
        return self._memo.get(self._token_key(secret), self._now())

    def _web_key(self, session_id: str, idle: timedelta) -> tuple[str, str]:
        """Where the memo keeps a web session looked up with ``idle`` as its idle limit."""
        return self._memo.key(f"web{idle}", session_id)

    def _token_key(self, secret: str) -> tuple[str, str]:
        return self._memo.key("token", secret)

    def web_session(self, session_id: str, *, idle_minutes: int | None = None
                    ) -> WebLogin | None:
        """The live session with this id, or ``None`` when it is unknown, ended, idle for
        longer than ``idle_minutes`` (default the accounts' own), past its absolute limit, or
        its user inactive. Records the use (at most once a minute)."""
        idle = self._idle(idle_minutes)
        now = self._now()
        key = self._web_key(session_id, idle)
        kept: WebLogin | None = self._memo.get(key, now)
        if kept is not None:
            return kept
        with self._memo.looking_up(key):
            kept = self._memo.get(key, now)
            if kept is not None:
                return kept
            with self._store.session() as session:
                web = websessions.live_session(session, session_id, now=now, idle=idle)
                found = None if web is None else self._web_login(web, session_id, idle)
            if found is not None:
                self._memo.put(key, found, now, found.expires_at)
            return found

    @_forgets
    def log_out(self, session_id: str) -> None:
        """End the session with this id (nothing happens for an unknown or ended one)."""
        with self._store.session() as session:
            web = websessions.find_session(session, session_id)
            if web is not None:
                websessions.end_session(session, web, "logout", now=self._now())

    @_forgets
    def change_password(self, principal: Principal, current: str, new: str, *,
                        session_id: str | None = None, address: str = "") -> WebLogin | None:
        """Replace the principal's password after checking ``current``; end every other
        session of theirs, and return the current one (``session_id``) rotated to a new id.

        A wrong ``current`` is :class:`LoginFailed` and counts as a failed log-in (so that a
        stolen session cannot guess at the password); :class:`LoginThrottled` as for log-in.
        """
        now = self._now()
        failure: SalescoreError | None = None
        with self._store.session() as session:
            user = users.find_user(session, principal.username)
            if user is None or user.id != principal.user_id:
                raise AccountNotFound(f"no user called {principal.username!r}",
                                      message_zh=f"没有用户 {principal.username!r}")
            wait = logins.wait_seconds(session, login=user.username, user_id=user.id,
                                       address=address, now=now)
            if wait:
                failure = LoginThrottled(wait)
                outcome: logins.LoginOutcome = "throttled"
            elif not (user.active and users.verify_password(user, current)):
                failure, outcome = LoginFailed(), "failed"
            else:
                outcome = "ok"
            logins.record_attempt(session, login=user.username, user_id=user.id,
                                  address=address, outcome=outcome, now=now)
            if failure is None:
                users.set_password(session, user, new, actor=principal.username,
                                   reason="changed by the user")
                websessions.end_user_sessions(session, user.id, "password", now=now)
                current_web = None if session_id is None else \
                    websessions.find_session(session, session_id)
                if current_web is None or current_web.user_id != user.id:
                    return None
                return self._start(session, user, address=current_web.address,
                                   user_agent=current_web.user_agent, now=now)
        raise failure

    def principal_for_token(self, secret: str) -> Principal | None:
        """Whom an API token acts for, or ``None`` when it is unknown, revoked, expired or its
        user inactive. Records the use (at most once a minute)."""
        now = self._now()
        key = self._token_key(secret)
        kept: Principal | None = self._memo.get(key, now)
        if kept is not None:
            return kept
        with self._memo.looking_up(key):
            kept = self._memo.get(key, now)
            if kept is not None:
                return kept
            with self._store.session() as session:
                token = users.usable_token(session, secret, now=now)
                if token is None:
                    return None
                found, expires = _principal(token.user), token.expires_at
            self._memo.put(key, found, now, expires)
            return found

    # -- users (admins) --------------------------------------------------------------------
    def _find(self, session: StoreSession, username: str) -> User:
        user = users.find_user(session, username)
        if user is None:
            raise AccountNotFound(f"no user called {username.strip().lower()!r}",
                                  message_zh=f"没有用户 {username.strip().lower()!r}")
        return user

    def users(self, actor: Principal) -> list[UserInfo]:
        """Every user, by username."""
        _require_admin(actor, "listing users", "列出用户")
        with self._store.session() as session:
            return [_user_info(user) for user in users.list_users(session)]

    def user(self, actor: Principal, username: str) -> UserInfo:
        """One user; :class:`AccountNotFound` when there is none of that name."""
        _require_admin(actor, "reading a user", "查看用户")
        with self._store.session() as session:
            return _user_info(self._find(session, username))

    def add_user(self, actor: Principal, *, username: str, password: str | None, role: str,
                 display_name: str | None = None, email: str | None = None,
                 locale: str = "en", rep_id: str | None = None, team_id: str | None = None
                 ) -> UserInfo:
        """Add an active user; :class:`UserError` for a taken name or e-mail address, an
        unknown role (rep, manager, executive, admin) or locale (en, zh_CN), or a password
        shorter than eight characters. ``password`` ``None``: API tokens only."""
        _require_admin(actor, "adding a user", "添加用户")
        with self._store.session() as session:
            user = users.create_user(
                session, username=username, role=users.check_role(role), password=password,
                display_name=display_name, email=email, rep_id=rep_id, team_id=team_id,
                locale=users.check_locale(locale), actor=actor.username)
            return _user_info(user)

    @_forgets
    def update_user(self, actor: Principal, username: str, *,
                    role: str | Unset = UNSET,
                    display_name: str | None | Unset = UNSET,
                    email: str | None | Unset = UNSET,
                    locale: str | Unset = UNSET,
                    rep_id: str | None | Unset = UNSET,
                    team_id: str | None | Unset = UNSET,
                    active: bool | Unset = UNSET,
                    reason: str | None = None) -> UserInfo:
        """Change the given fields only (audited, before and after). A new role or
        deactivation ends the user's web sessions. The last active admin cannot be demoted or
        deactivated (:class:`UserError`): someone must be left to manage users."""
        _require_admin(actor, "changing a user", "修改用户")
        checked_role = role if role is UNSET else users.check_role(role)
        checked_locale = locale if locale is UNSET else users.check_locale(locale)
        with self._store.session() as session:
            user = self._find(session, username)
            loses_admin = (checked_role is not UNSET and checked_role != "admin") \
                or active is False
            if (user.role == "admin" and user.active and loses_admin
                    and users.active_admins(session) <= 1):
                raise UserError(
                    f"{user.username} is the last active admin; make another admin first",
                    message_zh=f"{user.username} 是最后一位有效管理员；请先设置另一位管理员")
            users.update_user(session, user, actor=actor.username, reason=reason,
                              role=checked_role, display_name=display_name, email=email,
                              locale=checked_locale,
                              rep_id=rep_id, team_id=team_id, active=active, now=self._now())
            return _user_info(user)

    @_forgets
    def set_own_locale(self, actor: Principal, locale: str) -> UserInfo:
        """The signed-in user's own language (``en`` or ``zh_CN``; audited): the one change of
        their account every user may make."""
        checked = users.check_locale(locale)
        with self._store.session() as session:
            user = self._find(session, actor.username)
            users.update_user(session, user, actor=actor.username, reason="own language",
                              locale=checked, now=self._now())
            return _user_info(user)

    @_forgets
    def reset_password(self, actor: Principal, username: str, password: str) -> None:
        """Set a user's password (audited without it) and end all their web sessions."""
        _require_admin(actor, "resetting a password", "重置密码")
        with self._store.session() as session:
            user = self._find(session, username)
            users.set_password(session, user, password, actor=actor.username,
                               reason="reset by an admin")
            websessions.end_user_sessions(session, user.id, "reset", now=self._now())

    # -- API tokens (admins, or the user for their own) --------------------------------------
    def issue_token(self, actor: Principal, username: str, name: str, *,
                    days: int | None = None) -> tuple[TokenInfo, str]:
        """A new API token for ``username`` (valid ``days`` days, or until revoked) and its
        secret, which is shown now and never again."""
        _require_self_or_admin(actor, username, "issuing a token for another user",
                               "为其他用户签发令牌")
        if days is not None and days < 1:
            raise UserError("a token lasts at least one day", message_zh="令牌有效期至少一天")
        expires = None if days is None else self._now() + timedelta(days=days)
        with self._store.session() as session:
            user = self._find(session, username)
            token, secret = users.issue_token(session, user, name, expires_at=expires,
                                              actor=actor.username)
            return _token_info(token), secret

    def tokens(self, actor: Principal, username: str | None = None) -> list[TokenInfo]:
        """The tokens of ``username`` (an admin without one: everyone's; anyone else: their
        own), newest first."""
        if username is None and not actor.is_admin:
            username = actor.username
        if username is not None:
            _require_self_or_admin(actor, username, "listing another user's tokens",
                                   "列出其他用户的令牌")
        with self._store.session() as session:
            owner = None if username is None else self._find(session, username)
            return [_token_info(token) for token in users.list_tokens(session, owner)]

    @_forgets
    def revoke_token(self, actor: Principal, token_id: int) -> TokenInfo:
        """Revoke a token (audited); revoking it again changes nothing. A token that is not
        the actor's is :class:`AccountNotFound` unless the actor is an admin."""
        with self._store.session() as session:
            token = users.find_token(session, token_id)
            if token is None or not (actor.is_admin or token.user.username == actor.username):
                raise AccountNotFound(f"no API token {token_id}",
                                      message_zh=f"没有 API 令牌 {token_id}")
            users.revoke_token(session, token, actor=actor.username, now=self._now())
            return _token_info(token)

    # -- the audit log (admins) ------------------------------------------------------------
    def audit(self, actor: Principal, *, limit: int = 50, before_id: int | None = None,
              entity: str | None = None, actor_name: str | None = None) -> list[AuditInfo]:
        """The newest audit rows (of ``entity``: ``user``, ``api_token``, ``plan``, …; by
        ``actor_name``), newest first; pass the last ``entry_id`` seen as ``before_id`` for the
        next page."""
        _require_admin(actor, "reading the audit log", "查看审计日志")
        with self._store.session() as session:
            return [_audit_info(entry) for entry in audit_log.audit_entries(
                session, limit=limit, before_id=before_id, entity=entity, actor=actor_name)]

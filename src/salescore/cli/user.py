"""``salescore user``: people who sign in to the web app, and API tokens for scripts.

These commands touch only the app store (never the warehouse), so they run while ``salescore
serve`` holds it; they act as the data folder's owner (``cli`` in the audit log). Every change is
audited. A password is read twice with hidden input, or once from stdin with
``--password-stdin`` (for scripts: ``printf '%s\\n' "$PW" | salescore user add ...``); it is never
echoed or logged. A token's secret is printed once, when it is issued.

Registered in :mod:`salescore.cli.main` with ``app.add_typer(user_app, name="user")``.
Exit codes: 0 done, 2 the command cannot be carried out (an unknown user, a taken name, a bad
role, a short password).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from salescore.cli.common import HomeOption, console, err_console, fail
from salescore.core.access import ROLES
from salescore.core.errors import SalescoreError

# A command imports what it uses when it runs (``salescore --help`` imports none of it).
if TYPE_CHECKING:
    from salescore.workspace import Accounts, TokenInfo, UserInfo

user_app = typer.Typer(
    help="Users and API tokens: add, list, roles, passwords, tokens. "
    "用户与 API 令牌：添加、列出、角色、密码、令牌。",
    no_args_is_help=True,
)

UsernameArgument = Annotated[str, typer.Argument(help="Username / 用户名", show_default=False)]
RoleHelp = f"Role: {', '.join(ROLES)} / 角色"
RepOption = Annotated[str | None, typer.Option(
    "--rep-id", help="The rep this user is (rep role) / 关联的销售编号", show_default=False)]
TeamOption = Annotated[str | None, typer.Option(
    "--team-id", help="The team this user manages (manager role) / 管理的团队编号",
    show_default=False)]
PasswordStdinOption = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of stdin instead of "
    "asking / 从标准输入首行读取密码")]


@contextmanager
def _accounts(home: Path | None) -> Iterator[Accounts]:
    """The data folder's accounts; a :class:`SalescoreError` is printed in the organisation's
    language and exits 2."""
    from salescore.workspace import Accounts, home_settings

    try:
        locale = home_settings(home).organisation.locale
        accounts = Accounts.open(home)
    except SalescoreError as exc:
        fail(exc)
    try:
        yield accounts
    except SalescoreError as exc:
        fail(exc, locale)
    finally:
        accounts.close()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    text: str = typer.prompt("Password / 密码", hide_input=True,
                             confirmation_prompt="Repeat the password / 再次输入密码",
                             err=True)
    return text


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _user_line(user: UserInfo) -> str:
    link = f" · rep {user.rep_id}" if user.rep_id else ""
    link += f" · team {user.team_id}" if user.team_id else ""
    state = "" if user.active else " · inactive / 已停用"
    return f"[bold]{escape(user.username)}[/] · {user.role}{escape(link)}{state}"


@user_app.command("add")
def add(
    username: UsernameArgument,
    role: Annotated[str, typer.Option("--role", help=RoleHelp, show_default=False)],
    rep_id: RepOption = None,
    team_id: TeamOption = None,
    email: Annotated[str | None, typer.Option(help="E-mail address (to log in with) / 电子邮箱",
                                              show_default=False)] = None,
    name: Annotated[str | None, typer.Option(help="Display name / 显示名称",
                                             show_default=False)] = None,
    locale: Annotated[str, typer.Option(help="en or zh_CN / 界面语言")] = "en",
    password_stdin: PasswordStdinOption = False,
    home: HomeOption = None,
) -> None:
    """Add a user who signs in with a password. 添加用户。"""
    with _accounts(home) as accounts:
        password = _password(password_stdin)
        user = accounts.add_user(accounts.owner(), username=username, password=password,
                                 role=role, display_name=name, email=email, locale=locale,
                                 rep_id=rep_id, team_id=team_id)
    console.print(f"Added / 已添加: {_user_line(user)}", highlight=False)


@user_app.command("list")
def list_users(home: HomeOption = None) -> None:
    """List every user. 列出所有用户。"""
    with _accounts(home) as accounts:
        found = accounts.users(accounts.owner())
    grid = Table(title=f"{len(found)} users / 用户")
    for column in ("username / 用户名", "name / 名称", "e-mail / 邮箱", "role / 角色",
                   "rep·team / 销售·团队", "locale / 语言", "active / 有效",
                   "created / 创建 (UTC)"):
        grid.add_column(column)
    for user in found:
        link = " · ".join(value for value in (user.rep_id, user.team_id) if value)
        grid.add_row(user.username, user.display_name or "", user.email or "", user.role, link,
                     user.locale, "yes / 是" if user.active else "no / 否",
                     _when(user.created_at))
    console.print(grid)


@user_app.command("set-role")
def set_role(
    username: UsernameArgument,
    role: Annotated[str, typer.Argument(help=RoleHelp, show_default=False)],
    rep_id: RepOption = None,
    team_id: TeamOption = None,
    home: HomeOption = None,
) -> None:
    """Give a user another role (and rep or team); ends their web sessions.
    修改用户角色（及关联的销售或团队），其网页会话随之结束。"""
    changes: dict[str, Any] = {"role": role}
    if rep_id is not None:
        changes["rep_id"] = rep_id or None
    if team_id is not None:
        changes["team_id"] = team_id or None
    with _accounts(home) as accounts:
        user = accounts.update_user(accounts.owner(), username, **changes)
    console.print(f"Changed / 已修改: {_user_line(user)}", highlight=False)


def _set_active(username: str, active: bool, home: Path | None) -> None:
    with _accounts(home) as accounts:
        user = accounts.update_user(accounts.owner(), username, active=active)
    verb = "Activated / 已启用" if active else "Deactivated / 已停用"
    console.print(f"{verb}: {_user_line(user)}", highlight=False)


@user_app.command("deactivate")
def deactivate(username: UsernameArgument, home: HomeOption = None) -> None:
    """Stop a user signing in; ends their sessions, their tokens stop working.
    停用用户：结束其会话，令牌失效。"""
    _set_active(username, False, home)


@user_app.command("activate")
def activate(username: UsernameArgument, home: HomeOption = None) -> None:
    """Let a deactivated user sign in again. 重新启用用户。"""
    _set_active(username, True, home)


@user_app.command("reset-password")
def reset_password(
    username: UsernameArgument,
    password_stdin: PasswordStdinOption = False,
    home: HomeOption = None,
) -> None:
    """Set a user's password; ends their web sessions. 重置用户密码，其网页会话随之结束。"""
    with _accounts(home) as accounts:
        accounts.user(accounts.owner(), username)  # an unknown user before asking for a password
        accounts.reset_password(accounts.owner(), username, _password(password_stdin))
    console.print(f"Password set for / 已重置密码: [bold]{escape(username.strip().lower())}[/]",
                  highlight=False)


@user_app.command("token")
def token(
    username: UsernameArgument,
    name: Annotated[str, typer.Argument(help="What the token is for / 令牌用途",
                                        show_default=False)],
    days: Annotated[int | None, typer.Option(help="Valid for this many days (default: until "
                                             "revoked) / 有效天数（默认：直至撤销）",
                                             show_default=False)] = None,
    home: HomeOption = None,
) -> None:
    """Issue an API token for a user and print its secret, once. 签发 API 令牌并显示一次密钥。"""
    with _accounts(home) as accounts:
        info, secret = accounts.issue_token(accounts.owner(), username, name, days=days)
    until = f"until / 有效至 {_when(info.expires_at)} UTC" if info.expires_at else \
        "until revoked / 直至撤销"
    console.print(f"Token / 令牌 {info.token_id} for / 用户 [bold]{escape(info.username)}[/] "
                  f"({escape(info.name)}), {until}:", highlight=False)
    # Plain, unwrapped and unstyled: the secret is for copying.
    console.print(secret, markup=False, highlight=False, soft_wrap=True)
    err_console.print("[yellow]Copy it now: it is not shown again. / "
                      "请立即复制：此密钥不会再次显示。[/]", highlight=False)


@user_app.command("tokens")
def tokens(
    username: Annotated[str | None, typer.Argument(help="Only this user's / 仅该用户",
                                                   show_default=False)] = None,
    home: HomeOption = None,
) -> None:
    """List API tokens (never their secrets). 列出 API 令牌（不显示密钥）。"""
    with _accounts(home) as accounts:
        found = accounts.tokens(accounts.owner(), username)
    grid = Table(title=f"{len(found)} tokens / 令牌")
    for column in ("id", "user / 用户", "name / 名称", "prefix / 前缀", "created / 创建",
                   "expires / 过期", "last used / 最近使用", "revoked / 撤销 (UTC)"):
        grid.add_column(column)
    for info in found:
        grid.add_row(*_token_row(info))
    console.print(grid)


def _token_row(info: TokenInfo) -> list[str]:
    return [str(info.token_id), info.username, info.name, info.prefix + "…",
            _when(info.created_at), _when(info.expires_at), _when(info.last_used_at),
            _when(info.revoked_at)]


@user_app.command("revoke-token")
def revoke_token(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="Token id (salescore user "
                                            "tokens) / 令牌编号", show_default=False)],
    home: HomeOption = None,
) -> None:
    """Revoke an API token from now on. 撤销 API 令牌。"""
    with _accounts(home) as accounts:
        info = accounts.revoke_token(accounts.owner(), token_id)
    console.print(f"Revoked / 已撤销: token / 令牌 {info.token_id} ({escape(info.name)}) of / "
                  f"用户 [bold]{escape(info.username)}[/]", highlight=False)

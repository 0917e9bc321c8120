"""``salescore user``: users, roles, passwords and API tokens from the command line, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from salescore.cli.common import console, err_console
from salescore.cli.main import app
from salescore.workspace import Accounts, LoginFailed, Workspace

runner = CliRunner()
ENV = {"SALESCORE_WAREHOUSE_URL": None, "SALESCORE_APP_DB_URL": None, "SALESCORE_HOME": None}
PASSWORD = "a long enough password"


@pytest.fixture(scope="module", autouse=True)
def wide_console() -> Iterator[None]:
    """Lines as wide as they need: a narrow terminal would wrap the text the tests read."""
    before = console.width, err_console.width
    console.width = err_console.width = 250
    yield
    console.width, err_console.width = before



@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    Workspace.init(folder).close()
    return folder


def _run(home: Path, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["user", *args, "--home", str(home)], input=stdin, env=ENV)


def _add(home: Path, username: str, *options: str, password: str = PASSWORD) -> Result:
    result = _run(home, "add", username, *options, "--password-stdin", stdin=password + "\n")
    assert result.exit_code == 0, result.output
    return result


def test_add_with_password_from_stdin_and_log_in_by_email(home: Path) -> None:
    result = _add(home, "Ann", "--role", "manager", "--team-id", "T1", "--email",
                  "Ann@Example.com", "--name", "Ann Li", "--locale", "zh_CN")
    assert "Added / 已添加: ann · manager · team T1" in result.stdout
    assert PASSWORD not in result.output
    with Accounts.open(home) as accounts:
        login = accounts.log_in("ann@example.com", PASSWORD, address="127.0.0.1")
        assert (login.principal.username, login.principal.display_name, login.principal.locale,
                login.principal.team_id) == ("ann", "Ann Li", "zh_CN", "T1")
        [entry] = accounts.audit(accounts.owner(), entity="user")
        assert (entry.actor, entry.action) == ("cli", "user.create")


def test_add_asks_for_the_password_twice_without_echo(home: Path) -> None:
    result = _run(home, "add", "bob", "--role", "rep", "--rep-id", "R1",
                  stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password / 密码" in result.stderr and "Repeat the password" in result.stderr
    assert PASSWORD not in result.output
    with Accounts.open(home) as accounts:
        assert accounts.log_in("bob", PASSWORD, address="::1").principal.rep_id == "R1"


def test_add_refuses_two_different_passwords(home: Path) -> None:
    result = _run(home, "add", "bob", "--role", "rep", stdin=f"{PASSWORD}\nanother one!\n")
    assert result.exit_code != 0
    assert "do not match" in result.stderr
    with Accounts.open(home) as accounts:
        assert accounts.users(accounts.owner()) == []


def test_add_refuses_a_short_password_a_bad_role_and_a_taken_name(home: Path) -> None:
    short = _run(home, "add", "bob", "--role", "rep", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2
    assert "at least 8 characters" in short.stderr and "密码至少需要 8 个字符" in short.stderr
    role = _run(home, "add", "bob", "--role", "boss", "--password-stdin", stdin=PASSWORD + "\n")
    assert role.exit_code == 2 and "role 'boss' is not one of" in role.stderr
    _add(home, "bob", "--role", "rep")
    taken = _run(home, "add", "BOB", "--role", "rep", "--password-stdin", stdin=PASSWORD + "\n")
    assert taken.exit_code == 2 and "a user called 'bob' already exists" in taken.stderr


def test_list_shows_every_user(home: Path) -> None:
    _add(home, "root", "--role", "admin", "--email", "root@example.com")
    _add(home, "bob", "--role", "rep", "--rep-id", "R1", "--name", "Bob Wang")
    result = _run(home, "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "2 users / 用户" in result.stdout
    [bob] = [line for line in lines if "Bob Wang" in line]
    assert "bob" in bob and "rep" in bob and "R1" in bob and "yes / 是" in bob
    [root] = [line for line in lines if "root@example.com" in line]
    assert "admin" in root


def test_set_role_deactivate_and_activate(home: Path) -> None:
    _add(home, "root", "--role", "admin")
    _add(home, "bob", "--role", "rep", "--rep-id", "R1")
    with Accounts.open(home) as accounts:
        session = accounts.log_in("bob", PASSWORD, address="127.0.0.1").session_id
    result = _run(home, "set-role", "bob", "manager", "--team-id", "T2", "--rep-id", "")
    assert result.exit_code == 0, result.output
    assert "Changed / 已修改: bob · manager · team T2" in result.stdout
    with Accounts.open(home) as accounts:
        bob = accounts.user(accounts.owner(), "bob")
        assert (bob.role, bob.team_id, bob.rep_id) == ("manager", "T2", None)
        assert accounts.web_session(session) is None  # a new role ends the session
        session = accounts.log_in("bob", PASSWORD, address="127.0.0.1").session_id
    result = _run(home, "deactivate", "bob")
    assert result.exit_code == 0 and "Deactivated / 已停用" in result.stdout
    with Accounts.open(home) as accounts:
        assert accounts.web_session(session) is None
        with pytest.raises(LoginFailed):
            accounts.log_in("bob", PASSWORD, address="127.0.0.1")
    result = _run(home, "activate", "bob")
    assert result.exit_code == 0 and "Activated / 已启用" in result.stdout
    with Accounts.open(home) as accounts:
        accounts.log_in("bob", PASSWORD, address="127.0.0.1")
        changes = [(e.before, e.after) for e in accounts.audit(accounts.owner())
                   if e.action == "user.update"]
    assert changes[-1] == ({"role": "rep", "rep_id": "R1", "team_id": None},
                           {"role": "manager", "rep_id": None, "team_id": "T2"})


def test_reset_password(home: Path) -> None:
    _add(home, "bob", "--role", "rep")
    result = _run(home, "reset-password", "bob", "--password-stdin",
                  stdin="the new password\n")
    assert result.exit_code == 0, result.output
    assert "the new password" not in result.output
    with Accounts.open(home) as accounts:
        with pytest.raises(LoginFailed):
            accounts.log_in("bob", PASSWORD, address="127.0.0.1")
        accounts.log_in("bob", "the new password", address="127.0.0.1")
    unknown = _run(home, "reset-password", "nobody", "--password-stdin", stdin=PASSWORD + "\n")
    assert unknown.exit_code == 2 and "no user called 'nobody'" in unknown.stderr


def test_token_secret_is_shown_once_then_only_its_prefix(home: Path) -> None:
    _add(home, "bob", "--role", "rep", "--rep-id", "R1")
    result = _run(home, "token", "bob", "nightly export", "--days", "30")
    assert result.exit_code == 0, result.output
    secrets = [line for line in result.stdout.splitlines() if line.startswith("sc_")]
    assert len(secrets) == 1 and len(secrets[0]) == 46
    secret = secrets[0]
    assert "Token / 令牌 1 for / 用户 bob (nightly export), until / 有效至" in result.stdout
    assert "it is not shown again" in result.stderr and "不会再次显示" in result.stderr
    with Accounts.open(home) as accounts:
        bob = accounts.principal_for_token(secret)
        assert bob is not None and bob.username == "bob"
        assert all(secret not in str(e.after) for e in accounts.audit(accounts.owner()))
    listed = _run(home, "tokens")
    assert listed.exit_code == 0, listed.output
    assert secret not in listed.output
    [row] = [line for line in listed.stdout.splitlines() if "nightly export" in line]
    assert secret[:8] + "…" in row and "bob" in row
    _add(home, "ann", "--role", "manager", "--team-id", "T1")
    assert "0 tokens / 令牌" in _run(home, "tokens", "ann").stdout
    revoked = _run(home, "revoke-token", "1")
    assert revoked.exit_code == 0, revoked.output
    assert "Revoked / 已撤销: token / 令牌 1 (nightly export) of / 用户 bob" in revoked.stdout
    with Accounts.open(home) as accounts:
        assert accounts.principal_for_token(secret) is None
        [info] = accounts.tokens(accounts.owner(), "bob")
        assert info.revoked_at is not None
    missing = _run(home, "revoke-token", "42")
    assert missing.exit_code == 2 and "no API token 42" in missing.stderr


def test_tokens_of_an_unknown_user_is_an_error(home: Path) -> None:
    result = _run(home, "tokens", "nobody")
    assert result.exit_code == 2 and "no user called 'nobody'" in result.stderr


def test_errors_speak_the_organisations_language(tmp_path: Path) -> None:
    home = tmp_path / "zh"
    assert runner.invoke(app, ["init", "--home", str(home), "--locale", "zh_CN"],
                         env=ENV).exit_code == 0
    result = _run(home, "deactivate", "nobody")
    assert result.exit_code == 2
    assert "没有用户 'nobody'" in result.stderr and "no user called" not in result.stderr


def test_user_commands_need_no_warehouse(home: Path) -> None:
    (home / "warehouse.duckdb").unlink()
    _add(home, "root", "--role", "admin")
    assert _run(home, "list").exit_code == 0
    assert not (home / "warehouse.duckdb").exists()


def test_an_uninitialised_folder_is_an_error(tmp_path: Path) -> None:
    result = _run(tmp_path / "none", "list")
    assert result.exit_code == 2 and "has no salescore.yaml" in result.stderr
    assert "salescore init --home" in result.stderr
    assert not (tmp_path / "none").exists()


def test_help_in_english_and_chinese() -> None:
    result = runner.invoke(app, ["user", "--help"], env=ENV | {"COLUMNS": "200"})
    assert result.exit_code == 0
    for words in ("Users and API tokens", "用户与 API 令牌", "reset-password", "revoke-token",
                  "签发 API 令牌并显示一次密钥"):
        assert words in result.stdout

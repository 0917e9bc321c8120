"""The web app on the tiny organisation, once per backend and module: a data folder with the
``KPIS`` organisation (``tests/tiny_org.py``), plan ``tiny`` adopted and 2025-Q1 scored, one user
per role with an API token, and a running app (its lifespan opens the workspace).

    REG ── T1: r1, r2, r3            rep: r1        sibling_manager: T1
       └── T2: r4, r5                other_rep: r4  manager: T2
           └── T2X: r6
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.backends import fresh_warehouse_url
from tests.tiny_org import KPIS, L, TinyOrg
from tests.tiny_org import TINY_PLAN as PLAN

from salescore.app import AppSettings, create_app
from salescore.workspace import Workspace

PASSWORD = "correct horse battery"

# role name in the matrix -> (username, role, rep_id, team_id, locale)
USERS: dict[str, tuple[str, str, str | None, str | None, str]] = {
    "rep": ("rita", "rep", "r1", None, "en"),
    "other_rep": ("otto", "rep", "r4", None, "en"),
    "manager": ("mia", "manager", None, "T2", "en"),
    "sibling_manager": ("sam", "manager", None, "T1", "zh_CN"),
    "executive": ("eve", "executive", None, None, "en"),
    "admin": ("ada", "admin", None, None, "en"),
}
ROLES = ("anonymous", *USERS)

ALL_REPS = {"r1", "r2", "r3", "r4", "r5", "r6"}
ALL_TEAMS = {"REG", "T1", "T2", "T2X"}
REACH: dict[str, tuple[set[str], set[str]]] = {
    "rep": ({"r1"}, {"T1"}),
    "other_rep": ({"r4"}, {"T2"}),
    "manager": ({"r4", "r5", "r6"}, {"T2", "T2X"}),
    "sibling_manager": ({"r1", "r2", "r3"}, {"T1"}),
    "executive": (ALL_REPS, ALL_TEAMS),
    "admin": (ALL_REPS, ALL_TEAMS),
}
"""The reps and teams each role reaches: what every scoped list must return, no more."""


@dataclass
class Server:
    """The running app, its data folder, and each role's token."""

    client: TestClient
    home: Path
    backend: str
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str, **more: str) -> dict[str, str]:
        out = dict(more)
        if role != "anonymous":
            out["Authorization"] = f"Bearer {self.tokens[role]}"
        return out

    def username(self, role: str) -> str:
        return USERS[role][0]


def build_home(home: Path) -> dict[str, str]:
    """The tiny organisation, plan ``tiny`` scored for 2025-Q1, and the users; each role's
    API token."""
    with Workspace.init(home, KPIS.settings) as ws:
        KPIS.load(ws._warehouse)
        owner = ws.owner()
        owner.adopt_plan(text=PLAN, effective_from=L(2025, 1, 1).date(), actor="test")
        owner.score("2025-Q1")
        cli = ws.accounts.owner()
        for username, role, rep_id, team_id, locale in USERS.values():
            ws.accounts.add_user(cli, username=username, password=PASSWORD, role=role,  # type: ignore[arg-type]
                                 rep_id=rep_id, team_id=team_id, locale=locale,  # type: ignore[arg-type]
                                 display_name=username.title())
        return {name: ws.accounts.issue_token(cli, USERS[name][0], "tests")[1]
                for name in USERS}


@contextmanager
def served(backend: str, folder: Path, settings: AppSettings,
           prepare: Callable[[Path], None] | None = None, *,
           app_db_url: str | None = None) -> Iterator[Server]:
    """The app with ``settings`` on a fresh tiny organisation (:func:`build_home`) in
    ``folder`` on ``backend``; ``prepare(home)`` runs on the data folder before the app starts.
    The app store: the data folder's SQLite file, or ``app_db_url``."""
    with fresh_warehouse_url(backend, folder) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESCORE_WAREHOUSE_URL", url)
        if app_db_url is None:
            mp.delenv("SALESCORE_APP_DB_URL", raising=False)
        else:
            mp.setenv("SALESCORE_APP_DB_URL", app_db_url)
        home = folder / "home"
        tokens = build_home(home)
        if prepare is not None:
            prepare(home)
        app = create_app(home, settings=settings)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Server(client, home, backend, tokens)


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a fresh tiny organisation, on each backend."""
    folder = tmp_path_factory.mktemp(f"app-{backend}")
    with served(backend, folder, AppSettings(max_upload_bytes=64 * 1024)) as app:
        yield app


_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = _CSRF_FIELD.search(html)
    assert found, "the page has no csrf_token field"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in through the log-in form; the session's CSRF token."""
    page = client.get("/login")
    assert page.status_code == 200
    answer = client.post("/login", data={"login": username, "password": password,
                                         "csrf_token": csrf_in(page.text)},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf_in(client.get("/account/password").text)


SHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, once per module (``tests/app/browser.py``, whose
    import skips a module where Chromium or playwright is missing)."""
    from tests.app.browser import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def shots(request: pytest.FixtureRequest) -> Path:
    """The screenshots' folder, named on the terminal (past pytest's capture) to be looked at."""
    SHOTS.mkdir(exist_ok=True)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and terminal is not None:
        with capture.global_and_fixture_disabled():
            terminal.write_line(f"\nscreenshots of the pages: {SHOTS}/")
    return SHOTS


_CSRF_VALUES = re.compile(r'(name="csrf_token" value="|data-csrf-token=")[^"]*"')


def shown(html: str) -> str:
    """``html`` without the session's random CSRF token, so that a test looking for a record
    id (``o6``) is not fooled by a token that happens to contain those letters."""
    return _CSRF_VALUES.sub(r'\1"', html)


User = tuple[str, str, str | None, str | None, str]  # username, role, rep, team, locale


def org_home(home: Path, org: TinyOrg, users: Iterable[User]) -> dict[str, str]:
    """A data folder ``home`` holding ``org`` (on the warehouse the environment names) and
    ``users``, each with the test password; an API token of each, by username."""
    with Workspace.init(home, org.settings) as ws:
        org.load(ws._warehouse)
        cli = ws.accounts.owner()
        for username, role, rep_id, team_id, locale in users:
            ws.accounts.add_user(cli, username=username, password=PASSWORD,
                                 role=role,  # type: ignore[arg-type]
                                 rep_id=rep_id, team_id=team_id,
                                 locale=locale,  # type: ignore[arg-type]
                                 display_name=username.title())
        return {info.username: ws.accounts.issue_token(cli, info.username, "tests")[1]
                for info in ws.accounts.users(cli)}

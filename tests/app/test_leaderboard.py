"""The team leaderboard through ``GET /api/v1/scores``, on DuckDB and PostgreSQL, under both
settings of ``privacy.leaderboard``: a rep sees every colleague of their team, with rank and
rating alone by default (score and coverage null, ``shown: rank_and_rating``) and whole when the
organisation shows scores; a colleague's explanation and records are 404 either way; managers,
executives and admins see their scores whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.app.conftest import REACH, USERS, Server, served

from salescore.app import AppSettings
from salescore.model.org import Privacy, write_settings
from salescore.semantic.settings_file import load_settings

TEAM = {"rep": {"r1", "r2", "r3"}, "other_rep": {"r4", "r5"}}  # r6 is in T2X, not T2
Rows = dict[tuple[str, str], dict[str, Any]]


@pytest.fixture(scope="module", params=["rank_and_rating", "scores"])
def board(backend: str, request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """The app on the tiny organisation with ``privacy.leaderboard`` set to the parameter."""
    shown: str = request.param

    def prepare(home: Path) -> None:
        settings = load_settings(home).settings
        write_settings(home, settings.model_copy(update={
            "privacy": Privacy.model_validate({"leaderboard": shown})}))

    folder = tmp_path_factory.mktemp(f"board-{backend}-{shown}")
    with served(backend, folder, AppSettings(cache_seconds=0), prepare) as app:
        yield app, shown


def _scores(server: Server, role: str, **params: str) -> Rows:
    answer = server.client.get("/api/v1/scores", headers=server.headers(role),
                               params={"period": "2025-Q1", "limit": 500, **params})
    assert answer.status_code == 200, answer.text
    return {(row["subject_kind"], row["subject_id"]): row for row in answer.json()["items"]}


@pytest.mark.parametrize("role", ["rep", "other_rep"])
def test_a_rep_sees_their_teams_leaderboard(board: tuple[Server, str], role: str) -> None:
    server, shown = board
    every = _scores(server, "admin")
    rep = USERS[role][2]
    (team,) = REACH[role][1]
    rows = _scores(server, role)
    assert set(rows) == {("rep", r) for r in TEAM[role]} | {("team", team)}
    assert rows[("rep", rep)] == every[("rep", rep)]
    assert rows[("team", team)] == every[("team", team)]
    for colleague in TEAM[role] - {rep}:
        full = every[("rep", colleague)]
        assert full["shown"] == "all" and full["coverage"] is not None
        if shown == "scores":
            assert rows[("rep", colleague)] == full
        else:
            assert rows[("rep", colleague)] == full | {"score": None, "coverage": None,
                                                       "shown": "rank_and_rating"}
    assert {r["rank_team"] for key, r in rows.items() if key[0] == "rep"} == \
        set(range(1, len(TEAM[role]) + 1))
    assert _scores(server, role, subject_kind="rep") == {
        key: row for key, row in rows.items() if key[0] == "rep"}


@pytest.mark.parametrize("path", ["/api/v1/scores/r2/2025-Q1",
                                  "/api/v1/kpis/deals_won/explain?subject=r2&period=2025-Q1",
                                  "/api/v1/kpis/values?kpis=deals_won&subjects=r2"
                                  "&period=2025-Q1"])
def test_a_colleagues_explanation_and_records_stay_404(board: tuple[Server, str],
                                                       path: str) -> None:
    server, _ = board
    answer = server.client.get(path, headers=server.headers("rep"))
    assert answer.status_code == 404 and answer.json()["code"] == "out_of_scope"
    assert server.client.get(path, headers=server.headers("sibling_manager")).status_code == 200


@pytest.mark.parametrize("role", ["manager", "sibling_manager", "executive"])
def test_managers_and_executives_see_their_scores_whole(board: tuple[Server, str],
                                                        role: str) -> None:
    server, _ = board
    every = _scores(server, "admin")
    assert all(row["shown"] == "all" for row in every.values())
    reps, teams = REACH[role]
    assert _scores(server, role) == {
        key: row for key, row in every.items()
        if key[1] in (reps if key[0] == "rep" else teams)}

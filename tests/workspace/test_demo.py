"""The demo's web log-ins: one per role, each linked to real people of the demo organisation,
each able to sign in with the password shown, and new passwords when they are made again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from salescore.workspace import LoginFailed, Workspace
from salescore.workspace.demo import DemoConfig, demo_logins, demo_settings


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    home: Path = tmp_path_factory.mktemp("demo")
    config = DemoConfig(scale="small", seed=7, end=date(2026, 10, 31))
    with Workspace.init(home, demo_settings(config), overwrite=True) as workspace:
        workspace.owner().load_demo(config)
        yield workspace


def test_one_log_in_per_role_linked_to_the_organisation(ws: Workspace) -> None:
    made = {login.role: login for login in demo_logins(ws)}
    assert set(made) == {"admin", "executive", "manager", "rep"}
    teams = {t["team_id"]: t for t in ws.owner().teams()}
    reps = {r["rep_id"]: r for r in ws.owner().reps()}
    top = next(t for t in teams.values() if t["parent_team_id"] is None)
    # The executive is the head of the top team; the manager heads a region under it; the rep
    # sells in a team under that region.
    assert reps[made["executive"].rep_id]["team_id"] == top["team_id"]
    region = made["manager"].team_id
    assert teams[region]["parent_team_id"] == top["team_id"]
    seller = reps[made["rep"].rep_id]
    assert teams[seller["team_id"]]["parent_team_id"] == region
    for login in made.values():
        signed = ws.accounts.log_in(login.username, login.password, address="127.0.0.1")
        assert signed.principal.role == login.role
    scope = ws.accounts.log_in("manager", made["manager"].password, address="127.0.0.1"
                               ).principal.scope()
    assert (scope.kind, scope.subject, scope.allows_writes, scope.sets_targets) == (
        "team", region, False, True)


def test_making_them_again_gives_new_passwords(ws: Workspace) -> None:
    first = {login.username: login.password for login in demo_logins(ws)}
    second = {login.username: login.password for login in demo_logins(ws)}
    assert set(first) == set(second) and all(first[u] != second[u] for u in first)
    with pytest.raises(LoginFailed):
        ws.accounts.log_in("rep", first["rep"], address="127.0.0.2")
    assert ws.accounts.log_in("rep", second["rep"], address="127.0.0.2").principal.rep_id


def test_with_a_period_the_rep_is_one_scored_then(ws: Workspace) -> None:
    period = "2026-10"
    ws.owner().score(period)
    scored = {s.subject_id for s in ws.owner().stored_scores(period, subject_kind="rep")
              if s.score is not None}
    rep = next(login for login in demo_logins(ws, period=period) if login.role == "rep")
    assert rep.rep_id in scored

"""Every API route × every role, on DuckDB and PostgreSQL: the status, and exactly which rows
come back. No route returns a record outside the caller's scope; a record asked for by id that
lies outside it is 404, an action the role may not take 403, no credential 401.

Roles (``tests/app/conftest.py``): ``rep`` is r1 (team T1), ``other_rep`` r4 (team T2),
``manager`` manages T2 (T2, T2X: r4, r5, r6), ``sibling_manager`` manages T1 (r1, r2, r3),
``executive`` sees everything read-only, ``admin`` everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.app.conftest import ALL_REPS, ALL_TEAMS, PLAN, REACH, ROLES, USERS, Server
from tests.tiny_org import KPIS

Ids = set[Any]
Expect = Callable[[str], tuple[int, Ids | None]]


def scoped(ids: Callable[[str], Ids | None] = lambda role: None, status: int = 200) -> Expect:
    """Any signed-in role may call it; ``ids(role)`` are the rows it must return."""
    return lambda role: (401, None) if role == "anonymous" else (status, ids(role))


def only(roles: set[str], status: int = 200, ids: Callable[[str], Ids | None] =
         lambda role: None) -> Expect:
    """Only ``roles`` may call it: 403 for the other signed-in roles."""
    def expect(role: str) -> tuple[int, Ids | None]:
        if role == "anonymous":
            return 401, None
        return (status, ids(role)) if role in roles else (403, None)
    return expect


def reaching(rep: str | None = None, team: str | None = None, status: int = 200,
             ids: Callable[[str], Ids | None] = lambda role: None) -> Expect:
    """A record asked for by id: ``status`` where the role reaches it, else 404."""
    def expect(role: str) -> tuple[int, Ids | None]:
        if role == "anonymous":
            return 401, None
        reps, teams = REACH[role]
        inside = (rep is None or rep in reps) and (team is None or team in teams)
        return (status, ids(role)) if inside else (404, None)
    return expect


def reps_of(role: str) -> Ids:
    return REACH[role][0]


def teams_of(role: str) -> Ids:
    return REACH[role][1]


def items(key: str | Callable[[dict[str, Any]], Any]) -> Callable[[Any], Ids]:
    get = key if callable(key) else (lambda item: item[key])
    return lambda body: {get(item) for item in body["items"]}


MEMBERS = {"REG": set(), "T1": {"r1", "r2", "r3"}, "T2": {"r4", "r5"}, "T2X": {"r6"}}
EVERYTHING = {"executive", "admin"}
ADMIN = {"admin"}
DEALS_WON_Q1 = {"r1": 2, "r2": 1, "r4": 1, "r6": 1}  # worked out in tests/tiny_org.py


def _targets(role: str) -> Ids:
    reps, teams = REACH[role]
    return {(t["scope"], t["scope_id"], t["period"]) for t in KPIS.rows["targets"]
            if t["scope_id"] in (reps if t["scope"] == "rep" else teams)}


def _explained_reps(body: Any) -> Ids:
    return {row["rep"] for part in body["parts"] for row in part["rows"]}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    expect: Expect
    ids: Callable[[Any], Ids] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None


CASES = [
    Case("me", "GET", "/api/v1/me", scoped(lambda role: {USERS[role][0]}),
         ids=lambda body: {body["username"]}),
    Case("kpi catalogue", "GET", "/api/v1/kpis", scoped(), params={"limit": 500}),
    Case("kpi values by rep", "GET", "/api/v1/kpis/values", scoped(reps_of),
         ids=items("subject"), params={"kpis": "deals_won", "by": "rep", "period": "2025-Q1"}),
    Case("kpi values by team", "GET", "/api/v1/kpis/values", scoped(teams_of),
         ids=items("subject"),
         params={"kpis": "deals_won", "by": "team", "period": "2025-Q1"}),
    Case("kpi values by company", "GET", "/api/v1/kpis/values",
         scoped(lambda role: {sum(DEALS_WON_Q1.get(r, 0) for r in reps_of(role))}),
         ids=items(lambda item: item["values"]["deals_won"]),
         params={"kpis": "deals_won", "by": "company", "period": "2025-Q1"}),
    Case("kpi values of one rep", "GET", "/api/v1/kpis/values",
         reaching(rep="r2", ids=lambda role: {"r2"}), ids=items("subject"),
         params={"kpis": "deals_won", "by": "rep", "period": "2025-Q1", "subjects": "r2"}),
    Case("kpi explain rep", "GET", "/api/v1/kpis/deals_won/explain",
         reaching(rep="r1", ids=lambda role: {"r1"}), ids=_explained_reps,
         params={"subject": "r1", "period": "2025-Q1"}),
    Case("kpi explain team", "GET", "/api/v1/kpis/deals_won/explain",
         reaching(team="T2", ids=lambda role: {"r4", "r6"} & reps_of(role)),
         ids=_explained_reps, params={"subject": "T2", "by": "team", "period": "2025-Q1"}),
    Case("kpi explain unknown kpi", "GET", "/api/v1/kpis/nope/explain", scoped(status=404),
         params={"subject": "r1", "period": "2025-Q1"}),
    Case("scores", "GET", "/api/v1/scores",  # a rep: their team's leaderboard too
         scoped(lambda role: {("rep", r) for r in reps_of(role)}
                | {("rep", r) for t in teams_of(role) for r in MEMBERS[t]}
                | {("team", t) for t in teams_of(role) - {"REG"}}),  # REG has no members
         ids=items(lambda item: (item["subject_kind"], item["subject_id"])),
         params={"period": "2025-Q1"}),
    Case("score explanation r1", "GET", "/api/v1/scores/r1/2025-Q1",
         reaching(rep="r1", ids=lambda role: {"r1"}),
         ids=lambda body: {body["explanation"]["subject"]}),
    Case("score explanation r6", "GET", "/api/v1/scores/r6/2025-Q1",
         reaching(rep="r6", ids=lambda role: {"r6"}),
         ids=lambda body: {body["explanation"]["subject"]}),
    Case("score explanation of no rep", "GET", "/api/v1/scores/r99/2025-Q1",
         scoped(status=404)),
    Case("score a period", "POST", "/api/v1/scores", only(ADMIN),
         ids=lambda body: {s["plan"] for s in body["scored"]},
         json={"period": "2025-Q1"}),
    Case("plans", "GET", "/api/v1/plans", scoped(lambda role: {"tiny"}), ids=items("name")),
    Case("plan versions", "GET", "/api/v1/plans/tiny/versions", scoped(lambda role: {1}),
         ids=items("version")),
    Case("versions of no plan", "GET", "/api/v1/plans/nope/versions", scoped(status=404)),
    Case("what-if", "POST", "/api/v1/plans/tiny/whatif",
         only(EVERYTHING, ids=lambda role: ALL_REPS),
         ids=lambda body: {row["rep_id"] for row in body["comparison"]},
         json={"document": PLAN, "period": "2025-Q1"}),
    Case("adopt a plan", "POST", "/api/v1/plans", only(ADMIN, 201),
         ids=lambda body: {(body["plan"], body["created"])},
         json={"document": PLAN, "effective_from": "2025-01-01"}),
    Case("targets", "GET", "/api/v1/targets", scoped(_targets),
         ids=items(lambda t: (t["scope"], t["scope_id"], t["period"]))),
    Case("targets of a rep", "GET", "/api/v1/targets",
         reaching(rep="r1", ids=lambda role: {("rep", "r1", p) for p in
                                              ("2025-Q1", "2025-01", "2025-02", "2025-03")}),
         ids=items(lambda t: (t["scope"], t["scope_id"], t["period"])),
         params={"scope": "rep", "scope_id": "r1"}),
    Case("set a target", "PUT", "/api/v1/targets",  # an admin, or r1's manager
         lambda role: (404, None) if role == "manager" else
         only({"admin", "sibling_manager"})(role),
         ids=lambda body: {(body["before"], body["after"])},
         json={"scope": "rep", "scope_id": "r1", "period": "2025-Q1", "kpi": "revenue_won",
               "value": 800, "reason": "unchanged, for the access test"}),
    Case("reps", "GET", "/api/v1/reps", scoped(reps_of), ids=items("rep_id")),
    Case("one rep", "GET", "/api/v1/reps/r2", reaching(rep="r2", ids=lambda role: {"r2"}),
         ids=lambda body: {body["rep_id"]}),
    Case("reps of a team", "GET", "/api/v1/reps",
         reaching(team="T1", ids=lambda role: {"r1", "r2", "r3"} & reps_of(role)),
         ids=items("rep_id"), params={"team_id": "T1"}),
    Case("teams", "GET", "/api/v1/teams", scoped(teams_of), ids=items("team_id")),
    Case("teams under a team", "GET", "/api/v1/teams",
         reaching(team="T2", ids=lambda role: {"T2X"} & teams_of(role)), ids=items("team_id"),
         params={"parent_team_id": "T2"}),
    Case("one team", "GET", "/api/v1/teams/T2X", reaching(team="T2X",
                                                          ids=lambda role: {"T2X"}),
         ids=lambda body: {body["team_id"]}),
    Case("quality", "GET", "/api/v1/quality",
         only(EVERYTHING, ids=lambda role: {"reps", "teams"}),
         ids=lambda body: {t["name"] for t in body["tables"]} & {"reps", "teams"}),
    Case("users", "GET", "/api/v1/users",
         only(ADMIN, ids=lambda role: {u[0] for u in USERS.values()}),
         ids=lambda body: {i["username"] for i in body["items"]} & {u[0] for u in
                                                                   USERS.values()}),
    Case("add a user", "POST", "/api/v1/users", only(ADMIN, 201),
         ids=lambda body: {body["username"]},
         json={"username": "newbie", "password": "long enough pass", "role": "rep",
               "rep_id": "r3"}),
    Case("change a user", "PATCH", "/api/v1/users/otto", only(ADMIN),
         ids=lambda body: {body["display_name"]}, json={"display_name": "Otto"}),
    Case("issue a token for another", "POST", "/api/v1/users/ada/tokens", only(ADMIN, 201),
         ids=lambda body: {body["username"]}, json={"name": "for ada"}),
    Case("import runs", "GET", "/api/v1/imports", only(ADMIN)),
    Case("import runs of a table", "GET", "/api/v1/imports", only(ADMIN),
         params={"table": "teams", "status": "loaded"}),
    Case("tokens", "GET", "/api/v1/tokens", scoped(lambda role: None)),
    Case("audit", "GET", "/api/v1/audit", only(ADMIN)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_route_by_role(server: Server, case: Case, role: str) -> None:
    answer = server.client.request(case.method, case.path, params=case.params,
                                   json=case.json, headers=server.headers(role))
    status, ids = case.expect(role)
    assert answer.status_code == status, answer.text
    if status >= 400:
        assert answer.headers["content-type"].startswith("application/problem+json")
        body = answer.json()
        assert body["status"] == status and "items" not in body
        return
    if ids is not None:
        assert case.ids is not None
        assert case.ids(answer.json()) == ids


def test_the_scores_cover_every_rep_and_team(server: Server) -> None:
    answer = server.client.get("/api/v1/scores", params={"period": "2025-Q1", "limit": 500},
                               headers=server.headers("admin"))
    found = {(i["subject_kind"], i["subject_id"]) for i in answer.json()["items"]}
    assert {s for k, s in found if k == "rep"} == ALL_REPS
    assert {s for k, s in found if k == "team"} == ALL_TEAMS - {"REG"}


def test_everyone_reads_the_same_catalogue(server: Server) -> None:
    seen = {role: {k["name"] for k in server.client.get(
        "/api/v1/kpis", params={"limit": 500}, headers=server.headers(role)).json()["items"]}
        for role in USERS}
    assert len({frozenset(v) for v in seen.values()}) == 1
    assert {"deals_won", "revenue_won", "win_rate"} <= seen["rep"]


def test_a_token_of_ones_own_and_its_list(server: Server) -> None:
    for role in USERS:
        me = server.username(role)
        issued = server.client.post(f"/api/v1/users/{me}/tokens", json={"name": "mine"},
                                    headers=server.headers(role))
        assert issued.status_code == 201, issued.text
        assert issued.json()["secret"].startswith("sc_")
        listed = server.client.get("/api/v1/tokens", params={"limit": 500},
                                   headers=server.headers(role)).json()["items"]
        owners = {t["username"] for t in listed}
        assert "secret" not in listed[0]
        if role == "admin":
            assert owners >= {u[0] for u in USERS.values()}
        else:
            assert owners == {me}


def test_revoking_a_token(server: Server) -> None:
    spare = server.client.post("/api/v1/users/rita/tokens", json={"name": "spare"},
                               headers=server.headers("admin")).json()
    auth = {"Authorization": f"Bearer {spare['secret']}"}
    assert server.client.get("/api/v1/me", headers=auth).status_code == 200
    for role in ("other_rep", "manager", "executive"):  # not theirs: as if it did not exist
        answer = server.client.delete(f"/api/v1/tokens/{spare['id']}",
                                      headers=server.headers(role))
        assert answer.status_code == 404, answer.text
    assert server.client.delete(f"/api/v1/tokens/{spare['id']}").status_code == 401
    revoked = server.client.delete(f"/api/v1/tokens/{spare['id']}", headers=auth)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    gone = server.client.get("/api/v1/me", headers=auth)
    assert gone.status_code == 401 and gone.json()["code"] == "not_authenticated"


def test_import_and_its_rejects(server: Server) -> None:
    upload = {"file": ("teams.csv", "team_id,name,parent_team_id,region\n"
                                    "T1,Team one,REG,North\n,No id,REG,North\n", "text/csv")}
    for role in ("rep", "manager", "executive"):
        refused = server.client.post("/api/v1/imports", data={"table": "teams"},
                                     files=upload, headers=server.headers(role))
        assert refused.status_code == 403, refused.text
    done = server.client.post("/api/v1/imports", data={"table": "teams"}, files=upload,
                              headers=server.headers("admin"))
    assert done.status_code == 201, done.text
    result = done.json()
    assert (result["read_rows"], result["unchanged"], result["rejected"]) == (2, 1, 1)
    assert result["source"] == "teams.csv" and result["reasons"]
    link = result["rejects_url"]
    assert link == f"/api/v1/imports/{result['id']}/rejects"
    for role in ("rep", "other_rep", "manager", "sibling_manager", "executive"):
        assert server.client.get(link, headers=server.headers(role)).status_code == 403
    assert server.client.get(link).status_code == 401
    rejects = server.client.get(link, headers=server.headers("admin"))
    assert rejects.status_code == 200 and rejects.headers["content-type"].startswith("text/csv")
    assert "required value missing" in rejects.text and '"teams.csv",3,' in rejects.text
    missing = server.client.get("/api/v1/imports/999999/rejects",
                                headers=server.headers("admin"))
    assert missing.status_code == 404
    assert not list((server.home / "uploads").iterdir())


def test_every_change_is_audited_with_who(server: Server) -> None:
    admin = server.headers("admin")
    calls = [
        ("PUT", "/api/v1/targets", {"scope": "team", "scope_id": "T2", "period": "2025-Q2",
                                    "kpi": "revenue_won", "value": 5000, "reason": "Q2 plan"}),
        ("POST", "/api/v1/plans", {"document": PLAN, "effective_from": "2025-04-01",
                                   "reason": "from Q2"}),
        ("POST", "/api/v1/users", {"username": "auditee", "password": "long enough pass",
                                   "role": "executive"}),
        ("PATCH", "/api/v1/users/auditee", {"role": "admin", "reason": "promoted"}),
        ("POST", "/api/v1/users/auditee/tokens", {"name": "ci"}),
    ]
    for method, path, body in calls:
        answer = server.client.request(method, path, json=body, headers=admin)
        assert answer.status_code < 300, answer.text
    token_id = answer.json()["id"]
    assert server.client.delete(f"/api/v1/tokens/{token_id}", headers=admin).status_code == 200
    imported = server.client.post(
        "/api/v1/imports", data={"table": "teams"}, headers=admin,
        files={"file": ("teams.csv", "team_id,name,parent_team_id,region\nT1,Team one,REG,"
                                     "North\n", "text/csv")})
    assert imported.status_code == 201
    entries = server.client.get("/api/v1/audit", params={"limit": 200},
                                headers=admin).json()["items"]
    actions = {(e["action"], e["actor"]) for e in entries}
    for wanted in ("target.set", "plan.adopt", "user.create", "user.update", "token.issue",
                   "token.revoke", "import.run"):
        assert any(a == wanted and who == "ada" for a, who in actions), (wanted, actions)
    target = next(e for e in entries if e["action"] == "target.set"
                  and e["entity_id"].startswith("team"))
    assert target["after"]["value"] == 5000 and target["reason"] == "Q2 plan"
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    first = server.client.get("/api/v1/audit", params={"limit": 2}, headers=admin).json()
    second = server.client.get("/api/v1/audit", params={"limit": 2, "cursor":
                                                        first["next_cursor"]},
                               headers=admin).json()
    assert [e["id"] for e in first["items"] + second["items"]] == [e["id"] for e in entries[:4]]

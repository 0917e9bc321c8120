"""Review cycles, kudos, the team wall and adoption through the API, for each role
(``tests/app/conftest.py``: ``manager`` mia heads T2 with T2X under it: r4, r5, r6;
``sibling_manager`` sam heads T1: r1, r2, r3; ``rep`` rita is r1, ``other_rep`` otto is r4):
no review answer and no kudos reaches anyone outside its audience.

sam opens a 2025-Q1 cycle on T1 (rita reviews herself, r2, r3 and, upward, sam; sam reviews
r1, r2, r3: seven reviews); mia opens one on T2. The answers are marked by their comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from tests.app.conftest import ROLES, Server, served

from salescore.app import AppSettings

TODAY = date(2025, 5, 6)
EVERYONE = {"rep", "other_rep", "manager", "sibling_manager", "executive", "admin"}


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"reviews-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0, today=TODAY)) as app:
        yield app


def call(site: Server, method: str, role: str, path: str, body: dict[str, Any] | None = None,
         status: int = 200) -> Any:
    answer = site.client.request(method, f"/api/v1{path}", json=body,
                                 headers=site.headers(role))
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def written(site: Server) -> dict[str, Any]:
    t1 = call(site, "POST", "sibling_manager", "/review-cycles",
              {"name": "Q1 360", "period": "2025-Q1"}, 201)
    t2 = call(site, "POST", "manager", "/review-cycles",
              {"name": "Q1 360 T2", "period": "2025-Q1", "kinds": ["peer"]}, 201)

    def todo(role: str) -> dict[tuple[str, str], int]:
        return {(r["kind"], r["reviewee_rep_id"] or r["reviewee"]): r["id"]
                for r in call(site, "GET", role, "/reviews?to_give=true")}

    rita, sam, otto = todo("rep"), todo("sibling_manager"), todo("other_rep")
    made = {"cycle_t1": t1, "cycle_t2": t2, "rita": rita}
    for role, ids, key, comment in (
            ("rep", rita, ("peer", "r2"), "PEER-R2"), ("rep", rita, ("upward", "sam"),
                                                       "UPWARD-SAM"),
            ("rep", rita, ("self", "r1"), "SELF-R1"),
            ("sibling_manager", sam, ("manager", "r1"), "MGR-R1"),
            ("other_rep", otto, ("peer", "r5"), "PEER-R5")):
        made[comment] = call(site, "PUT", role, f"/reviews/{ids[key]}", {
            "collaboration": 4, "communication": 3, "comment": comment})
    made["K1"] = call(site, "POST", "rep", "/kudos", {
        "helper_rep_id": "r2", "kind": "referral", "body": "K1 thanks for the lead"}, 201)
    made["K2"] = call(site, "POST", "other_rep", "/kudos", {
        "helper_rep_id": "r1", "kind": "joint_visit", "body": "K2 great visit"}, 201)
    made["K3"] = call(site, "POST", "manager", "/kudos", {
        "helper_rep_id": "r5", "helped_rep_id": "r6", "kind": "knowledge_share",
        "body": "K3 shared the pricing deck"}, 201)
    return made


REVIEW_AUDIENCE = {
    "PEER-R2": {"rep", "sibling_manager", "executive", "admin"},
    "UPWARD-SAM": {"rep", "sibling_manager", "executive", "admin"},
    "SELF-R1": {"rep", "sibling_manager", "executive", "admin"},
    "MGR-R1": {"rep", "sibling_manager", "executive", "admin"},
    "PEER-R5": {"other_rep", "manager", "executive", "admin"},
}
KUDOS_AUDIENCE = {
    "K1": {"rep", "sibling_manager", "executive", "admin"},
    "K2": EVERYONE,
    "K3": {"other_rep", "manager", "executive", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_review_answers_reach_their_audience_alone(site: Server, written: dict[str, Any],
                                                   role: str) -> None:
    listed = site.client.get("/api/v1/reviews", headers=site.headers(role))
    if role == "anonymous":
        assert listed.status_code == 401
        return
    comments = {r["comment"] for r in listed.json() if r["comment"]}
    assert comments == {c for c, who in REVIEW_AUDIENCE.items() if role in who}
    for comment, who in REVIEW_AUDIENCE.items():
        one = site.client.get(f"/api/v1/reviews/{written[comment]['id']}",
                              headers=site.headers(role))
        assert one.status_code == (200 if role in who else 404), (comment, one.text)


@pytest.mark.parametrize("role", ROLES)
def test_kudos_reach_their_audience_alone(site: Server, written: dict[str, Any],
                                          role: str) -> None:
    wall = site.client.get("/api/v1/team-wall", headers=site.headers(role))
    if role == "anonymous":
        assert wall.status_code == 401
        return
    expected = {written[k]["id"] for k, who in KUDOS_AUDIENCE.items() if role in who}
    assert {w["id"] for w in wall.json() if w["kind"] == "kudos"} == expected
    for key, who in KUDOS_AUDIENCE.items():
        one = site.client.get(f"/api/v1/kudos/{written[key]['id']}", headers=site.headers(role))
        assert one.status_code == (200 if role in who else 404), (key, one.text)


def test_an_upward_review_reaches_its_manager_without_the_reviewer(
        site: Server, written: dict[str, Any]) -> None:
    got = call(site, "GET", "sibling_manager", f"/reviews/{written['UPWARD-SAM']['id']}")
    assert (got["reviewer"], got["comment"], got["review_id"]) == (None, "UPWARD-SAM", None)
    mine = call(site, "GET", "rep", f"/reviews/{written['UPWARD-SAM']['id']}")
    assert mine["reviewer"] == "rita"


def test_the_cycles_and_what_landed(site: Server, written: dict[str, Any]) -> None:
    assert (written["cycle_t1"]["reviews"], written["cycle_t2"]["reviews"]) == (7, 1)
    assert sorted(written["rita"]) == [("peer", "r2"), ("peer", "r3"), ("self", "r1"),
                                       ("upward", "sam")]
    # Peer reviews of two reps land; a self review, and one by or of a manager who is no rep
    # of the warehouse, stay in the app store.
    assert written["PEER-R2"]["review_id"].startswith("rc")
    assert [written[k]["review_id"] for k in ("SELF-R1", "MGR-R1", "UPWARD-SAM")] == [
        None, None, None]
    assert written["K2"]["points"] == 2.0 and written["K2"]["assist_id"].startswith("kudos-")
    listed = {c["name"] for c in call(site, "GET", "rep", "/review-cycles")}
    assert listed == {"Q1 360"}
    assert {c["name"] for c in call(site, "GET", "manager", "/review-cycles")} == {"Q1 360 T2"}


def test_writes_are_refused_outside_the_audience(site: Server, written: dict[str, Any]
                                                ) -> None:
    rita = written["rita"]
    body = {"collaboration": 5, "communication": 5}
    call(site, "PUT", "sibling_manager", f"/reviews/{rita['peer', 'r3']}", body, 404)
    call(site, "PUT", "rep", f"/reviews/{rita['peer', 'r3']}", {**body, "collaboration": 6},
         422)
    call(site, "POST", "rep", "/review-cycles", {"name": "x", "period": "2025-Q1"}, 403)
    call(site, "POST", "sibling_manager", "/review-cycles",
         {"name": "x", "period": "2025-Q1", "team_id": "T2"}, 404)
    call(site, "POST", "rep", "/kudos", {"helper_rep_id": "r1", "kind": "referral",
                                         "body": "me"}, 422)
    call(site, "POST", "rep", "/kudos", {"helper_rep_id": "r2", "kind": "referral",
                                         "body": "x", "helped_rep_id": "r3"}, 403)
    call(site, "POST", "manager", "/kudos", {"helper_rep_id": "r2", "kind": "referral",
                                             "body": "x", "helped_rep_id": "r1"}, 404)
    call(site, "POST", "executive", "/kudos", {"helper_rep_id": "r2", "kind": "referral",
                                               "body": "x", "helped_rep_id": "r1"}, 403)
    call(site, "POST", "rep", "/kudos", {"helper_rep_id": "r2", "kind": "referral",
                                         "body": "x", "assist_id": "x2"}, 404)


@pytest.mark.parametrize("role", ROLES)
def test_adoption_is_the_admins_and_the_executives(site: Server, written: dict[str, Any],
                                                   role: str) -> None:
    got = site.client.get("/api/v1/coaching/adoption?period=2025-05",
                          headers=site.headers(role))
    expected = {"anonymous": 401, "executive": 200, "admin": 200}.get(role, 403)
    assert got.status_code == expected
    if expected == 200:
        assert (got.json()["period"], got.json()["previous"]) == ("2025-05", "2025-04")


def test_writes_are_audited(site: Server, written: dict[str, Any]) -> None:
    entries = call(site, "GET", "admin", "/audit?limit=500")["items"]
    actions = {(e["action"], e["actor"]) for e in entries}
    assert {("review_cycle.create", "sam"), ("review.answer", "rita"), ("kudos.give", "otto"),
            ("import.run", "rita")} <= actions
    assert not any("PEER-R2" in str(e) or "K1 thanks" in str(e) for e in entries)

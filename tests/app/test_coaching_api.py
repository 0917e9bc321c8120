"""The coaching loop's API for each role (``tests/app/conftest.py``: ``manager`` mia heads T2
with T2X under it: r4, r5, r6; ``sibling_manager`` sam heads T1: r1, r2, r3; ``rep`` rita is
r1, ``other_rep`` otto is r4): no feedback, note, request or check-in reaches anyone outside
its audience, and a private note reaches no one but its author.

Plan ``tiny`` scored 2025-Q1: r4 won 150 of 1000 (attainment 0.15) and 1 deal of 2 (0.5), so
r4's weakest lines, in order, are revenue_won then deals_won.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from tests.app.conftest import ROLES, Server, served

from salescore.app import AppSettings

TODAY = date(2025, 5, 6)


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"coaching-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=0, today=TODAY)) as app:
        yield app


def post(site: Server, role: str, path: str, body: dict[str, Any], status: int = 201
         ) -> dict[str, Any]:
    answer = site.client.post(f"/api/v1{path}", json=body, headers=site.headers(role))
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def put(site: Server, role: str, path: str, body: dict[str, Any], status: int = 200
        ) -> dict[str, Any]:
    answer = site.client.put(f"/api/v1{path}", json=body, headers=site.headers(role))
    assert answer.status_code == status, answer.text
    return dict(answer.json())


@pytest.fixture(scope="module")
def written(site: Server) -> dict[str, int]:
    """One record of each kind, written by the API."""
    made = {
        "private": post(site, "manager", "/feedback", {
            "rep_id": "r4", "body": "Call the buyer before the proposal.",
            "kpi": "revenue_won", "plan": "tiny", "period": "2025-Q1"})["id"],
        "note": post(site, "manager", "/feedback", {
            "rep_id": "r4", "kind": "note", "body": "Seems tired; ask about workload."})["id"],
        "praise": post(site, "manager", "/feedback", {
            "rep_id": "r4", "kind": "praise", "visibility": "team",
            "body": "Great joint visit!"})["id"],
        "peer": post(site, "rep", "/feedback", {
            "rep_id": "r2", "body": "Thanks for the referral."})["id"],
        "request": post(site, "other_rep", "/feedback-requests", {
            "asked": "mia", "question": "How was my demo?"})["id"],
    }
    checkin = post(site, "manager", "/checkins", {"rep_id": "r4",
                                                  "scheduled_for": "2025-05-01"})
    made["checkin"] = checkin["id"]
    put(site, "manager", f"/checkins/{checkin['id']}/note", {"text": "MANAGER-ONLY"})
    put(site, "other_rep", f"/checkins/{checkin['id']}/note", {"text": "REP-ONLY"})
    made["action"] = post(site, "other_rep", f"/checkins/{checkin['id']}/actions", {
        "text": "Send the revised quote", "due": "2025-05-03"})["id"]
    return made


AUDIENCE = {  # which roles read each record
    "private": {"manager", "other_rep"},
    "note": {"manager"},
    "praise": {"manager", "other_rep", "executive", "admin"},
    "peer": {"rep", "sibling_manager"},
}


@pytest.mark.parametrize("role", ROLES)
def test_feedback_reaches_its_audience_alone(site: Server, written: dict[str, int],
                                             role: str) -> None:
    listed = site.client.get("/api/v1/feedback", headers=site.headers(role))
    if role == "anonymous":
        assert listed.status_code == 401
        return
    assert listed.status_code == 200
    ids = {item["id"] for item in listed.json()["items"]}
    expected = {written[k] for k, who in AUDIENCE.items() if role in who}
    assert ids == expected
    for key, who in AUDIENCE.items():
        one = site.client.get(f"/api/v1/feedback/{written[key]}", headers=site.headers(role))
        assert one.status_code == (200 if role in who else 404), (key, one.text)


@pytest.mark.parametrize("role", ROLES)
def test_requests_and_checkins_reach_their_pair_alone(site: Server, written: dict[str, int],
                                                      role: str) -> None:
    pair = role in ("manager", "other_rep")
    checkin = site.client.get(f"/api/v1/checkins/{written['checkin']}",
                              headers=site.headers(role))
    requests = site.client.get("/api/v1/feedback-requests", headers=site.headers(role))
    listed = site.client.get("/api/v1/checkins", headers=site.headers(role))
    if role == "anonymous":
        assert {checkin.status_code, requests.status_code, listed.status_code} == {401}
        return
    assert checkin.status_code == (200 if pair else 404)
    assert [r["id"] for r in requests.json()] == ([written["request"]] if pair else [])
    assert [c["id"] for c in listed.json()] == ([written["checkin"]] if pair else [])
    if not pair:  # nobody outside the pair may even close its actions
        done = site.client.post(f"/api/v1/checkin-actions/{written['action']}/done",
                                headers=site.headers(role))
        assert done.status_code == 404


def test_private_notes_reach_their_author_alone(site: Server, written: dict[str, int]
                                               ) -> None:
    mine = site.client.get(f"/api/v1/checkins/{written['checkin']}",
                           headers=site.headers("manager")).json()
    theirs = site.client.get(f"/api/v1/checkins/{written['checkin']}",
                             headers=site.headers("other_rep")).json()
    assert (mine["my_note"], theirs["my_note"]) == ("MANAGER-ONLY", "REP-ONLY")
    for role in ROLES[1:]:
        for path in (f"/api/v1/checkins/{written['checkin']}", "/api/v1/checkins",
                     "/api/v1/feedback", "/api/v1/audit?limit=500"):
            text = site.client.get(path, headers=site.headers(role)).text
            checkins = path.startswith("/api/v1/checkins")
            assert ("MANAGER-ONLY" in text) == (role == "manager" and checkins)
            assert ("REP-ONLY" in text) == (role == "other_rep" and checkins)
            assert ("ask about workload" in text) == (role == "manager" and
                                                      path == "/api/v1/feedback")


def test_checkin_is_prepared_from_the_weakest_lines(site: Server, written: dict[str, int]
                                                    ) -> None:
    got = site.client.get(f"/api/v1/checkins/{written['checkin']}",
                          headers=site.headers("other_rep")).json()
    lines = [(p["kpi"], p["period"], p["attainment"]) for p in got["points"]
             if p["kind"] == "line"]
    assert lines == [("revenue_won", "2025-Q1", 0.15), ("deals_won", "2025-Q1", 0.5)]
    assert got["overdue"] is True  # planned for 1 May, today is 6 May
    assert [(a["text"], a["owner"], a["overdue"]) for a in got["actions"]] == [
        ("Send the revised quote", "rep", True)]


def test_writes_are_refused_outside_the_audience(site: Server, written: dict[str, int]
                                                ) -> None:
    # A rep writes no notes; a manager gives no feedback beyond their subtree; a rep none
    # outside their team; only the pair's rep gives the pulse; only a manager prepares.
    post(site, "rep", "/feedback", {"rep_id": "r2", "kind": "note", "body": "x"}, 403)
    post(site, "manager", "/feedback", {"rep_id": "r1", "body": "x"}, 404)
    post(site, "rep", "/feedback", {"rep_id": "r4", "body": "x"}, 404)
    post(site, "rep", "/checkins", {"rep_id": "r1", "scheduled_for": "2025-05-01"}, 403)
    post(site, "sibling_manager", "/checkins", {"rep_id": "r4",
                                                "scheduled_for": "2025-05-01"}, 404)
    put(site, "manager", f"/checkins/{written['checkin']}/pulse", {"pulse": 4}, 403)
    put(site, "other_rep", f"/checkins/{written['checkin']}/pulse", {"pulse": 6}, 422)


def test_writes_are_audited_without_their_text(site: Server, written: dict[str, int]) -> None:
    entries = site.client.get("/api/v1/audit?limit=500", headers=site.headers("admin")).json()
    actions = {(e["action"], e["actor"]) for e in entries["items"]}
    assert {("feedback.give", "mia"), ("note.give", "mia"), ("praise.give", "mia"),
            ("feedback.give", "rita"), ("feedback_request.create", "otto"),
            ("checkin.create", "mia"), ("checkin.note", "mia"), ("checkin.note", "otto"),
            ("checkin.action", "otto")} <= actions


def test_overdue_is_flagged_on_both_sides(site: Server, written: dict[str, int]) -> None:
    for role in ("manager", "other_rep"):
        got = site.client.get("/api/v1/checkins/flags", headers=site.headers(role)).json()
        assert got["overdue_checkins"] == [{"manager": "mia", "rep_id": "r4",
                                            "since": "2025-05-01"}]
        assert [a["id"] for a in got["overdue_actions"]] == [written["action"]]
    assert site.client.get("/api/v1/checkins/flags",
                           headers=site.headers("manager")).json()["open_requests"] == 1

"""The live scores fragment (``/live/scores``) that the home and team pages poll: each role's
rows of the open period (2025-Q1 on 2025-03-16, plan ``tiny``), and an event's new score in
it a few seconds later, without a reload (the server's re-scoring task, every 2 s)."""

from __future__ import annotations

import re
import time

import pytest
from tests.app.conftest import PASSWORD, USERS, Server, sign_in

SUBJECTS = re.compile(r'data-subject="(\w+:\w+)"')
SEES = {
    "rep": {"rep:r1", "team:T1"},
    "manager": {"rep:r4", "rep:r5", "rep:r6", "team:T2", "team:T2X"},
    "admin": {"rep:r1", "rep:r2", "rep:r3", "rep:r4", "rep:r5", "rep:r6", "team:T1",
              "team:T2", "team:T2X"},
}


def r1_score(html: str) -> str:
    row = re.search(r'data-subject="rep:r1">(.*?)</tr>', html, re.S)
    assert row, html
    return re.findall(r'<td class="number">([^<]*)</td>', row.group(1))[0]


@pytest.mark.parametrize("role", sorted(SEES))
def test_each_role_sees_its_own_rows(server: Server, role: str) -> None:
    c = server.client
    sign_in(c, USERS[role][0], PASSWORD)
    fragment = c.get("/live/scores")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert set(SUBJECTS.findall(fragment.text)) == SEES[role]
    page = c.get("/team" if role == "manager" else "/", follow_redirects=True)
    assert 'hx-get="/live/scores"' in page.text


def test_signed_out_is_401(server: Server) -> None:
    assert server.client.get("/live/scores").status_code == 401


def test_an_event_shows_in_the_fragment_without_a_reload(server: Server) -> None:
    c = server.client
    sign_in(c, USERS["rep"][0], PASSWORD)
    assert r1_score(c.get("/live/scores").text) == "70.0"
    event = {"events": [{"table": "opportunities", "at": "2025-03-25T10:00:00+08:00",
                         "row": {"opportunity_id": "o4", "stage": "won",
                                 "closed_at": "2025-03-25T10:00:00+08:00"}}]}
    sent = c.post("/api/v1/events", json=event, headers=server.headers("admin"))
    assert sent.json()["accepted"] == 1
    deadline = time.monotonic() + 20
    shown = r1_score(c.get("/live/scores").text)
    while shown != "105.0" and time.monotonic() < deadline:
        time.sleep(0.5)
        shown = r1_score(c.get("/live/scores").text)
    assert shown == "105.0"

"""The coaching pages through the forms (the tiny organisation, ``tests/app/conftest.py``):
a manager prepares a 1:1 with r4 from the pre-filled points, the rep (otto, r4) gives the pulse
and adds an action, the manager closes it; feedback tied to a score line shows on the rep's
scorecard; nobody else opens the check-in, and each side's private note stays its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from tests.app.conftest import Server, served, shown, sign_in

from salescore.app import AppSettings

pytestmark = pytest.mark.parametrize("backend", ["duckdb"], indirect=True)


@pytest.fixture(scope="module")
def site(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"coaching-pages-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=60, today=date(2025, 5, 6))) as app:
        yield app


def client_of(site: Server, username: str) -> tuple[TestClient, str]:
    client = TestClient(site.client.app, raise_server_exceptions=True)
    client.__enter__()
    return client, sign_in(client, username)


def test_a_one_to_one_from_preparation_to_closing(site: Server) -> None:
    mia, mia_csrf = client_of(site, "mia")
    otto, otto_csrf = client_of(site, "otto")
    made = mia.post("/coaching/checkins", data={
        "rep_id": "r4", "scheduled_for": "2025-05-08", "every_days": "14",
        "csrf_token": mia_csrf}, follow_redirects=False)
    assert made.status_code == 303
    path = made.headers["location"]
    page = mia.get(path).text
    keys = re.findall(r'name="keep" value="([^"]+)"', page)
    assert keys[:2] == ["line:revenue_won", "line:deals_won"]
    assert "Weak line: Revenue won at 15% of target in 2025-Q1" in page
    # The manager keeps the revenue line, drops the rest and adds a topic.
    assert mia.post(f"{path}/points", data={"keep": "line:revenue_won", "add": "Pricing",
                                            "csrf_token": mia_csrf}).status_code == 200
    assert mia.post(f"{path}/note", data={"text": "MIA-PRIVATE",
                                          "csrf_token": mia_csrf}).status_code == 200
    seen = otto.get(path).text
    assert "Weak line: Revenue won" in seen and "Pricing" in seen
    assert "Deals won" not in seen.split("Talking points")[1].split("Pulse")[0]
    assert "MIA-PRIVATE" not in seen
    assert otto.post(f"{path}/pulse", data={"pulse": "4", "comment": "Busy but fine",
                                            "csrf_token": otto_csrf}).status_code == 200
    assert otto.post(f"{path}/actions", data={"text": "Revise the quote", "owner": "rep",
                                              "due": "2025-05-01",
                                              "csrf_token": otto_csrf}).status_code == 200
    # Overdue on both home pages: the action was due 1 May.
    for client in (otto, mia):
        flags = client.get("/coaching/flags").text
        assert "Revise the quote" in flags
    page = mia.get(path).text
    assert "4 of 5" in page and "Busy but fine" in page
    action = re.search(r'data-action="(\d+)"', page)
    assert action is not None
    done = mia.post(f"/coaching/actions/{action.group(1)}/done",
                    data={"checkin_id": path.rsplit("/", 1)[1], "csrf_token": mia_csrf})
    assert done.status_code == 200 and "done by mia" in done.text
    assert mia.post(f"{path}/held", data={"csrf_token": mia_csrf}).status_code == 200
    assert "Revise the quote" not in otto.get("/coaching/flags").text
    # Nobody else opens it.
    for username in ("rita", "sam", "eve", "ada"):
        other, _ = client_of(site, username)
        answer = other.get(path)
        assert answer.status_code == 404 and "MIA-PRIVATE" not in answer.text


def test_feedback_on_a_score_line_shows_on_the_scorecard(site: Server) -> None:
    sam, sam_csrf = client_of(site, "sam")
    rita, _ = client_of(site, "rita")
    before = rita.get("/").text  # kept in the app's cache: the write must drop it
    assert "Ask more closing questions" not in before
    sent = sam.post("/coaching/feedback", data={
        "rep_id": "r1", "kind": "feedback", "visibility": "private", "kpi": "deals_won",
        "period": "2025-Q1", "body": "Ask more closing questions",
        "csrf_token": sam_csrf}, follow_redirects=False)
    assert sent.status_code == 303
    home = shown(rita.get("/").text)
    line = home.split('data-kpi="deals_won"')[1].split("</li>\n{% endfor %}")[0]
    assert "Ask more closing questions" in line.split('data-kpi="')[0]
    assert "Ask more closing questions" in sam.get("/reps/r1?period=2025-Q1").text
    mia, _ = client_of(site, "mia")  # r1 is outside T2
    assert "Ask more closing questions" not in mia.get("/coaching").text


def test_pages_speak_chinese(site: Server) -> None:
    sam, _ = client_of(site, "sam")  # zh_CN
    page = sam.get("/coaching").text
    assert "辅导" in page and "给出反馈" in page

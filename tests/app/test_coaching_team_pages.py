"""The 360 review, team wall and adoption pages through their forms (the tiny organisation,
``tests/app/conftest.py``): sam opens a cycle on T1, rita answers her peer review of r2 on the
page and it shows to sam but not to mia or otto; otto thanks rita (r1) for a joint visit and
the kudos is on both teams' walls; adoption is the admin's and the executive's page.
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
    folder = tmp_path_factory.mktemp(f"coaching-team-{backend}")
    with served(backend, folder, AppSettings(cache_seconds=60, today=date(2025, 5, 6))) as app:
        yield app


def client_of(site: Server, username: str) -> tuple[TestClient, str]:
    client = TestClient(site.client.app, raise_server_exceptions=True)
    client.__enter__()
    return client, sign_in(client, username)


def test_a_review_cycle_through_the_pages(site: Server) -> None:
    sam, sam_csrf = client_of(site, "sam")
    rita, rita_csrf = client_of(site, "rita")
    opened = sam.post("/coaching/cycles", data={
        "name": "Spring 360", "period": "2025-Q2", "team_id": "T1", "kinds": ["peer", "self"],
        "csrf_token": sam_csrf}, follow_redirects=False)
    assert opened.status_code == 303
    assert "Spring 360" in sam.get("/coaching/reviews").text
    page = rita.get("/coaching/reviews").text
    ids = re.findall(r'action="/coaching/reviews/(\d+)"', page)
    assert len(ids) == 3  # herself, r2 and r3
    assert "Collaboration: how well" in page
    first = ids[1]  # herself first, then r2, then r3
    assert "<span>r2</span>" in page.split(f'data-review="{first}"')[1][:300]
    sent = rita.post(f"/coaching/reviews/{first}", data={
        "collaboration": "5", "communication": "4", "comment": "RITA-ON-PEER",
        "csrf_token": rita_csrf}, follow_redirects=False)
    assert sent.status_code == 303
    bad = rita.post(f"/coaching/reviews/{ids[2]}", data={
        "collaboration": "", "communication": "4", "csrf_token": rita_csrf})
    assert bad.status_code == 400 and "choose a score from 1 to 5" in bad.text
    assert "RITA-ON-PEER" in shown(sam.get("/coaching/reviews").text)
    for other in ("mia", "otto"):
        client, _ = client_of(site, other)
        assert "RITA-ON-PEER" not in client.get("/coaching/reviews").text
    zh = sam.get("/coaching/reviews").text
    assert "360 评价" in zh  # sam reads the pages in Chinese


def test_kudos_on_the_wall(site: Server) -> None:
    otto, otto_csrf = client_of(site, "otto")
    sent = otto.post("/coaching/kudos", data={
        "helper_rep_id": "r1", "kind": "joint_visit", "body": "OTTO-THANKS-RITA",
        "occurred_on": "2025-05-02", "csrf_token": otto_csrf}, follow_redirects=False)
    assert sent.status_code == 303
    wall = otto.get("/coaching/wall").text
    assert "OTTO-THANKS-RITA" in wall and "+2 collaboration points" in wall
    for who, sees in (("rita", True), ("mia", True), ("sam", True), ("ada", True)):
        client, _ = client_of(site, who)
        assert ("OTTO-THANKS-RITA" in client.get("/coaching/wall").text) == sees
    refused = otto.post("/coaching/kudos", data={
        "helper_rep_id": "r4", "kind": "referral", "body": "me", "csrf_token": otto_csrf})
    assert refused.status_code == 422


def test_adoption_page_for_the_admin_alone(site: Server) -> None:
    ada, _ = client_of(site, "ada")
    page = ada.get("/coaching/adoption?period=2025-05").text
    assert "2025-05 against 2025-04" in page and 'data-team="all"' in page
    rita, _ = client_of(site, "rita")
    assert rita.get("/coaching/adoption?period=2025-05").status_code == 403

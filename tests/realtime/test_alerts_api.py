"""The alerts API for each role: rules read by all and changed by an admin (422 with
file:line), alerts scoped, the inbox the caller's own, deliveries and channels the admin's."""

from __future__ import annotations

import pytest
from tests.app.conftest import Server

RULES = """\
rules:
  - name: behind_pace
    kpi: revenue_won
    condition: {kind: pace_below, value: 0.7}
    channels: [inapp]
"""
ALL = ("anonymous", "rep", "other_rep", "manager", "sibling_manager", "executive", "admin")


@pytest.mark.parametrize("role", ALL)
def test_each_role(server: Server, role: str) -> None:
    h = server.headers(role)
    c = server.client
    status = c.get("/api/v1/alerts/rules", headers=h).status_code
    assert status == (401 if role == "anonymous" else 200)
    put = c.put("/api/v1/alerts/rules", json={"yaml": RULES}, headers=h).status_code
    assert put == {"anonymous": 401, "admin": 200}.get(role, 403)
    deliveries = c.get("/api/v1/alerts/deliveries", params={"status": "dead"}, headers=h)
    assert deliveries.status_code == {"anonymous": 401, "admin": 200}.get(role, 403)
    channels = c.get("/api/v1/alerts/channels", headers=h).status_code
    assert channels == {"anonymous": 401, "admin": 200}.get(role, 403)
    inbox = c.get("/api/v1/alerts/inbox", headers=h)
    assert inbox.status_code == (401 if role == "anonymous" else 200)
    listed = c.get("/api/v1/alerts", headers=h)
    if role == "anonymous":
        assert listed.status_code == 401
        return
    subjects = {a["subject_id"] for a in listed.json()}
    sees_r4 = role in ("other_rep", "manager", "executive", "admin")
    assert subjects == ({"r4"} if sees_r4 else set()), (role, listed.json())


def test_bad_rules_are_422_with_file_and_line(server: Server) -> None:
    answer = server.client.put("/api/v1/alerts/rules",
                               json={"yaml": RULES.replace("pace_below", "pace_under")},
                               headers=server.headers("admin"))
    assert answer.status_code == 422
    assert "rules.yaml:4" in answer.json()["detail"]


SCHEDULES = """\
schedules:
  - name: exec_monthly
    report: executive
    period: last-month
    formats: [pdf, xlsx]
    cron: "0 8 1 * *"
    audience: ["role:executive"]
    channels: [email]
"""


@pytest.mark.parametrize("role", ALL)
def test_report_schedules_are_the_admins(server: Server, role: str) -> None:
    h = server.headers(role)
    c = server.client
    put = c.put("/api/v1/reports/schedules", json={"yaml": SCHEDULES}, headers=h)
    assert put.status_code == {"anonymous": 401, "admin": 200}.get(role, 403)
    listed = c.get("/api/v1/reports/schedules", headers=h)
    assert listed.status_code == {"anonymous": 401, "admin": 200}.get(role, 403)
    if role == "admin":
        [one] = listed.json()
        assert one["spec"]["name"] == "exec_monthly" and one["spec"]["formats"] == ["pdf",
                                                                                   "xlsx"]
        assert one["next_run_at"] is not None and one["last_run_at"] is None


def test_bad_schedules_are_422_with_file_and_line(server: Server) -> None:
    answer = server.client.put("/api/v1/reports/schedules",
                               json={"yaml": SCHEDULES.replace("pdf, xlsx", "pdf, docx")},
                               headers=server.headers("admin"))
    assert answer.status_code == 422
    assert "schedules.yaml:5: schedules[0].formats[1]" in answer.json()["detail"]

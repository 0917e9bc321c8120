"""The Alerts page for each role, in English and Chinese: the inbox and the scoped alerts for
everyone, the rules form (checked with file:line), the robots and dead letters for an admin."""

from __future__ import annotations

import pytest
from tests.app.conftest import PASSWORD, USERS, Server, csrf_in, sign_in

RULES = """\
rules:
  - name: behind_pace
    title: {en: Behind pace, zh: 进度落后}
    kpi: revenue_won
    condition: {kind: pace_below, value: 0.7}
    audience: [rep, manager]
    channels: [inapp]
"""


@pytest.mark.parametrize("role", ["other_rep", "manager", "sibling_manager", "admin"])
def test_the_page_for_each_role(server: Server, role: str) -> None:
    c = server.client
    c.cookies.clear()
    sign_in(c, USERS[role][0], PASSWORD)
    page = c.get("/alerts")
    assert page.status_code == 200
    zh = USERS[role][4] == "zh_CN"
    assert ("预警" if zh else "Alerts") in page.text
    sees_r4 = role in ("other_rep", "manager", "admin")
    assert ('data-alert="' in page.text) == sees_r4
    assert ("Behind pace: R4" in page.text) == (sees_r4 and not zh)
    if role in ("other_rep", "manager"):  # r4 and T2's manager get it in-app
        assert "data-delivery" in page.text
    assert ("Alert rules" in page.text) == (role == "admin")
    feed = c.get("/alerts/feed")
    assert feed.status_code == 200 and "<html" not in feed.text


def test_bad_rules_from_the_page_are_told_with_file_and_line(server: Server) -> None:
    c = server.client
    c.cookies.clear()
    sign_in(c, USERS["admin"][0], PASSWORD)
    token = csrf_in(c.get("/alerts").text)
    answer = c.post("/alerts/rules", data={"csrf_token": token,
                                           "rules": RULES.replace("kpi: revenue_won",
                                                                  "kpi: nothing")})
    assert answer.status_code == 422
    assert "rules.yaml:4: rules[0].kpi: there is no KPI nothing" in answer.text
    assert "nothing" in answer.text
    saved = c.post("/alerts/rules", data={"csrf_token": token, "rules": RULES})
    assert saved.status_code == 200 and "Rules saved" in saved.text


def test_report_schedules_on_the_admin_page(server: Server) -> None:
    c = server.client
    c.cookies.clear()
    sign_in(c, USERS["admin"][0], PASSWORD)
    token = csrf_in(c.get("/alerts").text)
    schedules = ("schedules:\n  - name: weekly_team\n    report: team\n    subject: T1\n"
                 "    formats: [xlsx]\n    cron: '30 7 * * 1'\n    audience: [manager]\n")
    bad = c.post("/alerts/schedules", data={"csrf_token": token,
                                            "schedules": schedules.replace("T1", "each")
                                            .replace("7 * * 1", "7 * * 9")})
    assert bad.status_code == 422
    assert "schedules.yaml:6: schedules[0].cron" in bad.text
    saved = c.post("/alerts/schedules", data={"csrf_token": token, "schedules": schedules})
    assert saved.status_code == 200 and "Schedules saved" in saved.text
    assert 'data-schedule="weekly_team"' in saved.text and "<code>30 7 * * 1</code>" in saved.text
    c.cookies.clear()
    sign_in(c, USERS["manager"][0], PASSWORD)
    page = c.get("/alerts")
    assert page.status_code == 200 and "data-schedule" not in page.text
    token = csrf_in(page.text)
    refused = c.post("/alerts/schedules", data={"csrf_token": token, "schedules": schedules})
    assert refused.status_code == 404  # the app's page for what a role does not see
    assert "not part of what your role sees" in refused.text

"""Alert rules on the tiny organisation (Asia/Shanghai): raised once per crossing, delayed by
quiet hours, delivered in-app in each recipient's language; rules checked with file:line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salescore.workspace import Workspace

RULES = """\
rules:
  - name: behind_pace
    title: {en: Behind pace, zh: 进度落后}
    kpi: revenue_won
    subject: rep
    condition: {kind: pace_below, value: 0.7}
    period: month
    audience: [rep, manager]
    channels: [inapp]
    quiet_hours: "22:00-08:00"
"""


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2025, Asia/Shanghai, as UTC."""
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def won(opp: str, day: int, amount: str) -> dict[str, object]:
    at = local(day, 9).isoformat()
    return {"table": "opportunities", "at": at, "row": {
        "opportunity_id": opp, "customer_id": "c1", "owner_rep_id": "r1", "created_at": at,
        "stage": "won", "closed_at": at, "amount": amount, "currency": "CNY"}}


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    cli = workspace.accounts.owner()
    workspace.accounts.add_user(cli, username="rita", password=None, role="rep", rep_id="r1",
                                locale="en")
    workspace.accounts.add_user(cli, username="sam", password=None, role="manager",
                                team_id="T1", locale="zh_CN")
    workspace.accounts.add_user(cli, username="mia", password=None, role="manager",
                                team_id="T2", locale="en")
    workspace.owner().realtime.set_rules(RULES, file="alerts.yaml", actor="test")
    return workspace


def test_raised_once_per_crossing_and_delayed_by_quiet_hours(ws: Workspace) -> None:
    rt = ws.owner().realtime
    # r1 has 300 of revenue won in March; a target of 1000 arrives as an event on the 16th at
    # noon (half the month gone: 500 needed by now, 300 is a pace of 0.6 < 0.7).
    target = {"table": "targets", "row": {"scope": "rep", "scope_id": "r1", "period": "2025-03",
                                          "kpi": "revenue_won", "value": "1000"}}
    first = rt.accept_events([target], now=local(16, 12))
    assert first.alerts == 1
    [alert] = rt.alerts()
    assert (alert.rule, alert.subject_id, alert.period) == ("behind_pace", "r1", "2025-03")
    assert alert.value == 300.0 and alert.deliver_after == local(16, 12)
    assert "60%" in alert.body.en and "进度落后" in alert.title.zh
    assert rt.dispatch(local(16, 12)).sent == 2  # rita (en) and sam, T1's manager (zh_CN)
    assert [d.title for d in rt.inbox("rita")] == ["Behind pace: R1"]
    assert [d.title for d in rt.inbox("sam")] == ["进度落后：R1"]
    assert rt.inbox("mia") == []  # T2's manager: not r1's
    # Still behind an hour later, and after another event: no second alert.
    assert rt.check_alerts(local(16, 13)) == []
    assert rt.accept_events([won("e1", 16, "10")], now=local(16, 14)).alerts == 0
    # Recovered on the 17th (610 of the 532 needed by then): no alert, the state resets.
    assert rt.accept_events([won("e2", 17, "300")], now=local(17, 12)).alerts == 0
    # Behind again by the 28th at 23:00 (610 of the 902 needed): a second alert, raised in
    # the quiet hours, so delivered at 08:00 the next morning and not before.
    [again] = rt.check_alerts(local(28, 23))
    assert again.deliver_after == local(29, 8)
    assert rt.dispatch(local(28, 23, 30)).sent == 0
    assert rt.dispatch(local(29, 7, 59)).sent == 0
    assert rt.dispatch(local(29, 8, 1)).sent == 2
    assert len(rt.inbox("rita")) == 2
    assert len(rt.alerts()) == 2


def test_rules_are_checked_with_file_and_line(ws: Workspace) -> None:
    from salescore.workspace import RulesError

    rt = ws.owner().realtime
    with pytest.raises(RulesError) as caught:
        rt.set_rules(RULES.replace("channels: [inapp]", "channels: [fax]"), file="alerts.yaml")
    assert "alerts.yaml:9: rules[0].channels: 'fax' is not a channel" in str(caught.value)
    with pytest.raises(RulesError) as caught:
        rt.set_rules(RULES.replace("kpi: revenue_won", "kpi: revenu_won"), file="alerts.yaml")
    assert "alerts.yaml:4: rules[0].kpi: there is no KPI revenu_won" in str(caught.value)
    assert [r.name for r in rt.rules()] == ["behind_pace"]  # the stored rules kept


def test_a_rep_sees_only_alerts_about_themself(ws: Workspace) -> None:
    from salescore.core.scope import Scope

    rt = ws.owner().realtime
    rt.accept_events([{"table": "targets", "row": {
        "scope": "rep", "scope_id": "r4", "period": "2025-03", "kpi": "revenue_won",
        "value": "1000"}}], now=local(16, 12))
    assert [a.subject_id for a in rt.alerts()] == ["r4"]
    assert ws.session(Scope.rep("r1")).realtime.alerts() == []
    assert [a.subject_id for a in ws.session(Scope.team("T2")).realtime.alerts()] == ["r4"]

"""Report schedules as data (``realtime/schedules.py``, ``workspace/realtime_schedules.py``),
checked with file:line and run on a fake clock (the time is passed in, as the server's
minute job passes the clock's), on each app store. The organisation's zone is Asia/Shanghai:
cron times are read there.

``monthly_exec``: the executive report of last month, PDF and XLSX, at 08:00 on the 1st, to
the executives in-app and by e-mail (eve reads Chinese). ``weekly_reps``: each rep's
scorecard report of this month, HTML, Mondays at 07:30, to the rep in-app (rita, r1, the only
rep with an account).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salescore.realtime.schedules import SchedulesError, check_schedules_text
from salescore.workspace import Workspace

SCHEDULES = """\
schedules:
  - name: monthly_exec
    title: {en: Monthly executive report, zh: 月度管理层报告}
    report: executive
    period: last-month
    formats: [pdf, xlsx]
    cron: "0 8 1 * *"
    audience: ["role:executive"]
    channels: [inapp, email]
  - name: weekly_reps
    report: rep
    subject: each
    period: this-month
    formats: [html]
    cron: "30 7 * * 1"
    audience: [rep]
    channels: [inapp]
"""


def shanghai(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    cli = workspace.accounts.owner()
    workspace.accounts.add_user(cli, username="eve", password=None, role="executive",
                                locale="zh_CN", email="eve@example.com")
    workspace.accounts.add_user(cli, username="rita", password=None, role="rep", rep_id="r1",
                                locale="en")
    rt = workspace.owner().realtime
    assert rt.set_schedules(SCHEDULES, file="schedules.yaml", actor="test",
                            now=shanghai(3, 16, 9)) == (["monthly_exec", "weekly_reps"], [], [])
    return workspace


def test_every_problem_at_its_line() -> None:
    bad = SCHEDULES.replace('"30 7 * * 1"', '"30 7 * * 8"').replace(
        "last-month", "last-fortnight").replace("    subject: each\n", "")
    errors = check_schedules_text(bad, file="schedules.yaml").errors
    assert [(e.place[1], e.rule) for e in errors] == [
        (5, "schema"), (14, "schema"), (10, "subject-needed")]
    assert "last-fortnight" in str(errors[0]) and "Sunday is 0 and 7" in str(errors[1])
    assert check_schedules_text(SCHEDULES).ok


def test_run_when_due_once_per_time_and_in_each_readers_language(ws: Workspace) -> None:
    rt = ws.owner().realtime
    home = ws.locations.home / "reports"
    assert rt.run_due_schedules(shanghai(3, 16, 23, 59)) == []  # set at 09:00; nothing due
    assert rt.run_due_schedules(shanghai(3, 17, 7, 29)) == []
    [weekly] = rt.run_due_schedules(shanghai(3, 17, 7, 30))
    assert (weekly.name, weekly.period, weekly.queued, weekly.errors) == (
        "weekly_reps", "2025-03", 1, ())
    assert sorted(p.name for p in weekly.files) == [
        f"rep-r{i}-2025-03-en.html" for i in range(1, 7)]
    assert "Scorecard" in (home / "weekly_reps" / "rep-r1-2025-03-en.html").read_text()
    assert rt.run_due_schedules(shanghai(3, 17, 7, 45)) == []  # ran at 07:30: not again
    # Down from the 18th to April 1st 08:10: weekly_reps missed the 24th and the 31st and
    # runs once; monthly_exec reports March.
    runs = {r.name: r for r in rt.run_due_schedules(shanghai(4, 1, 8, 10))}
    assert sorted(runs) == ["monthly_exec", "weekly_reps"]
    assert runs["weekly_reps"].period == "2025-04"
    monthly = runs["monthly_exec"]
    assert (monthly.period, monthly.queued) == ("2025-03", 2)  # eve: in-app and e-mail
    assert sorted(p.name for p in monthly.files) == [
        "executive-company-2025-03-zh-CN.pdf", "executive-company-2025-03-zh-CN.xlsx"]
    # In-app: rita's of March 17th and April 1st, eve's; eve's e-mail waits (no mail server).
    assert rt.dispatch(shanghai(4, 1, 8, 11)).sent == 3
    [note] = rt.inbox("eve")
    assert note.title == "月度管理层报告：管理层报告（2025-03）"
    assert note.link.endswith("/api/v1/reports/executive?period=2025-03&format=pdf")
    assert "XLSX http" in note.body and "format=xlsx" in note.body
    assert [n.title for n in rt.inbox("rita")] == ["weekly reps: Scorecard: R1 (2025-04)",
                                                   "weekly reps: Scorecard: R1 (2025-03)"]
    infos = {i.schedule.name: i for i in rt.schedules(shanghai(4, 1, 8, 11))}
    assert infos["weekly_reps"].next_run_at == shanghai(4, 7, 7, 30)
    assert infos["monthly_exec"].last_run_at == shanghai(4, 1, 8, 10)


def test_a_changed_schedule_runs_from_its_change_on(ws: Workspace) -> None:
    rt = ws.owner().realtime
    moved = SCHEDULES.replace('"30 7 * * 1"', '"0 6 * * *"')
    assert rt.set_schedules(moved, now=shanghai(3, 17, 7)) == ([], ["weekly_reps"], [])
    assert rt.run_due_schedules(shanghai(3, 17, 7, 30)) == []  # 06:00 was before the change
    assert [r.name for r in rt.run_due_schedules(shanghai(3, 18, 6))] == ["weekly_reps"]
    with pytest.raises(SchedulesError) as bad:
        rt.set_schedules("schedules:\n  - name: x\n    report: team\n    cron: '0 6 * * *'\n",
                         file="s.yaml")
    assert "s.yaml:2" in str(bad.value)
    assert len(rt.schedules()) == 2  # the invalid document changed nothing

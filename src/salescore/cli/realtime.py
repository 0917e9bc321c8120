"""``salescore events`` and ``salescore alerts`` (issue 14): send a file of events, consume
them from NATS JetStream; set and check alert rules, send what is due, see and resend dead
letters, add a group robot. ``salescore report`` is in :mod:`salescore.cli.report`.

Registered in :mod:`salescore.cli.main`. Exit codes: 0 done, 1 the rules document is invalid
(every problem with file:line), 2 the command cannot be carried out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from salescore.cli.common import HomeOption, console, err_console, fail, open_workspace
from salescore.core.errors import SalescoreError

events_app = typer.Typer(
    help="Events in: send a file, consume NATS. 事件接入：发送文件、消费 NATS。",
    no_args_is_help=True)
alerts_app = typer.Typer(help="Alert rules, checks, deliveries. 预警规则、检查与通知。",
                         no_args_is_help=True)


@events_app.command("send")
def send(file: Annotated[Path, typer.Argument(help="JSON: a list of events or {events: [...]}"
                                                   " / 事件 JSON 文件")],
         home: HomeOption = None) -> None:
    """Apply the events of a JSON file, as POST /api/v1/events does. 应用 JSON 文件中的事件。"""
    payload = json.loads(file.read_text(encoding="utf-8"))
    with open_workspace(home) as ws:
        owner = ws.owner()
        outcome = owner.realtime.accept_events(payload, actor="cli")
        owner.realtime.rescore_touched()  # the stored scores of the open periods, kept current
        locale = ws.locale
    said = outcome.to_dict(locale)
    errors = said.pop("errors")
    console.print(" ".join(f"{k}={v}" for k, v in said.items()))
    for e in errors:
        err_console.print(f"event {e['index']}: {escape(str(e['column']))} "
                          f"{escape(str(e['value']))}: {escape(e['reason'])}", highlight=False)


@events_app.command("consume")
def consume(url: Annotated[str, typer.Option(help="NATS server")] = "nats://127.0.0.1:4222",
            subject: Annotated[str, typer.Option(help="Subject")] = "salescore.events",
            home: HomeOption = None) -> None:
    """Consume events from NATS JetStream until stopped (Ctrl-C), when no server holds the
    data folder. 从 NATS JetStream 消费事件，直到停止。"""
    import asyncio

    from starlette.concurrency import run_in_threadpool

    from salescore.workspace import EventConsumer

    with open_workspace(home) as ws:
        def accept(events: list[object]) -> object:
            realtime = ws.owner().realtime
            done = realtime.accept_events(events, actor="nats")
            realtime.rescore_touched()  # once per batch fetched, not per event
            return done

        async def apply(events: list[object]) -> object:
            return await run_in_threadpool(accept, events)

        consumer = EventConsumer(apply, url=url, subject=subject)
        stop = asyncio.Event()
        try:
            asyncio.run(consumer.run(stop))
        except KeyboardInterrupt:
            pass
        console.print(f"events={consumer.stats.events} batches={consumer.stats.batches}")


@alerts_app.command("set")
def set_rules(file: Annotated[Path, typer.Argument(help="Alert rules YAML / 预警规则 YAML")],
              home: HomeOption = None) -> None:
    """Check an alert rules file (file:line) and make its rules the stored ones.
    校验并保存预警规则。"""
    from salescore.workspace import RulesError

    with open_workspace(home) as ws:
        try:
            added, changed, removed = ws.owner().realtime.set_rules(
                file.read_text(encoding="utf-8"), file=str(file), actor="cli")
        except RulesError as exc:
            fail(exc, ws.locale, code=1)
    console.print(f"added={added} changed={changed} removed={removed}")


@alerts_app.command("check")
def check(home: HomeOption = None) -> None:
    """Check the rules now and send what is due. 立即检查规则并发送到期通知。"""
    with open_workspace(home) as ws:
        rt = ws.owner().realtime
        raised = rt.check_alerts()
        done = rt.dispatch()
        locale = ws.locale
    for alert in raised:
        console.print(f"{alert.title.get(locale)} — {alert.body.get(locale)}", highlight=False)
    console.print(f"raised={len(raised)} sent={done.sent} retrying={done.retrying} "
                  f"dead={done.dead}")


@alerts_app.command("list")
def list_alerts(home: HomeOption = None) -> None:
    """The newest alerts. 最近的预警。"""
    with open_workspace(home) as ws:
        alerts = ws.owner().realtime.alerts()
        locale = ws.locale
    table = Table("id", "rule", "subject", "period", "raised_at", "status", "message")
    for a in alerts:
        table.add_row(str(a.id), a.rule, a.subject_id, a.period, f"{a.raised_at:%Y-%m-%d %H:%M}",
                      a.status, escape(a.body.get(locale)))
    console.print(table)


@alerts_app.command("dead")
def dead(home: HomeOption = None) -> None:
    """The dead-letter list: deliveries that failed every try. 死信列表。"""
    with open_workspace(home) as ws:
        items = ws.owner().realtime.deliveries(status="dead")
    table = Table("id", "channel", "target", "attempts", "last_error", "title")
    for d in items:
        table.add_row(str(d.id), d.channel, d.target, str(d.attempts), escape(d.last_error or ""),
                      escape(d.title))
    console.print(table)


@alerts_app.command("resend")
def resend(delivery: Annotated[int, typer.Argument(help="Delivery id / 发送记录 id")],
           home: HomeOption = None) -> None:
    """Queue a dead delivery again and send what is due. 重新发送死信。"""
    with open_workspace(home) as ws:
        rt = ws.owner().realtime
        rt.resend(delivery, actor="cli")
        done = rt.dispatch()
    console.print(f"sent={done.sent} retrying={done.retrying} dead={done.dead}")


@alerts_app.command("channel")
def channel(name: Annotated[str, typer.Argument(help="Channel name / 渠道名")],
            kind: Annotated[str, typer.Option(help="wecom, dingtalk or feishu")],
            locale: Annotated[str, typer.Option(help="en or zh_CN")] = "zh_CN",
            home: HomeOption = None) -> None:
    """Add or replace a group robot; the URL and secret are asked for (never on the command
    line, where the shell history would keep them) and stored encrypted.
    添加群机器人；地址与密钥加密保存。"""
    url = typer.prompt("Webhook URL", hide_input=True)
    secret = typer.prompt("Signing secret (empty: none)", default="", hide_input=True,
                          show_default=False)
    with open_workspace(home) as ws:
        try:
            ws.owner().realtime.add_channel(name, kind, url, secret=secret or None,
                                            locale=locale, actor="cli")
        except SalescoreError as exc:
            fail(exc, ws.locale)
    console.print(f"channel {name} ({kind}) stored")


schedules_app = typer.Typer(
    help="Report schedules: set, list, run what is due. 报告计划：设置、查看、运行到期计划。",
    no_args_is_help=True)


@schedules_app.command("set")
def set_schedules(
        file: Annotated[Path, typer.Argument(help="Report schedules YAML / 报告计划 YAML")],
        home: HomeOption = None) -> None:
    """Check a report schedules file (file:line) and make its schedules the stored ones.
    校验并保存报告计划。"""
    from salescore.workspace import SchedulesError

    with open_workspace(home) as ws:
        try:
            added, changed, removed = ws.owner().realtime.set_schedules(
                file.read_text(encoding="utf-8"), file=str(file), actor="cli")
        except SchedulesError as exc:
            fail(exc, ws.locale, code=1)
    console.print(f"added={added} changed={changed} removed={removed}")


@schedules_app.command("list")
def list_schedules(home: HomeOption = None) -> None:
    """The report schedules, their last and next runs. 报告计划及其上次、下次运行时间。"""
    with open_workspace(home) as ws:
        infos = ws.owner().realtime.schedules()
    table = Table("name", "report", "formats", "cron", "last_run", "next_run", "last_error")
    for i in infos:
        s = i.schedule
        table.add_row(s.name, f"{s.report} {s.subject or ''} {s.period}".replace("  ", " "),
                      ",".join(s.formats), s.cron,
                      f"{i.last_run_at:%Y-%m-%d %H:%M}" if i.last_run_at else "—",
                      f"{i.next_run_at:%Y-%m-%d %H:%M %Z}" if i.next_run_at else "—",
                      escape(i.last_error or ""))
    console.print(table)


@schedules_app.command("run")
def run_due(home: HomeOption = None) -> None:
    """Run the schedules that are due now and send what is due (what the server does every
    minute). 运行到期的报告计划并发送通知。"""
    with open_workspace(home) as ws:
        rt = ws.owner().realtime
        runs = rt.run_due_schedules()
        done = rt.dispatch()
    for r in runs:
        console.print(f"{r.name} {r.period}: files={len(r.files)} queued={r.queued}"
                      + (f" errors={'; '.join(r.errors)}" if r.errors else ""), highlight=False)
    console.print(f"ran={len(runs)} sent={done.sent} retrying={done.retrying} dead={done.dead}")

"""Real-time feedback for one session (``session.realtime``): events in, alert rules and their
evaluation, notifications and reports (issue 14). The pieces are in :mod:`salescore.realtime`;
this puts them together with the session's scope, warehouse and app store.

Events go through the session's import (:meth:`Session.import_arrow`), so that whatever an
import maintains (the quality report, the import runs, derived facts and roll-ups) an event
maintains too, in the same transaction as the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from salescore.appstore.realtime import record_versions, stored_versions
from salescore.core.text import Text
from salescore.ingest.problems import IngestError
from salescore.ingest.validation import table_rule
from salescore.model.tables import table
from salescore.realtime.events import (
    Event,
    EventError,
    arrow_rows,
    parse_events,
    plan_batch,
)
from salescore.workspace.realtime_schedules import ScheduleInfo, ScheduleRun, SchedulesMixin
from salescore.workspace.realtime_scores import Rescored, ScoresMixin

if TYPE_CHECKING:
    from salescore.realtime.reports import Report
    from salescore.realtime.rules import AlertRule
    from salescore.workspace.session import Session

__all__ = ["DeliveryInfo", "DispatchOutcome", "EventsOutcome", "RaisedAlert", "Realtime",
           "Rescored", "ScheduleInfo", "ScheduleRun"]


@dataclass(frozen=True)
class EventsOutcome:
    """What one batch of events did: how many were received, applied (inserted, updated,
    unchanged as the import counts them), rejected (with per-event errors, as the import
    reports rejected rows), and left out as superseded, stale or duplicate."""

    received: int
    accepted: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    stale: int = 0
    duplicate: int = 0
    errors: list[EventError] = field(default_factory=list)
    tables: tuple[str, ...] = ()
    alerts: int = 0  # alerts raised by the rules checked once the batch was applied

    @property
    def rejected(self) -> int:
        return len({e.index for e in self.errors})

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        return {"received": self.received, "accepted": self.accepted,
                "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected,
                "superseded": self.superseded, "stale": self.stale,
                "duplicate": self.duplicate,
                "errors": [e.to_dict(locale) for e in self.errors]}


# -- alerts and notifications -------------------------------------------------------------------
MAX_ATTEMPTS = 4
BACKOFF_SECONDS = 30.0  # after the first failure; doubled after each further one
_MEASURE = {
    "below": Text("value", "数值"), "above": Text("value", "数值"),
    "share_below": Text("share of target", "目标达成率"),
    "change_below": Text("change on the previous period", "环比变化"),
    "change_above": Text("change on the previous period", "环比变化"),
    "pace_below": Text("pace against what the target needs by now", "按时间进度的目标完成度"),
}


@dataclass(frozen=True)
class RaisedAlert:
    """An alert as a caller sees it."""

    id: int
    rule: str
    subject_kind: str
    subject_id: str
    period: str
    value: float | None
    threshold: float | None
    title: Text
    body: Text
    link: str
    raised_at: datetime
    deliver_after: datetime
    status: str


@dataclass(frozen=True)
class DeliveryInfo:
    """One delivery as a caller sees it (a robot's URL and secret are never part of it)."""

    id: int
    alert_id: int | None
    channel: str
    target: str
    locale: str
    title: str
    body: str
    link: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
    read_at: datetime | None


@dataclass(frozen=True)
class DispatchOutcome:
    sent: int = 0
    retrying: int = 0
    dead: int = 0


def _base_url() -> str:
    """Where the links in messages point: ``SALESCORE_BASE_URL`` (default the local server)."""
    import os

    return os.environ.get("SALESCORE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _alert(row: Any) -> RaisedAlert:
    m = row.message
    return RaisedAlert(row.id, row.rule_name, row.subject_kind, row.subject_id, row.period,
                       row.value, row.threshold, Text(m["title_en"], m["title_zh"]),
                       Text(m["body_en"], m["body_zh"]), row.link, _aware(row.raised_at),
                       _aware(row.deliver_after), row.status)


def _delivery(row: Any) -> DeliveryInfo:
    return DeliveryInfo(row.id, row.alert_id, row.channel, row.target, row.locale, row.title,
                        row.body, row.link, row.status, row.attempts,
                        _aware(row.next_attempt_at), row.last_error,
                        row.sent_at and _aware(row.sent_at), row.read_at and _aware(row.read_at))


class _AlertsMixin:
    """Alert rules, their evaluation and the deliveries (mixed into :class:`Realtime`)."""

    session: Session

    @property
    def _app(self) -> Any:
        return self.session.workspace._app

    @property
    def base_url(self) -> str:
        return _base_url()

    # -- rules ------------------------------------------------------------------------------
    def _has_rules(self) -> bool:
        from salescore.appstore.realtime import stored_rules

        with self._app.session() as db:
            return any(r.enabled for r in stored_rules(db))

    def set_rules(self, text: str, *, file: str = "<alerts>", actor: str = "api"
                  ) -> tuple[list[str], list[str], list[str]]:
        """Validate an alert rules document (every problem at file:line:
        :class:`~salescore.realtime.rules.RulesError`) and make its rules the stored ones;
        audited. The names added, changed and removed."""
        from salescore.appstore.realtime import replace_rules
        from salescore.realtime.rules import parse_rules

        self.session.scope.require_writes("changing alert rules", "修改预警规则")
        rules = parse_rules(text, file=file, known=self.session.catalog.kpis)
        with self._app.session() as db:
            return replace_rules(db, {r.name: r.model_dump(mode="json") for r in rules}, actor)

    def rules(self) -> list[AlertRule]:
        """The stored alert rules, by name (the organisation's, read by every role)."""
        from salescore.appstore.realtime import stored_rules
        from salescore.realtime.rules import AlertRule

        with self._app.session() as db:
            return [AlertRule.model_validate(row.spec) for row in stored_rules(db)]

    # -- evaluation -------------------------------------------------------------------------
    def check_alerts_if_any(self, now: datetime | None = None) -> list[RaisedAlert]:
        """:meth:`check_alerts` when any rule is enabled (what an import calls)."""
        return self.check_alerts(now) if self._has_rules() else []

    def check_alerts(self, now: datetime | None = None) -> list[RaisedAlert]:
        """Evaluate every enabled rule for every subject now; raise an alert where a rule
        starts to hold (once per crossing, not within its cool-down), with its deliveries
        due when its quiet hours end. The alerts raised."""
        from salescore.appstore.realtime import rule_states
        from salescore.appstore.realtime_models import Alert, AlertState
        from salescore.core.periods import Grain
        from salescore.realtime.conditions import elapsed_share, readings

        self.session.scope.require_writes("checking alert rules", "检查预警规则")
        now = _aware(now or datetime.now(UTC))
        calendar = self.session.workspace.settings.calendar
        local = now.astimezone(calendar.zone)
        raised: list[RaisedAlert] = []
        for rule in self.rules():
            if not rule.enabled:
                continue
            period = calendar.period_of(local.date(), Grain(rule.period))
            values = self._values(rule.kpi, rule.subject, str(period))
            targets = previous = None
            if rule.condition.kind in ("share_below", "pace_below"):
                targets = {t["scope_id"]: float(t["value"]) for t in self.session.targets(
                    period=str(period), kpi=rule.kpi, scope=rule.subject)}
            if rule.condition.kind.startswith("change"):
                previous = self._values(rule.kpi, rule.subject, str(period.previous()))
            found = readings(rule.condition, values, targets=targets, previous=previous,
                             elapsed=elapsed_share(period.start, period.end, local))
            with self._app.session() as db:
                states = rule_states(db, rule.name)
                for reading in found:
                    if reading.holds is None:
                        continue
                    state = states.get(reading.subject)
                    was = state is not None and state.breached
                    if state is None:
                        state = AlertState(rule_name=rule.name, subject_id=reading.subject,
                                           breached=False, changed_at=now)
                        db.add(state)
                    if reading.holds == was:
                        continue
                    state.breached, state.changed_at = reading.holds, now
                    if not reading.holds:
                        continue
                    last = state.last_raised_at and _aware(state.last_raised_at)
                    if last is not None and (now - last).total_seconds() < \
                            rule.cooldown_minutes * 60:
                        continue
                    state.last_raised_at = now
                    title, body = self._words(rule, reading, str(period))
                    link = self._link(rule, reading.subject, str(period))
                    alert = Alert(rule_name=rule.name, subject_kind=rule.subject,
                                  subject_id=reading.subject, period=str(period),
                                  value=reading.value, threshold=reading.threshold,
                                  message={"title_en": title.en, "title_zh": title.zh,
                                           "body_en": body.en, "body_zh": body.zh},
                                  link=link, raised_at=now,
                                  deliver_after=_after_quiet(rule, now, calendar.zone),
                                  status="pending")
                    db.add(alert)
                    db.flush()
                    self._address(db, rule, alert)
                    raised.append(_alert(alert))
        return raised

    def _values(self, kpi: str, subject: str, period: str) -> dict[str, float | None]:
        by = subject if subject != "company" else "company"
        rows = self.session.kpis([kpi], by=by, period=period).to_pylist()
        key = {"rep": "rep_id", "team": "team_id"}.get(subject)
        return {(row[key] if key else "company"): (None if row[kpi] is None else float(row[kpi]))
                for row in rows}

    def _names(self, subject: str) -> dict[str, str]:
        if subject == "rep":
            return {r["rep_id"]: r["name"] or r["rep_id"] for r in self.session.reps()}
        if subject == "team":
            return {t["team_id"]: t["name"] or t["team_id"] for t in self.session.teams()}
        return {}

    def _words(self, rule: AlertRule, reading: Any, period: str) -> tuple[Text, Text]:
        kpi = self.session.catalog.kpis.get(rule.kpi)
        label = kpi.label if kpi is not None else Text.same(rule.kpi)
        who = self._names(rule.subject).get(reading.subject, reading.subject)
        what = rule.describe()
        measure = _MEASURE[rule.condition.kind]
        ratio = rule.condition.kind not in ("below", "above")

        def num(x: float | None) -> str:
            if x is None:
                return "—"
            return f"{x:.0%}" if ratio else f"{x:,.2f}"

        value = "—" if reading.value is None else f"{reading.value:,.2f}"
        title = Text(f"{what.en}: {who}", f"{what.zh}：{who}")
        body = Text(
            f"{label.en} {value} in {period}: {measure.en} {num(reading.measure)} "
            f"(threshold {num(reading.threshold)})",
            f"{label.zh} {value}（{period}）：{measure.zh} {num(reading.measure)}"
            f"（阈值 {num(reading.threshold)}）")
        return title, body

    def _link(self, rule: AlertRule, subject: str, period: str) -> str:
        if rule.subject == "company":
            return f"/api/v1/kpis/values?kpis={rule.kpi}&by=company&period={period}"
        return (f"/api/v1/kpis/{rule.kpi}/explain?subject={subject}&period={period}"
                f"&by={rule.subject}")

    def _audience(self, db: Any, rule: AlertRule, subject: str) -> list[Any]:
        """The users an alert about ``subject`` goes to."""
        from salescore.appstore.users import list_users

        users = [u for u in list_users(db) if u.active]
        teams = {t["team_id"]: t for t in self.session.teams()}
        team_of = None
        if rule.subject == "rep":
            team_of = next((r["team_id"] for r in self.session.reps() if r["rep_id"] == subject),
                           None)
        elif rule.subject == "team":
            team_of = subject
        above: set[str] = set()
        walk = team_of
        while walk is not None and walk not in above:
            above.add(walk)
            walk = (teams.get(walk) or {}).get("parent_team_id")
        chosen: dict[str, Any] = {}
        for who in rule.audience:
            for user in users:
                if who == "rep" and rule.subject == "rep" and user.rep_id == subject \
                        or who == "manager" and user.role == "manager" and user.team_id in above \
                        or who.startswith("role:") and user.role == who[5:] \
                        or who.startswith("user:") and user.username == who[5:] \
                        or who.startswith("team:") and user.team_id == who[5:]:
                    chosen[user.username] = user
        return list(chosen.values())

    def _address(self, db: Any, rule: AlertRule, alert: Any) -> None:
        """The deliveries of ``alert``: each channel, each person of the audience in their
        language (a group robot once, in its own language)."""
        from salescore.appstore.realtime import find_channel
        from salescore.appstore.realtime_models import Delivery

        m = alert.message
        people = self._audience(db, rule, alert.subject_id)

        def add(channel: str, target: str, locale: str) -> None:
            zh = locale.lower().startswith("zh")
            db.add(Delivery(alert_id=alert.id, channel=channel, target=target, locale=locale,
                            title=m["title_zh" if zh else "title_en"],
                            body=m["body_zh" if zh else "body_en"],
                            link=self.base_url + alert.link, status="pending", attempts=0,
                            next_attempt_at=alert.deliver_after))

        for channel in rule.channels:
            if channel == "inapp":
                for user in people:
                    add("inapp", user.username, user.locale)
            elif channel == "email":
                for user in people:
                    if user.email:
                        add("email", user.email, user.locale)
            else:
                kind, _, name = channel.partition(":")
                robot = find_channel(db, name)
                add(kind, name, robot.locale if robot is not None else self.session.locale)

    # -- deliveries -------------------------------------------------------------------------
    def dispatch(self, now: datetime | None = None) -> DispatchOutcome:
        """Send every due delivery; a failure is tried again after a back-off (30 s, then
        doubled), and after the last of :data:`MAX_ATTEMPTS` tries it is dead (the
        dead-letter list)."""
        import os
        from datetime import timedelta

        from salescore.appstore.realtime import due_deliveries, find_channel, settle_alerts
        from salescore.realtime.notify import (
            DeliveryFailed,
            Message,
            SmtpSettings,
            post_robot,
            send_email,
        )
        from salescore.realtime.secrets import Vault

        self.session.scope.require_writes("sending notifications", "发送通知")
        now = _aware(now or datetime.now(UTC))
        sent = retrying = dead = 0
        smtp = SmtpSettings.from_env(os.environ)
        vault: Vault | None = None
        with self._app.session() as db:
            due = due_deliveries(db, now)
            for item in due:
                try:
                    message = Message(item.title, item.body, item.link)
                    match item.channel:
                        case "inapp":
                            pass
                        case "email":
                            if smtp is None:
                                raise DeliveryFailed("no mail server is set "
                                                     "(SALESCORE_SMTP_HOST)")
                            send_email(smtp, item.target, message)
                        case "wecom" | "dingtalk" | "feishu":
                            robot = find_channel(db, item.target)
                            if robot is None:
                                raise DeliveryFailed(f"there is no channel {item.target}")
                            vault = vault or Vault.for_home(self.session.workspace.locations.home)
                            post_robot(item.channel, vault.decrypt(robot.url_encrypted),
                                       vault.decrypt(robot.secret_encrypted)
                                       if robot.secret_encrypted else None, message)
                except DeliveryFailed as exc:
                    item.attempts += 1
                    item.last_error = str(exc)[:500]
                    if item.attempts >= MAX_ATTEMPTS:
                        item.status = "dead"
                        dead += 1
                    else:
                        item.next_attempt_at = now + timedelta(
                            seconds=BACKOFF_SECONDS * 2 ** (item.attempts - 1))
                        retrying += 1
                    continue
                item.attempts += 1
                item.status, item.sent_at, item.last_error = "sent", now, None
                sent += 1
            db.flush()
            settle_alerts(db, [d.alert_id for d in due if d.alert_id is not None])
        return DispatchOutcome(sent, retrying, dead)

    def tick(self, now: datetime | None = None) -> DispatchOutcome:
        """What the schedule runs: the rules checked, the due deliveries sent, and the
        data-quality report made again when events arrived since the last one (events do not
        make it each batch)."""
        self.check_alerts(now)
        done = self.dispatch(now)
        if self._events_since_quality():
            self.session.quality(save=True)
        return done

    def _events_since_quality(self) -> bool:
        from salescore.appstore.imports import import_runs, newest_quality_report

        with self._app.session() as db:
            runs = import_runs(db, limit=1)
            if not runs or runs[0].source != "events":
                return False
            newest = newest_quality_report(db)
            return newest is None or _aware(newest.created_at) < _aware(runs[0].started_at)

    def deliveries(self, *, status: str | None = None, channel: str | None = None,
                   limit: int = 100) -> list[DeliveryInfo]:
        """Deliveries (the dead-letter list with ``status="dead"``): the admin's."""
        from salescore.appstore.realtime import deliveries

        self.session.scope.require_writes("the notification deliveries", "通知发送记录")
        with self._app.session() as db:
            return [_delivery(d) for d in deliveries(db, status=status, channel=channel,
                                                      limit=limit)]

    def resend(self, delivery_id: int, *, actor: str = "api") -> DeliveryInfo:
        """Put a dead (or sent) delivery back in the queue, due now; audited."""
        from salescore.appstore.audit import record_audit
        from salescore.appstore.realtime import find_delivery
        from salescore.core.scope import OutOfScope

        self.session.scope.require_writes("resending a notification", "重新发送通知")
        with self._app.session() as db:
            item = find_delivery(db, delivery_id)
            if item is None:
                raise OutOfScope(f"there is no delivery {delivery_id}",
                                 message_zh=f"没有发送记录 {delivery_id}")
            item.status, item.attempts, item.next_attempt_at = "pending", 0, datetime.now(UTC)
            record_audit(db, actor=actor, action="alerts.resend", entity="delivery",
                         entity_id=delivery_id, after={"channel": item.channel})
            db.flush()
            return _delivery(item)

    def inbox(self, username: str, *, limit: int = 50) -> list[DeliveryInfo]:
        """``username``'s in-app notifications, newest first."""
        from salescore.appstore.realtime import deliveries

        with self._app.session() as db:
            return [_delivery(d) for d in deliveries(db, status="sent", target=username,
                                                      channel="inapp", limit=limit)]

    def alerts(self, *, limit: int = 100) -> list[RaisedAlert]:
        """The newest alerts about the subjects the scope reaches (a company alert: the
        everything scope's alone)."""
        from salescore.appstore.realtime import alerts_of

        with self._app.session() as db:
            rows = alerts_of(db, limit=limit * 4 if not self.session.scope.is_everything
                             else limit)
            out = [_alert(r) for r in rows]
        if self.session.scope.is_everything:
            return out[:limit]
        reach = self.session.reach
        return [a for a in out if a.subject_kind == "rep" and reach.has_rep(a.subject_id)
                or a.subject_kind == "team" and reach.has_team(a.subject_id)][:limit]

    # -- channels ---------------------------------------------------------------------------
    def add_channel(self, name: str, kind: str, url: str, *, secret: str | None = None,
                    locale: str = "zh_CN", actor: str = "api") -> None:
        """Store (or replace) group robot ``name``: its URL and secret encrypted; audited
        without them."""
        from salescore.appstore.audit import record_audit
        from salescore.appstore.realtime import find_channel
        from salescore.appstore.realtime_models import NotificationChannel
        from salescore.core.errors import ConfigError
        from salescore.realtime.secrets import Vault

        self.session.scope.require_writes("changing notification channels", "修改通知渠道")
        if kind not in ("wecom", "dingtalk", "feishu"):
            raise ConfigError(f"a channel is wecom, dingtalk or feishu, not {kind!r}",
                              message_zh=f"渠道类型应为 wecom、dingtalk 或 feishu，而非 {kind!r}")
        if not url.startswith(("https://", "http://")):
            raise ConfigError("a webhook URL starts with https://",
                              message_zh="Webhook 地址应以 https:// 开头")
        vault = Vault.for_home(self.session.workspace.locations.home)
        with self._app.session() as db:
            row = find_channel(db, name)
            if row is None:
                row = NotificationChannel(name=name, kind=kind)
                db.add(row)
            row.kind, row.locale = kind, locale  # type: ignore[assignment]
            row.url_encrypted = vault.encrypt(url)
            row.secret_encrypted = vault.encrypt(secret) if secret else None
            record_audit(db, actor=actor, action="alerts.channel", entity="channel",
                         entity_id=name, after={"kind": kind, "locale": locale,
                                                "signed": bool(secret)})

    def channels(self) -> list[tuple[str, str, str, bool]]:
        """The group robots: name, kind, language, whether signed (never the URL)."""
        from salescore.appstore.realtime import channels

        self.session.scope.require_writes("the notification channels", "通知渠道")
        with self._app.session() as db:
            return [(c.name, c.kind, c.locale, c.secret_encrypted is not None)
                    for c in channels(db)]


REPORT_KPIS = ("revenue_won", "deals_won", "win_rate", "activities", "csat_avg")
REPORT_FORMATS = ("pdf", "xlsx", "html")


class _ReportsMixin:
    """The rep scorecard, team and executive reports (mixed into :class:`Realtime`)."""

    session: Session

    def report(self, kind: str, *, period: str, subject: str | None = None,
               locale: str | None = None, kpis: tuple[str, ...] = REPORT_KPIS) -> Report:
        """Report ``kind`` (``rep``: one rep's KPIs against their targets; ``team``: each rep
        of the team's subtree; ``executive``: each team and the company) for ``period``, in
        ``locale`` (default: the organisation's). A rep or team the scope does not reach is
        :class:`OutOfScope`; the executive report needs the everything scope."""
        from salescore.core.scope import Scope
        from salescore.realtime.reports import Chart, Column, Report

        session = self.session
        locale = locale or session.locale
        catalog = session.catalog.kpis
        names = [k for k in kpis if k in catalog]
        labels = {k: catalog[k].label for k in names}
        formats = {k: _format_of(str(catalog[k].unit)) for k in names}
        if kind == "rep":
            if subject is None:
                raise _needs_subject("rep")
            session.require_rep(subject)
            rep = next(r for r in session.reps() if r["rep_id"] == subject)
            values = session.kpis(names, by="rep", period=period,
                                  subjects=[subject]).to_pylist()
            row = values[0] if values else {}
            targets = {t["kpi"]: float(t["value"]) for t in session.targets(
                period=period, scope="rep", scope_id=subject)}
            rows: list[list[Any]] = []
            for k in names:
                value = _num(row.get(k))
                target = targets.get(k)
                rows.append([labels[k].get(locale), value, target,
                             value / target if value is not None and target else None])
            columns = [Column(Text("KPI", "指标"), "text"), Column(Text("Value", "实际"), "number"),
                       Column(Text("Target", "目标"), "number"),
                       Column(Text("Attainment", "达成率"), "percent")]
            chart = Chart(Text("Attainment by KPI", "各指标达成率"),
                          [r[0] for r in rows if r[3] is not None],
                          [r[3] for r in rows if r[3] is not None], "percent")
            name = rep["name"] or subject
            title = Text(f"Scorecard: {name}", f"评分卡：{name}")
        elif kind == "team":
            if subject is None:
                raise _needs_subject("team")
            session.require_team(subject)
            team = next(t for t in session.teams() if t["team_id"] == subject)
            members = session.workspace.session(Scope.team(subject)).reps()
            ids = [m["rep_id"] for m in members]
            by_rep = {r["rep_id"]: r for r in session.kpis(
                names, by="rep", period=period, subjects=ids).to_pylist()} if ids else {}
            rows = [[m["name"] or m["rep_id"], *(_num(by_rep.get(m["rep_id"], {}).get(k))
                                                 for k in names)] for m in members]
            columns = [Column(Text("Rep", "销售"), "text"),
                       *(Column(labels[k], formats[k]) for k in names)]
            first = names[0]
            chart = Chart(labels[first], [r[0] for r in rows], [r[1] for r in rows],
                          formats[first])
            name = team["name"] or subject
            title = Text(f"Team report: {name}", f"团队报告：{name}")
        elif kind == "executive":
            session.scope.require_everything("the executive report", "管理层报告")
            teams = session.teams()
            by_team = {r["team_id"]: r for r in session.kpis(names, by="team",
                                                              period=period).to_pylist()}
            company = session.kpis(names, by="company", period=period).to_pylist()
            rows = [[t["name"] or t["team_id"], *(_num(by_team.get(t["team_id"], {}).get(k))
                                                  for k in names)] for t in teams]
            total = company[0] if company else {}
            rows.append([Text("Company", "公司合计").get(locale),
                         *(_num(total.get(k)) for k in names)])
            columns = [Column(Text("Team", "团队"), "text"),
                       *(Column(labels[k], formats[k]) for k in names)]
            first = names[0]
            chart = Chart(labels[first], [r[0] for r in rows[:-1]], [r[1] for r in rows[:-1]],
                          formats[first])
            title = Text("Executive report", "管理层报告")
        else:
            from salescore.core.errors import ConfigError

            raise ConfigError(f"a report is rep, team or executive, not {kind!r}",
                              message_zh=f"报告类型应为 rep、team 或 executive，而非 {kind!r}")
        currency = session.workspace.settings.organisation.currency
        subtitle = Text(f"Period {period} · amounts in {currency}",
                        f"期间 {period} · 金额单位 {currency}")
        return Report(kind, title, subtitle, locale, columns, rows, chart)  # type: ignore[arg-type]

    def render(self, report: Report, format: str) -> bytes:
        """``report`` as ``pdf``, ``xlsx`` or ``html`` (UTF-8) bytes."""
        from salescore.realtime.reports import to_html, to_pdf, to_xlsx

        match format:
            case "pdf":
                return to_pdf(report)
            case "xlsx":
                return to_xlsx(report)
            case "html":
                return to_html(report).encode("utf-8")
        from salescore.core.errors import ConfigError

        raise ConfigError(f"a report is written as pdf, xlsx or html, not {format!r}",
                          message_zh=f"报告格式应为 pdf、xlsx 或 html，而非 {format!r}")


def _format_of(unit: str) -> Any:
    return {"money": "money", "ratio": "percent", "count": "count"}.get(unit, "number")


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _needs_subject(kind: str) -> Exception:
    from salescore.core.errors import ConfigError

    return ConfigError(f"a {kind} report needs its {kind} (--subject)",
                       message_zh=f"{kind} 报告需要指定对象（--subject）")


def _after_quiet(rule: AlertRule, now: datetime, zone: Any) -> datetime:
    """``now``, or the end of the rule's quiet hours when ``now`` falls in them."""
    from datetime import timedelta

    quiet = rule.quiet
    if quiet is None:
        return now
    local = now.astimezone(zone)
    if not quiet.holds(local.time()):
        return now
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)


class Realtime(_AlertsMixin, _ReportsMixin, SchedulesMixin, ScoresMixin):
    """Events, alerts, notifications, reports (and their schedules) and scores on arrival as
    ``session`` may use them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- events in ----------------------------------------------------------------------------
    def accept_events(self, payload: Any, *, actor: str = "api",
                      now: datetime | None = None) -> EventsOutcome:
        """Apply a batch of events (see :mod:`salescore.realtime.events`): the newest per
        record, through the import; the versions of the applied records kept in the app store
        once the warehouse has committed; the reps they touch noted for re-scoring
        (:meth:`rescore_touched`, which the server runs every few seconds). Needs the
        writable scope, as an import does."""
        self.session.scope.require_writes("sending events", "发送事件")
        parsed = parse_events(payload, now=now or datetime.now(UTC))
        received = len(parsed.events) + len({e.index for e in parsed.errors})
        stored: dict[tuple[str, str], datetime] = {}
        with self._app.session() as db:
            for name in {e.table for e in parsed.events}:
                keys = [e.key for e in parsed.events if e.table == name]
                stored.update({(name, k): at for k, at in stored_versions(db, name, keys).items()})
        plan = plan_batch(parsed.events, stored)
        errors = list(parsed.errors)
        apply = self._completed(plan.apply, errors)
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        accepted: dict[str, dict[str, datetime]] = {}
        applied: dict[str, list[Mapping[str, Any]]] = {}
        for name, members, data in arrow_rows(apply):
            try:
                result = self.session.import_arrow(name, data, name="events", actor=actor,
                                                   quality=False)
            except IngestError as exc:  # the group cannot be imported at all: each event told
                errors.extend(EventError(e.index, Text(exc.message, exc.message_zh or
                                                       exc.message)) for e in members)
                continue
            bad: set[int] = set()
            for reject in result.rejects.to_pylist():
                event = members[int(reject["row"]) - 1]
                bad.add(event.index)
                errors.append(EventError(event.index, Text(reject["reason"],
                                                           reject["reason_zh"]),
                                         reject["field"], reject["value"]))
            if not result.loaded:
                bad.update(e.index for e in members)
                continue
            for key in counts:
                counts[key] += int(getattr(result, key))
            for event in members:
                if event.index not in bad:
                    accepted.setdefault(name, {})[event.key] = event.at
                    applied.setdefault(name, []).append(event.row)
        with self._app.session() as db:
            for name, versions in accepted.items():
                record_versions(db, name, versions)
        if applied:
            self.touch(applied)
        errors.sort(key=lambda e: e.index)
        raised = self.check_alerts(now) if accepted and self._has_rules() else []
        return EventsOutcome(
            received=received, accepted=sum(len(v) for v in accepted.values()),
            superseded=len(plan.superseded), stale=len(plan.stale),
            duplicate=len(plan.duplicate), errors=errors, tables=tuple(sorted(accepted)),
            alerts=len(raised), **counts)

    def _completed(self, events: list[Event], errors: list[EventError]) -> list[Event]:
        """``events`` with the required columns a partial update leaves out (an opportunity's
        owner and creation time, when only its stage changed) taken from the stored record, so
        that the import, which asks every row for them, takes the update; an event that leaves
        them out of a record not stored is an error."""
        import ibis

        from salescore.workspace.session import unbound

        out: list[Event] = []
        wanting: dict[str, list[Event]] = {}
        for event in events:
            declared = table(event.table)
            derived = set(table_rule(event.table).derives)
            needed = [c.name for c in declared.columns
                      if c.required and c.name not in event.row and c.name not in derived]
            (wanting.setdefault(event.table, []) if needed else out).append(event)
        for name, members in wanting.items():
            declared = table(name)
            stored_rows: dict[str, dict[str, Any]] = {}
            expr = unbound(name)
            keys = [e.key for e in members]
            if len(declared.key) == 1:
                expr = expr.filter(expr[declared.key[0]].isin(keys))
            else:
                joined = ibis.literal("|").join([expr[k].cast("string") for k in declared.key])
                expr = expr.filter(joined.isin(keys))
            for row in self.session.runner.rows(expr):
                stored_rows["|".join(str(row[k]) for k in declared.key)] = row
            derived = set(table_rule(name).derives)
            required = [c.name for c in declared.columns
                        if c.required and c.name not in derived]
            for event in members:
                found = stored_rows.get(event.key)
                if found is None:
                    missing = [c for c in required if c not in event.row]
                    errors.append(EventError(event.index, Text(
                        f"{name} {event.key} is not stored, and the event has no "
                        f"{', '.join(missing)}",
                        f"{name} 中没有 {event.key}，且事件缺少 {', '.join(missing)}"),
                        missing[0], ""))
                    continue
                row = dict(event.row)
                for column in required:
                    if column not in row:
                        row[column] = _as_sent(found[column])
                out.append(Event(event.index, event.table, row, event.key, event.at))
        out.sort(key=lambda e: e.index)
        return out


def _as_sent(value: Any) -> Any:
    """A stored value as an event would send it: a warehouse time (naive UTC) with its zone."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    return value

"""Report schedules in use (issue 14, part 5): set as data (:mod:`salescore.realtime.schedules`,
checked with file:line), and run when due: the report made in each format and in each
language its readers read, kept under ``<home>/reports/<schedule>/``, and announced with a link
to each reader in their language over the schedule's channels (then sent as any delivery,
with retries and the dead-letter list).

The server's scheduler (APScheduler, :mod:`salescore.app.realtime_tasks`) calls
:meth:`SchedulesMixin.run_due_schedules` every minute; a schedule is due when its cron has a
time after its last run (or after it was set) that is not after now. Time is passed in, so
that tests run it on a fake clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from salescore.core.text import Text

if TYPE_CHECKING:
    from salescore.realtime.schedules import ReportSchedule
    from salescore.workspace.session import Session

__all__ = ["ScheduleInfo", "ScheduleRun", "SchedulesMixin"]

_KIND = {"rep": Text("scorecard report", "评分卡报告"), "team": Text("team report", "团队报告"),
         "executive": Text("executive report", "管理层报告")}


@dataclass(frozen=True)
class ScheduleRun:
    """What one run of a schedule did: the period reported, the files kept, the deliveries
    queued, and what failed (a subject the report cannot be made for, told per subject)."""

    name: str
    period: str
    files: tuple[Path, ...] = ()
    queued: int = 0
    errors: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ScheduleInfo:
    """A stored schedule as the admin sees it."""

    schedule: ReportSchedule
    since: datetime
    last_run_at: datetime | None
    last_error: str | None
    next_run_at: datetime | None


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


class SchedulesMixin:
    """Report schedules (mixed into :class:`~salescore.workspace.realtime.Realtime`)."""

    session: Session

    if TYPE_CHECKING:  # from the other mixins of Realtime
        _app: Any

        @property
        def base_url(self) -> str: ...

        def _audience(self, db: Any, rule: Any, subject: str) -> list[Any]: ...
        def report(self, kind: str, *, period: str, subject: str | None = None,
                   locale: str | None = None) -> Any: ...
        def render(self, report: Any, format: str) -> bytes: ...

    def set_schedules(self, text: str, *, file: str = "<schedules>", actor: str = "api",
                      now: datetime | None = None) -> tuple[list[str], list[str], list[str]]:
        """Validate a report schedules document (every problem at file:line:
        :class:`~salescore.realtime.schedules.SchedulesError`) and make its schedules the
        stored ones; audited. The names added, changed and removed."""
        from salescore.appstore.realtime import replace_schedules
        from salescore.realtime.schedules import parse_schedules

        self.session.scope.require_writes("changing report schedules", "修改报告计划")
        schedules = parse_schedules(text, file=file)
        with self._app.session() as db:
            return replace_schedules(db, {s.name: s.model_dump(mode="json") for s in schedules},
                                     actor, now=now and _aware(now))

    def schedules(self, now: datetime | None = None) -> list[ScheduleInfo]:
        """The stored schedules, by name, with their last and next runs (the admin's)."""
        from salescore.appstore.realtime import stored_schedules
        from salescore.realtime.schedules import ReportSchedule, next_run

        self.session.scope.require_writes("the report schedules", "报告计划")
        zone = self.session.workspace.settings.calendar.zone
        now = _aware(now or datetime.now(UTC))
        out = []
        with self._app.session() as db:
            for row in stored_schedules(db):
                spec = ReportSchedule.model_validate(row.spec)
                last = row.last_run_at and _aware(row.last_run_at)
                after = max(_aware(row.since), last or _aware(row.since), now)
                out.append(ScheduleInfo(spec, _aware(row.since), last, row.last_error,
                                        next_run(spec, after, zone) if spec.enabled else None))
        return out

    def run_due_schedules(self, now: datetime | None = None) -> list[ScheduleRun]:
        """Run every enabled schedule whose cron has a time after its last run (or after it
        was set) that is not after ``now``: once, however many times it missed. The runs."""
        from salescore.appstore.realtime import stored_schedules
        from salescore.realtime.schedules import ReportSchedule, next_run

        self.session.scope.require_writes("sending reports", "发送报告")
        now = _aware(now or datetime.now(UTC))
        zone = self.session.workspace.settings.calendar.zone
        due: list[ReportSchedule] = []
        with self._app.session() as db:
            for row in stored_schedules(db):
                if not row.enabled:
                    continue
                spec = ReportSchedule.model_validate(row.spec)
                since = _aware(row.since)
                base = max(since, _aware(row.last_run_at)) if row.last_run_at else since
                when = next_run(spec, base, zone)
                if when is not None and when <= now:
                    due.append(spec)
        runs = []
        for spec in due:
            done = self.run_schedule(spec, now)
            with self._app.session() as db:
                row = next(r for r in stored_schedules(db) if r.name == spec.name)
                row.last_run_at = now
                row.last_error = "; ".join(done.errors)[:2000] or None
            runs.append(done)
        return runs

    def run_schedule(self, spec: ReportSchedule, now: datetime | None = None) -> ScheduleRun:
        """Make and announce ``spec``'s report now (what a due schedule does; also on
        demand). The period is the one ``spec.period`` names on ``now``'s local day."""
        from salescore.appstore.realtime import find_channel
        from salescore.core.errors import SalescoreError

        now = _aware(now or datetime.now(UTC))
        calendar = self.session.workspace.settings.calendar
        period = str(calendar.relative(spec.period, now.astimezone(calendar.zone).date()))
        folder = self.session.workspace.locations.home / "reports" / spec.name
        folder.mkdir(parents=True, exist_ok=True)
        files: list[Path] = []
        errors: list[str] = []
        queued = 0
        for subject in self._subjects(spec):
            audience_of = SimpleNamespace(
                subject={"rep": "rep", "team": "team"}.get(spec.report, "company"),
                audience=spec.audience)
            with self._app.session() as db:
                people = self._audience(db, audience_of, subject or "company")
                robots: list[tuple[str, str, str]] = []
                for channel in spec.channels:
                    kind, _, name = channel.partition(":")
                    if name:
                        robot = find_channel(db, name)
                        robots.append((kind, name, robot.locale if robot is not None
                                       else self.session.locale))
                people_info = [(u.username, u.email, u.locale) for u in people]
            locales = {loc for _, _, loc in people_info} | {loc for *_, loc in robots} \
                or {self.session.locale}
            made: dict[str, Any] = {}
            try:
                for locale in sorted(locales):
                    report = self.report(spec.report, period=period, subject=subject,
                                         locale=locale)
                    made[locale] = report
                    for fmt in spec.formats:
                        path = folder / (f"{spec.report}-{subject or 'company'}-{period}-"
                                         f"{_tag(locale)}.{fmt}")
                        path.write_bytes(self.render(report, fmt))
                        files.append(path)
            except SalescoreError as exc:
                errors.append(f"{subject or 'company'}: {exc.message}")
                continue
            query = {"period": period, **({"subject": subject} if subject else {})}
            links: dict[str, str] = {fmt: f"{self.base_url}/api/v1/reports/{spec.report}?"
                          f"{urlencode({**query, 'format': fmt})}" for fmt in spec.formats}
            title = next(iter(made.values())).title
            with self._app.session() as db:
                queued += _announce(db, spec, period, title, links, people_info, robots, now)
        return ScheduleRun(spec.name, period, tuple(files), queued, tuple(errors))

    def _subjects(self, spec: ReportSchedule) -> list[str | None]:
        if spec.report == "executive":
            return [None]
        if spec.subject != "each":
            return [spec.subject]
        if spec.report == "rep":
            return [r["rep_id"] for r in self.session.reps() if r.get("active") is not False]
        return [t["team_id"] for t in self.session.teams()]


def _words(spec: ReportSchedule, period: str, title: Text, links: dict[str, str],
           locale: str) -> tuple[str, str]:
    """The title and body of a schedule's message in ``locale``."""
    listed = ", ".join(f"{fmt.upper()} {links[fmt]}" for fmt in spec.formats)
    name = spec.describe()
    if locale.lower().startswith("zh"):
        return (f"{name.zh}：{title.zh}（{period}）",
                f"{_KIND[spec.report].zh}（{period}）已生成：{listed}")
    return (f"{name.en}: {title.en} ({period})",
            f"The {_KIND[spec.report].en} for {period} is ready: {listed}")


def _announce(db: Any, spec: ReportSchedule, period: str, title: Text, links: dict[str, str],
              people: list[tuple[str, str | None, str]], robots: list[tuple[str, str, str]],
              now: datetime) -> int:
    """Queue a schedule's messages: in-app and e-mail to each reader, in their language, and
    once to each group robot in its own; the number queued."""
    from salescore.appstore.realtime_models import Delivery

    queued = 0

    def add(channel: str, target: str, locale: str) -> None:
        nonlocal queued
        subject, body = _words(spec, period, title, links, locale)
        db.add(Delivery(channel=channel, target=target, locale=locale, title=subject,
                        body=body, link=links[spec.formats[0]], status="pending", attempts=0,
                        next_attempt_at=now))
        queued += 1

    for channel in spec.channels:
        if channel == "inapp":
            for username, _, locale in people:
                add("inapp", username, locale)
        elif channel == "email":
            for _, email, locale in people:
                if email:
                    add("email", email, locale)
    for kind, name, locale in robots:
        add(kind, name, locale)
    return queued


def _tag(locale: str) -> str:
    return "zh-CN" if locale.lower().startswith("zh") else "en"

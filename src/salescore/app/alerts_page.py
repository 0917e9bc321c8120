"""The Alerts page (``/alerts``, issue 14): the caller's in-app notifications and the alerts
their scope reaches, refreshed without a reload (htmx polls ``/alerts/feed``); for an admin,
the alert rules and the report schedules to edit (each checked with file:line, the schedules
with their last and next runs), the group robots (never their URL or secret) and the
dead-letter list with a button to send each again. In English and Chinese.

Every read goes through the caller's session, whose scope decides what comes back; the forms
carry the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from salescore.app.dashboards import forbidden_page
from salescore.app.deps import app_state, require_csrf
from salescore.app.pages import render, signed_in, to_login
from salescore.app.problems import CsrfFailed
from salescore.core.errors import SalescoreError
from salescore.core.scope import AccessError
from salescore.workspace import RulesError, SchedulesError, Session

router = APIRouter(include_in_schema=False)


@dataclass
class AlertsView:
    inbox: list[Any]
    alerts: list[Any]
    admin: bool
    rules_text: str = ""
    channels: list[tuple[str, str, str, bool]] = field(default_factory=list)
    dead: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    saved: str | None = None
    schedules_text: str = ""
    schedules: list[Any] = field(default_factory=list)
    schedule_errors: list[str] = field(default_factory=list)
    schedules_saved: str | None = None


def _rules_text(session: Session) -> str:
    rules = [r.model_dump(mode="json", exclude_defaults=True) for r in session.realtime.rules()]
    return yaml.safe_dump({"rules": rules}, allow_unicode=True, sort_keys=False) if rules \
        else "rules: []\n"


def _schedules_text(infos: list[Any]) -> str:
    found = [i.schedule.model_dump(mode="json", exclude_defaults=True) for i in infos]
    return yaml.safe_dump({"schedules": found}, allow_unicode=True, sort_keys=False) if found \
        else "schedules: []\n"


def alerts_view(session: Session, username: str, admin: bool) -> AlertsView:
    rt = session.realtime
    view = AlertsView(inbox=rt.inbox(username), alerts=rt.alerts(limit=50), admin=admin)
    if admin:
        view.schedules = rt.schedules()
        view.schedules_text = _schedules_text(view.schedules)
        view.rules_text = _rules_text(session)
        view.channels = rt.channels()
        view.dead = rt.deliveries(status="dead")
    return view


async def _view(request: Request) -> tuple[Any, AlertsView] | Response:
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    state = app_state(request)
    p = caller.principal
    try:
        scope = p.scope()
        async with state.lock:
            view = await run_in_threadpool(lambda: alerts_view(
                state.workspace.session(scope), p.username, p.is_admin))
    except AccessError:
        return forbidden_page(request, caller)
    return caller, view


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request) -> Response:
    got = await _view(request)
    if isinstance(got, Response):
        return got
    caller, view = got
    return render(request, "alerts.html", caller.principal.locale, caller=caller, view=view)


@router.get("/alerts/feed", response_class=HTMLResponse)
async def alerts_feed(request: Request) -> Response:
    """The notifications and alerts alone: what the page polls."""
    got = await _view(request)
    if isinstance(got, Response):
        return got
    caller, view = got
    return render(request, "_alerts_feed.html", caller.principal.locale, caller=caller,
                  view=view)


@router.post("/alerts/rules", response_class=HTMLResponse)
async def save_rules(request: Request) -> Response:
    return await _save_document(
        request, field="rules", file="rules.yaml", refused=RulesError,
        apply=lambda session, text, file, actor: session.realtime.set_rules(
            text, file=file, actor=actor),
        shown=("errors", "saved", "rules_text"))


@router.post("/alerts/schedules", response_class=HTMLResponse)
async def save_schedules(request: Request) -> Response:
    return await _save_document(
        request, field="schedules", file="schedules.yaml", refused=SchedulesError,
        apply=lambda session, text, file, actor: session.realtime.set_schedules(
            text, file=file, actor=actor),
        shown=("schedule_errors", "schedules_saved", "schedules_text"))


async def _save_document(request: Request, *, field: str, file: str,
                         refused: type[RulesError] | type[SchedulesError],
                         apply: Callable[[Session, str, str, str], tuple[Any, Any, Any]],
                         shown: tuple[str, str, str]) -> Response:
    """Save the YAML document of form ``field`` (alert rules or report schedules) with
    ``apply``; the page again with what was saved, or the document's errors (422) beside
    the text as sent. ``shown``: the view's fields of the errors, the counts and the text."""
    caller = await signed_in(request)
    if caller is None or caller.web is None:
        return to_login(request)
    state = app_state(request)
    p = caller.principal
    try:
        await require_csrf(request, caller.web)
    except CsrfFailed:
        return forbidden_page(request, caller)
    text = str((await request.form()).get(field, ""))
    scope = p.scope()
    errors_field, saved_field, text_field = shown

    def save(session: Session) -> AlertsView:
        errors: list[str] = []
        saved = None
        try:
            added, changed, removed = apply(session, text, file, p.username)
            saved = f"+{len(added)} ~{len(changed)} -{len(removed)}"
        except refused as exc:
            errors = [issue.localized(p.locale) for issue in exc.issues]
        view = alerts_view(session, p.username, p.is_admin)
        setattr(view, errors_field, errors)
        setattr(view, saved_field, saved)
        if errors:
            setattr(view, text_field, text)
        return view

    try:
        async with state.lock:
            view = await run_in_threadpool(lambda: save(state.workspace.session(scope)))
    except AccessError:
        return forbidden_page(request, caller)
    state.cache.clear()
    return render(request, "alerts.html", p.locale, caller=caller, view=view,
                  status=422 if getattr(view, errors_field) else 200)


@router.post("/alerts/deliveries/{delivery_id}/resend")
async def resend(request: Request, delivery_id: int) -> Response:
    caller = await signed_in(request)
    if caller is None or caller.web is None:
        return to_login(request)
    state = app_state(request)
    p = caller.principal
    try:
        await require_csrf(request, caller.web)
        scope = p.scope()
        async with state.lock:
            await run_in_threadpool(lambda: _resend(state.workspace.session(scope),
                                                    delivery_id, p.username))
    except (CsrfFailed, AccessError):
        return forbidden_page(request, caller)
    except SalescoreError:
        return RedirectResponse("/alerts#dead", status_code=303)
    return RedirectResponse("/alerts#dead", status_code=303)


def _resend(session: Session, delivery_id: int, actor: str) -> None:
    session.realtime.resend(delivery_id, actor=actor)
    session.realtime.dispatch()

"""Alerts (issue 14): the rules (read by every role, changed by an admin), the alerts the
caller's scope reaches, the caller's in-app notifications, and, for an admin, the group robots
(never their URL or secret) and the deliveries with the dead-letter list and resending."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from salescore.app.deps import LocaleDep, PrincipalDep, SessionDep, StateDep
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.routes.events import now_of

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)


class AlertOut(BaseModel):
    id: int
    rule: str
    subject_kind: str
    subject_id: str
    period: str
    value: float | None
    threshold: float | None
    title: str
    body: str
    link: str
    raised_at: datetime
    deliver_after: datetime
    status: str


class DeliveryOut(BaseModel):
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


class RulesIn(BaseModel):
    yaml: str = Field(max_length=200_000, description="An alert rules document (YAML)")


class RulesChangeOut(BaseModel):
    added: list[str]
    changed: list[str]
    removed: list[str]


class ChannelIn(BaseModel):
    kind: Literal["wecom", "dingtalk", "feishu"]
    url: str = Field(max_length=1000)
    secret: str | None = Field(default=None, max_length=500)
    locale: Literal["en", "zh_CN"] = "zh_CN"


class ChannelOut(BaseModel):
    name: str
    kind: str
    locale: str
    signed: bool


class CheckOut(BaseModel):
    raised: int
    sent: int
    retrying: int
    dead: int


def _alert(a: Any, locale: str) -> AlertOut:
    return AlertOut(id=a.id, rule=a.rule, subject_kind=a.subject_kind, subject_id=a.subject_id,
                    period=a.period, value=a.value, threshold=a.threshold,
                    title=a.title.get(locale), body=a.body.get(locale), link=a.link,
                    raised_at=a.raised_at, deliver_after=a.deliver_after, status=a.status)


def _delivery(d: Any) -> DeliveryOut:
    return DeliveryOut(id=d.id, alert_id=d.alert_id, channel=d.channel, target=d.target,
                       locale=d.locale, title=d.title, body=d.body, link=d.link,
                       status=d.status, attempts=d.attempts, next_attempt_at=d.next_attempt_at,
                       last_error=d.last_error, sent_at=d.sent_at)


@router.get("", response_model=list[AlertOut], summary="The alerts the caller's scope reaches")
def alerts(session: SessionDep, locale: LocaleDep,
           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AlertOut]:
    return [_alert(a, locale) for a in session.realtime.alerts(limit=limit)]


@router.get("/rules", summary="The alert rules")
def rules(session: SessionDep) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in session.realtime.rules()]


@router.put("/rules", response_model=RulesChangeOut,
            summary="Replace the alert rules with a YAML document (checked; audited)")
def set_rules(session: SessionDep, principal: PrincipalDep, body: RulesIn) -> RulesChangeOut:
    added, changed, removed = session.realtime.set_rules(body.yaml, file="rules.yaml",
                                                         actor=principal.username)
    return RulesChangeOut(added=added, changed=changed, removed=removed)


@router.post("/check", response_model=CheckOut,
             summary="Check the rules now and send what is due (admin)")
def check(session: SessionDep, state: StateDep) -> CheckOut:
    raised = session.realtime.check_alerts(now_of(state))
    done = session.realtime.dispatch(now_of(state))
    return CheckOut(raised=len(raised), sent=done.sent, retrying=done.retrying, dead=done.dead)


@router.get("/inbox", response_model=list[DeliveryOut],
            summary="The caller's in-app notifications")
def inbox(session: SessionDep, principal: PrincipalDep) -> list[DeliveryOut]:
    return [_delivery(d) for d in session.realtime.inbox(principal.username)]


@router.get("/deliveries", response_model=list[DeliveryOut],
            summary="Deliveries; status=dead is the dead-letter list (admin)")
def deliveries(session: SessionDep,
               status: Annotated[Literal["pending", "sent", "dead"] | None, Query()] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[DeliveryOut]:
    return [_delivery(d) for d in session.realtime.deliveries(status=status, limit=limit)]


@router.post("/deliveries/{delivery_id}/resend", response_model=DeliveryOut,
             summary="Queue a delivery again (admin; audited)")
def resend(session: SessionDep, principal: PrincipalDep,
           delivery_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> DeliveryOut:
    return _delivery(session.realtime.resend(delivery_id, actor=principal.username))


@router.get("/channels", response_model=list[ChannelOut],
            summary="The group robots (never their URL or secret; admin)")
def channels(session: SessionDep) -> list[ChannelOut]:
    return [ChannelOut(name=n, kind=k, locale=loc, signed=s)
            for n, k, loc, s in session.realtime.channels()]


@router.put("/channels/{name}", response_model=ChannelOut,
            summary="Add or replace a group robot (stored encrypted; admin; audited)")
def set_channel(session: SessionDep, principal: PrincipalDep,
                name: Annotated[str, Path(pattern=r"^[\w.-]{1,64}$")], body: ChannelIn
                ) -> ChannelOut:
    session.realtime.add_channel(name, body.kind, body.url, secret=body.secret,
                                 locale=body.locale, actor=principal.username)
    return ChannelOut(name=name, kind=body.kind, locale=body.locale, signed=bool(body.secret))

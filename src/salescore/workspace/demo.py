"""The demo organisation's names for callers of the workspace, imported only when the demo is
wanted (the generator brings Faker and NumPy, which other commands do not need), and the demo's
log-ins: one person of each role, linked to real people of the demo organisation.

The log-ins are made (or, on a rebuilt demo, given new passwords) by :func:`demo_logins`, which
picks from the organisation as loaded: the head of the top team as the executive, the head of
its first region as a manager of that subtree, and an individual seller in a team under that
region as a rep (one who has a score in a given period, where one is given); with an admin beside
them. Passwords are random and shown once, by the caller.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from salescore.core.access import Role
from salescore.demo import DemoConfig, demo_settings, write_parquet
from salescore.demo.config import parse_end

if TYPE_CHECKING:
    from salescore.workspace.workspace import Workspace

__all__ = ["DemoConfig", "DemoLogin", "demo_logins", "demo_settings", "parse_end",
           "write_parquet"]


@dataclass(frozen=True)
class DemoLogin:
    """One demo log-in: its user name and password, role, and the person or team it is."""

    username: str
    password: str
    role: Role
    who: str
    rep_id: str | None = None
    team_id: str | None = None


def _pick(ws: Workspace, period: str | None) -> list[tuple[str, Role, str, dict[str, Any]]]:
    session = ws.owner()
    scored = {s.subject_id for s in session.stored_scores(period, subject_kind="rep")
              if s.score is not None} if period else set()
    teams = session.teams()
    reps = [r for r in session.reps() if r.get("active") is not False]
    parents = {t["team_id"]: t.get("parent_team_id") for t in teams}
    top = next((t for t in teams if t.get("parent_team_id") is None), None)
    if top is None or not reps:
        return []
    region = next((t for t in teams if t.get("parent_team_id") == top["team_id"]), top)

    def head_of(team_id: str) -> dict[str, Any] | None:
        return next((r for r in reps if r["team_id"] == team_id), None)

    under_region = [r for r in reps if r["team_id"] != region["team_id"]
                    and parents.get(r["team_id"]) == region["team_id"]]
    sellers = [r for r in under_region if r is not head_of(r["team_id"])] or under_region
    seller = next((r for r in sellers if r["rep_id"] in scored),
                  sellers[0] if sellers else reps[-1])
    picked: list[tuple[str, Role, str, dict[str, Any]]] = [("admin", "admin", "admin", {})]
    executive = head_of(top["team_id"])
    if executive is not None:
        picked.append(("executive", "executive", executive["name"],
                       {"rep_id": executive["rep_id"]}))
    manager = head_of(region["team_id"])
    picked.append(("manager", "manager",
                   f"{manager['name'] if manager else region['name']} ({region['name']})",
                   {"team_id": region["team_id"],
                    "rep_id": manager["rep_id"] if manager else None}))
    picked.append(("rep", "rep", seller["name"], {"rep_id": seller["rep_id"]}))
    return picked


def demo_logins(ws: Workspace, *, period: str | None = None) -> list[DemoLogin]:
    """Make the demo's log-ins in ``ws`` (new passwords for any that exist already); with
    ``period``, the rep is one with a score in that period."""
    accounts = ws.accounts
    owner = accounts.owner()
    known = {u.username for u in accounts.users(owner)}
    made = []
    for username, role, who, links in _pick(ws, period):
        password = secrets.token_urlsafe(9)
        rep_id, team_id = links.get("rep_id"), links.get("team_id")
        if username in known:
            accounts.update_user(owner, username, role=role, display_name=who, rep_id=rep_id,
                                 team_id=team_id, active=True)
            accounts.reset_password(owner, username, password)
        else:
            accounts.add_user(owner, username=username, password=password, role=role,
                              display_name=who, rep_id=rep_id, team_id=team_id)
        made.append(DemoLogin(username, password, role, who, rep_id, team_id))
    return made

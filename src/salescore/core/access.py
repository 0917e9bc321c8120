"""Who is asking: a person with a role, and the scope that role gives them.

The web app and scripts act for a :class:`Principal` (a user of the app store, signed in or using
an API token). Their role decides their :class:`~salescore.core.scope.Scope`, in one place:

* ``rep``: their own records and scores (read only);
* ``manager``: the whole subtree of their team, sub-teams included; they may set its targets
  and change nothing else;
* ``executive``: everything, read only;
* ``admin``: everything, and may change it (imports, scoring, plans, targets, users).

A rep without a linked rep id, or a manager without a team, reaches nothing: asking for their
scope is an :class:`AccessError`, not an empty everything.

>>> Principal(1, "ann", "Ann", "en", "manager", team_id="T01").scope()
Scope(kind='team', subject='T01', read_only=False)
>>> Principal(1, "ann", "Ann", "en", "manager", team_id="T01").scope().allows_writes
False
>>> Principal(2, "root", "Root", "en", "admin").scope().allows_writes
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from salescore.core.scope import AccessError, Scope

__all__ = ["ROLES", "Principal", "Role"]

Role = Literal["rep", "manager", "executive", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


@dataclass(frozen=True, slots=True)
class Principal:
    """A person the app acts for: their user id and name, locale, role and link to the
    organisation (the rep they are, the team they manage)."""

    user_id: int
    username: str
    display_name: str
    locale: str
    role: Role
    rep_id: str | None = None
    team_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def scope(self) -> Scope:
        """The scope this person's role gives them (see the module's description)."""
        match self.role:
            case "admin":
                return Scope.everything(read_only=False)
            case "executive":
                return Scope.everything(read_only=True)
            case "manager":
                if self.team_id is None:
                    raise AccessError(
                        f"{self.username} is a manager without a team: they see nothing until an "
                        "admin links them to one",
                        message_zh=f"{self.username} 是未关联团队的经理："
                        "管理员关联团队前无可见数据")
                return Scope.team(self.team_id, read_only=False)
            case "rep":
                if self.rep_id is None:
                    raise AccessError(
                        f"{self.username} is a rep without a linked rep id: they see nothing "
                        "until an admin links them to one",
                        message_zh=f"{self.username} 是未关联销售编号的销售："
                        "管理员关联前无可见数据")
                return Scope.rep(self.rep_id, read_only=True)

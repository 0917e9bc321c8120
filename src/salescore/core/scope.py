"""Whose data a caller may see: everything, one team with its whole subtree, or one rep.

A scope is asked for by every read of the workspace (``ws.session(scope)``) and applied in one
place, the engine's runner, which filters each canonical table by the column that says whose a
row is (declared with the table, :class:`salescore.model.tables.Owner`). The CLI runs with the
everything-scope of the data folder's owner; the web app gives each user the scope of their role.

>>> Scope.rep("R00011")
Scope(kind='rep', subject='R00011', read_only=True)
>>> Scope.team("T01").describe("zh-CN")
'团队 T01 及其下属团队（只读）'
>>> Scope.everything(read_only=False).allows_writes
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from salescore.core.errors import SalescoreError
from salescore.core.text import is_chinese

__all__ = ["AccessError", "OutOfScope", "Scope", "ScopeKind"]

ScopeKind = Literal["everything", "team", "rep"]


class AccessError(SalescoreError):
    """The caller's scope does not reach what was asked for (a subject, a write)."""


class OutOfScope(AccessError):
    """A record asked for by its id (a rep, a team) is not one the scope reaches, or does not
    exist: the two are told alike, so that a caller learns nothing of what lies outside their
    scope. The web app answers it with 404, a denied action (any other :class:`AccessError`)
    with 403."""


@dataclass(frozen=True, slots=True)
class Scope:
    """``everything``; ``team`` (``subject`` is a team id: that team and every team under it);
    ``rep`` (``subject`` is a rep id). A ``read_only`` scope changes nothing; a writable one
    may set the targets of the reps and teams it reaches (a rep's scope excepted: nobody sets
    their own target), and only the writable everything-scope may change what concerns the
    whole organisation (imports, scoring, plans, settings)."""

    kind: ScopeKind
    subject: str | None = None
    read_only: bool = True

    def __post_init__(self) -> None:
        if (self.kind == "everything") != (self.subject is None):
            raise ValueError(f"a {self.kind} scope {'takes no' if self.subject else 'needs a'} "
                             "subject")

    @classmethod
    def everything(cls, *, read_only: bool = True) -> Scope:
        return cls("everything", None, read_only)

    @classmethod
    def team(cls, team_id: str, *, read_only: bool = True) -> Scope:
        return cls("team", team_id, read_only)

    @classmethod
    def rep(cls, rep_id: str, *, read_only: bool = True) -> Scope:
        return cls("rep", rep_id, read_only)

    @property
    def is_everything(self) -> bool:
        return self.kind == "everything"

    @property
    def allows_writes(self) -> bool:
        """Whether this scope may change the organisation's data: only the unrestricted,
        writable scope (imports, scoring, plans and targets concern everyone)."""
        return self.is_everything and not self.read_only

    @property
    def sets_targets(self) -> bool:
        """Whether this scope may set targets, of the reps and teams it reaches: the writable
        everything-scope (an admin's) and a writable team scope (a manager's, their subtree)."""
        return not self.read_only and self.kind != "rep"

    def describe(self, locale: str = "en") -> str:
        """What the scope reaches, in ``locale`` (en or zh-CN)."""
        zh = is_chinese(locale)
        match self.kind:
            case "everything":
                text = "全部数据" if zh else "everything"
            case "team":
                text = f"团队 {self.subject} 及其下属团队" if zh else \
                    f"team {self.subject} and the teams under it"
            case "rep":
                text = f"销售 {self.subject} 本人" if zh else f"rep {self.subject} alone"
        if self.read_only:
            text += "（只读）" if zh else " (read only)"
        elif self.kind == "team":
            text += "（可设定目标）" if zh else " (targets may be set)"
        return text

    def require_writes(self, action: str, action_zh: str) -> None:
        """Raise :class:`AccessError` unless this scope may change data (``action`` names what
        was attempted, in both languages)."""
        if not self.allows_writes:
            raise AccessError(
                f"{action} needs write access to everything; this session sees "
                f"{self.describe('en')}",
                message_zh=f"{action_zh}需要对全部数据的写权限；当前会话范围：{self.describe('zh')}")

    def require_target_writes(self) -> None:
        """Raise :class:`AccessError` unless this scope may set targets (:attr:`sets_targets`);
        whether the rep or team is within reach is the session's check."""
        if not self.sets_targets:
            raise AccessError(
                f"setting a target needs an admin's or a manager's scope; this session sees "
                f"{self.describe('en')}",
                message_zh=f"设定目标需要管理员或经理的权限；当前会话范围：{self.describe('zh')}")

    def require_everything(self, action: str, action_zh: str) -> None:
        """Raise :class:`AccessError` unless this scope reaches the whole organisation (work
        whose result depends on everyone: ranks, medians, data quality)."""
        if not self.is_everything:
            raise AccessError(
                f"{action} covers the whole organisation; this session sees "
                f"{self.describe('en')}",
                message_zh=f"{action_zh}涉及全部数据；当前会话范围：{self.describe('zh')}")

"""Users and API tokens (admins; a user may list, issue and revoke their own tokens).

Who may do what is the accounts' to decide (``ws.accounts`` refuses a non-admin with an
:class:`~salescore.core.scope.AccessError`, 403); the routes only pass the caller on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.exceptions import RequestValidationError

from salescore.app.deps import PrincipalDep, StateDep
from salescore.app.pagination import CursorQuery, LimitQuery, paginate
from salescore.app.problems import PROBLEM_RESPONSES
from salescore.app.schemas import (
    Page,
    TokenIn,
    TokenIssued,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from salescore.workspace.accounts import TokenInfo, UserInfo

router = APIRouter(tags=["users"], responses=PROBLEM_RESPONSES)

UsernamePath = Annotated[str, Path(min_length=1, max_length=64)]


def _user(info: UserInfo) -> UserOut:
    return UserOut(username=info.username, display_name=info.display_name, email=info.email,
                   locale=info.locale, role=info.role, rep_id=info.rep_id,
                   team_id=info.team_id, active=info.active, created_at=info.created_at)


def _token(info: TokenInfo) -> dict[str, Any]:
    return {"id": info.token_id, "name": info.name, "prefix": info.prefix,
            "username": info.username, "created_at": info.created_at,
            "expires_at": info.expires_at, "last_used_at": info.last_used_at,
            "revoked_at": info.revoked_at}


@router.get("/users", response_model=Page[UserOut], summary="Users (admins)")
def users(state: StateDep, principal: PrincipalDep, limit: LimitQuery = 100,
          cursor: CursorQuery = None,
          role: Annotated[str | None, Query(pattern=r"^(rep|manager|executive|admin)$")] = None,
          active: bool | None = None) -> Page[UserOut]:
    found = [u for u in state.accounts.users(principal)
             if (role is None or u.role == role) and (active is None or u.active == active)]
    items, next_cursor = paginate(found, limit=limit, cursor=cursor, list_name="users")
    return Page[UserOut](items=[_user(u) for u in items], next_cursor=next_cursor)


@router.post("/users", response_model=UserOut, status_code=201, summary="Add a user (admins)")
def add_user(state: StateDep, principal: PrincipalDep, body: UserIn) -> UserOut:
    return _user(state.accounts.add_user(
        principal, username=body.username, password=body.password, role=body.role,
        display_name=body.display_name, email=body.email, locale=body.locale,
        rep_id=body.rep_id, team_id=body.team_id))


@router.get("/users/{username}", response_model=UserOut, summary="One user (admins)")
def user(state: StateDep, principal: PrincipalDep, username: UsernamePath) -> UserOut:
    return _user(state.accounts.user(principal, username))


_NOT_NULL = ("role", "locale", "active")


@router.patch("/users/{username}", response_model=UserOut,
              summary="Change a user (admins; audited)")
def update_user(state: StateDep, principal: PrincipalDep, username: UsernamePath,
                body: UserPatch) -> UserOut:
    given = body.model_fields_set - {"password", "reason"}
    nulls = [name for name in _NOT_NULL if name in given and getattr(body, name) is None]
    if nulls:
        raise RequestValidationError([{"type": "value_error", "loc": ("body", name),
                                       "msg": "may be changed but not cleared", "input": None}
                                      for name in nulls])
    accounts = state.accounts
    if "password" in body.model_fields_set and body.password is not None:
        accounts.reset_password(principal, username, body.password)
    fields: dict[str, Any] = {name: getattr(body, name) for name in given}
    if fields or "password" not in body.model_fields_set:
        return _user(accounts.update_user(principal, username, reason=body.reason, **fields))
    return _user(accounts.user(principal, username))


@router.post("/users/{username}/tokens", response_model=TokenIssued, status_code=201,
             summary="Issue an API token (its secret is shown once)")
def issue_token(state: StateDep, principal: PrincipalDep, username: UsernamePath,
                body: TokenIn) -> TokenIssued:
    info, secret = state.accounts.issue_token(principal, username, body.name, days=body.days)
    return TokenIssued(**_token(info), secret=secret)


@router.get("/tokens", response_model=Page[TokenOut],
            summary="API tokens (an admin's: everyone's; anyone else's: their own)")
def tokens(state: StateDep, principal: PrincipalDep,
           username: Annotated[str | None, Query(max_length=64)] = None,
           limit: LimitQuery = 100, cursor: CursorQuery = None) -> Page[TokenOut]:
    found = state.accounts.tokens(principal, username)
    items, next_cursor = paginate(found, limit=limit, cursor=cursor, list_name="tokens")
    return Page[TokenOut](items=[TokenOut(**_token(t)) for t in items],
                          next_cursor=next_cursor)


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke an API token")
def revoke_token(state: StateDep, principal: PrincipalDep,
                 token_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> TokenOut:
    return TokenOut(**_token(state.accounts.revoke_token(principal, token_id)))

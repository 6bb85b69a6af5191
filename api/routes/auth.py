from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import BackendsDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from records.access import Role
from records.services.catalogue import authenticate

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MePublic(BaseModel):
    username: str
    full_name: str
    agency_code: str
    roles: list[Role]
    reachable_agencies: list[str]


@router.post("/token", response_model=TokenPublic, summary="Đăng nhập (OAuth2 password flow)")
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], backends: BackendsDep, uow: UowDep) -> TokenPublic:
    principal = authenticate(uow=uow, hasher=backends.hasher, username=form.username.strip().lower(),
                             password=form.password)
    issued = backends.tokens.issue(principal)
    return TokenPublic(access_token=issued.token,
                       expires_in=int(backends.settings.access_token_minutes * 60))


@router.get("/me", response_model=MePublic, summary="Người dùng hiện tại")
def me(user: CurrentUser) -> MePublic:
    return MePublic(username=user.username, full_name=user.full_name, agency_code=user.agency_code,
                    roles=sorted(user.roles), reachable_agencies=sorted(user.reachable_agencies))

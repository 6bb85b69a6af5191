from __future__ import annotations

from fastapi import APIRouter

from api.deps import BackendsDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.catalogue import UserCreate, UserPublic, UsersPublic
from records.services.catalogue import create_user, list_users

router = APIRouter(prefix="/users", tags=["users"], responses=ERROR_RESPONSES)


@router.get("", response_model=UsersPublic, summary="Danh sách cán bộ")
def read_users(uow: UowDep, user: CurrentUser, agency_code: str | None = None) -> UsersPublic:
    users = list_users(uow=uow, actor=user, agency_code=agency_code)
    return UsersPublic(data=[UserPublic.of(u) for u in users], count=len(users))


@router.post("", response_model=UserPublic, status_code=201, summary="Tạo tài khoản cán bộ")
def create_user_account(body: UserCreate, uow: UowDep, backends: BackendsDep, user: CurrentUser) -> UserPublic:
    created = create_user(uow=uow, hasher=backends.hasher, username=body.username, full_name=body.full_name,
                          agency_code=body.agency_code, roles=body.roles, password=body.password, actor=user,
                          clock=backends.clock)
    return UserPublic.of(created)

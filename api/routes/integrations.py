"""Integration accounts: service tokens for specialised systems (land registry, tax, civil registry, ...)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.sharing import IntegrationCreate, IntegrationIssued, IntegrationPublic, IntegrationsPublic
from records.integrations import IssuedServiceToken
from records.services.integrations import (
    create_integration,
    get_integration,
    list_integrations,
    revoke_integration,
    rotate_integration,
)

router = APIRouter(prefix="/integrations", tags=["integrations"], responses=ERROR_RESPONSES)


def _issued(issued: IssuedServiceToken, clock: ClockDep) -> IntegrationIssued:
    return IntegrationIssued(**IntegrationPublic.of(issued.account, now=clock.now()).model_dump(), token=issued.token)


@router.post("", response_model=IntegrationIssued, status_code=201, summary="Tạo tài khoản tích hợp",
             description="Administrators. The token acts for one agency (what it may reach, through taking part, "
                         "links and shares) and only within its scopes: `read` pulls dossiers and papers, "
                         "`attach` adds documents. It is shown this once.")
def create(body: IntegrationCreate, response: Response, uow: UowDep, clock: ClockDep,
           user: CurrentUser) -> IntegrationIssued:
    issued = create_integration(uow=uow, clock=clock, actor=user, name=body.name, agency_code=body.agency_code,
                                scopes=body.scopes, expires_at=body.expires_at)
    response.headers["Location"] = f"/api/v1/integrations/{issued.account.id}"
    return _issued(issued, clock)


@router.get("", response_model=IntegrationsPublic, summary="Các tài khoản tích hợp")
def read_all(uow: UowDep, clock: ClockDep, user: CurrentUser, agency_code: str | None = None) -> IntegrationsPublic:
    accounts = list_integrations(uow=uow, actor=user, agency_code=agency_code)
    now = clock.now()
    return IntegrationsPublic(data=[IntegrationPublic.of(a, now=now) for a in accounts], count=len(accounts))


@router.get("/{account_id}", response_model=IntegrationPublic, summary="Một tài khoản tích hợp")
def read_one(account_id: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> IntegrationPublic:
    return IntegrationPublic.of(get_integration(uow=uow, actor=user, account_id=account_id), now=clock.now())


@router.post("/{account_id}/revoke", response_model=IntegrationPublic, summary="Thu hồi tài khoản tích hợp")
def revoke(account_id: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> IntegrationPublic:
    account = revoke_integration(uow=uow, clock=clock, actor=user, account_id=account_id)
    return IntegrationPublic.of(account, now=clock.now())


@router.post("/{account_id}/rotate", response_model=IntegrationIssued, summary="Cấp lại mã truy cập",
             description="A new token; the old one stops working at once.")
def rotate(account_id: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> IntegrationIssued:
    return _issued(rotate_integration(uow=uow, clock=clock, actor=user, account_id=account_id), clock)

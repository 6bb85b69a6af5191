"""Explicit shares: a dossier, or some of its documents, lent to another agency or system."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.bounds import OffsetQuery
from api.schemas.sharing import ShareCreate, SharePublic, ShareRevoke, SharesPublic
from records.services.shares import dossier_shares, get_share, revoke_share, share_dossier, shares_received

router = APIRouter(tags=["shares"], responses=ERROR_RESPONSES)


@router.post("/dossiers/{code}/shares", response_model=SharePublic, status_code=201,
             summary="Chia sẻ hồ sơ hoặc tài liệu với cơ quan khác",
             description="An agency that took part in the dossier shares it whole, or the listed documents, with "
                         "another agency or specialised system: for a purpose, until a date (at most a year). "
                         "A whole-dossier share may let the grantee attach its results. The grantee's "
                         "subscribed systems get a `share.granted` webhook.")
def create_share(code: str, body: ShareCreate, response: Response, uow: UowDep,
                 clock: ClockDep, user: CurrentUser) -> SharePublic:
    share = share_dossier(uow=uow, clock=clock, actor=user, dossier_code=code,
                          grantee_agency_code=body.grantee_agency_code, purpose=body.purpose,
                          expires_at=body.expires_at, document_ids=body.document_ids, allow_attach=body.allow_attach)
    response.headers["Location"] = f"/api/v1/shares/{share.id}"
    return SharePublic.of(share, now=clock.now())


@router.get("/dossiers/{code}/shares", response_model=SharesPublic, summary="Các lượt chia sẻ của hồ sơ")
def read_dossier_shares(code: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> SharesPublic:
    shares = dossier_shares(uow=uow, clock=clock, actor=user, dossier_code=code)
    now = clock.now()
    return SharesPublic(data=[SharePublic.of(s, now=now) for s in shares], count=len(shares))


@router.get("/shares/received", response_model=SharesPublic, summary="Hồ sơ, tài liệu được chia sẻ với cơ quan mình")
def read_received(uow: UowDep, clock: ClockDep, user: CurrentUser, active: bool = True,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: OffsetQuery = 0) -> SharesPublic:
    shares, count = shares_received(uow=uow, clock=clock, actor=user, active_only=active, limit=limit,
                                    offset=offset)
    now = clock.now()
    return SharesPublic(data=[SharePublic.of(s, now=now) for s in shares], count=count)


@router.get("/shares/{share_id}", response_model=SharePublic, summary="Một lượt chia sẻ")
def read_share(share_id: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> SharePublic:
    return SharePublic.of(get_share(uow=uow, clock=clock, actor=user, share_id=share_id), now=clock.now())


@router.post("/shares/{share_id}/revoke", response_model=SharePublic, summary="Thu hồi chia sẻ",
             description="Access ends at once. Only the granting agency or an admin; repeating it changes nothing.")
def revoke(share_id: str, body: ShareRevoke, uow: UowDep, clock: ClockDep,
           user: CurrentUser) -> SharePublic:
    share = revoke_share(uow=uow, clock=clock, actor=user, share_id=share_id, reason=body.reason)
    return SharePublic.of(share, now=clock.now())

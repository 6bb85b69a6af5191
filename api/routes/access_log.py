"""The access log: who read a document or a dossier; what a person or an agency read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.bounds import DateQuery, OffsetQuery
from api.schemas.sharing import AccessEntryPublic, AccessLogPublic
from records.access_log import AccessEntry, AccessKind, AccessLogFilter
from records.services.audit import document_readers, dossier_readers, search_access_log

router = APIRouter(tags=["access log"], responses=ERROR_RESPONSES)
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = OffsetQuery


def _page(found: tuple[list[AccessEntry], int]) -> AccessLogPublic:
    entries, count = found
    return AccessLogPublic(data=[AccessEntryPublic.of(e) for e in entries], count=count)


@router.get("/documents/{document_id}/access-log", response_model=AccessLogPublic, summary="Ai đã xem tài liệu này",
            description="Every read of the document (metadata, download, text, page image, search snippet), "
                        "newest first: who, for which agency, when, why it was allowed. Auditors, admins, and "
                        "leaders of agencies that took part in the dossier.")
def read_document_log(document_id: str, uow: UowDep, clock: ClockDep, user: CurrentUser,
                      since: DateQuery | None = None, until: DateQuery | None = None, limit: Limit = 100,
                      offset: Offset = 0) -> AccessLogPublic:
    return _page(document_readers(uow=uow, clock=clock, actor=user, document_id=document_id,
                                  wanted=AccessLogFilter(since=since, until=until, limit=limit, offset=offset)))


@router.get("/dossiers/{code}/access-log", response_model=AccessLogPublic, summary="Ai đã xem hồ sơ này")
def read_dossier_log(code: str, uow: UowDep, clock: ClockDep, user: CurrentUser, since: DateQuery | None = None,
                     until: DateQuery | None = None, limit: Limit = 100, offset: Offset = 0) -> AccessLogPublic:
    return _page(dossier_readers(uow=uow, clock=clock, actor=user, code=code,
                                 wanted=AccessLogFilter(since=since, until=until, limit=limit, offset=offset)))


@router.get("/access-log", response_model=AccessLogPublic, summary="Tra cứu nhật ký truy cập",
            description="Auditors and administrators: by person, agency, dossier, document, kind of read, dates.")
def read_log(uow: UowDep, user: CurrentUser, username: str | None = None, agency_code: str | None = None,
             dossier_code: str | None = None, document_id: str | None = None,
             action: Annotated[list[AccessKind] | None, Query(max_length=20)] = None,
             since: DateQuery | None = None,
             until: DateQuery | None = None, limit: Limit = 100, offset: Offset = 0) -> AccessLogPublic:
    return _page(search_access_log(uow=uow, actor=user, wanted=AccessLogFilter(
        dossier_code=dossier_code, document_id=document_id, username=username, agency_code=agency_code,
        actions=frozenset(action or ()), since=since, until=until, limit=limit, offset=offset)))

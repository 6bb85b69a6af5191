"""Archive alerts: fixity damage, a broken audit chain, files due for deposit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from api.deps import ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from records.archive_alerts import ArchiveAlert
from records.services.archive_alerts import acknowledge_archive_alert, list_archive_alerts

router = APIRouter(prefix="/archive/alerts", tags=["archive"], responses=ERROR_RESPONSES)


class ArchiveAlertPublic(BaseModel):
    id: int
    kind: str
    subject: str
    agency_code: str | None
    message_vi: str
    message_en: str
    detail: dict[str, Any]
    raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, alert: ArchiveAlert) -> ArchiveAlertPublic:
        assert alert.id is not None
        return cls(id=alert.id, kind=alert.kind, subject=alert.subject, agency_code=alert.agency_code,
                   message_vi=alert.message_vi, message_en=alert.message_en, detail=alert.detail,
                   raised_at=alert.raised_at, acknowledged_by=alert.acknowledged_by,
                   acknowledged_at=alert.acknowledged_at)


class ArchiveAlertsPublic(BaseModel):
    data: list[ArchiveAlertPublic]
    count: int


@router.get("", response_model=ArchiveAlertsPublic, summary="Cảnh báo lưu trữ",
            description="Archive alerts (fixity damage, audit chain breaks, files due for deposit) within the reader's "
                        "archive scope, newest first. Archivists, leaders, auditors and administrators.")
def read_archive_alerts(uow: UowDep, user: CurrentUser, include_acknowledged: bool = False,
                        kind: Annotated[str | None, Query(max_length=40)] = None,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100,
                        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> ArchiveAlertsPublic:
    alerts, count = list_archive_alerts(uow=uow, actor=user, include_acknowledged=include_acknowledged, kind=kind,
                                        limit=limit, offset=offset)
    return ArchiveAlertsPublic(data=[ArchiveAlertPublic.of(a) for a in alerts], count=count)


@router.post("/{archive_alert_id}/acknowledge", response_model=ArchiveAlertPublic,
             summary="Đánh dấu đã xem cảnh báo lưu trữ")
def acknowledge(archive_alert_id: Annotated[int, Path(ge=1, le=2**62)], uow: UowDep, clock: ClockDep,
                user: CurrentUser) -> ArchiveAlertPublic:
    return ArchiveAlertPublic.of(acknowledge_archive_alert(uow=uow, clock=clock, actor=user,
                                                           alert_id=archive_alert_id))

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.bounds import IdPath
from records.alerts import Alert, AlertKind
from records.services.alerts import acknowledge_alert, list_alerts

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=ERROR_RESPONSES)


class AlertPublic(BaseModel):
    id: int
    dossier_code: str
    agency_code: str
    kind: AlertKind
    due_at: datetime
    raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, alert: Alert) -> AlertPublic:
        assert alert.id is not None
        return cls(id=alert.id, dossier_code=alert.dossier_code, agency_code=alert.agency_code, kind=alert.kind,
                   due_at=alert.due_at, raised_at=alert.raised_at, acknowledged_by=alert.acknowledged_by,
                   acknowledged_at=alert.acknowledged_at)


class AlertsPublic(BaseModel):
    data: list[AlertPublic]
    count: int


@router.get("", response_model=AlertsPublic, summary="Cảnh báo hồ sơ sắp đến hạn, quá hạn",
            description="Raised by the worker's periodic deadline scan for the agency holding each dossier.")
def read_alerts(uow: UowDep, user: CurrentUser, include_acknowledged: bool = False,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> AlertsPublic:
    alerts = list_alerts(uow=uow, actor=user, include_acknowledged=include_acknowledged, limit=limit)
    return AlertsPublic(data=[AlertPublic.of(a) for a in alerts], count=len(alerts))


@router.post("/{alert_id}/acknowledge", response_model=AlertPublic, summary="Đánh dấu đã xem cảnh báo")
def acknowledge(alert_id: IdPath, uow: UowDep, clock: ClockDep, user: CurrentUser) -> AlertPublic:
    return AlertPublic.of(acknowledge_alert(uow=uow, clock=clock, actor=user, alert_id=alert_id))

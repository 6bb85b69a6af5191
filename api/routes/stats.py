from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.bounds import DateQuery
from api.schemas.dossiers import TimelinessPublic, TimelinessReport
from records.services.reports import timeliness_statistics

router = APIRouter(prefix="/stats", tags=["statistics"], responses=ERROR_RESPONSES)


@router.get("/timeliness", response_model=TimelinessReport,
            summary="Thống kê hồ sơ đúng hạn / trễ hạn",
            description="Counts over dossiers received in the date range that the caller may see. "
                        "`per_agency=true` gives one row per receiving agency.")
def read_timeliness(uow: UowDep, clock: ClockDep, user: CurrentUser, agency_code: str | None = None,
                    received_from: DateQuery | None = None, received_to: DateQuery | None = None,
                    per_agency: bool = False) -> TimelinessReport:
    rows = timeliness_statistics(uow=uow, clock=clock, actor=user, agency_code=agency_code,
                                 received_from=received_from, received_to=received_to, per_agency=per_agency)
    return TimelinessReport(data=[TimelinessPublic.of(r) for r in rows], count=len(rows))

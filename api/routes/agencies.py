from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.catalogue import AgenciesPublic, AgencyDetail, AgencyPublic, ImportResult
from records.agencies import AgencyLevel, AgencyRegistry, AgencyStatus
from records.services.catalogue import get_agency, import_agencies, list_agencies

router = APIRouter(prefix="/agencies", tags=["agencies"], responses=ERROR_RESPONSES)


@router.get("", response_model=AgenciesPublic, summary="Danh sách cơ quan")
def read_agencies(uow: UowDep, _user: CurrentUser, level: AgencyLevel | None = None,
                  status: AgencyStatus | None = None, parent_code: str | None = None) -> AgenciesPublic:
    agencies = [a for a in list_agencies(uow=uow)
                if (level is None or a.level is level) and (status is None or a.status is status)
                and (parent_code is None or a.parent_code == parent_code)]
    return AgenciesPublic(data=[AgencyPublic.of(a) for a in agencies], count=len(agencies))


@router.get("/{code}", response_model=AgencyDetail, summary="Một cơ quan, với các cơ quan tiền nhiệm")
def read_agency(code: str, uow: UowDep, _user: CurrentUser) -> AgencyDetail:
    agency = get_agency(uow=uow, code=code)
    registry = AgencyRegistry(list_agencies(uow=uow))
    final = registry.final_successor(code)
    return AgencyDetail(**AgencyPublic.of(agency).model_dump(), predecessors=sorted(registry.predecessors(code)),
                        current_successor=None if final == code else final)


@router.post("/import", response_model=ImportResult, summary="Nhập danh mục cơ quan (JSON)")
def import_agency_list(body: list[AgencyPublic], uow: UowDep, user: CurrentUser, clock: ClockDep) -> ImportResult:
    return ImportResult(imported=import_agencies(uow=uow, agencies=[a.to_domain() for a in body], actor=user,
                                                 clock=clock))

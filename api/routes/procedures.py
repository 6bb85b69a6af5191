from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.catalogue import (
    CoveragePublic,
    CoveragesPublic,
    ImportResult,
    ProcedurePublic,
    ProcedureSchema,
    ProceduresPublic,
)
from records.procedures import procedure_from_dict, procedure_to_dict
from records.services.catalogue import get_procedure, import_procedures, list_procedures, procedure_coverage

router = APIRouter(prefix="/procedures", tags=["procedures"], responses=ERROR_RESPONSES)


@router.get("", response_model=ProceduresPublic, summary="Danh mục thủ tục hành chính")
def read_procedures(uow: UowDep, _user: CurrentUser, field: str | None = None, agency_code: str | None = None,
                    published: bool | None = None) -> ProceduresPublic:
    items = list_procedures(uow=uow, field=field, agency_code=agency_code, published=published)
    return ProceduresPublic(data=[ProcedurePublic.of(p) for p in items], count=len(items))


@router.get("/export", response_model=list[ProcedureSchema], summary="Xuất danh mục thủ tục (JSON)")
def export_procedures(uow: UowDep, _user: CurrentUser) -> list[ProcedureSchema]:
    return [ProcedureSchema(**procedure_to_dict(p)) for p in list_procedures(uow=uow)]


@router.post("/import", response_model=ImportResult, summary="Nhập danh mục thủ tục (JSON)")
def import_procedure_list(body: list[ProcedureSchema], uow: UowDep, user: CurrentUser,
                          clock: ClockDep) -> ImportResult:
    procedures = [procedure_from_dict(item.model_dump(mode="json")) for item in body]
    return ImportResult(imported=import_procedures(uow=uow, procedures=procedures, actor=user,
                                                   clock=clock))


@router.get("/coverage", response_model=CoveragesPublic,
            summary="Tỷ lệ thủ tục đã cấu hình so với đã công bố, theo cơ quan")
def read_coverage(uow: UowDep, _user: CurrentUser, agency_code: str | None = None) -> CoveragesPublic:
    items = procedure_coverage(uow=uow, agency_code=agency_code)
    return CoveragesPublic(data=[CoveragePublic.of(c) for c in items], count=len(items),
                           published=sum(c.published for c in items), configured=sum(c.configured for c in items))


@router.get("/{code}", response_model=ProcedurePublic, summary="Một thủ tục")
def read_procedure(code: str, uow: UowDep, _user: CurrentUser) -> ProcedurePublic:
    return ProcedurePublic.of(get_procedure(uow=uow, code=code))

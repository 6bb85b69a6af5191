from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import Response as RawResponse

from api.deps import BackendsDep, CalendarDep, ClockDep, CurrentUser, IfMatchVersion, UowDep, etag
from api.errors import ERROR_RESPONSES, IF_MATCH_RESPONSES, wants_english
from api.reports.control_slip_pdf import render_control_slip_pdf
from api.schemas.bounds import DateQuery, OffsetQuery
from api.schemas.dossiers import (
    ControlSlipPublic,
    DossierCreate,
    DossierCreated,
    DossierDetail,
    DossierPublic,
    DossiersPublic,
    EventPublic,
    EventsPublic,
    ExtensionCreate,
    ExtensionPublic,
    ExtensionsPublic,
    GroupProgress,
    HoldBadge,
    LateDossierPublic,
    LateDossiersPublic,
    LinkedDossierPublic,
    TransitionCreate,
)
from records.access import Principal
from records.calendar import WorkingCalendar
from records.clock import Clock
from records.dossiers import Dossier, DossierState
from records.holds import Hold
from records.ports import DossierFilters
from records.services.dossiers import (
    dossier_history,
    get_dossier,
    issue_extension_letter,
    late_dossiers,
    list_dossiers,
    list_extensions,
    transition_dossier,
)
from records.services.holds import dossier_holds
from records.services.intake import receive_dossier
from records.services.reports import control_slip

router = APIRouter(prefix="/dossiers", tags=["dossiers"], responses=ERROR_RESPONSES)


def _public(dossier: Dossier, clock: Clock, calendar: WorkingCalendar, user: Principal) -> DossierPublic:
    now = clock.now()
    return DossierPublic.of(dossier, overdue_days=dossier.overdue_days(now, calendar), viewer=user, now=now)


def _group(linked: list[Dossier], clock: Clock, calendar: WorkingCalendar) -> GroupProgress | None:
    if not linked:
        return None
    now = clock.now()
    return GroupProgress.of([LinkedDossierPublic.of(d, overdue_days=d.overdue_days(now, calendar)) for d in linked])


def _detail(dossier: Dossier, reason: str, linked: list[Dossier], clock: Clock, calendar: WorkingCalendar,
            user: Principal, holds: list[Hold]) -> dict[str, Any]:
    return {**_public(dossier, clock, calendar, user).model_dump(), "access_reason": reason,
            "group": _group(linked, clock, calendar), "holds": [HoldBadge.of(h) for h in holds]}


@router.post("", response_model=DossierCreated, status_code=201, summary="Tiếp nhận hồ sơ",
             description="Intake at the officer's desk. A procedure that links others (the \"3 in 1\") also "
                         "opens one linked dossier per linked procedure at its own agency; they share the papers "
                         "uploaded to this one. The answer carries the receipt secret, once.")
def create_dossier(body: DossierCreate, response: Response, backends: BackendsDep, uow: UowDep, clock: ClockDep,
                   calendar: CalendarDep, user: CurrentUser) -> DossierCreated:
    intake = receive_dossier(
        uow=uow, clock=clock, calendar=calendar, signer=backends.signer, actor=user,
        procedure_code=body.procedure_code, applicant=body.applicant.to_domain(), channel=body.channel,
        received_at=body.received_at, agency_code=body.agency_code, subject=body.subject,
        linked_procedures=body.linked_procedures)
    dossier = intake.dossier
    response.headers["ETag"] = etag(dossier.version)
    response.headers["Location"] = f"/api/v1/dossiers/{dossier.code}"
    holds = dossier_holds(uow=uow, clock=clock, actor=user, code=dossier.code)  # an applicant's hold covers it
    return DossierCreated(**_detail(dossier, "receiving_agency", intake.linked, clock, calendar, user, holds),
                          receipt_secret=intake.receipt_secret)


@router.get("", response_model=DossiersPublic, summary="Tra cứu, lọc hồ sơ")
def read_dossiers(
    uow: UowDep, clock: ClockDep, calendar: CalendarDep, user: CurrentUser,
    agency_code: str | None = None, procedure_code: str | None = None, field: str | None = None,
    state: Annotated[list[DossierState] | None, Query()] = None, late: bool | None = None,
    received_from: DateQuery | None = None, received_to: DateQuery | None = None,
    applicant_id_number: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: OffsetQuery = 0,
) -> DossiersPublic:
    filters = DossierFilters(agency_code=agency_code, procedure_code=procedure_code, field=field,
                             states=frozenset(state or ()), late=late, received_from=received_from,
                             received_to=received_to, applicant_id_number=applicant_id_number, limit=limit,
                             offset=offset)
    items, count = list_dossiers(uow=uow, clock=clock, actor=user, filters=filters)
    return DossiersPublic(data=[_public(d, clock, calendar, user) for d in items], count=count)


@router.get("/late", response_model=LateDossiersPublic, summary="Hồ sơ trễ hạn, trễ nhiều nhất trước")
def read_late_dossiers(uow: UowDep, clock: ClockDep, calendar: CalendarDep, user: CurrentUser,
                       agency_code: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       offset: OffsetQuery = 0) -> LateDossiersPublic:
    rows, count = late_dossiers(uow=uow, clock=clock, calendar=calendar, actor=user, agency_code=agency_code,
                                limit=limit, offset=offset)
    return LateDossiersPublic(data=[LateDossierPublic(dossier=_public(r.dossier, clock, calendar, user),
                                                      overdue_days=r.overdue_days) for r in rows], count=count)


@router.get("/{code}", response_model=DossierDetail, summary="Một hồ sơ",
            description="Written to the access log. A group dossier lists its linked dossiers' progress.")
def read_dossier(code: str, response: Response, uow: UowDep, clock: ClockDep, calendar: CalendarDep,
                 user: CurrentUser) -> DossierDetail:
    view = get_dossier(uow=uow, clock=clock, actor=user, code=code)
    response.headers["ETag"] = etag(view.dossier.version)
    return DossierDetail(**_detail(view.dossier, view.decision.reason, view.linked, clock, calendar, user,
                                   view.holds))


@router.post("/{code}/transitions", response_model=DossierPublic, summary="Chuyển trạng thái hồ sơ",
             description="Send `If-Match` with the ETag you read: a stale version gets 412 and nothing changes.",
             responses=IF_MATCH_RESPONSES)
def create_transition(code: str, body: TransitionCreate, response: Response, backends: BackendsDep, uow: UowDep,
                      clock: ClockDep, calendar: CalendarDep, user: CurrentUser,
                      expected_version: IfMatchVersion) -> DossierPublic:
    dossier, _event = transition_dossier(uow=uow, clock=clock, calendar=calendar, actor=user, code=code,
                                         to=body.to, note=body.note, target_agency_code=body.target_agency_code,
                                         expected_version=expected_version,
                                         reindex_every_move=backends.settings.index_on_every_move)
    response.headers["ETag"] = etag(dossier.version)
    return _public(dossier, clock, calendar, user)


@router.get("/{code}/history", response_model=EventsPublic, summary="Lịch sử xử lý")
def read_history(code: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> EventsPublic:
    events = dossier_history(uow=uow, clock=clock, actor=user, code=code)
    return EventsPublic(data=[EventPublic.of(e) for e in events], count=len(events))


@router.get("/{code}/control-slip", response_model=ControlSlipPublic, summary="Phiếu kiểm soát (JSON)")
def read_control_slip(code: str, uow: UowDep, clock: ClockDep, calendar: CalendarDep,
                      user: CurrentUser) -> ControlSlipPublic:
    slip = control_slip(uow=uow, clock=clock, calendar=calendar, actor=user, code=code)
    codes = {slip.dossier.receiving_agency_code, *slip.dossier.participant_agencies}
    codes |= {e.actor_agency_code for e in slip.events}
    return ControlSlipPublic(
        dossier=_public(slip.dossier, clock, calendar, user), procedure_name=slip.procedure.name,
        agency_names={c: slip.agency_name(c) for c in sorted(codes)},
        events=[EventPublic.of(e) for e in slip.events],
        extensions=[ExtensionPublic.of(x) for x in slip.extensions], generated_at=slip.generated_at)


@router.get("/{code}/control-slip.pdf", summary="Phiếu kiểm soát (PDF)",
            responses={200: {"content": {"application/pdf": {}}}})
def read_control_slip_pdf(code: str, request: Request, uow: UowDep, clock: ClockDep, calendar: CalendarDep,
                          user: CurrentUser, lang: str | None = None) -> RawResponse:
    slip = control_slip(uow=uow, clock=clock, calendar=calendar, actor=user, code=code)
    language = lang or ("en" if wants_english(request) else "vi")
    pdf = render_control_slip_pdf(slip, language="en" if language == "en" else "vi")
    return RawResponse(pdf, media_type="application/pdf",
                       headers={"Content-Disposition": f'inline; filename="phieu-kiem-soat-{code}.pdf"'})


@router.post("/{code}/extensions", response_model=ExtensionPublic, status_code=201,
             summary="Thư xin lỗi và hẹn lại ngày trả kết quả", responses=IF_MATCH_RESPONSES)
def create_extension(code: str, body: ExtensionCreate, uow: UowDep, clock: ClockDep, user: CurrentUser,
                     expected_version: IfMatchVersion) -> ExtensionPublic:
    letter = issue_extension_letter(uow=uow, clock=clock, actor=user, code=code, reason=body.reason,
                                    new_due_at=body.new_due_at, expected_version=expected_version)
    return ExtensionPublic.of(letter)


@router.get("/{code}/extensions", response_model=ExtensionsPublic, summary="Các thư hẹn lại")
def read_extensions(code: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> ExtensionsPublic:
    letters = list_extensions(uow=uow, clock=clock, actor=user, code=code)
    return ExtensionsPublic(data=[ExtensionPublic.of(x) for x in letters], count=len(letters))

"""Use cases for dossiers: intake, transitions, reading and listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from records.access import Action, Principal, Role, decide, visible_agencies
from records.agencies import AgencyLevel
from records.calendar import WorkingCalendar
from records.clock import Clock, local_date
from records.dossiers import (
    Applicant,
    ApplicantKind,
    Channel,
    Dossier,
    DossierEvent,
    DossierState,
    ExtensionLetter,
    apply_transition,
    issue_extension,
    open_dossier,
)
from records.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from records.identifiers import check_cccd, check_tax_code, format_dossier_code
from records.ports import DossierFilters, DossierQuery, UnitOfWork
from records.services.catalogue import require_role

# Officers' clocks drift; an intake stamped a few minutes ahead is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)
MAX_PAGE_SIZE = 200


def _dossier_not_found(code: str) -> NotFound:
    return NotFound("Không tìm thấy hồ sơ.", "Dossier not found.", code="dossier_not_found",
                    detail={"dossier_code": code})


def check_applicant(applicant: Applicant) -> Applicant:
    if not applicant.name.strip():
        raise ValidationFailed("Cần nhập tên người nộp hồ sơ.", "The applicant's name is required.",
                               code="applicant_name_required")
    if applicant.kind is ApplicantKind.PERSON:
        check_cccd(applicant.id_number)
    else:
        check_tax_code(applicant.id_number)
    return applicant


def receive_dossier(
    *,
    uow: UnitOfWork,
    clock: Clock,
    calendar: WorkingCalendar,
    actor: Principal,
    procedure_code: str,
    applicant: Applicant,
    channel: Channel = Channel.COUNTER,
    received_at: datetime | None = None,
    agency_code: str | None = None,
    subject: str = "",
) -> tuple[Dossier, list[DossierEvent]]:
    """Intake at a desk (tiếp nhận). Gives the dossier its code and appointment date."""
    require_role(actor, Role.RECEPTION, Role.LEADER, Role.ADMIN)
    now = clock.now()
    at = received_at or now
    if at.tzinfo is None:
        raise ValidationFailed("Thời điểm tiếp nhận cần có múi giờ.", "The intake time needs a timezone.",
                               code="naive_datetime")
    if at > now + CLOCK_SKEW:
        raise ValidationFailed("Thời điểm tiếp nhận không được ở tương lai.", "The intake time is in the future.",
                               code="received_in_future", detail={"received_at": at.isoformat()})
    desk = agency_code or actor.agency_code
    if desk != actor.agency_code and not actor.has_any(Role.ADMIN):
        raise PermissionDenied("Chỉ được tiếp nhận hồ sơ tại cơ quan của mình.",
                               "You can only receive dossiers at your own agency's desk.",
                               code="foreign_desk")
    check_applicant(applicant)
    with uow:
        uow.begin_write()
        agency = uow.agencies.get(desk)
        if agency is None or not agency.is_active or agency.level is AgencyLevel.EXTERNAL:
            raise ValidationFailed("Cơ quan tiếp nhận không tồn tại hoặc đã ngừng hoạt động.",
                                   "The receiving agency does not exist or no longer operates.",
                                   code="unknown_agency", detail={"agency_code": desk})
        procedure = uow.procedures.get(procedure_code)
        if procedure is None or not procedure.published:
            raise ValidationFailed("Thủ tục không tồn tại hoặc chưa được công bố.",
                                   "The procedure does not exist or is not published.",
                                   code="unknown_procedure", detail={"procedure_code": procedure_code})
        if not procedure.receives_at(agency):
            raise ValidationFailed("Cơ quan này không tiếp nhận thủ tục đã chọn.",
                                   "This agency does not receive that procedure.",
                                   code="procedure_not_received_here",
                                   detail={"procedure_code": procedure_code, "agency_code": desk})
        if not procedure.is_configured:
            raise ValidationFailed("Thủ tục chưa được cấu hình quy trình trên hệ thống.",
                                   "The procedure has no route configured yet.",
                                   code="procedure_not_configured", detail={"procedure_code": procedure_code})
        day = local_date(at)
        code = format_dossier_code(desk, day, uow.dossiers.next_sequence(desk, day))
        dossier, events = open_dossier(code=code, procedure=procedure, receiving_agency_code=desk,
                                       applicant=applicant, channel=channel, received_at=at,
                                       subject=subject.strip(), actor=actor, calendar=calendar)
        uow.dossiers.add(dossier, events)
        uow.commit()
    return dossier, events


def _readable(uow: UnitOfWork, actor: Principal, code: str, *, for_update: bool = False) -> Dossier:
    dossier = uow.dossiers.get(code, for_update=for_update)
    if dossier is None:
        raise _dossier_not_found(code)
    decision = decide(actor, Action.READ, participant_agencies=dossier.participant_agencies,
                      holder_agency_code=dossier.holder_agency_code)
    if not decision:
        raise _dossier_not_found(code)  # a guessed code learns nothing
    return dossier


def get_dossier(*, uow: UnitOfWork, actor: Principal, code: str) -> Dossier:
    with uow:
        return _readable(uow, actor, code)


def transition_dossier(
    *,
    uow: UnitOfWork,
    clock: Clock,
    calendar: WorkingCalendar,
    actor: Principal,
    code: str,
    to: DossierState,
    note: str = "",
    target_agency_code: str | None = None,
    expected_version: int | None = None,
) -> tuple[Dossier, DossierEvent]:
    """Moves a dossier. With `expected_version` a stale caller gets StaleVersion and nothing changes."""
    with uow:
        uow.begin_write()
        dossier = _readable(uow, actor, code, for_update=True)
        decision = decide(actor, Action.CHANGE, participant_agencies=dossier.participant_agencies,
                          holder_agency_code=dossier.holder_agency_code)
        if not decision:
            raise PermissionDenied("Hồ sơ không do cơ quan của bạn đang giữ.",
                                   "The dossier is not held by your agency.", code=decision.reason)
        if expected_version is not None and expected_version != dossier.version:
            raise StaleVersion(detail={"current_version": dossier.version, "expected_version": expected_version})
        procedure = uow.procedures.get(dossier.procedure_code)
        if procedure is None:
            raise NotFound(code="procedure_not_found", detail={"procedure_code": dossier.procedure_code})
        if target_agency_code is not None:
            target = uow.agencies.get(target_agency_code)
            if target is None or not target.is_active:
                raise ValidationFailed("Cơ quan nhận không tồn tại hoặc đã ngừng hoạt động.",
                                       "The target agency does not exist or no longer operates.",
                                       code="unknown_target_agency",
                                       detail={"target_agency_code": target_agency_code})
        version = dossier.version
        # An officer's clock a little behind the last move must not make time run backwards.
        event = apply_transition(dossier, to=to, actor=actor, at=max(clock.now(), dossier.last_moved_at or
                                                                     dossier.received_at),
                                 procedure=procedure, calendar=calendar, note=note.strip(),
                                 target_agency_code=target_agency_code)
        uow.dossiers.save(dossier, expected_version=version, events=[event])
        uow.commit()
    return dossier, event


def dossier_history(*, uow: UnitOfWork, actor: Principal, code: str) -> list[DossierEvent]:
    with uow:
        _readable(uow, actor, code)
        return uow.dossiers.events(code)


def list_dossiers(*, uow: UnitOfWork, clock: Clock, actor: Principal,
                  filters: DossierFilters) -> tuple[list[Dossier], int]:
    if not 1 <= filters.limit <= MAX_PAGE_SIZE or filters.offset < 0:
        raise ValidationFailed(f"Kích thước trang phải từ 1 đến {MAX_PAGE_SIZE}.",
                               f"Page size must be 1 to {MAX_PAGE_SIZE}.", code="invalid_page")
    if filters.received_from and filters.received_to and filters.received_from > filters.received_to:
        raise ValidationFailed("Khoảng ngày không hợp lệ.", "The date range is reversed.", code="invalid_date_range")
    query = DossierQuery(filters=filters, visible_agencies=visible_agencies(actor), now=clock.now())
    with uow:
        return uow.dossiers.find(query)


@dataclass(frozen=True)
class LateDossier:
    dossier: Dossier
    overdue_days: float


def late_dossiers(*, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar, actor: Principal,
                  agency_code: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[LateDossier], int]:
    """Dossiers still open past their appointment date, most overdue first."""
    active = frozenset(s for s in DossierState if s not in {DossierState.REFUSED, DossierState.WITHDRAWN,
                                                           DossierState.STOPPED, DossierState.RESULT_RETURNED})
    page, count = list_dossiers(uow=uow, clock=clock, actor=actor, filters=DossierFilters(
        agency_code=agency_code, states=active, late=True, limit=limit, offset=offset))
    # With late=True the repository orders by appointment date, oldest first: the most overdue lead.
    now = clock.now()
    return [LateDossier(d, round(d.overdue_days(now, calendar), 2)) for d in page], count


def issue_extension_letter(*, uow: UnitOfWork, clock: Clock, actor: Principal, code: str, reason: str,
                           new_due_at: datetime, expected_version: int | None = None) -> ExtensionLetter:
    with uow:
        uow.begin_write()
        dossier = _readable(uow, actor, code, for_update=True)
        if not decide(actor, Action.CHANGE, participant_agencies=dossier.participant_agencies,
                      holder_agency_code=dossier.holder_agency_code):
            raise PermissionDenied("Hồ sơ không do cơ quan của bạn đang giữ.",
                                   "The dossier is not held by your agency.", code="not_the_holder")
        if expected_version is not None and expected_version != dossier.version:
            raise StaleVersion(detail={"current_version": dossier.version, "expected_version": expected_version})
        version = dossier.version
        letter = issue_extension(dossier, reason=reason, new_due_at=new_due_at, actor=actor, at=clock.now())
        uow.dossiers.save(dossier, expected_version=version, events=[])
        uow.dossiers.add_extension(code, letter)
        uow.commit()
    return letter


def list_extensions(*, uow: UnitOfWork, actor: Principal, code: str) -> list[ExtensionLetter]:
    with uow:
        _readable(uow, actor, code)
        return uow.dossiers.extensions(code)

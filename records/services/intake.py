"""Intake (tiếp nhận): a dossier at the desk, with its code, appointment date and receipt secret, and — for a
procedure that links others (the "3 in 1": birth registration, permanent residence, health-insurance card) —
the linked dossiers opened at their own agencies in the same transaction, sharing the papers received once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from records.access import Principal, Role
from records.access_log import AccessKind
from records.agencies import Agency, AgencyLevel
from records.calendar import WorkingCalendar
from records.clock import Clock, local_date
from records.dossiers import Applicant, ApplicantKind, Channel, Dossier, DossierEvent, open_dossier
from records.errors import PermissionDenied, ValidationFailed
from records.identifiers import check_cccd, check_tax_code, format_dossier_code
from records.outbox import index_dossier_later
from records.ports import Signer, UnitOfWork
from records.procedures import Procedure
from records.receipts import RECEIPT_PURPOSE, new_receipt_secret, receipt_message
from records.services.access import audited
from records.services.catalogue import require_role
from records.services.webhooks import announce
from records.webhooks import EventType

# Officers' clocks drift; an intake stamped a few minutes ahead is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Intake:
    dossier: Dossier
    events: list[DossierEvent]
    linked: list[Dossier]  # the linked dossiers opened with it, at their own agencies
    receipt_secret: str  # printed on the receipt; only its keyed digest is stored


def receipt_digest(signer: Signer, dossier_code: str, secret: str) -> str:
    return signer.digest(RECEIPT_PURPOSE, receipt_message(dossier_code, secret))


def check_applicant(applicant: Applicant) -> Applicant:
    if not applicant.name.strip():
        raise ValidationFailed("Cần nhập tên người nộp hồ sơ.", "The applicant's name is required.",
                               code="applicant_name_required")
    if applicant.kind is ApplicantKind.PERSON:
        check_cccd(applicant.id_number)
    else:
        check_tax_code(applicant.id_number)
    return applicant


def _procedure(uow: UnitOfWork, code: str, *, error_code: str = "unknown_procedure") -> Procedure:
    procedure = uow.procedures.get(code)
    if procedure is None or not procedure.published:
        raise ValidationFailed("Thủ tục không tồn tại hoặc chưa được công bố.",
                               "The procedure does not exist or is not published.",
                               code=error_code, detail={"procedure_code": code})
    if not procedure.is_configured:
        raise ValidationFailed("Thủ tục chưa được cấu hình quy trình trên hệ thống.",
                               "The procedure has no route configured yet.",
                               code="procedure_not_configured", detail={"procedure_code": code})
    return procedure


def _linked_desk(uow: UnitOfWork, procedure: Procedure, intake_desk: Agency) -> Agency:
    """Where a linked dossier is received: the intake desk when it receives that procedure itself, else the
    first operating agency the procedure names (the residence police, the social-insurance office, ...)."""
    if procedure.receives_at(intake_desk):
        return intake_desk
    for code in procedure.receiving_agencies:
        agency = uow.agencies.get(code)
        if agency is not None and agency.is_active:
            return agency
    raise ValidationFailed("Thủ tục liên thông không có cơ quan tiếp nhận đang hoạt động.",
                           "A linked procedure has no operating agency to receive it.",
                           code="linked_procedure_has_no_desk", detail={"procedure_code": procedure.code})


def _linked_procedures(procedure: Procedure, wanted: Sequence[str] | None) -> list[str]:
    if wanted is None:
        return list(procedure.linked_procedures)
    unknown = sorted(set(wanted) - set(procedure.linked_procedures))
    if unknown:
        raise ValidationFailed("Thủ tục này không liên thông với các thủ tục đã chọn.",
                               "The procedure is not linked to the chosen procedures.",
                               code="unknown_linked_procedure",
                               detail={"procedure_code": procedure.code, "unknown": unknown,
                                       "allowed": list(procedure.linked_procedures)})
    return [code for code in procedure.linked_procedures if code in set(wanted)]


def receive_dossier(
    *,
    uow: UnitOfWork,
    clock: Clock,
    calendar: WorkingCalendar,
    signer: Signer,
    actor: Principal,
    procedure_code: str,
    applicant: Applicant,
    channel: Channel = Channel.COUNTER,
    received_at: datetime | None = None,
    agency_code: str | None = None,
    subject: str = "",
    linked_procedures: Sequence[str] | None = None,
) -> Intake:
    """Intake at a desk (tiếp nhận). Gives the dossier its code, appointment date and receipt secret.

    A procedure with linked procedures opens one linked dossier per procedure (all of them, or those in
    `linked_procedures`) at its own agency, with its own code, clock and deadline; they read the papers
    uploaded to this one. All or nothing: one bad linked procedure and no dossier is opened.
    """
    require_role(actor, Role.RECEPTION, Role.LEADER, Role.ADMIN)
    now = clock.now()
    at = received_at or now
    if at.tzinfo is None:
        raise ValidationFailed("Thời điểm tiếp nhận cần có múi giờ.", "The intake time needs a timezone.",
                               code="naive_datetime")
    if at > now + CLOCK_SKEW:
        raise ValidationFailed("Thời điểm tiếp nhận không được ở tương lai.", "The intake time is in the future.",
                               code="received_in_future", detail={"received_at": at.isoformat()})
    desk_code = agency_code or actor.agency_code
    if desk_code != actor.agency_code and not actor.has_any(Role.ADMIN):
        raise PermissionDenied("Chỉ được tiếp nhận hồ sơ tại cơ quan của mình.",
                               "You can only receive dossiers at your own agency's desk.",
                               code="foreign_desk")
    check_applicant(applicant)
    secret = new_receipt_secret()
    with uow:
        uow.begin_write()
        desk = uow.agencies.get(desk_code)
        if desk is None or not desk.is_active or desk.level is AgencyLevel.EXTERNAL:
            raise ValidationFailed("Cơ quan tiếp nhận không tồn tại hoặc đã ngừng hoạt động.",
                                   "The receiving agency does not exist or no longer operates.",
                                   code="unknown_agency", detail={"agency_code": desk_code})
        procedure = _procedure(uow, procedure_code)
        if not procedure.receives_at(desk):
            raise ValidationFailed("Cơ quan này không tiếp nhận thủ tục đã chọn.",
                                   "This agency does not receive that procedure.",
                                   code="procedure_not_received_here",
                                   detail={"procedure_code": procedure_code, "agency_code": desk_code})
        linked = [(p, _linked_desk(uow, p, desk)) for p in
                  (_procedure(uow, c, error_code="unknown_linked_procedure")
                   for c in _linked_procedures(procedure, linked_procedures))]

        def open_at(where: Agency, what: Procedure, parent_code: str | None) -> tuple[Dossier, list[DossierEvent]]:
            day = local_date(at)
            code = format_dossier_code(where.code, day, uow.dossiers.next_sequence(where.code, day))
            dossier, events = open_dossier(code=code, procedure=what, receiving_agency_code=where.code,
                                           applicant=applicant, channel=channel, received_at=at,
                                           subject=subject.strip(), actor=actor, calendar=calendar)
            if parent_code is not None:
                dossier.parent_code = parent_code
                dossier.participant_agencies.add(desk.code)  # the desk that took the papers follows it
                events[0] = replace(events[0], note=f"Tiếp nhận liên thông cùng hồ sơ {parent_code} tại {desk.name}")
            return dossier, events

        dossier, events = open_at(desk, procedure, None)
        children = [open_at(where, what, dossier.code) for what, where in linked]
        dossier.linked_agencies = {c.receiving_agency_code for c, _ in children} - dossier.participant_agencies
        uow.dossiers.add(dossier, events)
        for child, child_events in children:
            uow.dossiers.add(child, child_events)
        uow.dossiers.set_receipt_digest(dossier.code, receipt_digest(signer, dossier.code, secret))
        for d in (dossier, *(c for c, _ in children)):
            announce(uow, event_type=EventType.DOSSIER_RECEIVED, dossier=d, at=at,
                     data={"state": d.state.value, "channel": d.channel.value})
            index_dossier_later(uow.outbox, d.code)  # searchable once the worker has indexed it
            audited(uow, actor, AccessKind.DOSSIER_RECEIVED, at, dossier_code=d.code,
                    detail={"procedure_code": d.procedure_code, "agency_code": d.receiving_agency_code,
                            "parent_code": d.parent_code})
        uow.commit()
    return Intake(dossier, events, [c for c, _ in children], secret)

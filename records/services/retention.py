"""Use cases for retention: schedules, the clock that starts at closure, due dates (recomputed when a schedule
changes, extended for one dossier with a reason, never below the legal minimum), and the disposition queue."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time

from records.access import Principal, Role
from records.access_log import AccessKind
from records.archive import archive_agencies, require_archive_role
from records.blobs import BlobMissing, BlobStore, object_lock_of, original_key
from records.clock import VN_TZ, Clock, local_date
from records.dossiers import Dossier
from records.errors import NotFound, PermissionDenied, ValidationFailed
from records.ports import DossierFilters, DossierQuery, UnitOfWork
from records.retention import (
    CLOSED_STATES,
    DossierRetention,
    EndAction,
    RetentionDue,
    RetentionSchedule,
    RetentionState,
    applicable,
    check_schedule,
)
from records.services.access import audited, dossier_not_found
from records.services.holds import ensure_not_held, holds_on

SCHEDULE_EDITORS = (Role.ARCHIVIST, Role.ADMIN)
MAX_PAGE = 500


def _document_types(uow: UnitOfWork, dossier_code: str) -> list[str]:
    return [d.document_type.value for d in uow.documents.list_for_dossier(dossier_code)]


def record_closure(uow: UnitOfWork, dossier: Dossier, at: datetime) -> DossierRetention | None:
    """Starts the dossier's retention clock (in the caller's transaction) when it has just been closed."""
    if dossier.state not in CLOSED_STATES:
        return None
    procedure = uow.procedures.get(dossier.procedure_code)
    if procedure is None:
        return None
    applied = applicable(procedure, uow.retention.schedules(), _document_types(uow, dossier.code))
    line = DossierRetention(dossier_code=dossier.code, agency_code=dossier.receiving_agency_code,
                            procedure_code=dossier.procedure_code, closed_at=at, schedule_id=applied.schedule_id,
                            years=applied.years, minimum_years=applied.minimum_years, end_action=applied.end_action)
    uow.retention.save(line)
    return line


def _recompute(uow: UnitOfWork, procedure_codes: Sequence[str]) -> int:
    """Brings the due dates of these procedures' kept dossiers in line with the schedules. A held dossier's due date
    is never brought forward (the hold blocks retention shortening)."""
    schedules = uow.retention.schedules()
    changed = 0
    for line in uow.retention.for_procedures(procedure_codes):
        procedure = uow.procedures.get(line.procedure_code)
        if procedure is None:
            continue
        before = line.due_on
        line.apply(applicable(procedure, schedules, _document_types(uow, line.dossier_code)))
        after = line.due_on
        dossier = uow.dossiers.get(line.dossier_code)
        if before is not None and after is not None and after < before and dossier is not None \
                and holds_on(uow, dossier):
            line.extended_due_on, line.extension_reason = before, "Đang đóng băng: giữ nguyên hạn / held: date kept"
        if line.due_on != before:
            changed += 1
        uow.retention.save(line)
    return changed


def _affected_procedures(uow: UnitOfWork, schedule: RetentionSchedule) -> list[str]:
    if schedule.procedure_code is not None:
        return [schedule.procedure_code]
    return [p.code for p in uow.procedures.list() if p.field == schedule.field]


def _require_schedule_editor(uow: UnitOfWork, actor: Principal) -> None:
    """Retention schedules apply to every agency: set by administrators and the provincial archive's archivists."""
    require_archive_role(actor, *SCHEDULE_EDITORS)
    if actor.sees_everything:
        return
    agency = uow.agencies.get(actor.agency_code)
    if agency is None or agency.level != "province":
        raise PermissionDenied("Chỉ lưu trữ cấp tỉnh hoặc quản trị viên được đặt thời hạn bảo quản.",
                               "Only the provincial archive or an administrator sets retention schedules.",
                               code="schedule_editor_required")


def save_schedule(*, uow: UnitOfWork, clock: Clock, actor: Principal, years: int | None, end_action: EndAction,
                  procedure_code: str | None = None, field: str | None = None, document_type: str | None = None,
                  legal_minimum_years: int | None = None, note: str = "", schedule_id: str | None = None,
                  active: bool = True) -> tuple[RetentionSchedule, int]:
    """Creates (or, with `schedule_id`, changes) a schedule and recomputes the due dates it governs; returns it with
    the number of dossiers whose due date moved."""
    require_archive_role(actor, *SCHEDULE_EDITORS)
    now = clock.now()
    with uow:
        uow.begin_write()
        _require_schedule_editor(uow, actor)
        earlier = None
        if schedule_id is not None:
            earlier = uow.retention.get_schedule(schedule_id)
            if earlier is None:
                raise NotFound("Không tìm thấy thời hạn bảo quản.", "Schedule not found.", code="schedule_not_found",
                               detail={"schedule_id": schedule_id})
        schedule = check_schedule(RetentionSchedule(
            id=schedule_id or uuid.uuid4().hex, years=years, end_action=end_action, procedure_code=procedure_code,
            field=field.strip() if field else None, document_type=document_type,
            legal_minimum_years=legal_minimum_years, note=note.strip(),
            created_by=earlier.created_by if earlier else actor.username,
            created_at=earlier.created_at if earlier else now, active=active))
        if procedure_code is not None and uow.procedures.get(procedure_code) is None:
            raise ValidationFailed("Thủ tục không tồn tại.", "Unknown procedure.", code="unknown_procedure",
                                   detail={"procedure_code": procedure_code})
        if schedule.field is not None and not any(p.field == schedule.field for p in uow.procedures.list()):
            raise ValidationFailed("Lĩnh vực không tồn tại trong danh mục thủ tục.", "Unknown field.",
                                   code="unknown_field", detail={"field": schedule.field})
        uow.retention.save_schedule(schedule)
        affected = set(_affected_procedures(uow, schedule))
        if earlier is not None:
            affected |= set(_affected_procedures(uow, earlier))
        moved = _recompute(uow, sorted(affected))
        audited(uow, actor, AccessKind.SCHEDULE_CHANGED, now, detail={
            "schedule_id": schedule.id, "procedure_code": procedure_code, "field": schedule.field,
            "document_type": document_type, "years": years, "legal_minimum_years": legal_minimum_years,
            "end_action": end_action.value, "active": active, "dossiers_moved": moved})
        uow.commit()
    return schedule, moved


def list_schedules(*, uow: UnitOfWork, actor: Principal, active_only: bool = True) -> list[RetentionSchedule]:
    require_archive_role(actor, Role.ARCHIVIST, Role.LEADER, Role.AUDITOR)
    with uow:
        return uow.retention.schedules(active_only=active_only)


def _line_in_scope(uow: UnitOfWork, actor: Principal, code: str, *, for_update: bool = False) -> DossierRetention:
    line = uow.retention.get(code, for_update=for_update)
    scope = archive_agencies(actor, uow.agencies.list())
    if line is None or (scope is not None and line.agency_code not in scope):
        raise dossier_not_found(code)
    return line


def dossier_retention(*, uow: UnitOfWork, actor: Principal, code: str) -> DossierRetention:
    require_archive_role(actor, Role.ARCHIVIST, Role.LEADER, Role.AUDITOR)
    with uow:
        return _line_in_scope(uow, actor, code)


def move_due_date(*, uow: UnitOfWork, clock: Clock, actor: Principal, code: str, new_due_on: date,
                  reason: str) -> DossierRetention:
    """Moves one dossier's due date with a reason: later freely, earlier never below the legal minimum and never
    while the dossier is held."""
    require_archive_role(actor, Role.ARCHIVIST, Role.ADMIN)
    with uow:
        uow.begin_write()
        line = _line_in_scope(uow, actor, code, for_update=True)
        if line.shortens(new_due_on):
            ensure_not_held(uow, [code])
        before = line.due_on
        line.move_due_date(new_due_on, reason=reason, by=actor.username)
        uow.retention.save(line)
        audited(uow, actor, AccessKind.RETENTION_EXTENDED, clock.now(), dossier_code=code, detail={
            "from": before.isoformat() if before else None, "to": new_due_on.isoformat(), "reason": reason})
        uow.commit()
    return line


def disposition_queue(*, uow: UnitOfWork, clock: Clock, actor: Principal, due_before: date | None = None,
                      limit: int = 100, offset: int = 0) -> tuple[list[RetentionDue], int]:
    """The closed dossiers of the actor's archive whose retention ends on or before `due_before` (default today),
    earliest first, each with its end action and whether a hold keeps it."""
    require_archive_role(actor, Role.ARCHIVIST, Role.LEADER, Role.AUDITOR)
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationFailed(f"Kích thước trang phải từ 1 đến {MAX_PAGE}.", f"Page size must be 1 to {MAX_PAGE}.",
                               code="invalid_page")
    with uow:
        scope = archive_agencies(actor, uow.agencies.list())
        lines, count = uow.retention.due(on_or_before=due_before or local_date(clock.now()), agencies=scope,
                                         states=frozenset({RetentionState.KEPT, RetentionState.PROPOSED}),
                                         limit=limit, offset=offset)
        due = []
        for line in lines:
            dossier = uow.dossiers.get(line.dossier_code)
            due.append(RetentionDue(dossier_code=line.dossier_code, agency_code=line.agency_code,
                                    procedure_code=line.procedure_code, closed_at=line.closed_at, due_on=line.due_on,
                                    end_action=line.end_action, schedule_id=line.schedule_id, state=line.state,
                                    held=dossier is not None and bool(holds_on(uow, dossier))))
    return due, count


def start_missing_clocks(*, uow: UnitOfWork, clock: Clock, batch: int = 200) -> int:
    """Starts the retention clock of closed dossiers that have none yet (closed before retention was tracked), from
    their last move. Safe to repeat."""
    started = 0
    offset = 0
    while True:
        with uow:
            uow.begin_write()
            found, _ = uow.dossiers.find(DossierQuery(DossierFilters(states=CLOSED_STATES, limit=batch, offset=offset),
                                                      visible_agencies=None, now=clock.now()))
            for dossier in found:
                if uow.retention.get(dossier.code) is None:
                    closed_at = dossier.completed_at or dossier.last_moved_at or dossier.received_at
                    if record_closure(uow, dossier, closed_at) is not None:
                        started += 1
            uow.commit()
        if len(found) < batch:
            return started
        offset += batch


def lock_originals_until_due(*, uow: UnitOfWork, clock: Clock, blobs: BlobStore,
                             dossier_codes: Sequence[str] | None = None, batch: int = 200) -> int:
    """Where the blob store has S3 object lock, sets GOVERNANCE retention on the originals of kept dossiers until
    their due date (local midnight), so the store itself refuses to delete them earlier. Only ever lengthened: a
    shortened due date leaves the longer retention in place, and disposition removes objects bypassing governance
    retention anyway. Returns the number of dossiers done; safe to repeat (each line remembers the date it set).
    With no object lock (local store), nothing to do. Raises BackendUnavailable when the store does not answer."""
    lock = object_lock_of(blobs)
    if lock is None:
        return 0
    done = 0
    while True:
        today = local_date(clock.now())
        with uow:
            lines = uow.retention.object_retention_pending(due_after=today, limit=batch, dossier_codes=dossier_codes)
            work = [(line.dossier_code, line.due_on,
                     sorted({d.sha256 for d in uow.documents.list_for_dossier(line.dossier_code)}))
                    for line in lines]
        for code, due_on, hashes in work:
            assert due_on is not None  # the query keeps dated lines only
            until = datetime.combine(due_on, time(0), VN_TZ)
            for sha256 in hashes:
                try:
                    lock.set_retention(original_key(sha256), until)
                except BlobMissing:
                    continue  # destroyed or never stored: nothing to protect
            with uow:
                uow.begin_write()
                uow.retention.mark_object_retention(code, due_on)
                uow.commit()
            done += 1
        if len(work) < batch:
            return done

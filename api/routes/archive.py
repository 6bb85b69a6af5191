"""The archive: retention schedules and due dates, the disposition queue, legal holds, disposition proposals and
their approval, tombstones and the destruction list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import BackendsDep, ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.reports.archive_lists import ArchiveList, render_archive_list
from api.schemas.archive import (
    ApprovalIn,
    DispositionPublic,
    DispositionsPublic,
    DueDateMove,
    DuePublic,
    DuesPublic,
    HoldIn,
    HoldPublic,
    HoldsPublic,
    ProposalIn,
    Reason,
    RejectionIn,
    RetentionPublic,
    ScheduleIn,
    SchedulePublic,
    SchedulesPublic,
    TombstonePublic,
    TombstonesPublic,
)
from api.schemas.bounds import DateQuery, OffsetQuery
from records.disposition import DispositionState
from records.services.disposition import (
    approve_disposition,
    dossier_tombstones,
    get_disposition,
    list_dispositions,
    propose_disposition,
    reject_disposition,
)
from records.services.holds import dossier_holds, list_holds, place_hold, release_hold
from records.services.retention import (
    disposition_queue,
    dossier_retention,
    list_schedules,
    lock_originals_until_due,
    move_due_date,
    save_schedule,
)

router = APIRouter(prefix="/archive", tags=["archive"], responses=ERROR_RESPONSES)
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = OffsetQuery


@router.get("/schedules", response_model=SchedulesPublic, summary="Thời hạn bảo quản")
def read_schedules(uow: UowDep, user: CurrentUser, include_inactive: bool = False) -> SchedulesPublic:
    schedules = list_schedules(uow=uow, actor=user, active_only=not include_inactive)
    return SchedulesPublic(data=[SchedulePublic.of(s) for s in schedules], count=len(schedules))


@router.post("/schedules", response_model=SchedulePublic, status_code=201, summary="Thêm thời hạn bảo quản",
             description="Maps a procedure or a field (and optionally a document type) to a retention period and an "
                         "end action; the due dates it governs are recomputed at once.")
def create_schedule(body: ScheduleIn, uow: UowDep, clock: ClockDep, user: CurrentUser) -> SchedulePublic:
    schedule, moved = save_schedule(uow=uow, clock=clock, actor=user, **body.model_dump())
    return SchedulePublic.of(schedule, moved)


@router.put("/schedules/{schedule_id}", response_model=SchedulePublic, summary="Sửa thời hạn bảo quản")
def update_schedule(schedule_id: str, body: ScheduleIn, uow: UowDep, clock: ClockDep,
                    user: CurrentUser) -> SchedulePublic:
    schedule, moved = save_schedule(uow=uow, clock=clock, actor=user, schedule_id=schedule_id, **body.model_dump())
    return SchedulePublic.of(schedule, moved)


@router.get("/retention/due", response_model=DuesPublic, summary="Hồ sơ đến hạn xử lý (hàng chờ)",
            description="Closed dossiers whose retention ends on or before `due_before` (default today), earliest "
                        "first, with their end action and whether a hold keeps them.")
def read_due(uow: UowDep, clock: ClockDep, user: CurrentUser, due_before: DateQuery | None = None, limit: Limit = 100,
             offset: Offset = 0) -> DuesPublic:
    due, count = disposition_queue(uow=uow, clock=clock, actor=user, due_before=due_before, limit=limit,
                                   offset=offset)
    return DuesPublic(data=[DuePublic.of(d) for d in due], count=count)


@router.get("/retention/{code}", response_model=RetentionPublic, summary="Thời hạn bảo quản của một hồ sơ")
def read_retention(code: str, uow: UowDep, user: CurrentUser) -> RetentionPublic:
    return RetentionPublic.of(dossier_retention(uow=uow, actor=user, code=code))


@router.post("/retention/{code}/due-date", response_model=RetentionPublic, summary="Gia hạn / đổi hạn bảo quản",
             description="Moves one dossier's due date with a reason; never below the schedule's legal minimum, "
                         "and never earlier while the dossier is held.")
def change_due_date(code: str, body: DueDateMove, backends: BackendsDep, uow: UowDep, clock: ClockDep,
                    user: CurrentUser) -> RetentionPublic:
    line = move_due_date(uow=uow, clock=clock, actor=user, code=code, new_due_on=body.due_on, reason=body.reason)
    lock_originals_until_due(uow=uow, clock=clock, blobs=backends.blobs, dossier_codes=[code])
    return RetentionPublic.of(line)


@router.get("/holds", response_model=HoldsPublic, summary="Lệnh đóng băng")
def read_holds(uow: UowDep, user: CurrentUser, include_released: bool = False, limit: Limit = 100,
               offset: Offset = 0) -> HoldsPublic:
    holds, count = list_holds(uow=uow, actor=user, active_only=not include_released, limit=limit, offset=offset)
    return HoldsPublic(data=[HoldPublic.of(h) for h in holds], count=count)


@router.post("/holds", response_model=HoldPublic, status_code=201, summary="Đóng băng hồ sơ",
             description="Freezes a dossier, an archival file, or every dossier of an applicant ID number (later ones "
                         "included) against every change, upload, disposition and retention shortening.")
def create_hold(body: HoldIn, backends: BackendsDep, uow: UowDep, clock: ClockDep, user: CurrentUser) -> HoldPublic:
    return HoldPublic.of(place_hold(uow=uow, clock=clock, blobs=backends.blobs, actor=user, scope=body.scope,
                                    target=body.target, reason=body.reason))


@router.post("/holds/{hold_id}/release", response_model=HoldPublic, summary="Gỡ đóng băng")
def release(hold_id: str, body: Reason, backends: BackendsDep, uow: UowDep, clock: ClockDep,
            user: CurrentUser) -> HoldPublic:
    return HoldPublic.of(release_hold(uow=uow, clock=clock, blobs=backends.blobs, actor=user, hold_id=hold_id,
                                      reason=body.reason))


@router.get("/dossiers/{code}/holds", response_model=HoldsPublic, summary="Lệnh đóng băng trên hồ sơ")
def read_dossier_holds(code: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> HoldsPublic:
    holds = dossier_holds(uow=uow, clock=clock, actor=user, code=code)
    return HoldsPublic(data=[HoldPublic.of(h) for h in holds], count=len(holds))


@router.get("/dispositions", response_model=DispositionsPublic, summary="Đề nghị tiêu hủy, nộp lưu")
def read_dispositions(uow: UowDep, user: CurrentUser, state: DispositionState | None = None, limit: Limit = 100,
                      offset: Offset = 0) -> DispositionsPublic:
    found, count = list_dispositions(uow=uow, actor=user, state=state, limit=limit, offset=offset)
    return DispositionsPublic(data=[DispositionPublic.of(d) for d in found], count=count)


@router.post("/dispositions", response_model=DispositionPublic, status_code=201, summary="Đề nghị tiêu hủy / nộp lưu")
def propose(body: ProposalIn, uow: UowDep, clock: ClockDep, user: CurrentUser) -> DispositionPublic:
    return DispositionPublic.of(propose_disposition(uow=uow, clock=clock, actor=user, dossier_codes=body.dossier_codes,
                                                    reason=body.reason, action=body.action))


@router.get("/dispositions/{disposition_id}", response_model=DispositionPublic, summary="Một đề nghị và bia mộ")
def read_disposition(disposition_id: str, uow: UowDep, user: CurrentUser) -> DispositionPublic:
    disposition, tombstones = get_disposition(uow=uow, actor=user, disposition_id=disposition_id)
    return DispositionPublic.of(disposition, tombstones)


@router.post("/dispositions/{disposition_id}/approve", response_model=DispositionPublic, summary="Phê duyệt (nhập lại "
             "mật khẩu)", description="A second person — an archivist or a leader, not the proposer — approves after "
                                     "typing their password again; the set is then destroyed, or packaged for deposit.")
def approve(disposition_id: str, body: ApprovalIn, backends: BackendsDep, uow: UowDep, clock: ClockDep,
            user: CurrentUser) -> DispositionPublic:
    from infra.packages import deposit_package_writer

    disposition = approve_disposition(uow=uow, clock=clock, hasher=backends.hasher, blobs=backends.blobs,
                                      index=backends.search, actor=user, disposition_id=disposition_id,
                                      password=body.password, note=body.note,
                                      package=deposit_package_writer(backends),
                                      deposit_dir=backends.settings.effective_deposit_dir)
    return DispositionPublic.of(disposition, get_disposition(uow=uow, actor=user, disposition_id=disposition.id)[1])


@router.post("/dispositions/{disposition_id}/reject", response_model=DispositionPublic, summary="Từ chối đề nghị")
def reject(disposition_id: str, body: RejectionIn, uow: UowDep, clock: ClockDep,
           user: CurrentUser) -> DispositionPublic:
    return DispositionPublic.of(reject_disposition(uow=uow, clock=clock, actor=user, disposition_id=disposition_id,
                                                   note=body.note))


@router.get("/tombstones/{code}", response_model=TombstonesPublic, summary="Bia hồ sơ đã hủy",
            description="What remains of a destroyed dossier: its tombstone and one per document (metadata, hashes, "
                        "schedule, who proposed and approved, when).")
def read_tombstones(code: str, uow: UowDep, user: CurrentUser) -> TombstonesPublic:
    found = dossier_tombstones(uow=uow, actor=user, code=code)
    return TombstonesPublic(data=[TombstonePublic.of(t) for t in found], count=len(found))


@router.get("/dispositions/{disposition_id}/list.pdf", summary="Danh mục tài liệu hủy (PDF)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def destruction_list(disposition_id: str, uow: UowDep, user: CurrentUser) -> Response:
    disposition, tombstones = get_disposition(uow=uow, actor=user, disposition_id=disposition_id)
    with uow:
        agency = uow.agencies.get(disposition.agency_code)
    rows = []
    for number, t in enumerate((t for t in tombstones if t.kind == "document"), start=1):
        r = t.record
        rows.append([str(number), t.dossier_code, r.get("title", ""), r.get("document_type", ""),
                     str(r.get("page_count") or ""), (r.get("schedule") or {}).get("closed_at", "")[:10],
                     str((r.get("schedule") or {}).get("years") or ""), r.get("sha256", "")[:16] + "…"])
    paper = ArchiveList(
        agency_name=agency.name if agency else disposition.agency_code, title="DANH MỤC TÀI LIỆU HỦY",
        columns=[("STT", 1), ("Mã hồ sơ", 5), ("Tên tài liệu", 8), ("Loại", 3), ("Số trang", 1.5),
                 ("Ngày kết thúc", 2.5), ("Thời hạn (năm)", 2), ("SHA-256", 4)],
        rows=rows, intro=[f"Lý do hủy: {disposition.reason}",
                          f"Người đề nghị: {disposition.proposed_by} — Người duyệt: {disposition.decided_by or '—'}"],
        signatures=["NGƯỜI LẬP DANH MỤC", "NGƯỜI PHÊ DUYỆT"], created_at=disposition.decided_at)
    name = f"danh-muc-tai-lieu-huy-{disposition.id[:8]}.pdf"
    return Response(render_archive_list(paper), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})

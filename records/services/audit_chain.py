"""Use cases for the audit chain (records.audit): verifying it end to end, and checkpointing its head outside the
database. A verification that finds a break raises an archive alert naming the first broken entry."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from records.access import Principal, PrincipalKind, Role
from records.access_log import AccessKind
from records.archive import require_archive_role
from records.archive_alerts import ArchiveAlert
from records.audit import Checkpoint, Verification, verify_chain
from records.blobs import BlobMissing, BlobStore, object_lock_of
from records.clock import Clock
from records.ports import UnitOfWork
from records.services.access import audited

CHECKPOINT_PREFIX = "audit/checkpoints/"
CHECKPOINT_RETENTION = timedelta(days=365 * 10)
VERIFIERS = (Role.AUDITOR, Role.ARCHIVIST, Role.ADMIN)
# Who the chain names for the scheduled verification (Celery beat, `hoso audit verify`).
VERIFY_ACTOR = Principal("system.audit", "", frozenset(), full_name="Kiểm tra nhật ký tự động",
                         kind=PrincipalKind.INTEGRATION)

_PROBLEMS = {
    "content_changed": ("Nội dung bản ghi nhật ký đã bị sửa.", "The entry's content was changed."),
    "link_broken": ("Chuỗi băm bị đứt: bản ghi trước đó đã bị sửa, xóa hoặc chèn thêm.",
                    "The chain is broken: an entry before it was changed, removed or inserted."),
    "unsealed": ("Bản ghi không có mã băm.", "The entry carries no hash."),
    "checkpoint_mismatch": ("Bản ghi khác với điểm kiểm tra đã lưu ngoài cơ sở dữ liệu.",
                            "The entry differs from the checkpoint kept outside the database."),
    "tail_missing": ("Các bản ghi cuối nhật ký đã bị cắt bỏ (thiếu so với điểm kiểm tra).",
                     "Entries at the end of the log were cut off (the checkpoint's entry is missing)."),
}


def checkpoint_key(entry_id: int) -> str:
    return f"{CHECKPOINT_PREFIX}{entry_id:015d}.json"


def latest_checkpoint(blobs: BlobStore) -> Checkpoint | None:
    """The newest checkpoint in the blob store (keys sort by entry id)."""
    keys = sorted(blobs.keys(CHECKPOINT_PREFIX))
    for key in reversed(keys):
        try:
            with blobs.open(key) as stream:
                return Checkpoint.from_json(stream.read())
        except (BlobMissing, ValueError, KeyError):
            continue
    return None


def checkpoint_audit_chain(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock) -> Checkpoint | None:
    """Writes the chain head to the blob store (object-locked for ten years where the store can), unless the log is
    empty or the newest checkpoint already has it. Safe to repeat."""
    with uow:
        last_id, last_hash = uow.access_log.head()
    if last_id == 0:
        return None
    newest = latest_checkpoint(blobs)
    if newest is not None and newest.entry_id >= last_id:
        return newest
    checkpoint = Checkpoint(last_id, last_hash, clock.now())
    key = checkpoint_key(last_id)
    blobs.put(key, io.BytesIO(checkpoint.to_json()), content_type="application/json")
    lock = object_lock_of(blobs)
    if lock is not None:
        lock.set_retention(key, checkpoint.at + CHECKPOINT_RETENTION)
    return checkpoint


def verify_audit_chain(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock,
                       actor: Principal | None = None) -> Verification:
    """Recomputes the whole chain (streamed: memory does not grow with the log) against the newest checkpoint.
    A break raises an archive alert; an intact chain gets a fresh checkpoint. `actor` None: the scheduled check."""
    if actor is not None:
        require_archive_role(actor, *VERIFIERS)
    checkpoint = latest_checkpoint(blobs)
    with uow:
        result = verify_chain(uow.access_log.chain(), checkpoint=checkpoint)
    now = clock.now()
    outcome = {"intact": result.intact, "checked": result.checked, "last_id": result.last_id,
               "first_broken_id": result.first_broken_id, "problem": result.problem,
               "checkpoint_entry_id": checkpoint.entry_id if checkpoint is not None else None}
    with uow:
        uow.begin_write()
        # The verification itself is an entry of the chain: the archivist's page shows the last one.
        audited(uow, actor or VERIFY_ACTOR, AccessKind.AUDIT_VERIFIED, now, detail=outcome, reason="audit_verify")
        if not result.intact:
            vi, en = _PROBLEMS.get(result.problem or "", ("Nhật ký bị hỏng.", "The log is damaged."))
            subject = (f"entry:{result.first_broken_id}" if result.first_broken_id is not None
                       else f"tail:{result.problem}")
            uow.archive_alerts.raise_once(ArchiveAlert(
                kind="audit_chain_broken", subject=subject,
                message_vi=f"Nhật ký kiểm tra không toàn vẹn: {vi}", message_en=f"The audit log is not intact: {en}",
                raised_at=now, detail={"first_broken_id": result.first_broken_id, "problem": result.problem,
                                       "checked": result.checked, **result.detail}))
        uow.commit()
    if result.intact:
        checkpoint_audit_chain(uow=uow, blobs=blobs, clock=clock)
    return result


@dataclass(frozen=True)
class LastVerification:
    at: datetime
    username: str
    intact: bool
    checked: int
    first_broken_id: int | None
    problem: str | None


@dataclass(frozen=True)
class AuditStatus:
    """What the archivist's page shows: the chain head, the newest checkpoint, the last verification."""

    head_id: int
    head_hash: str
    checkpoint: Checkpoint | None
    last_verification: LastVerification | None


def audit_status(*, uow: UnitOfWork, blobs: BlobStore, actor: Principal) -> AuditStatus:
    require_archive_role(actor, *VERIFIERS)
    with uow:
        head_id, head_hash = uow.access_log.head()
        found = uow.access_log.latest(AccessKind.AUDIT_VERIFIED)
    last = None
    if found is not None:
        detail = found.detail
        broken = detail.get("first_broken_id")
        last = LastVerification(at=found.at, username=found.username, intact=bool(detail.get("intact")),
                                checked=int(detail.get("checked") or 0),
                                first_broken_id=int(broken) if broken is not None else None,
                                problem=detail.get("problem"))
    return AuditStatus(head_id, head_hash, latest_checkpoint(blobs), last)


def describe(result: Verification) -> tuple[str, str]:
    """Vietnamese and English words for a verification's outcome."""
    if result.intact:
        return (f"Chuỗi nhật ký toàn vẹn: {result.checked} bản ghi.", f"The chain is intact: {result.checked} entries.")
    vi, en = _PROBLEMS.get(result.problem or "", ("Nhật ký bị hỏng.", "The log is damaged."))
    where_vi = f" Bản ghi hỏng đầu tiên: #{result.first_broken_id}." if result.first_broken_id is not None else ""
    where_en = f" First broken entry: #{result.first_broken_id}." if result.first_broken_id is not None else ""
    return (f"{vi}{where_vi} Đã kiểm tra {result.checked} bản ghi toàn vẹn trước đó.",
            f"{en}{where_en} {result.checked} entries checked intact before it.")

"""The archive's integrity: fixity progress and repairs, and the audit chain's verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import BackendsDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from records.services.audit_chain import audit_status, describe, verify_audit_chain
from records.services.fixity import fixity_report

router = APIRouter(prefix="/archive", tags=["archive"], responses=ERROR_RESPONSES)


class FixityProblemPublic(BaseModel):
    key: str
    at: datetime
    outcome: str
    expected_sha256: str
    actual_sha256: str | None


class FixityReportPublic(BaseModel):
    blobs: int
    checked_this_pass: int
    pass_started_at: datetime | None
    last_full_pass_at: datetime | None
    damaged_now: int
    recent_problems: list[FixityProblemPublic]


class AuditVerificationPublic(BaseModel):
    intact: bool
    checked: int
    last_id: int | None
    first_broken_id: int | None
    problem: str | None
    message_vi: str
    message_en: str
    detail: dict[str, Any]


class CheckpointPublic(BaseModel):
    entry_id: int
    entry_hash: str
    at: datetime


class LastVerificationPublic(BaseModel):
    at: datetime
    username: str
    intact: bool
    checked: int
    first_broken_id: int | None
    problem: str | None


class AuditStatusPublic(BaseModel):
    head_id: int
    head_hash: str
    checkpoint: CheckpointPublic | None
    last_verification: LastVerificationPublic | None


@router.get("/fixity", response_model=FixityReportPublic, summary="Kiểm tra toàn vẹn tệp lưu trữ",
            description="Progress of the current fixity pass, the last full pass, blobs damaged now, and recent "
                        "failures and repairs. Archivists, auditors, administrators.")
def read_fixity(uow: UowDep, user: CurrentUser) -> FixityReportPublic:
    report = fixity_report(uow=uow, actor=user)
    return FixityReportPublic(
        blobs=report.blobs, checked_this_pass=report.checked_this_pass, pass_started_at=report.state.pass_started_at,
        last_full_pass_at=report.state.last_full_pass_at, damaged_now=report.damaged_now,
        recent_problems=[FixityProblemPublic(key=p.key, at=p.at, outcome=p.outcome.value,
                                             expected_sha256=p.expected_sha256, actual_sha256=p.actual_sha256)
                         for p in report.recent_problems])


@router.post("/audit/verify", response_model=AuditVerificationPublic, summary="Kiểm tra chuỗi nhật ký",
             description="Recomputes the whole audit chain (streamed) against the newest checkpoint and names the "
                         "first broken entry; a break also raises an archive alert. No entry can be changed or "
                         "deleted through any endpoint.")
def verify(backends: BackendsDep, user: CurrentUser) -> AuditVerificationPublic:
    result = verify_audit_chain(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, actor=user)
    vi, en = describe(result)
    return AuditVerificationPublic(intact=result.intact, checked=result.checked, last_id=result.last_id,
                                   first_broken_id=result.first_broken_id, problem=result.problem, message_vi=vi,
                                   message_en=en, detail=result.detail)


@router.get("/audit", response_model=AuditStatusPublic, summary="Tình trạng chuỗi nhật ký",
            description="The audit chain's head (last entry id and hash), the newest checkpoint kept in the blob "
                        "store, and the last verification (who, when, outcome). Auditors, archivists, "
                        "administrators.")
def read_audit_status(backends: BackendsDep, user: CurrentUser) -> AuditStatusPublic:
    status = audit_status(uow=backends.uow(), blobs=backends.blobs, actor=user)
    checkpoint, last = status.checkpoint, status.last_verification
    return AuditStatusPublic(
        head_id=status.head_id, head_hash=status.head_hash,
        checkpoint=None if checkpoint is None else CheckpointPublic(
            entry_id=checkpoint.entry_id, entry_hash=checkpoint.entry_hash, at=checkpoint.at),
        last_verification=None if last is None else LastVerificationPublic(
            at=last.at, username=last.username, intact=last.intact, checked=last.checked,
            first_broken_id=last.first_broken_id, problem=last.problem))

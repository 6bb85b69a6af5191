"""Disposition: a set of due dossiers proposed for destruction (or deposit) by one archivist and approved by a second
person — an archivist or a leader, never the proposer — after re-entering their password (QCVN 12:2026/BCA: deletion
only after re-authentication). What is destroyed leaves a tombstone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from records.errors import DomainError, InvalidTransition, PermissionDenied, ValidationFailed
from records.retention import EndAction

MAX_DOSSIERS = 500


class DispositionState(StrEnum):
    PROPOSED = "proposed"
    REJECTED = "rejected"
    EXECUTED = "executed"  # destroyed (blobs may still be pending) or deposited


class ReauthenticationFailed(DomainError):
    code = "reauthentication_failed"
    message_vi = "Mật khẩu xác nhận không đúng."
    message_en = "The confirmation password is wrong."


class DestructionNotStarted(DomainError):
    """The checks before a destruction could not reach the blob store: nothing was touched."""

    code = "destruction_not_started"
    message_vi = "Không kết nối được kho lưu tệp; chưa hủy gì, bộ hồ sơ còn nguyên. Hãy thử lại sau."
    message_en = "The file store does not answer; nothing was destroyed and the set is intact. Try again later."


class DestructionFailed(DomainError):
    """The destruction's database transaction failed and was rolled back: nothing was destroyed."""

    code = "destruction_failed"
    message_vi = "Việc hủy không thực hiện được và đã được hoàn tác; bộ hồ sơ còn nguyên."
    message_en = "The destruction failed and was rolled back; the set is intact."


@dataclass
class Disposition:
    id: str
    action: EndAction
    reason: str
    dossier_codes: list[str]
    agency_code: str
    proposed_by: str
    proposed_at: datetime
    state: DispositionState = DispositionState.PROPOSED
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str = ""
    pending_blobs: list[str] = field(default_factory=list)
    index_pending: bool = False  # the search entries of the destroyed dossiers are still to remove
    package_path: str | None = None

    def check_decider(self, username: str) -> None:
        if self.state is not DispositionState.PROPOSED:
            raise InvalidTransition("Đề nghị đã được quyết định.", "The proposal was already decided.",
                                    code="disposition_decided", detail={"state": self.state.value})
        if username == self.proposed_by:
            raise PermissionDenied("Người đề nghị không được tự phê duyệt.",
                                   "The proposer cannot approve their own proposal.",
                                   code="cannot_approve_own_proposal")

    def decide(self, to: DispositionState, *, by: str, at: datetime, note: str = "") -> None:
        self.check_decider(by)
        self.state, self.decided_by, self.decided_at, self.decision_note = to, by, at, note.strip()


def check_proposal(dossier_codes: list[str], reason: str) -> list[str]:
    if not reason.strip():
        raise ValidationFailed("Cần nêu lý do.", "A reason is required.", code="reason_required")
    codes = list(dict.fromkeys(c.strip() for c in dossier_codes if c.strip()))
    if not 1 <= len(codes) <= MAX_DOSSIERS:
        raise ValidationFailed(f"Đề nghị gồm từ 1 đến {MAX_DOSSIERS} hồ sơ.",
                               f"A proposal holds 1 to {MAX_DOSSIERS} dossiers.", code="invalid_dossier_set")
    return codes


@dataclass(frozen=True)
class Tombstone:
    kind: str  # dossier | document
    dossier_code: str
    disposition_id: str
    destroyed_at: datetime
    record: dict[str, Any]
    document_id: str | None = None
    id: int | None = None

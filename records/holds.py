"""Legal holds (đóng băng): a hold freezes a dossier, an archival file, or every dossier of one applicant ID number
(including ones received later) against every change, transfer, upload, deletion, disposition and retention
shortening — for administrators too — until an archivist or a leader releases it with a reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from records.errors import DomainError, ValidationFailed


class HoldScope(StrEnum):
    DOSSIER = "dossier"  # target: a dossier code
    FILE = "file"  # target: an archival file code
    APPLICANT = "applicant"  # target: an applicant's ID number (CCCD, tax code): every dossier, also later ones


class OnHold(DomainError):
    code = "dossier_on_hold"
    message_vi = "Hồ sơ đang bị đóng băng (giữ theo yêu cầu pháp lý); không thể thay đổi."
    message_en = "The dossier is under a legal hold and cannot be changed."


@dataclass
class Hold:
    id: str
    scope: HoldScope
    target: str
    agency_code: str  # whose archive placed it (it manages the hold)
    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str | None = None
    released_at: datetime | None = None
    release_reason: str = ""

    @property
    def active(self) -> bool:
        return self.released_at is None

    def release(self, *, by: str, at: datetime, reason: str) -> None:
        if not reason.strip():
            raise ValidationFailed("Cần nêu lý do gỡ đóng băng.", "Releasing a hold needs a reason.",
                                   code="reason_required")
        if not self.active:
            raise ValidationFailed("Lệnh đóng băng đã được gỡ.", "The hold is already released.",
                                   code="hold_already_released")
        self.released_by, self.released_at, self.release_reason = by, at, reason.strip()


def check_new_hold(scope: HoldScope, target: str, reason: str) -> None:
    if not reason.strip():
        raise ValidationFailed("Cần nêu lý do đóng băng.", "A hold needs a reason.", code="reason_required")
    if not target.strip() or len(target) > 64:
        raise ValidationFailed("Đối tượng đóng băng không hợp lệ.", "The hold's target is not valid.",
                               code="invalid_hold_target", detail={"scope": scope.value})


def on_hold(holds: Iterable[Hold]) -> OnHold:
    found = list(holds)
    return OnHold(detail={"holds": [{"id": h.id, "scope": h.scope.value, "target": h.target, "reason": h.reason}
                                    for h in found]})

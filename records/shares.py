"""Explicit shares: an agency lends a dossier, or some of its documents, to another agency for a purpose,
until a date, revocable at any time (chia sẻ hồ sơ, tài liệu)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from records.access import ShareGrant
from records.errors import ValidationFailed

MAX_SHARE_DAYS = 366
MAX_PURPOSE_LENGTH = 1000


class ShareStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass
class Share:
    id: str
    dossier_code: str
    grantor_agency_code: str
    grantee_agency_code: str
    purpose: str
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    whole_dossier: bool = True
    document_ids: tuple[str, ...] = ()  # what a document share covers
    allow_attach: bool = False  # the grantee may attach documents (its results) to the dossier
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str = ""

    def status(self, now: datetime) -> ShareStatus:
        if self.revoked_at is not None:
            return ShareStatus.REVOKED
        return ShareStatus.ACTIVE if now < self.expires_at else ShareStatus.EXPIRED

    @property
    def grant(self) -> ShareGrant:
        return ShareGrant(share_id=self.id, grantee_agency_code=self.grantee_agency_code,
                          expires_at=self.expires_at, whole_dossier=self.whole_dossier,
                          document_ids=frozenset(self.document_ids),
                          allow_attach=self.allow_attach, revoked_at=self.revoked_at)

    def revoke(self, *, by: str, at: datetime, reason: str) -> bool:
        """Ends the share now. Safe to repeat: False when it was already revoked (nothing changes)."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = at
        self.revoked_by = by
        self.revoke_reason = reason.strip()
        return True


def check_share_terms(*, purpose: str, expires_at: datetime, now: datetime, whole_dossier: bool,
                      allow_attach: bool) -> None:
    """A share names its purpose, ends within MAX_SHARE_DAYS, and only a whole-dossier share may attach."""
    if not purpose.strip():
        raise ValidationFailed("Cần ghi mục đích chia sẻ.", "A share needs a purpose.", code="purpose_required")
    if len(purpose) > MAX_PURPOSE_LENGTH:
        raise ValidationFailed("Mục đích chia sẻ quá dài.", "The purpose is too long.", code="purpose_too_long",
                               detail={"max_length": MAX_PURPOSE_LENGTH})
    if expires_at.tzinfo is None:
        raise ValidationFailed("Thời hạn chia sẻ cần có múi giờ.", "The expiry needs a timezone.",
                               code="naive_datetime")
    if expires_at <= now:
        raise ValidationFailed("Thời hạn chia sẻ phải ở tương lai.", "The expiry must be in the future.",
                               code="expiry_in_past", detail={"expires_at": expires_at.isoformat()})
    if expires_at > now + timedelta(days=MAX_SHARE_DAYS):
        raise ValidationFailed(f"Thời hạn chia sẻ tối đa {MAX_SHARE_DAYS} ngày.",
                               f"A share lasts at most {MAX_SHARE_DAYS} days.", code="expiry_too_far",
                               detail={"max_days": MAX_SHARE_DAYS})
    if allow_attach and not whole_dossier:
        raise ValidationFailed("Chỉ chia sẻ cả hồ sơ mới cho phép đính kèm kết quả.",
                               "Only a whole-dossier share may allow attaching documents.",
                               code="attach_needs_whole_dossier")

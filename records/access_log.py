"""The access log: every read and download of a dossier or a document — who, for which agency, what, when,
and why it was allowed. It answers "who read this document" for any document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from records.access import Decision, Principal


class AccessKind(StrEnum):
    VIEW = "view"  # the dossier, its history, control slip, letters or list of documents
    DOCUMENT = "document"  # a document's metadata
    DOWNLOAD = "download"  # the original or the searchable PDF
    TEXT = "text"  # the recognised text, page by page
    PREVIEW = "preview"  # a page image
    SNIPPET = "snippet"  # text shown in a search result
    LIST = "list"  # a list query (its filters are recorded, not every row)
    SEARCH = "search"  # a search query
    PUBLIC_LOOKUP = "public_lookup"  # a citizen's lookup with the receipt secret
    AUDIT = "audit"  # someone read this dossier's access log
    # writes (the audit trail; see records.services.access.audited)
    DOSSIER_RECEIVED = "dossier_received"
    DOSSIER_IMPORTED = "dossier_imported"  # brought in from a past archive (hoso import)
    TRANSITION = "transition"
    EXTENSION_LETTER = "extension_letter"
    DOCUMENT_ATTACHED = "document_attached"
    DOCUMENT_RETRIED = "document_retried"
    SHARE_GRANTED = "share_granted"
    SHARE_REVOKED = "share_revoked"
    INTEGRATION_CREATED = "integration_created"
    INTEGRATION_REVOKED = "integration_revoked"
    INTEGRATION_ROTATED = "integration_rotated"
    WEBHOOK_CHANGED = "webhook_changed"
    WEBHOOK_REPLAYED = "webhook_replayed"
    USER_CREATED = "user_created"
    CATALOGUE_IMPORTED = "catalogue_imported"
    RECEIPT_REISSUED = "receipt_reissued"
    ARCHIVE_ALERT_ACKNOWLEDGED = "archive_alert_acknowledged"
    HOLD_PLACED = "hold_placed"
    HOLD_RELEASED = "hold_released"
    SCHEDULE_CHANGED = "retention_schedule_changed"
    RETENTION_EXTENDED = "retention_extended"
    DISPOSITION_PROPOSED = "disposition_proposed"
    DISPOSITION_APPROVED = "disposition_approved"
    DISPOSITION_REJECTED = "disposition_rejected"
    REAUTHENTICATION_FAILED = "reauthentication_failed"
    DOSSIER_DESTROYED = "dossier_destroyed"
    DOSSIER_DEPOSITED = "dossier_deposited"
    FILE_CHANGED = "archival_file_changed"
    FILE_EXPORTED = "archival_file_exported"
    FIXITY_REPAIRED = "fixity_repaired"
    BAG_EXPORTED = "bag_exported"
    BAG_IMPORTED = "bag_imported"
    AUDIT_VERIFIED = "audit_verified"  # someone (or the schedule) recomputed the audit chain; the outcome in detail
    BACKUP_CREATED = "backup_created"  # `hoso backup`: where, how big, the manifest's hash, the chain head it holds
    BACKUP_VERIFIED = "backup_verified"  # a backup's hashes were checked again; the outcome in detail
    BACKUP_RESTORED = "backup_restored"  # this instance was brought back from a backup (the first entry after it)


# The kinds that record a read (the rest record writes: the audit trail).
READ_KINDS = frozenset({AccessKind.VIEW, AccessKind.DOCUMENT, AccessKind.DOWNLOAD, AccessKind.TEXT, AccessKind.PREVIEW,
                        AccessKind.SNIPPET, AccessKind.LIST, AccessKind.SEARCH, AccessKind.PUBLIC_LOOKUP,
                        AccessKind.AUDIT})


@dataclass(frozen=True)
class AccessEntry:
    at: datetime
    principal_kind: str
    username: str
    agency_code: str | None
    action: AccessKind
    reason: str
    dossier_code: str | None = None
    document_id: str | None = None
    share_id: str | None = None
    client: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


def entry(principal: Principal, action: AccessKind, decision: Decision, at: datetime, *,
          dossier_code: str | None = None, document_id: str | None = None,
          detail: dict[str, Any] | None = None) -> AccessEntry:
    return AccessEntry(at=at, principal_kind=principal.kind.value, username=principal.username,
                       agency_code=principal.agency_code or None, action=action, reason=decision.reason,
                       dossier_code=dossier_code, document_id=document_id, share_id=decision.share_id,
                       client=principal.client, detail=detail or {})


@dataclass(frozen=True)
class AccessLogFilter:
    dossier_code: str | None = None
    document_id: str | None = None
    username: str | None = None
    agency_code: str | None = None
    actions: frozenset[AccessKind] = frozenset()
    since: date | None = None
    until: date | None = None
    limit: int = 100
    offset: int = 0

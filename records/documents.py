"""Documents: the papers of a dossier, from upload to a searchable text layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from records.errors import InvalidTransition
from records.procedures import DocumentType


class DocumentStatus(StrEnum):
    QUEUED = "queued"  # stored, waiting for a worker
    EXTRACTING = "extracting"  # reading pages and any text layer
    OCR = "ocr"  # recognising text on scanned pages
    INDEXED = "indexed"  # searchable
    FAILED = "failed"  # with a reason; can be retried


D = DocumentStatus
STATUS_MOVES: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    D.QUEUED: frozenset({D.EXTRACTING, D.FAILED}),
    # A worker that died mid-way leaves the status where it was; running again starts over.
    # QUEUED again: retry of a stuck document (see Document.is_stuck).
    D.EXTRACTING: frozenset({D.EXTRACTING, D.OCR, D.INDEXED, D.FAILED, D.QUEUED}),
    D.OCR: frozenset({D.EXTRACTING, D.INDEXED, D.FAILED, D.QUEUED}),
    D.INDEXED: frozenset({D.EXTRACTING, D.INDEXED}),  # re-extraction (reindex, better OCR)
    D.FAILED: frozenset({D.QUEUED}),  # the retry action
}
IN_PROGRESS = frozenset({D.EXTRACTING, D.OCR})  # a worker holds (or held) the document: its lease says which
# Retry also takes a stuck document (its worker vanished: no heartbeat for longer than the lease).
RETRY_FROM = frozenset({D.FAILED}) | IN_PROGRESS


class PageSource(StrEnum):
    TEXT_LAYER = "text_layer"  # born-digital text
    OCR = "ocr"


@dataclass(frozen=True)
class DocumentMetadata:
    """Fields of the national document standard that officers may record."""

    number_notation: str | None = None  # số, ký hiệu
    issuing_organ: str | None = None  # cơ quan ban hành
    issued_date: date | None = None
    signer: str | None = None
    subject: str | None = None  # trích yếu


@dataclass
class Document:
    id: str
    dossier_code: str
    document_type: DocumentType
    title: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    status: DocumentStatus = DocumentStatus.QUEUED
    status_changed_at: datetime | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    page_count: int | None = None
    has_searchable_pdf: bool = False
    attempts: int = 0
    uploaded_agency_code: str | None = None  # the agency (or system) that attached it
    is_result: bool = False  # a result of the procedure (kết quả giải quyết): the citizen may download it
    # The processing lease: the run (task id) working on the document and when it last showed it was alive.
    # Large documents are processed in chunks; `pages_done` pages (1..pages_done) already have their text.
    lease_owner: str | None = None
    heartbeat_at: datetime | None = None
    pages_done: int = 0

    def is_stuck(self, now: datetime, lease: timedelta) -> bool:
        """In progress, but no run has shown it is alive for longer than `lease`: its worker vanished."""
        if self.status not in IN_PROGRESS:
            return False
        last_sign = self.heartbeat_at or self.status_changed_at
        return last_sign is None or now - last_sign > lease

    def may_run(self, run_id: str, now: datetime, lease: timedelta) -> bool:
        """Whether the run `run_id` may work on the document now: it is new work, the run holds the lease (a
        continuation, or a redelivery of the same task), the lease is free, or its holder vanished."""
        if self.status is DocumentStatus.FAILED:
            return False
        if self.status not in IN_PROGRESS:
            return True
        return self.lease_owner in {None, run_id} or self.is_stuck(now, lease)

    def take_lease(self, run_id: str | None, now: datetime) -> None:
        self.lease_owner = run_id
        self.heartbeat_at = now

    def move(self, to: DocumentStatus, at: datetime, *, failure_code: str | None = None,
             failure_reason: str | None = None) -> None:
        if to not in STATUS_MOVES[self.status]:
            raise InvalidTransition(
                f"Tài liệu đang ở trạng thái '{self.status.value}', không thể chuyển sang '{to.value}'.",
                f"A document in '{self.status.value}' cannot move to '{to.value}'.",
                code="invalid_document_status",
                detail={"from_status": self.status.value, "to_status": to.value},
            )
        if to is DocumentStatus.EXTRACTING and self.status is not DocumentStatus.EXTRACTING:
            self.attempts += 1
        self.status = to
        self.status_changed_at = at
        if to is DocumentStatus.FAILED:
            self.failure_code = failure_code or "processing_failed"
            self.failure_reason = failure_reason or ""
        else:
            self.failure_code = None
            self.failure_reason = None


@dataclass(frozen=True)
class PageText:
    page_number: int  # 1-based
    text: str
    source: PageSource
    confidence: float | None = None  # mean OCR word confidence, 0-100

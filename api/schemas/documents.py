"""Schemas for documents. Lists and metadata never carry text: it has its own endpoint."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from records.documents import Document, DocumentStatus, PageSource, PageText
from records.procedures import DocumentType


class DocumentLinks(BaseModel):
    self: str
    original: str
    searchable_pdf: str | None
    text: str
    retry: str | None
    readers: str


class DocumentPublic(BaseModel):
    id: str
    dossier_code: str
    document_type: DocumentType
    title: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    page_count: int | None
    status: DocumentStatus
    failure_code: str | None
    failure_reason: str | None
    uploaded_by: str
    uploaded_agency_code: str | None
    uploaded_at: datetime
    is_result: bool
    number_notation: str | None
    issuing_organ: str | None
    issued_date: date | None
    signer: str | None
    subject: str | None
    # Progress of a document read in chunks, and whether its worker vanished (then `links.retry` is offered).
    pages_done: int = 0
    stuck: bool = False
    links: DocumentLinks

    @classmethod
    def of(cls, document: Document, *, stuck: bool = False) -> DocumentPublic:
        base = f"/api/v1/documents/{document.id}"
        meta = document.metadata
        return cls(
            id=document.id, dossier_code=document.dossier_code, document_type=document.document_type,
            title=document.title, filename=document.filename, media_type=document.media_type,
            size_bytes=document.size_bytes, sha256=document.sha256, page_count=document.page_count,
            status=document.status, failure_code=document.failure_code, failure_reason=document.failure_reason,
            uploaded_by=document.uploaded_by, uploaded_agency_code=document.uploaded_agency_code,
            uploaded_at=document.uploaded_at, is_result=document.is_result,
            number_notation=meta.number_notation, issuing_organ=meta.issuing_organ, issued_date=meta.issued_date,
            signer=meta.signer, subject=meta.subject, pages_done=document.pages_done, stuck=stuck,
            links=DocumentLinks(
                self=base, original=f"{base}/original",
                searchable_pdf=f"{base}/searchable.pdf" if document.has_searchable_pdf else None,
                text=f"{base}/text",
                retry=f"{base}/retry" if document.status is DocumentStatus.FAILED or stuck else None,
                readers=f"{base}/access-log"),
        )


class DocumentStatusPublic(BaseModel):
    """Only the processing status: what a waiting screen polls (not written to the access log)."""

    id: str
    status: DocumentStatus
    failure_code: str | None
    page_count: int | None
    has_searchable_pdf: bool

    @classmethod
    def of(cls, document: Document) -> DocumentStatusPublic:
        return cls(id=document.id, status=document.status, failure_code=document.failure_code,
                   page_count=document.page_count, has_searchable_pdf=document.has_searchable_pdf)


class DocumentsPublic(BaseModel):
    data: list[DocumentPublic]
    count: int


class PagePublic(BaseModel):
    page_number: int
    text: str
    source: PageSource
    confidence: float | None

    @classmethod
    def of(cls, page: PageText) -> PagePublic:
        return cls(page_number=page.page_number, text=page.text, source=page.source, confidence=page.confidence)


class DocumentText(BaseModel):
    document_id: str
    status: DocumentStatus
    pages: list[PagePublic]

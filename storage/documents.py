"""The SQL repository of documents and their page texts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.documents import IN_PROGRESS, Document, DocumentMetadata, DocumentStatus, PageSource, PageText
from records.errors import Conflict, NotFound
from records.procedures import DocumentType
from storage.models import DocumentPageRow, DocumentRow, DossierRow, table_of

DOCUMENTS = table_of(DocumentRow)
PAGES = table_of(DocumentPageRow)
DOSSIERS = table_of(DossierRow)

_COLUMNS = ("document_type", "title", "filename", "media_type", "size_bytes", "sha256", "uploaded_by",
            "uploaded_at", "status", "status_changed_at", "failure_code", "failure_reason", "page_count",
            "has_searchable_pdf", "attempts", "uploaded_agency_code", "is_result", "lease_owner", "heartbeat_at",
            "pages_done")
_METADATA = ("number_notation", "issuing_organ", "issued_date", "signer", "subject")


def _values(document: Document) -> dict[str, Any]:
    values = {name: getattr(document, name) for name in _COLUMNS}
    values.update({name: getattr(document.metadata, name) for name in _METADATA})
    values["document_type"] = document.document_type.value
    values["status"] = document.status.value
    return values


def _to_domain(row: Any) -> Document:
    return Document(
        id=row.id, dossier_code=row.dossier_code, document_type=DocumentType(row.document_type), title=row.title,
        filename=row.filename, media_type=row.media_type, size_bytes=row.size_bytes, sha256=row.sha256,
        uploaded_by=row.uploaded_by, uploaded_at=row.uploaded_at,
        metadata=DocumentMetadata(**{name: getattr(row, name) for name in _METADATA}),
        status=DocumentStatus(row.status), status_changed_at=row.status_changed_at,
        failure_code=row.failure_code, failure_reason=row.failure_reason, page_count=row.page_count,
        has_searchable_pdf=row.has_searchable_pdf, attempts=row.attempts,
        uploaded_agency_code=row.uploaded_agency_code, is_result=row.is_result,
        lease_owner=row.lease_owner, heartbeat_at=row.heartbeat_at, pages_done=row.pages_done or 0,
    )


_SELECT = select(DOCUMENTS, DOSSIERS.c.code.label("dossier_code")).join(
    DOSSIERS, DOSSIERS.c.id == DOCUMENTS.c.dossier_id)


class SqlDocumentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, document: Document) -> None:
        dossier_id = self.session.scalar(select(DOSSIERS.c.id).where(DOSSIERS.c.code == document.dossier_code))
        if dossier_id is None:
            raise NotFound(code="dossier_not_found", detail={"dossier_code": document.dossier_code})
        try:
            with self.session.begin_nested():
                self.session.execute(insert(DOCUMENTS).values(id=document.id, dossier_id=dossier_id,
                                                              **_values(document)))
        except IntegrityError as exc:
            raise Conflict("Hồ sơ đã có tài liệu với nội dung này.", "The dossier already holds this content.",
                           code="duplicate_document", detail={"sha256": document.sha256}) from exc

    def get(self, document_id: str, *, for_update: bool = False) -> Document | None:
        stmt = _SELECT.where(DOCUMENTS.c.id == document_id)
        if for_update:
            stmt = stmt.with_for_update(of=DOCUMENTS)
        row = self.session.execute(stmt).one_or_none()
        return None if row is None else _to_domain(row)

    def find_by_hash(self, dossier_code: str, sha256: str) -> Document | None:
        row = self.session.execute(_SELECT.where(DOSSIERS.c.code == dossier_code,
                                                 DOCUMENTS.c.sha256 == sha256)).one_or_none()
        return None if row is None else _to_domain(row)

    def list_for_dossier(self, dossier_code: str) -> list[Document]:
        rows = self.session.execute(_SELECT.where(DOSSIERS.c.code == dossier_code)
                                    .order_by(DOCUMENTS.c.uploaded_at, DOCUMENTS.c.id))
        return [_to_domain(r) for r in rows]

    def page(self, *, after_id: str, limit: int) -> list[Document]:
        rows = self.session.execute(_SELECT.where(DOCUMENTS.c.id > after_id).order_by(DOCUMENTS.c.id).limit(limit))
        return [_to_domain(r) for r in rows]

    def save(self, document: Document) -> None:
        self.session.execute(DOCUMENTS.update().where(DOCUMENTS.c.id == document.id).values(**_values(document)))

    def set_pages(self, document_id: str, pages: list[PageText]) -> None:
        self.session.execute(delete(PAGES).where(PAGES.c.document_id == document_id))
        if pages:
            self._insert_pages(document_id, pages)

    def put_pages(self, document_id: str, pages: list[PageText]) -> None:
        numbers = [p.page_number for p in pages]
        if numbers:
            self.session.execute(delete(PAGES).where(PAGES.c.document_id == document_id,
                                                     PAGES.c.page_number.in_(numbers)))
            self._insert_pages(document_id, pages)

    def _insert_pages(self, document_id: str, pages: list[PageText]) -> None:
        self.session.execute(insert(PAGES), [
            {"document_id": document_id, "page_number": p.page_number, "text": p.text,
             "source": p.source.value, "confidence": p.confidence} for p in pages])

    def heartbeat(self, document_id: str, lease_owner: str, at: datetime) -> bool:
        result = self.session.execute(DOCUMENTS.update().where(
            DOCUMENTS.c.id == document_id, DOCUMENTS.c.lease_owner == lease_owner).values(heartbeat_at=at))
        return bool(getattr(result, "rowcount", 0))

    def in_progress_since(self, before: datetime, *, limit: int = 100) -> list[str]:
        last_sign = func.coalesce(DOCUMENTS.c.heartbeat_at, DOCUMENTS.c.status_changed_at)
        return list(self.session.scalars(select(DOCUMENTS.c.id).where(
            DOCUMENTS.c.status.in_(sorted(s.value for s in IN_PROGRESS)),
            or_(last_sign.is_(None), last_sign < before)).order_by(DOCUMENTS.c.uploaded_at).limit(limit)))

    def queued_since(self, before: datetime, *, limit: int = 100) -> list[str]:
        last_sent = func.coalesce(DOCUMENTS.c.heartbeat_at, DOCUMENTS.c.status_changed_at)
        return list(self.session.scalars(select(DOCUMENTS.c.id).where(
            DOCUMENTS.c.status == DocumentStatus.QUEUED.value,
            or_(last_sent.is_(None), last_sent < before)).order_by(DOCUMENTS.c.uploaded_at).limit(limit)))

    def pages(self, document_id: str) -> list[PageText]:
        rows = self.session.execute(select(PAGES).where(PAGES.c.document_id == document_id)
                                    .order_by(PAGES.c.page_number))
        return [PageText(r.page_number, r.text, PageSource(r.source), r.confidence) for r in rows]

    def titles(self, document_ids: Sequence[str]) -> dict[str, str]:
        if not document_ids:
            return {}
        rows = self.session.execute(select(DOCUMENTS.c.id, DOCUMENTS.c.title)
                                    .where(DOCUMENTS.c.id.in_(list(document_ids))))
        return {document_id: title for document_id, title in rows}

    def references_to(self, sha256: str) -> int:
        return int(self.session.scalar(select(func.count()).select_from(DOCUMENTS)
                                       .where(DOCUMENTS.c.sha256 == sha256)) or 0)

    def ids_with_status(self, statuses: frozenset[DocumentStatus], *, limit: int = 1000) -> list[str]:
        return list(self.session.scalars(select(DOCUMENTS.c.id).where(
            DOCUMENTS.c.status.in_(sorted(s.value for s in statuses))).order_by(DOCUMENTS.c.uploaded_at)
            .limit(limit)))

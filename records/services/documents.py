"""Use cases for a dossier's documents: registering an upload, reading, retrying."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from records.access import Action, Principal, decide
from records.blobs import BlobStore, original_key
from records.clock import Clock
from records.documents import Document, DocumentMetadata, DocumentStatus, PageText
from records.errors import Conflict, NotFound, PermissionDenied
from records.ports import UnitOfWork
from records.procedures import DocumentType
from records.services.dossiers import _readable


@dataclass(frozen=True)
class StagedUpload:
    """An upload already on local disk, hashed and identified from its bytes (see ingest.staging)."""

    path: Path
    sha256: str
    size_bytes: int
    media_type: str
    filename: str


@dataclass(frozen=True)
class Registered:
    document: Document
    duplicate: bool  # the dossier already held this content: nothing new was stored


def _document_not_found(document_id: str) -> NotFound:
    return NotFound("Không tìm thấy tài liệu.", "Document not found.", code="document_not_found",
                    detail={"document_id": document_id})


def register_document(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock, actor: Principal, dossier_code: str,
                      upload: StagedUpload, document_type: DocumentType, title: str,
                      metadata: DocumentMetadata) -> Registered:
    """Stores the original (keyed by its SHA-256) and records the document as queued.

    The same content uploaded twice to one dossier is reported, not stored again. If recording fails, an
    original that no document references is removed again: no orphan blobs.
    """
    with uow:
        dossier = _readable(uow, actor, dossier_code)
        if not decide(actor, Action.CHANGE, participant_agencies=dossier.participant_agencies,
                      holder_agency_code=dossier.holder_agency_code):
            raise PermissionDenied("Chỉ cơ quan đang giữ hồ sơ mới được bổ sung tài liệu.",
                                   "Only the agency holding the dossier can add documents.", code="not_the_holder")
        existing = uow.documents.find_by_hash(dossier_code, upload.sha256)
    if existing is not None:
        return Registered(existing, duplicate=True)
    key = original_key(upload.sha256)
    with upload.path.open("rb") as stream:
        blobs.put(key, stream, sha256=upload.sha256, content_type=upload.media_type)
    now = clock.now()
    document = Document(
        id=uuid.uuid4().hex, dossier_code=dossier_code, document_type=document_type,
        title=title.strip() or upload.filename, filename=upload.filename, media_type=upload.media_type,
        size_bytes=upload.size_bytes, sha256=upload.sha256, uploaded_by=actor.username, uploaded_at=now,
        metadata=metadata, status_changed_at=now,
    )
    try:
        with uow:
            uow.begin_write()
            uow.documents.add(document)
            uow.commit()
    except Conflict:
        with uow:  # a concurrent upload of the same content won the race: report it as the duplicate
            winner = uow.documents.find_by_hash(dossier_code, upload.sha256)
        if winner is None:
            raise
        return Registered(winner, duplicate=True)
    except BaseException:
        _forget_unreferenced(uow, blobs, upload.sha256)
        raise
    return Registered(document, duplicate=False)


def _forget_unreferenced(uow: UnitOfWork, blobs: BlobStore, sha256: str) -> None:
    with uow:
        unreferenced = uow.documents.references_to(sha256) == 0
    if unreferenced:
        blobs.delete(original_key(sha256))


def _readable_document(uow: UnitOfWork, actor: Principal, document_id: str) -> Document:
    document = uow.documents.get(document_id)
    if document is None:
        raise _document_not_found(document_id)
    try:
        _readable(uow, actor, document.dossier_code)
    except NotFound:
        raise _document_not_found(document_id) from None  # a guessed id learns nothing
    return document


def get_document(*, uow: UnitOfWork, actor: Principal, document_id: str) -> Document:
    with uow:
        return _readable_document(uow, actor, document_id)


def list_documents(*, uow: UnitOfWork, actor: Principal, dossier_code: str) -> list[Document]:
    with uow:
        _readable(uow, actor, dossier_code)
        return uow.documents.list_for_dossier(dossier_code)


def document_pages(*, uow: UnitOfWork, actor: Principal, document_id: str) -> tuple[Document, list[PageText]]:
    with uow:
        document = _readable_document(uow, actor, document_id)
        return document, uow.documents.pages(document_id)


def retry_document(*, uow: UnitOfWork, clock: Clock, actor: Principal, document_id: str) -> Document:
    """Puts a failed document back in the queue (the caller then enqueues its processing)."""
    with uow:
        uow.begin_write()
        document = _readable_document(uow, actor, document_id)
        document.move(DocumentStatus.QUEUED, clock.now())
        uow.documents.save(document)
        uow.commit()
    return document
